"""The eksctl ClusterConfig (eksctl.io/v1alpha5) of an EKS cluster: the same cluster as the
Terraform root module, for teams that create clusters with `eksctl create cluster -f`.

Built as plain data and dumped as YAML; every document must validate against eksctl's own
JSON schema (tests/oracles/eksctl/clusterconfig.schema.json).
"""

from __future__ import annotations

import json
from typing import Any

from treeform.model import Cluster
from treeform.providers.aws import eks_facts as facts
from treeform.providers.aws.tags import cluster_tags
from treeform.providers.machines import EBS_ROOT_TYPES
from treeform.providers.pools import EKSCTL, taints
from treeform.render import to_yaml

API_VERSION = "eksctl.io/v1alpha5"
ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"


def _policy_arn(region: str, path: str) -> str:
    return f"arn:{facts.partition(region)}:iam::aws:policy/{path}"


def _vpc(cluster: Cluster) -> dict[str, Any]:
    net = cluster.network
    vpc: dict[str, Any] = {}
    if net.existing is not None:
        side = "private" if net.private else "public"
        vpc["id"] = net.existing.network_id
        # eksctl finds each subnet's zone from its id; the key is only a name.
        vpc["subnets"] = {side: {sid: {"id": sid} for sid in net.existing.subnet_ids}}
    else:
        vpc["cidr"] = net.cidr
        if net.private:
            vpc["nat"] = {"gateway": "HighlyAvailable" if cluster.high_availability else "Single"}
            # As in the Terraform: the control plane's interfaces sit in the private subnets.
            vpc["controlPlaneOnPrivateSubnets"] = True
        else:
            vpc["nat"] = {"gateway": "Disable"}
    if net.existing is not None and net.existing.control_plane_subnet_ids:
        vpc["controlPlaneSubnetIDs"] = list(net.existing.control_plane_subnet_ids)
    if cluster.settings.get("securityGroupIds"):
        vpc["controlPlaneSecurityGroupIDs"] = list(cluster.settings["securityGroupIds"])
    vpc["clusterEndpoints"] = {"privateAccess": True, "publicAccess": cluster.api_server.public}
    if cluster.api_server.public:
        vpc["publicAccessCIDRs"] = list(cluster.api_server.allowed_cidrs or ("0.0.0.0/0",))
    return vpc


def _node_group(cluster: Cluster, name: str) -> dict[str, Any]:
    pool = cluster.node_pools[name]
    ng: dict[str, Any] = {
        "name": pool.name,
        # eksctl picks the AMI of the family for the instance types' architecture and
        # accelerator (the ami_type the Terraform writes).
        "amiFamily": facts.IMAGES[pool.image or facts.DEFAULT_IMAGE],
        "instanceTypes": list(pool.machine_types),
        "spot": pool.spot,
        "minSize": pool.min_size,
        "maxSize": pool.max_size,
        "desiredCapacity": pool.desired_size,
        "volumeSize": pool.disk_size_gb,
        "volumeType": pool.disk_type or EBS_ROOT_TYPES[0],
        "volumeEncrypted": True,
        # IMDSv2 only, out of reach of pods: the launch template's hop limit 1.
        "disableIMDSv1": True,
        "disablePodIMDS": True,
        "privateNetworking": cluster.network.private,
        "updateConfig": {"maxUnavailable": 1},
    }
    max_pods = facts.pool_max_pods(cluster, name)
    if max_pods:
        ng["maxPodsPerNode"] = max_pods
    if cluster.network.existing is None:
        ng["availabilityZones"] = list(pool.zones)
    if pool.labels:
        ng["labels"] = dict(pool.labels)
    if pool.taints:
        ng["taints"] = taints(pool, EKSCTL)
    return ng


def _association(cluster: Cluster, addon: str) -> dict[str, Any]:
    """The Pod Identity association of an addon, with the same permissions as the Terraform."""
    identity = facts.POD_IDENTITIES[addon]
    association: dict[str, Any] = {
        "namespace": identity.namespace,
        "serviceAccountName": identity.service_account,
    }
    if identity.managed_policies:
        association["permissionPolicyARNs"] = [
            _policy_arn(cluster.region, p) for p in identity.managed_policies
        ]
    elif addon == "cluster-autoscaler":
        association["permissionPolicy"] = _autoscaler_policy(cluster)
    return association


def _autoscaler_policy(cluster: Cluster) -> dict[str, Any]:
    part = facts.partition(cluster.region)
    account = cluster.account["accountId"]
    nodegroups = f"arn:{part}:eks:{cluster.region}:{account}:nodegroup/{cluster.name}/*/*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Read",
                "Effect": "Allow",
                "Action": list(facts.AUTOSCALER_READ),
                "Resource": "*",
            },
            {
                "Sid": "ReadNodeGroups",
                "Effect": "Allow",
                "Action": list(facts.AUTOSCALER_READ_NODEGROUPS),
                "Resource": nodegroups,
            },
            {
                "Sid": "ScaleOwnGroups",
                "Effect": "Allow",
                "Action": list(facts.AUTOSCALER_SCALE),
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster.name}": "owned"
                    }
                },
            },
        ],
    }


