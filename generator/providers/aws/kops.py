"""kOps on EC2: what differs from kOps on other clouds (templates/aws/kops/ for the
Terraform around it). The documents and kOps's rules live in `treeform.providers.kops`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from treeform.errors import Issue
from treeform.model import Cluster
from treeform.providers import machines
from treeform.providers.aws.tags import cluster_tags
from treeform.providers.base import Example
from treeform.providers.common import pool_machines, tf_id, versions_tf
from treeform.providers.kops import (
    ADDONS_COMMON,
    CNI_COMMON,
    CNI_VPC_NATIVE,
    Group,
    KopsEngine,
    Subnet,
    carve_kops_ipv6_subnets,
    carve_kops_subnets,
)
from treeform.render import Renderer

PROVIDERS = {"aws": {"source": "hashicorp/aws", "version": "~> 6.0"}}

#: What `kops create cluster` picks when the model names no size (the first instance type
#: of kOps's AWS candidate list available in every region).
DEFAULT_CONTROL_PLANE_TYPE = "t3.medium"
DEFAULT_BASTION_TYPE = "t3.micro"

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


class AwsKopsEngine(KopsEngine):
    example = Example("us-east-1", "m6i.large")
    cloud_provider = "aws"
    state_scheme = "s3"
    default_control_plane_type = DEFAULT_CONTROL_PLANE_TYPE
    default_bastion_type = DEFAULT_BASTION_TYPE
    cnis = CNI_AWS
    supports_ipv6 = True
    addon_fields = ADDONS_AWS
    addons: tuple[str, ...] = tuple(ADDONS_AWS)
    catalog = machines.AWS
    several_types = True
    detects_architecture = True
    default_root_volume = "gp3"
    installs_nvidia = True

    def _shared_ids(self, cluster: Cluster) -> dict[str, Any] | None:
        ids = cluster.settings.get("sharedVpcIds")
        return dict(ids) if isinstance(ids, dict) else None

    def manifest_ready(self, cluster: Cluster) -> bool:
        # AWS picks VPC and subnet ids at creation: a shared VPC that Terraform creates can
        # only be named in the kOps spec once `terraform apply` has told us its ids.
        return not self.shared_vpc(cluster) or self._shared_ids(cluster) is not None

    def ipv6(self, cluster: Cluster) -> bool:
        return bool(cluster.settings.get("ipv6", False))

    def carved(self, cluster: Cluster) -> list[Subnet]:
        if self.ipv6(cluster):
            return carve_kops_ipv6_subnets(
                cluster.network.cidr, cluster.zones, cluster.network.private
            )
        return carve_kops_subnets(cluster.network.cidr, cluster.zones, cluster.network.private)

    def non_masquerade_cidr(self, cluster: Cluster) -> str:
        # IPv6: pods and services are IPv6, nothing is masqueraded (`--ipv6`).
        return "::/0" if self.ipv6(cluster) else super().non_masquerade_cidr(cluster)

    def cluster_cloud_fields(self, cluster: Cluster) -> dict[str, Any]:
        # IPv6 needs the external AWS cloud-controller-manager (`--ipv6`).
        return {"cloudControllerManager": {}} if self.ipv6(cluster) else {}

    def subnets(self, cluster: Cluster) -> list[Subnet]:
        carved = self.carved(cluster)
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

    def network_cidr(self, cluster: Cluster) -> str | None:
        # An existing VPC: its range as the model gives it, else none, and kOps reads it
        # from the VPC (cloudup/defaults.go); never treeform's default range.
        if cluster.network.existing is not None:
            return self.known_network_cidr(cluster)
        return cluster.network.cidr

    def additional_network_cidrs(self, cluster: Cluster) -> list[str]:
        existing = cluster.network.existing
        return list(existing.additional_cidrs) if existing is not None else []

    def network_id(self, cluster: Cluster) -> str | None:
        if cluster.network.existing is not None:
            return cluster.network.existing.network_id
        shared = self._shared_ids(cluster)
        return str(shared["networkId"]) if shared is not None else None

    def api_load_balancer(self, cluster: Cluster) -> dict[str, Any]:
        lb_class = str(self.api_settings(cluster).get("class", "Network"))
        return {"class": lb_class, **super().api_load_balancer(cluster)}

    def etcd_member(self, cluster: Cluster, group: str, name: str) -> dict[str, Any]:
        return {"encryptedVolume": True, **super().etcd_member(cluster, group, name)}

    def discovery(self, cluster: Cluster, store: str) -> dict[str, Any]:
        # IRSA: kOps registers the issuer with IAM, and pods get roles instead of the node's.
        return {**super().discovery(cluster, store), "enableAWSOIDCProvider": True}

    def discovery_iam(self, cluster: Cluster) -> dict[str, Any]:
        return {"useServiceAccountExternalPermissions": True}

    def group_subnets(self, cluster: Cluster, group: Group, subnets: list[Subnet]) -> list[str]:
        # Every group runs in the node subnets (Private or Public) of its zones; a bastion
        # too, behind the load balancer kOps puts in the Utility subnets.
        if any(s.type == "DualStack" for s in subnets):
            # IPv6, private: nodes in the IPv6-only subnets, the rest dual-stack (`--ipv6`).
            kind = "Private" if group.role == "Node" else "DualStack"
            return [s.name for s in subnets if s.type == kind and s.zone in group.zones]
        return [s.name for s in subnets if s.type != "Utility" and s.zone in group.zones]

    def group_cloud_fields(self, cluster: Cluster, group: Group) -> dict[str, Any]:
        fields: dict[str, Any] = {
            # IMDSv2 only, one hop: pods cannot borrow the node's role.
            "instanceMetadata": {"httpPutResponseHopLimit": 1, "httpTokens": "required"},
            "rootVolumeEncryption": True,
        }
        found = pool_machines(cluster, machines.AWS).get(group.name) if group.pool else None
        if found and found[0].accelerator == machines.NVIDIA:
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

    def cloud_issues(self, cluster: Cluster) -> Iterator[Issue]:
        existing = cluster.network.existing
        shared = self._shared_ids(cluster)
        try:
            names = [s.name for s in self.carved(cluster)]
        except ValueError:
            names = []
        if self.shared_vpc(cluster) and existing is not None:
            yield cluster.issue(
                ("kops", "sharedVpc"),
                "kops.sharedVpc creates the network in Terraform; network.existing uses one "
                "that exists: choose one",
            )
        if existing is not None and names and len(existing.subnet_ids) != len(names):
            yield cluster.issue(
                ("network", "existing", "subnetIds"),
                f"kOps needs one subnet id per kOps subnet, in this order: {', '.join(names)} "
                f"({len(names)}); the model gives {len(existing.subnet_ids)}",
            )
        if shared is not None and not self.shared_vpc(cluster):
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
        if self.ipv6(cluster):
            for reason, path in (
                (self.shared_vpc(cluster), ("kops", "sharedVpc")),
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
            if self.cni(cluster) in IPV6_REFUSED_CNIS:
                yield cluster.issue(
                    ("network", "cni"),
                    f"kOps refuses {self.cni(cluster)} with IPv6 (validation.go); use cilium "
                    "or calico",
                )
        if cluster.network.pod_cidr is not None and self.cni(cluster) in CNI_VPC_NATIVE:
            yield cluster.issue(
                ("network", "podCidr"),
                f"with {self.cni(cluster)} pods take addresses from the VPC subnets; "
                "remove podCidr",
            )

    def context(self, cluster: Cluster) -> dict[str, Any]:
        create_network = self.shared_vpc(cluster) and cluster.network.existing is None
        subnets = self.carved(cluster) if create_network else []
        first_zone = cluster.zones[0]
        return {
            "cluster": {
                "id": cluster.id,
                "name": cluster.name,
                "kops_name": self.cluster_name(cluster),
                "region": cluster.region,
            },
            "account_id": cluster.account.get("accountId"),
            "tags": cluster_tags(cluster),
            "state": {
                "create": not cluster.settings.get("stateStoreExternal", False),
                "bucket": self.state_bucket(cluster),
                "url": self.state_store(cluster),
            },
            "network": {
                "create": create_network,
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

    def terraform(self, cluster: Cluster, renderer: Renderer) -> dict[str, str]:
        ctx = self.context(cluster)
        if not ctx["state"]["create"] and not ctx["network"]["create"]:
            return {}  # nothing for Terraform to make before `kops create`
        files = renderer.render_dir("aws/kops", ctx)
        files["versions.tf"] = versions_tf(cluster, renderer, PROVIDERS)
        return files


KOPS = AwsKopsEngine()
