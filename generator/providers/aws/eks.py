"""Amazon EKS: a Terraform root module per cluster (templates/aws/eks/), and on request an
eksctl ClusterConfig of the same cluster (generator/providers/aws/eksctl.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from treeform.errors import Issue
from treeform.model import Cluster
from treeform.providers.common import carve_subnets, tf_id, versions_tf
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

#: Model addons that are not EKS add-ons (no aws_eks_addon).
NOT_EKS_ADDONS = {"cluster-autoscaler"}

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

POD_IDENTITY_AGENT = "eks-pod-identity-agent"


@dataclass(frozen=True)
class PodIdentity:
    """The AWS permissions an addon's service account gets through EKS Pod Identity."""

    namespace: str
    service_account: str
    #: AWS managed policies, by their path after `policy/`; none means an inline policy.
    managed_policies: tuple[str, ...] = ()


POD_IDENTITIES = {
    "vpc-cni": PodIdentity("kube-system", "aws-node", ("AmazonEKS_CNI_Policy",)),
    "aws-ebs-csi-driver": PodIdentity(
        "kube-system", "ebs-csi-controller-sa", ("service-role/AmazonEBSCSIDriverPolicy",)
    ),
    "aws-efs-csi-driver": PodIdentity(
        "kube-system", "efs-csi-controller-sa", ("service-role/AmazonEFSCSIDriverPolicy",)
    ),
    # Least privilege, inline: see AUTOSCALER_* below.
    "cluster-autoscaler": PodIdentity("kube-system", "cluster-autoscaler"),
}

#: The cluster autoscaler's permissions (its AWS README, narrowed): it reads every Auto
#: Scaling group and instance type, describes this cluster's node groups, and resizes only
#: the groups tagged k8s.io/cluster-autoscaler/<cluster> = owned, as EKS tags the Auto
#: Scaling group of every managed node group.
AUTOSCALER_READ = (
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:DescribeAutoScalingInstances",
    "autoscaling:DescribeLaunchConfigurations",
    "autoscaling:DescribeScalingActivities",
    "autoscaling:DescribeTags",
    "ec2:DescribeImages",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:GetInstanceTypesFromInstanceRequirements",
)
AUTOSCALER_READ_NODEGROUPS = ("eks:DescribeNodegroup",)
AUTOSCALER_SCALE = (
    "autoscaling:SetDesiredCapacity",
    "autoscaling:TerminateInstanceInAutoScalingGroup",
)

TAINT_EFFECTS = {
    "NoSchedule": "NO_SCHEDULE",
    "PreferNoSchedule": "PREFER_NO_SCHEDULE",
    "NoExecute": "NO_EXECUTE",
}

#: Every control-plane log type (CKV_AWS_37).
LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
LOG_RETENTION_DAYS = 365

PROVIDERS = {"aws": {"source": "hashicorp/aws", "version": "~> 6.0"}}


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def eks_addons(cluster: Cluster) -> list[str]:
    """The EKS add-ons of a cluster: the model's, plus the Pod Identity agent where an addon
    gets its permissions through Pod Identity."""
    names = {a for a in cluster.addons if a not in NOT_EKS_ADDONS}
    if any(a in POD_IDENTITIES for a in cluster.addons):
        names.add(POD_IDENTITY_AGENT)
    return sorted(names)


def fargate_profiles(cluster: Cluster) -> list[dict[str, Any]]:
    return [
        {
            "name": p["name"],
            "selectors": [
                {
                    "namespace": s["namespace"],
                    "labels": dict(sorted((s.get("labels") or {}).items())),
                }
                for s in p["selectors"]
            ],
        }
        for p in cluster.settings.get("fargateProfiles") or []
    ]


def _addon_waits(addon: str, pools: list[dict[str, Any]]) -> list[str]:
    """What an add-on waits for: the node groups where its pods need nodes, and its Pod
    Identity association, so that its pods start with their permissions."""
    waits = [f"aws_eks_node_group.{p['tf_id']}" for p in pools] if addon in _NEEDS_NODES else []
    if addon in POD_IDENTITIES:
        waits.append(f"aws_eks_pod_identity_association.{tf_id(addon)}")
    return waits


class EksEngine:
    name = "eks"
    versions: tuple[str, ...] = VERSIONS
    versions_taken = VERSIONS_TAKEN
    # The EKS control plane spans three zones by itself; nodes need two subnets.
    ha_min_zones = 0
    addons: tuple[str, ...] = ADDONS

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
        if cluster.settings.get("eksctl") and not cluster.account.get("accountId"):
            yield cluster.issue(
                ("eks", "eksctl"),
                "the eksctl ClusterConfig names its KMS key by ARN, which needs the account; "
                "set aws.accountId",
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
        for pool in cluster.node_pools.values():
            pools.append(
                {
                    "name": pool.name,
                    "tf_id": tf_id(pool.name),
                    "resource_name": f"{cluster.name}-{pool.name}",
                    "machine_type": pool.machine_type,
                    "min_size": pool.min_size,
                    "max_size": pool.max_size,
                    "desired_size": pool.desired_size,
                    "disk_size_gb": pool.disk_size_gb,
                    "capacity_type": "SPOT" if pool.spot else "ON_DEMAND",
                    # EKS takes minors, as for the cluster.
                    "kubernetes_version": ".".join(pool.kubernetes_version.split(".")[:2])
                    if pool.kubernetes_version
                    else None,
                    "zones": list(pool.zones),
                    "labels": pool.labels,
                    "taints": [
                        {"key": t.key, "value": t.value, "effect": TAINT_EFFECTS[t.effect]}
                        for t in pool.taints
                    ],
                }
            )
        admin_roles = list(cluster.settings.get("adminRoleArns") or [])
        return {
            "cluster": {
                "id": cluster.id,
                "name": cluster.name,
                "region": cluster.region,
                "version": cluster.minor_version,
                "service_cidr": cluster.network.service_cidr,
                "log_types": list(LOG_TYPES),
                "log_retention_days": LOG_RETENTION_DAYS,
            },
            "account_id": cluster.account.get("accountId"),
            "tags": {**cluster.tags, "treeform/cluster": cluster.id},
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
                {"name": a, "tf_id": tf_id(a), "depends_on": _addon_waits(a, pools)} for a in addons
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
            "fargate_profiles": [
                {**p, "tf_id": tf_id(p["name"])} for p in fargate_profiles(cluster)
            ],
        }

    def render(self, cluster: Cluster, renderer: Renderer) -> dict[str, str]:
        files = renderer.render_dir("aws/eks", self.context(cluster))
        files["versions.tf"] = versions_tf(cluster, renderer, PROVIDERS)
        out = {f"terraform/{name}": text for name, text in files.items()}
        if cluster.settings.get("eksctl"):
            # Imported here: eksctl.py builds on this module's tables.
            from treeform.providers.aws.eksctl import cluster_config

            out["eksctl/cluster.yaml"] = (
                "# Generated by treeform from the model; edit the model, not this file.\n"
                + to_yaml(cluster_config(cluster))
            )
        return out


EKS = EksEngine()