def _addon(cluster: Cluster, name: str) -> dict[str, Any]:
    addon: dict[str, Any] = {"name": name, "resolveConflicts": "overwrite"}
    spec = cluster.addon_specs.get(name)
    if spec is not None and spec.version:
        addon["version"] = spec.version
    else:  # as the Terraform's most_recent: the newest for the cluster's version
        addon["version"] = "latest"
    configuration = facts.addon_configuration(cluster, name)
    if configuration:
        addon["configurationValues"] = json.dumps(configuration, separators=(",", ":"))
    if name in facts.POD_IDENTITIES:
        addon["podIdentityAssociations"] = [_association(cluster, name)]
    return addon


def _access_config(cluster: Cluster) -> dict[str, Any]:
    admins = list(cluster.settings.get("adminRoleArns") or [])
    arn = f"arn:{facts.partition(cluster.region)}:eks::aws:cluster-access-policy/"
    config: dict[str, Any] = {
        "authenticationMode": "API",
        # As in the Terraform: the named admins, or else whoever creates the cluster.
        "bootstrapClusterCreatorAdminPermissions": not admins,
    }
    entries: dict[str, list[dict[str, Any]]] = {
        admin: [{"policyARN": arn + ADMIN_POLICY, "accessScope": {"type": "cluster"}}]
        for admin in admins
    }
    for grant in cluster.access:  # the model's access: one entry per principal
        scope: dict[str, Any] = (
            {"type": "namespace", "namespaces": list(grant.namespaces)}
            if grant.namespaces
            else {"type": "cluster"}
        )
        entries.setdefault(grant.principal, []).append(
            {"policyARN": arn + facts.ACCESS_POLICIES[grant.role], "accessScope": scope}
        )
    if entries:
        config["accessEntries"] = [
            {"principalARN": principal, "type": "STANDARD", "accessPolicies": policies}
            for principal, policies in entries.items()
        ]
    return config


def cluster_config(cluster: Cluster) -> dict[str, Any]:
    """The ClusterConfig document of a cluster, as plain data."""
    doc: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "kind": "ClusterConfig",
        "metadata": {
            "name": cluster.name,
            "region": cluster.region,
            "version": cluster.minor_version,
            "tags": cluster_tags(cluster),
        },
    }
    if cluster.network.existing is None:
        doc["availabilityZones"] = list(cluster.zones)
    doc["vpc"] = _vpc(cluster)
    if cluster.network.service_cidr:
        doc["kubernetesNetworkConfig"] = {"serviceIPv4CIDR": cluster.network.service_cidr}
    doc["upgradePolicy"] = {"supportType": facts.support_type(cluster)}
    doc["accessConfig"] = _access_config(cluster)
    if facts.auto_mode(cluster):  # eksctl makes the node role and uses the built-in node pools
        doc["autoModeConfig"] = {"enabled": True}
    iam: dict[str, Any] = {"withOIDC": True}
    standalone = [
        _association(cluster, a)
        for a in sorted(cluster.addons)
        if a in facts.NOT_EKS_ADDONS and a in facts.POD_IDENTITIES
    ]
    if standalone:
        iam["podIdentityAssociations"] = standalone
    doc["iam"] = iam
    addons = facts.eks_addons(cluster)
    if addons:
        doc["addons"] = [_addon(cluster, a) for a in addons]
    if cluster.node_pools:
        doc["managedNodeGroups"] = [_node_group(cluster, n) for n in cluster.node_pools]
    profiles = facts.fargate_profiles(cluster)
    if profiles:
        doc["fargateProfiles"] = [
            {
                "name": p["name"],
                "selectors": [
                    {
                        "namespace": s["namespace"],
                        **({"labels": s["labels"]} if s["labels"] else {}),
                    }
                    for s in p["selectors"]
                ],
            }
            for p in profiles
        ]
    doc["secretsEncryption"] = {
        # encryption.secretsKey, or the key the Terraform creates (alias/eks/NAME); with
        # eksctl alone, create it first.
        "keyARN": cluster.secrets_key
        or f"arn:{facts.partition(cluster.region)}:kms:{cluster.region}:"
        f"{cluster.account['accountId']}:alias/eks/{cluster.name}"
    }
    doc["cloudWatch"] = {
        "clusterLogging": {
            "enableTypes": list(facts.LOG_TYPES),
            "logRetentionInDays": facts.LOG_RETENTION_DAYS,
        }
    }
    return doc


def eksctl_files(cluster: Cluster) -> dict[str, str]:
    """The `eksctl` target's file: the ClusterConfig, with the header of generated files."""
    return {
        "eksctl/cluster.yaml": (
            "# Generated by treeform from the model; edit the model, not this file.\n"
            + to_yaml(cluster_config(cluster))
        )
    }
