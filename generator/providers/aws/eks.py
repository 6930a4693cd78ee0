"""Amazon EKS: a Terraform root module per cluster (templates/aws/eks/), and on request an
eksctl ClusterConfig of the same cluster (generator/providers/aws/eksctl.py)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

from treeform.errors import Issue
from treeform.model import Cluster
from treeform.providers import machines
from treeform.providers.aws.eks_facts import (
    ACCESS_POLICIES,
    AUTOSCALER_READ,
    AUTOSCALER_READ_NODEGROUPS,
    AUTOSCALER_SCALE,
    DEFAULT_IMAGE,
    EXTENDED_ONLY,
    IMAGES,
    LOG_RETENTION_DAYS,
    LOG_TYPES,
    NOT_EKS_ADDONS,
    POD_IDENTITIES,
    addon_configuration,
    auto_mode,
    eks_addons,
    fargate_profiles,
    karpenter,
    pool_max_pods,
    support_type,
)
from treeform.providers.aws.tags import cluster_tags
from treeform.providers.base import Example
from treeform.providers.common import (
    access_issues,
    carve_subnets,
    choice_issues,
    machine_type_issues,
    pool_machines,
    secrets_key_issues,
    tf_id,
)
from treeform.providers.pools import API_CONSTANTS, pool_context
from treeform.providers.terraform import TerraformEngine, cluster_identity
from treeform.render import Renderer, to_yaml

#: Kubernetes minor versions EKS offers (standard and extended support), taken 2026-12-01
#: from the EKS Kubernetes release calendar (docs.aws.amazon.com/eks/latest/userguide/
#: kubernetes-versions.html): 1.31 left extended support on 2026-11-26; 1.32 (until
#: 2027-03-23) and 1.33 (until 2027-07-29) are in extended support; 1.34 (standard until
#: 2026-12-02), 1.35 and 1.36 in standard support. checkov 3.3.30's CKV_AWS_339 knows 1.29
#: to 1.35 only, so a 1.36 cluster fails that check (docs/engines/eks.md).
VERSIONS = ("1.32", "1.33", "1.34", "1.35", "1.36")
VERSIONS_TAKEN = "2026-12-01"


#: Add-ons the model may list: the EKS add-ons by their EKS name, and cluster-autoscaler,
#: which is not an EKS add-on: it yields only its IAM role and Pod Identity association (the
#: user installs the chart).
ADDONS = (
    "vpc-cni",
    "coredns",
    "kube-proxy",
    "aws-ebs-csi-driver",
    "aws-efs-csi-driver",
    "eks-pod-identity-agent",
    "snapshot-controller",
    "metrics-server",
    "amazon-cloudwatch-observability",
    "aws-guardduty-agent",
    "cluster-autoscaler",
)


#: Add-ons whose pods only run once nodes exist; they wait for the node groups.
_NEEDS_NODES = {
    "coredns",
    "aws-ebs-csi-driver",
    "aws-efs-csi-driver",
    "snapshot-controller",
    "metrics-server",
    "amazon-cloudwatch-observability",
}

#: Add-ons the nodes need to become Ready; the node groups wait for them.
_BEFORE_NODES = {"vpc-cni", "kube-proxy", "eks-pod-identity-agent"}


#: EKS Auto Mode (the EKS user guide, taken 2026-12-01): the cluster role's extra managed
#: policies, the node role's, and the built-in node pools.
AUTO_MODE_CLUSTER_POLICIES = (
    "AmazonEKSBlockStoragePolicy",
    "AmazonEKSComputePolicy",
    "AmazonEKSLoadBalancingPolicy",
    "AmazonEKSNetworkingPolicy",
)
AUTO_MODE_NODE_POLICIES = ("AmazonEC2ContainerRegistryPullOnly", "AmazonEKSWorkerNodeMinimalPolicy")
AUTO_MODE_NODE_POOLS = ("general-purpose", "system")


#: Karpenter (its getting-started CloudFormation template, v1, taken 2026-12-01): what the
#: interruption queue hears, what the controller reads in the region, its nodes' policies.
KARPENTER_EVENTS = {
    "health": {"source": ["aws.health"], "detail-type": ["AWS Health Event"]},
    "spot": {"source": ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"]},
    "rebalance": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"]},
    "state": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]},
}
KARPENTER_READ = (
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeCapacityReservations",
    "ec2:DescribeImages",
    "ec2:DescribeInstanceTypeOfferings",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeInstances",
    "ec2:DescribeLaunchTemplates",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSpotPriceHistory",
    "ec2:DescribeSubnets",
)
KARPENTER_NODE_POLICIES = ("AmazonEC2ContainerRegistryPullOnly", "AmazonEKSWorkerNodePolicy")
#: EventBridge rule names take 64 characters: NAME-karpenter-rebalance.
KARPENTER_MAX_NAME = 64 - len("-karpenter-rebalance")


PROVIDERS = {"aws": {"source": "hashicorp/aws", "version": "~> 6.0"}}


def access_grants(cluster: Cluster) -> dict[str, dict[str, Any]]:
    """The model's access, keyed `PRINCIPAL ROLE` (stable when the list is reordered)."""
    return {
        f"{g.principal} {g.role}": {
            "principal": g.principal,
            "policy": ACCESS_POLICIES[g.role],
            "scope": "namespace" if g.namespaces else "cluster",
            "namespaces": list(g.namespaces) or None,
        }
        for g in cluster.access
    }


