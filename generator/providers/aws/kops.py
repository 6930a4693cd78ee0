"""kOps on EC2: what differs from kOps on other clouds (templates/aws/kops/ for the
Terraform around it), as a `KopsCloud` (`treeform.providers.kops_cloud`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from treeform.errors import Issue
from treeform.model import Cluster
from treeform.providers.aws.tags import cluster_tags
from treeform.providers.base import Example
from treeform.providers.common import pool_machines, tf_id
from treeform.providers.kops import (
    ADDONS_COMMON,
    CNI_COMMON,
    CNI_VPC_NATIVE,
    ETCD_ENCRYPTED,
    Group,
    Subnet,
    carve_kops_ipv6_subnets,
    carve_kops_subnets,
    sorted_labels,
)
from treeform.providers.kops_cloud import (
    KopsCatalog,
    KopsDiscovery,
    KopsFacts,
    KopsMachines,
    KopsTerraform,
)
from treeform.providers.kops_engine import KopsEngine
from treeform.providers.machines import AWS as AWS_MACHINES
from treeform.providers.machines import NVIDIA

PROVIDERS = {"aws": {"source": "hashicorp/aws", "version": "~> 6.0"}}

ADDONS_AWS: dict[str, tuple[str, ...]] = {
    **ADDONS_COMMON,
    "aws-ebs-csi-driver": ("cloudConfig", "awsEBSCSIDriver"),
    "aws-load-balancer-controller": ("awsLoadBalancerController",),
    "node-termination-handler": ("nodeTerminationHandler",),
}


#: Model CNI -> kOps networking block on this cloud.
#: cilium-eni: Cilium with AWS ENI IPAM (`kops create cluster --networking cilium-eni`).
CNI_AWS: dict[str, dict[str, Any]] = {
    **CNI_COMMON,
    "amazonvpc": {"amazonvpc": {}},
    "cilium-eni": {"cilium": {"enableNodePort": True, "ipam": "eni"}},
}


#: Networking kOps forbids with IPv6 (pkg/apis/kops/validation/validation.go).
IPV6_REFUSED_CNIS = {"kubenet", "flannel", "kube-router", "amazonvpc", "cilium-eni"}


class AwsKops:
    """kOps on EC2."""

    facts = KopsFacts(
        provider="aws",
        example=Example("us-east-1", "m6i.large"),
        state_scheme="s3",
        machines=KopsMachines(
            # What `kops create cluster` picks when the model names no size (the first
            # instance type of kOps's AWS candidate list available in every region).
            control_plane="t3.medium",
            bastion="t3.micro",
            catalog=KopsCatalog(
                AWS_MACHINES,
                root_volume="gp3",
                several_types=True,
                detects_architecture=True,
                installs_nvidia=True,
            ),
        ),
        terraform=KopsTerraform("aws/kops", PROVIDERS),
        cnis=CNI_AWS,
        addon_fields=ADDONS_AWS,
        supports_ipv6=True,
        shares_network=True,
        load_balancer_class="Network",
        # etcd volumes encrypted, as `kops create cluster` writes them.
        etcd_member_defaults=ETCD_ENCRYPTED,
        # IRSA: kOps registers the issuer with IAM, and pods get roles instead of the node's.
        discovery=KopsDiscovery(
            issuer={"enableAWSOIDCProvider": True},
            iam={"useServiceAccountExternalPermissions": True},
        ),
    )

    def kops_zone(self, cluster: Cluster, zone: str) -> str:
        return zone

    def labels_of(self, tags: Mapping[str, str]) -> dict[str, str]:
        return sorted_labels(tags)

    def _shared_ids(self, cluster: Cluster) -> dict[str, Any] | None:
        ids = cluster.settings.get("sharedVpcIds")
        return dict(ids) if isinstance(ids, dict) else None

    def manifest_ready(self, kops: KopsEngine, cluster: Cluster) -> bool:
        # AWS picks VPC and subnet ids at creation: a shared VPC that Terraform creates can
        # only be named in the kOps spec once `terraform apply` has told us its ids.
        return not kops.shared_vpc(cluster) or self._shared_ids(cluster) is not None

    def carved(self, kops: KopsEngine, cluster: Cluster) -> list[Subnet]:
        if kops.ipv6(cluster):
            return carve_kops_ipv6_subnets(
                cluster.network.cidr, cluster.zones, cluster.network.private
            )
        return carve_kops_subnets(cluster.network.cidr, cluster.zones, cluster.network.private)

    def subnets(self, kops: KopsEngine, cluster: Cluster) -> list[Subnet]:
        carved = self.carved(kops, cluster)
        existing = cluster.network.existing
        if existing is not None:
            # kOps reads the CIDR of a subnet it is given by id from AWS.
            return [
                Subnet(s.name, s.type, zone=s.zone, id=existing.subnet_ids[i])
                for i, s in enumerate(carved)
                if i < len(existing.subnet_ids)
            ]
        shared = self._shared_ids(cluster)
        if shared is not None:
            ids = dict(shared.get("subnetIds") or {})
            return [
                Subnet(s.name, s.type, zone=s.zone, cidr=s.cidr, id=ids.get(s.name)) for s in carved
            ]
        return carved

    def cluster_fields(self, kops: KopsEngine, cluster: Cluster) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        existing = cluster.network.existing
        shared = self._shared_ids(cluster)
        if existing is not None and existing.additional_cidrs:
            fields["additionalNetworkCIDRs"] = list(existing.additional_cidrs)
        if shared is not None:
            fields["networkID"] = str(shared["networkId"])
        if kops.ipv6(cluster):
            # IPv6 needs the external AWS cloud-controller-manager (`--ipv6`).
            fields["cloudControllerManager"] = {}
        return fields

    def group_fields(self, kops: KopsEngine, cluster: Cluster, group: Group) -> dict[str, Any]:
        fields: dict[str, Any] = {
            # IMDSv2 only, one hop: pods cannot borrow the node's role.
            "instanceMetadata": {"httpPutResponseHopLimit": 1, "httpTokens": "required"},
            "rootVolumeEncryption": True,
        }
        found = pool_machines(cluster, AWS_MACHINES).get(group.name) if group.pool else None
        if found and found[0].accelerator == NVIDIA:
            # kOps installs the NVIDIA driver, container runtime and device plugin on the
            # group's GPU instances (its docs/gpu.md).
            fields["containerd"] = {"nvidiaGPU": {"enabled": True}}
        if group.pool is not None and group.pool.spot:
            fields["mixedInstancesPolicy"] = {
                "instances": list(group.pool.machine_types),
                "onDemandAboveBase": 0,
                "onDemandBase": 0,
                "spotAllocationStrategy": "price-capacity-optimized",
            }
        elif group.pool is not None and len(group.pool.machine_types) > 1:
            # On-demand capacity from several types: all of it on demand, in the listed
            # order of preference.
            fields["mixedInstancesPolicy"] = {
                "instances": list(group.pool.machine_types),
                "onDemandAboveBase": 100,
                "onDemandAllocationStrategy": "prioritized",
            }
        return fields

    def issues(self, kops: KopsEngine, cluster: Cluster) -> Iterator[Issue]:
        existing = cluster.network.existing
        shared = self._shared_ids(cluster)
        try:
            names = [s.name for s in self.carved(kops, cluster)]
        except ValueError:
            names = []
        if existing is not None and names and len(existing.subnet_ids) != len(names):
            yield cluster.issue(
                ("network", "existing", "subnetIds"),
                f"kOps needs one subnet id per kOps subnet, in this order: {', '.join(names)} "
                f"({len(names)}); the model gives {len(existing.subnet_ids)}",
            )
        if shared is not None and not kops.shared_vpc(cluster):
            yield cluster.issue(
                ("kops", "sharedVpcIds"), "kops.sharedVpcIds needs kops.sharedVpc: true"
            )
        if shared is not None and names:
            given = dict(shared.get("subnetIds") or {})
            missing = [n for n in names if n not in given]
            if missing:
                yield cluster.issue(
                    ("kops", "sharedVpcIds", "subnetIds"),
                    f"missing the id of subnet(s) {', '.join(missing)} "
                    "(see `terraform output kops_subnet_ids`)",
                )
            for extra in sorted(set(given) - set(names)):
                yield cluster.issue(
                    ("kops", "sharedVpcIds", "subnetIds", extra),
                    f"{extra!r} is not a kOps subnet of this cluster; its subnets: "
                    f"{', '.join(names)}",
                    key=True,
                )
        if kops.ipv6(cluster):
            for reason, path in (
                (kops.shared_vpc(cluster), ("kops", "sharedVpc")),
                (existing is not None, ("network", "existing")),
                (cluster.network.pod_cidr is not None, ("network", "podCidr")),
                (cluster.network.service_cidr is not None, ("network", "serviceCidr")),
                ("nonMasqueradeCidr" in cluster.settings, ("kops", "nonMasqueradeCidr")),
            ):
                if reason:
                    yield cluster.issue(
                        path,
                        f"{'.'.join(map(str, path))} is not offered with kops.ipv6 (pods and "
                        "services take IPv6 ranges kOps assigns)",
                    )
            if kops.cni(cluster) in IPV6_REFUSED_CNIS:
                yield cluster.issue(
                    ("network", "cni"),
                    f"kOps refuses {kops.cni(cluster)} with IPv6 (validation.go); use cilium "
                    "or calico",
                )
        if cluster.network.pod_cidr is not None and kops.cni(cluster) in CNI_VPC_NATIVE:
            yield cluster.issue(
                ("network", "podCidr"),
                f"with {kops.cni(cluster)} pods take addresses from the VPC subnets; "
                "remove podCidr",
            )

    def terraform_context(self, kops: KopsEngine, cluster: Cluster) -> dict[str, Any]:
        subnets = self.carved(kops, cluster) if kops.creates_network(cluster) else []
        first_zone = cluster.zones[0]
        return {
            "account_id": cluster.account.get("accountId"),
            "tags": cluster_tags(cluster),
            "network": {
                "cidr": cluster.network.cidr,
                "private": cluster.network.private,
                "nat_per_zone": cluster.high_availability,
                "subnets": [
                    {
                        "name": s.name,
                        "tf_id": tf_id(s.name),
                        "type": s.type,
                        "zone": s.zone,
                        "cidr": s.cidr,
                        "role": "kubernetes.io/role/"
                        + ("internal-elb" if s.type == "Private" else "elb"),
                        # The public side of a zone: its Utility subnet, or itself.
                        "nat": (f"utility-{s.zone if cluster.high_availability else first_zone}"),
                    }
                    for s in subnets
                ],
            },
        }


KOPS = KopsEngine(cloud=AwsKops())
