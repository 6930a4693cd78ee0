"""What the EKS engine's two outputs share: the Terraform root module (`eks.py`) and the
eksctl ClusterConfig (`eksctl.py`) read the same tables and decisions from here, so that
neither imports the other and both say the same about a cluster."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from treeform.model import Cluster

#: The versions of eks.VERSIONS past their standard support (same calendar, same date): EKS
#: takes only upgrade_policy EXTENDED for them, so that is their default. 1.34 joins them
#: on 2026-12-02, when the table must be taken again.
EXTENDED_ONLY = ("1.32", "1.33")

#: Model addons that are not EKS add-ons (no aws_eks_addon).
NOT_EKS_ADDONS = {"cluster-autoscaler"}

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


def _autoprovisioned(cluster: Cluster) -> bool:
    return cluster.autoprovisioning is not None and cluster.autoprovisioning.enabled


def auto_mode(cluster: Cluster) -> bool:
    return _autoprovisioned(cluster) and cluster.settings.get("autoprovisioning") != "karpenter"


def karpenter(cluster: Cluster) -> bool:
    return _autoprovisioned(cluster) and cluster.settings.get("autoprovisioning") == "karpenter"


#: Every control-plane log type (CKV_AWS_37).
LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
LOG_RETENTION_DAYS = 365

#: EKS access policies of the model's access roles (EKS access policy permissions, taken
#: 2026-12-01 from the EKS user guide): they mirror the Kubernetes user-facing roles.
ACCESS_POLICIES = {
    "cluster-admin": "AmazonEKSClusterAdminPolicy",
    "admin": "AmazonEKSAdminPolicy",
    "edit": "AmazonEKSEditPolicy",
    "view": "AmazonEKSViewPolicy",
}

#: What eks.prefixDelegation sets in the vpc-cni add-on's configuration (the VPC CNI's
#: README): each ENI slot takes a /28 prefix, and one prefix is kept warm.
PREFIX_DELEGATION_ENV = {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"}
#: Pods per node of a pool under prefix delegation without maxPods: the EKS user guide's
#: recommendation for instances with fewer than 30 vCPUs (taken 2026-12-01), which is also
#: Kubernetes' tested limit.
PREFIX_DELEGATION_MAX_PODS = 110


def support_type(cluster: Cluster) -> str:
    """eks.supportType, or STANDARD (the cheaper one) unless the version is past standard
    support, where EKS takes EXTENDED only."""
    default = "EXTENDED" if cluster.minor_version in EXTENDED_ONLY else "STANDARD"
    return str(cluster.settings.get("supportType", default))


def vpc_cni_configuration(cluster: Cluster) -> dict[str, Any] | None:
    """The vpc-cni add-on's configuration: the model's, with prefix delegation's settings."""
    spec = cluster.addon_specs.get("vpc-cni")
    own = dict(spec.configuration or {}) if spec else {}
    if cluster.settings.get("prefixDelegation"):
        env = own.get("env")
        own["env"] = {**PREFIX_DELEGATION_ENV, **(env if isinstance(env, dict) else {})}
    return own or None


def addon_configuration(cluster: Cluster, name: str) -> dict[str, Any] | None:
    if name == "vpc-cni":
        return vpc_cni_configuration(cluster)
    spec = cluster.addon_specs.get(name)
    return spec.configuration if spec else None


def pool_max_pods(cluster: Cluster, name: str) -> int | None:
    pool = cluster.node_pools[name]
    if pool.max_pods is None and cluster.settings.get("prefixDelegation"):
        return PREFIX_DELEGATION_MAX_PODS
    return pool.max_pods


#: Node images (nodePools.<p>.image) -> the eksctl amiFamily; the first is the default.
IMAGES = {"al2023": "AmazonLinux2023", "bottlerocket": "Bottlerocket"}
DEFAULT_IMAGE = "al2023"


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
    if any(a in POD_IDENTITIES for a in cluster.addons) or karpenter(cluster):
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