def node_config_user_data(max_pods: int, image: str = "al2023") -> str:
    """Launch-template user data that sets the kubelet's maxPods, in the form the node image
    reads: for AL2023 (nodeadm) a MIME part with a NodeConfig, for Bottlerocket its TOML
    settings; EKS merges either with the settings of its own."""
    if image == "bottlerocket":
        return f"[settings.kubernetes]\nmax-pods = {max_pods}\n"
    return (
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="//"\n'
        "\n"
        "--//\n"
        "Content-Type: application/node.eks.aws\n"
        "\n"
        "apiVersion: node.eks.aws/v1alpha1\n"
        "kind: NodeConfig\n"
        "spec:\n"
        "  kubelet:\n"
        "    config:\n"
        f"      maxPods: {max_pods}\n"
        "\n"
        "--//--\n"
    )


#: The launch template's volume for the node's disk: AL2023 boots from /dev/xvda and keeps
#: containers there; Bottlerocket keeps them on its data volume, /dev/xvdb.
DISK_DEVICES = {"al2023": "/dev/xvda", "bottlerocket": "/dev/xvdb"}


def ami_type(machine: machines.Machine, image: str) -> str:
    """The managed node group `ami_type` of a pool's machines (EKS API AMI types:
    AL2023_{x86_64,ARM_64}_{STANDARD,NVIDIA}, AL2023_x86_64_NEURON, BOTTLEROCKET_{x86_64,
    ARM_64}[_NVIDIA])."""
    arch = "ARM_64" if machine.arch == machines.ARM64 else "x86_64"
    if image == "bottlerocket":
        return f"BOTTLEROCKET_{arch}" + (
            "_NVIDIA" if machine.accelerator == machines.NVIDIA else ""
        )
    kind = {machines.NVIDIA: "NVIDIA", machines.NEURON: "NEURON"}.get(
        machine.accelerator or "", "STANDARD"
    )
    return f"AL2023_{arch}_{kind}"


def image_issues(cluster: Cluster) -> Iterator[Issue]:
    """Images an EKS pool's machines have none of (the Terraform and eksctl alike)."""
    yield from choice_issues(cluster, "image", IMAGES, "node image")
    yield from choice_issues(
        cluster, "diskType", dict.fromkeys(machines.EBS_ROOT_TYPES), "root volume type"
    )
    for name, found in pool_machines(cluster, machines.AWS).items():
        pool = cluster.node_pools[name]
        image = pool.image or DEFAULT_IMAGE
        if not found or image not in IMAGES:
            continue
        machine = found[0]
        if machine.accelerator == machines.AMD_GPU:
            yield cluster.issue(
                pool.machine_type_path,
                f"{machines.describe(machine)}: EKS has no AMI with AMD GPU drivers; choose "
                "an NVIDIA (g5, g6, p5) or Neuron (inf2, trn1) family",
            )
        elif machine.accelerator == machines.NEURON and image == "bottlerocket":
            yield cluster.issue(
                ("nodePools", name, "image"),
                f"EKS has no Bottlerocket AMI type with Neuron drivers for "
                f"{machines.describe(machine)}; use image al2023 (AL2023_x86_64_NEURON)",
            )


def _addon_waits(addon: str, pools: list[dict[str, Any]]) -> list[str]:
    """What an add-on waits for: the node groups where its pods need nodes, and its Pod
    Identity association, so that its pods start with their permissions."""
    waits = [f"aws_eks_node_group.{p['tf_id']}" for p in pools] if addon in _NEEDS_NODES else []
    if addon in POD_IDENTITIES:
        waits.append(f"aws_eks_pod_identity_association.{tf_id(addon)}")
    return waits


_KMS_KEY_ARN = re.compile(r"arn:aws(?:-cn|-us-gov)?:kms:([a-z0-9-]+):[0-9]{12}:key/[A-Za-z0-9-]+\Z")


_PRINCIPAL_ARN = re.compile(r"arn:aws(?:-cn|-us-gov)?:iam::[0-9]{12}:(?:role|user)/\S+\Z")


def _json_problem(
    value: Any, at: tuple[str | int, ...] = ()
) -> tuple[tuple[str | int, ...], str] | None:
    """Where and why `value` is not plain JSON (non-string keys, YAML-only values), or None."""
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                return at, f"key {k!r} is not a string"
            found = _json_problem(v, (*at, k))
            if found:
                return found
        return None
    if isinstance(value, list):
        for i, v in enumerate(value):
            found = _json_problem(v, (*at, i))
            if found:
                return found
        return None
    if value is None or isinstance(value, str | bool | int):
        return None
    if isinstance(value, float) and math.isfinite(value):
        return None
    return at, f"{value!r} has no JSON form"


def karpenter_manifests(cluster: Cluster) -> str:
    """Karpenter's EC2NodeClass and NodePool (karpenter.sh/v1): nodes in the tagged subnets
    and security group with the node role, AL2023, and the model's limits."""
    assert cluster.autoprovisioning is not None
    limits = {
        k: v
        for k, v in (
            ("cpu", cluster.autoprovisioning.cpu),
            (
                "memory",
                f"{cluster.autoprovisioning.memory_gb}Gi"
                if cluster.autoprovisioning.memory_gb
                else None,
            ),
        )
        if v is not None
    }

    def selector() -> list[dict[str, Any]]:  # a list each: no YAML anchors
        return [{"tags": {"karpenter.sh/discovery": cluster.name}}]

    node_class = {
        "apiVersion": "karpenter.k8s.aws/v1",
        "kind": "EC2NodeClass",
        "metadata": {"name": "default"},
        "spec": {
            "role": f"{cluster.name}-karpenter-node",
            "amiSelectorTerms": [{"alias": "al2023@latest"}],
            "subnetSelectorTerms": selector(),
            "securityGroupSelectorTerms": selector(),
            "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1},
        },
    }
    node_pool: dict[str, Any] = {
        "apiVersion": "karpenter.sh/v1",
        "kind": "NodePool",
        "metadata": {"name": "default"},
        "spec": {
            "template": {
                "spec": {
                    "nodeClassRef": {
                        "group": "karpenter.k8s.aws",
                        "kind": "EC2NodeClass",
                        "name": "default",
                    },
                    "requirements": [
                        {
                            "key": "karpenter.sh/capacity-type",
                            "operator": "In",
                            "values": ["on-demand"],
                        }
                    ],
                }
            },
        },
    }
    if limits:
        node_pool["spec"]["limits"] = limits
    return (
        "# Generated by treeform from the model; apply it once the Karpenter chart runs.\n"
        + to_yaml(node_class)
        + "---\n"
        + to_yaml(node_pool)
    )


class EksEngine(TerraformEngine):
    name = "eks"
    versions: tuple[str, ...] = VERSIONS
    versions_taken = VERSIONS_TAKEN
    # The EKS control plane spans three zones by itself; nodes need two subnets.
    ha_min_zones = 0
    addons: tuple[str, ...] = ADDONS
    # Karpenter's NodePool with eks.autoprovisioning: karpenter; eksctl with eks.eksctl.
    targets: tuple[str, ...] = ("terraform", "kubernetes", "eksctl")

    def validate(self, cluster: Cluster) -> Iterator[Issue]:
        existing = cluster.network.existing
        # No zones at all means an unknown region, which the shared rules report.
        if existing is None and 0 < len(cluster.zones) < 2:
            yield cluster.issue(
                "zones", "EKS needs subnets in at least two zones; name two or more zones"
            )
        if existing is not None:
            needed = max(2, len(cluster.zones) if cluster.zones_given else 0)
            if len(existing.subnet_ids) < needed:
                why = (
                    f"one per zone ({', '.join(cluster.zones)})"
                    if needed > 2
                    else "in at least two zones"
                )
                yield cluster.issue(
                    ("network", "existing", "subnetIds"),
                    f"EKS needs at least {needed} subnets, {why}; {len(existing.subnet_ids)} given",
                )
            for name, pool in cluster.node_pools.items():
                if pool.zones_given:
                    yield cluster.issue(
                        ("nodePools", name, "zones"),
                        "with network.existing, node groups use every subnet of "
                        "network.existing.subnetIds; remove zones",
                    )
        if cluster.network.pod_cidr is not None:
            yield cluster.issue(
                ("network", "podCidr"),
                "EKS with the Amazon VPC CNI gives pods addresses from the VPC subnets; "
                "remove podCidr",
            )
        if cluster.network.cni not in ("default", "amazonvpc"):
            yield cluster.issue(
                ("network", "cni"),
                f"EKS runs the Amazon VPC CNI; cni {cluster.network.cni!r} is not supported "
                "(use default or amazonvpc)",
            )
        yield from machine_type_issues(
            cluster, machines.AWS.form, machines.AWS.form_text, catalog=machines.AWS, several=True
        )
        yield from image_issues(cluster)
        for name, pool in cluster.node_pools.items():
            if pool.max_size < 1:
                yield cluster.issue(("nodePools", name, "maxSize"), "EKS needs maxSize >= 1")
        profiles = cluster.settings.get("fargateProfiles") or []
        if profiles and not cluster.network.private:
            yield cluster.issue(
                ("eks", "fargateProfiles"),
                "Fargate runs pods in private subnets only, and topology public has none; "
                "set network.topology: private",
            )
        seen: set[str] = set()
        for i, profile in enumerate(profiles):
            if profile["name"] in seen:
                yield cluster.issue(
                    ("eks", "fargateProfiles", i, "name"),
                    f"Fargate profile {profile['name']!r} is named twice",
                )
            seen.add(profile["name"])
        yield from self._day2_issues(cluster)
        if (
            cluster.settings.get("eksctl")
            and not cluster.account.get("accountId")
            and not cluster.secrets_key
        ):
            yield cluster.issue(
                ("eks", "eksctl"),
                "the eksctl ClusterConfig names its KMS key by ARN, which needs the account; "
                "set aws.accountId",
            )

    def _day2_issues(self, cluster: Cluster) -> Iterator[Issue]:
        raw = cluster.data.get("addons") or []
        for i, item in enumerate(raw):
            if isinstance(item, dict) and item.get("name") in NOT_EKS_ADDONS:
                for key in ("version", "configuration"):
                    if key in item:
                        yield cluster.issue(
                            ("addons", i, key),
                            f"{item['name']} is not an EKS add-on (treeform writes only its IAM; "
                            f"you install its chart), so it takes no {key}",
                        )
            if isinstance(item, dict) and "configuration" in item:
                problem = _json_problem(item["configuration"])
                if problem:
                    yield cluster.issue(
                        ("addons", i, "configuration", *problem[0]),
                        f"{problem[1]}: configuration_values is a JSON object",
                    )
        if cluster.settings.get("prefixDelegation"):
            if "vpc-cni" not in cluster.addons:
                yield cluster.issue(
                    ("eks", "prefixDelegation"),
                    "prefix delegation is a setting of the vpc-cni add-on; list vpc-cni in addons",
                )
            spec = cluster.addon_specs.get("vpc-cni")
            env = (spec.configuration or {}).get("env") if spec else None
            if isinstance(env, dict) and env.get("ENABLE_PREFIX_DELEGATION", "true") != "true":
                index = next(
                    i for i, a in enumerate(raw) if isinstance(a, dict) and a["name"] == "vpc-cni"
                )
                yield cluster.issue(
                    ("addons", index, "configuration", "env", "ENABLE_PREFIX_DELEGATION"),
                    "contradicts eks.prefixDelegation: true; remove one of them",
                )
        if (
            cluster.settings.get("supportType") == "STANDARD"
            and cluster.minor_version in EXTENDED_ONLY
        ):
            yield cluster.issue(
                ("eks", "supportType"),
                f"Kubernetes {cluster.minor_version} is past EKS standard support (as of "
                f"{VERSIONS_TAKEN}); EKS takes only EXTENDED for it: upgrade the cluster, or "
                "set EXTENDED",
            )
        if karpenter(cluster) and len(cluster.name) > KARPENTER_MAX_NAME:
            yield cluster.issue(
                "name",
                f"with Karpenter, EKS cluster names are at most {KARPENTER_MAX_NAME} "
                "characters (its EventBridge rules are named NAME-karpenter-rebalance)",
            )
        if "autoprovisioning" in cluster.settings and cluster.autoprovisioning is None:
            yield cluster.issue(
                ("eks", "autoprovisioning"),
                "says how autoprovisioning provisions nodes; set autoprovisioning.enabled too",
            )
        if karpenter(cluster) and cluster.settings.get("eksctl"):
            yield cluster.issue(
                ("eks", "autoprovisioning"),
                "eksctl's ClusterConfig sets up Karpenter by installing it, which the "
                "Terraform leaves to you; use Karpenter without eks.eksctl, or auto-mode",
            )
        if cluster.autoprovisioning is not None and not karpenter(cluster):
            for key, name in (("cpu", "cpu"), ("memoryGb", "memory_gb")):
                if getattr(cluster.autoprovisioning, name) is not None:
                    yield cluster.issue(
                        ("autoprovisioning", key),
                        "EKS Auto Mode's built-in node pools (general-purpose, system) take no "
                        "limits; remove it (a NodePool of your own, applied in the cluster, can "
                        "set limits)",
                    )
        yield from access_issues(
            cluster, _PRINCIPAL_ARN, "an IAM role or user ARN (arn:aws:iam::ACCOUNT:role/NAME)"
        )
        admins = set(cluster.settings.get("adminRoleArns") or ())
        for i, grant in enumerate(cluster.access):
            if grant.principal in admins:
                yield cluster.issue(
                    ("access", i, "principal"),
                    "is in eks.adminRoleArns, which makes it cluster-admin already; an IAM "
                    "principal has one access entry",
                )
        yield from secrets_key_issues(
            cluster,
            _KMS_KEY_ARN,
            "a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID; EKS takes no alias)",
        )
        existing = cluster.network.existing
        if existing is not None and existing.control_plane_subnet_ids:
            shared = sorted(set(existing.control_plane_subnet_ids) & set(existing.subnet_ids))
            if shared:
                yield cluster.issue(
                    ("network", "existing", "controlPlaneSubnetIds"),
                    f"{', '.join(shared)} also in subnetIds; the control plane's subnets are "
                    "apart from the nodes' (leave controlPlaneSubnetIds out to share them)",
                )
        if cluster.settings.get("eksctl") and "deletionProtection" in cluster.settings:
            yield cluster.issue(
                ("eks", "deletionProtection"),
                "eksctl's ClusterConfig has no deletion protection; leave it out with "
                "eks.eksctl: true (or turn it on in the Terraform only, without eksctl)",
            )

    def context(self, cluster: Cluster) -> dict[str, Any]:
        subnets = carve_subnets(cluster.network.cidr, cluster.zones)
        private = cluster.network.private
        addons = eks_addons(cluster)
        pod_identities = [
            {
                "addon": a,
                "tf_id": tf_id(a),
                "namespace": POD_IDENTITIES[a].namespace,
                "service_account": POD_IDENTITIES[a].service_account,
                "managed_policies": list(POD_IDENTITIES[a].managed_policies),
            }
            for a in sorted(cluster.addons)
            if a in POD_IDENTITIES
        ]
        before_nodes = [f"aws_eks_addon.{tf_id(a)}" for a in addons if a in _BEFORE_NODES]
        before_nodes += [
            f"aws_eks_pod_identity_association.{p['tf_id']}"
            for p in pod_identities
            if p["addon"] == "vpc-cni"
        ]
        pools = []
        found = pool_machines(cluster, machines.AWS)
        for pool in cluster.node_pools.values():
            max_pods = pool_max_pods(cluster, pool.name)
            image = pool.image or DEFAULT_IMAGE
            pools.append(
                {
                    **pool_context(pool, taint_style=API_CONSTANTS),
                    "resource_name": f"{cluster.name}-{pool.name}",
                    "ami_type": ami_type(found[pool.name][0], image),
                    "disk_type": pool.disk_type or machines.EBS_ROOT_TYPES[0],
                    "disk_device": DISK_DEVICES[image],
                    "capacity_type": "SPOT" if pool.spot else "ON_DEMAND",
                    # EKS takes minors, as for the cluster.
                    "kubernetes_version": ".".join(pool.kubernetes_version.split(".")[:2])
                    if pool.kubernetes_version
                    else None,
                    "max_pods": max_pods,
                    "user_data": node_config_user_data(max_pods, image) if max_pods else None,
                    "image": image,
                }
            )
        admin_roles = list(cluster.settings.get("adminRoleArns") or [])
        return {
            "cluster": {
                **cluster_identity(cluster),
                "version": cluster.minor_version,
                "service_cidr": cluster.network.service_cidr,
                "log_types": list(LOG_TYPES),
                "log_retention_days": LOG_RETENTION_DAYS,
                "support_type": support_type(cluster),
                "extended_only": cluster.minor_version in EXTENDED_ONLY,
                "deletion_protection": cluster.settings.get("deletionProtection"),
                "security_group_ids": list(cluster.settings.get("securityGroupIds") or []),
            },
            "account_id": cluster.account.get("accountId"),
            "tags": cluster_tags(cluster),
            "network": {
                "create": cluster.network.existing is None,
                "cidr": cluster.network.cidr,
                "private": private,
                "subnets": [
                    {
                        "zone": s.zone,
                        "private": s.private,
                        "public": s.public,
                        # One NAT gateway per zone when the cluster must survive a zone loss.
                        "nat": s.zone if cluster.high_availability else subnets[0].zone,
                    }
                    for s in subnets
                ],
                "existing": (
                    {
                        "vpc_id": cluster.network.existing.network_id,
                        "subnet_ids": list(cluster.network.existing.subnet_ids),
                        "control_plane_subnet_ids": list(
                            cluster.network.existing.control_plane_subnet_ids
                        ),
                    }
                    if cluster.network.existing
                    else None
                ),
                "nat_per_zone": cluster.high_availability,
            },
            "api": {
                "public": cluster.api_server.public,
                "allowed_cidrs": list(cluster.api_server.allowed_cidrs),
            },
            "pools": pools,
            "addons": [
                {
                    "name": a,
                    "tf_id": tf_id(a),
                    "depends_on": _addon_waits(a, pools),
                    "version": spec.version if (spec := cluster.addon_specs.get(a)) else None,
                    "configuration": addon_configuration(cluster, a),
                }
                for a in addons
            ],
            "before_nodes": before_nodes,
            # AmazonEKS_CNI_Policy stays on the node role unless the vpc-cni add-on gets it
            # through Pod Identity (EKS's self-managed aws-node uses the node role).
            "autoscaler": {
                "read": list(AUTOSCALER_READ),
                "read_nodegroups": list(AUTOSCALER_READ_NODEGROUPS),
                "scale": list(AUTOSCALER_SCALE),
            },
            "cni_on_node_role": "vpc-cni" not in cluster.addons,
            "pod_identities": pod_identities,
            "admin_roles": admin_roles,
            "secrets_key": cluster.secrets_key,
            "karpenter": (
                {
                    "events": KARPENTER_EVENTS,
                    "read_actions": list(KARPENTER_READ),
                    "node_policies": sorted(
                        KARPENTER_NODE_POLICIES
                        + (("AmazonEKS_CNI_Policy",) if "vpc-cni" not in cluster.addons else ())
                    ),
                }
                if karpenter(cluster)
                else None
            ),
            "auto_mode": (
                {
                    "node_pools": list(AUTO_MODE_NODE_POOLS),
                    "node_policies": list(AUTO_MODE_NODE_POLICIES),
                }
                if auto_mode(cluster)
                else None
            ),
            "cluster_policies": ["AmazonEKSClusterPolicy"]
            + (list(AUTO_MODE_CLUSTER_POLICIES) if auto_mode(cluster) else []),
            "access": access_grants(cluster),
            "fargate_profiles": [
                {**p, "tf_id": tf_id(p["name"])} for p in fargate_profiles(cluster)
            ],
        }

    def kubernetes_manifests(self, cluster: Cluster, renderer: Renderer) -> dict[str, str]:
        if not karpenter(cluster):
            return {}
        return {"karpenter/nodepool.yaml": karpenter_manifests(cluster)}


EKS = EksEngine("aws/eks", PROVIDERS, Example("us-east-1", "m6i.large"))
