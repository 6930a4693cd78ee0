"""Model fields whose change replaces a resource, one table per engine, for the review summary.

Each row names a model field (a `*` segment matches any node pool name), the resource the
change replaces (the provider attribute marked ForceNew, or a change the provider can make
only by rebuilding), and what is lost with it: data, addresses, nodes. The rows follow the
way treeform's templates map the field to the resource (a cluster's `zones` become one
subnet per zone, a pool's `machineType` its node group's `instance_types`, ...).

Sources (read 2026-12-01, through the providers' Go source):
- hashicorp/aws `internal/service/eks/cluster.go` (`name`, `role_arn`,
  `kubernetes_network_config.service_ipv4_cidr` ForceNew; `vpc_config.subnet_ids` updated in
  place, within the same VPC), `internal/service/eks/node_group.go` (`instance_types`,
  `subnet_ids`, `disk_size`, `node_group_name`, `ami_type`, `capacity_type` ForceNew); the
  EC2 resources' documentation (`aws_vpc.cidr_block`, `aws_subnet.cidr_block` and
  `availability_zone` force a new resource).
- hashicorp/google e03b7622 (2026-08-21) `google/services/container/resource_container_cluster.go`
  (`name`, `location`, `network`, `subnetwork`, `ip_allocation_policy`, `enable_autopilot`,
  `private_cluster_config.master_ipv4_cidr_block` ForceNew; `node_locations` updated in
  place), `node_config.go` (`spot` ForceNew; `machine_type`, `disk_size_gb` updated in place
  by recreating the pool's nodes), `resource_compute_subnetwork.go` (`ip_cidr_range` updated in
  place, but GCP only expands a range).
- hashicorp/azurerm 69697b7f (2026-08-21) `internal/services/containers/`:
  `kubernetes_cluster_resource.go` (`name`, `dns_prefix`, `network_profile`,
  `network_profile.service_cidr`, `private_cluster_enabled` ForceNew), `kubernetes_nodepool.go` and
  `kubernetes_cluster_node_pool_resource.go` (`vm_size`, `zones`, `os_disk_size_gb`,
  `vnet_subnet_id` cycle the pool through `temporary_name_for_rotation`; `priority`,
  `eviction_policy`, `spot_max_price` ForceNew).
- digitalocean/digitalocean 401992a1 (2026-08-06) `digitalocean/kubernetes/`
  (`region`, `vpc_uuid`, `cluster_subnet`, `service_subnet`, node pool `size` ForceNew),
  `digitalocean/vpc/resource_vpc.go` (`ip_range` ForceNew).
- oracle/oci 8de3c480 (2026-08-19) `internal/service/containerengine/` (`vcn_id`,
  `options.kubernetes_network_config` ForceNew; a node pool's shape is updated in place).
- IBM-Cloud/ibm 9f9b7ecf (2026-08-05) `ibm/service/kubernetes/` (`name`, `vpc_id`,
  `pod_subnet`, `service_subnet` ForceNew; worker pool `flavor` ForceNew).
- aliyun/alicloud 81c43b67 (2026-08-21) `alicloud/resource_alicloud_cs_managed_kubernetes.go`
  (`pod_cidr`, `service_cidr` ForceNew), `resource_alicloud_vswitch.go` (`cidr_block`,
  `zone_id` ForceNew).
- tencentcloudstack/tencentcloud f6970a90 (2026-08-21) `tencentcloud/services/tke/`
  (`vpc_id`, `cluster_cidr`, `service_cidr`, node pool `subnet_ids` ForceNew),
  `tencentcloud/services/vpc/` (`tencentcloud_vpc.cidr_block`, subnet `availability_zone`
  and `cidr_block` ForceNew).
- huaweicloud/huaweicloud a0345b8d (2026-08-21) `huaweicloud/services/cce/`:
  `resource_huaweicloud_cce_cluster.go` (`vpc_id`, `subnet_id`, `service_network_cidr`,
  `masters` ForceNew),
  `huaweicloud/services/vpc/resource_huaweicloud_vpc_subnet.go` (`cidr`, `availability_zone`
  ForceNew).

kOps has no table of its own: it applies a changed manifest through `kops update cluster`
and a rolling update, not through Terraform's ForceNew, so it warns on the common fields only.
"""

from __future__ import annotations

from dataclasses import dataclass

#: What every managed cluster loses when the cluster resource itself is replaced.
_CLUSTER = (
    "the cluster and everything in it: every Kubernetes object (etcd), its API endpoint and "
    "certificate, its nodes and their pods, load balancers and their addresses"
)
_NODES = (
    "the pool's nodes: pods are evicted and rescheduled, node-local data (emptyDir, local "
    "volumes, images) is lost, node IPs change"
)


@dataclass(frozen=True)
class Replacement:
    """A model field whose change replaces (or rebuilds) a resource."""

    field: str  # a field path; `*` matches one segment (a node pool name)
    replaces: str  # what is replaced, naming the resource and its ForceNew attribute
    loses: str  # what is lost with it

    def matches(self, path: str) -> bool:
        want, got = self.field.split("."), path.split(".")
        return len(want) == len(got) and all(w in ("*", g) for w, g in zip(want, got, strict=True))


#: Every engine: changing these makes a new cluster.
COMMON = (
    Replacement("cloud", "the whole cluster, on another cloud", _CLUSTER),
    Replacement("engine", "the whole cluster, with another engine", _CLUSTER),
    Replacement(
        "region",
        "the whole cluster and its network, in another region (location/region ForceNew)",
        f"{_CLUSTER}; the network and its public addresses",
    ),
    Replacement("name", "the cluster (its name is ForceNew on every engine)", _CLUSTER),
)

REPLACEMENTS: dict[str, tuple[Replacement, ...]] = {
    "eks": (
        Replacement(
            "network.cidr",
            "the VPC (`aws_vpc.cidr_block` is ForceNew), its subnets, NAT gateways and their "
            "Elastic IPs; the cluster cannot move its subnets to another VPC, so EKS needs a "
            "new cluster",
            f"{_CLUSTER}; the NAT gateways' public IPs (egress addresses others allow-list)",
        ),
        Replacement(
            "network.serviceCidr",
            "the EKS cluster (`kubernetes_network_config.service_ipv4_cidr` is ForceNew) and "
            "its node groups",
            _CLUSTER,
        ),
        Replacement(
            "zones",
            "the subnets of the zones that change (`aws_subnet.availability_zone` and "
            "`cidr_block` are ForceNew; each zone's range follows its place in the list) and "
            "every node group in them (`aws_eks_node_group.subnet_ids` is ForceNew)",
            f"{_NODES}; the NAT gateways of those zones and their public IPs",
        ),
        Replacement(
            "nodePools.*.machineType",
            "the node group (`aws_eks_node_group.instance_types` is ForceNew)",
            _NODES,
        ),
        Replacement(
            "nodePools.*.machineTypes",
            "the node group (`aws_eks_node_group.instance_types` is ForceNew)",
            _NODES,
        ),
        Replacement(
            "nodePools.*.spot",
            "the node group (`aws_eks_node_group.capacity_type` is ForceNew)",
            _NODES,
        ),
        Replacement(
            "nodePools.*.image",
            "the node group (`aws_eks_node_group.ami_type` is ForceNew)",
            _NODES,
        ),
        Replacement(
            "nodePools.*.zones",
            "the node group (`aws_eks_node_group.subnet_ids` is ForceNew)",
            _NODES,
        ),
        Replacement(
            "network.topology",
            "every node group (its `subnet_ids`, ForceNew, move between private and public "
            "subnets)",
            _NODES,
        ),
        Replacement(
            "network.existing.networkId",
            "the cluster: EKS cannot move a cluster to another VPC, and every node group "
            "(`subnet_ids` is ForceNew)",
            _CLUSTER,
        ),
        Replacement(
            "network.existing.subnetIds",
            "every node group (`aws_eks_node_group.subnet_ids` is ForceNew); the cluster "
            "itself takes new subnets of the same VPC in place",
            _NODES,
        ),
    ),
    "gke": (
        Replacement(
            "network.cidr",
            "the cluster: its subnetwork's ranges are carved from the CIDR, GCP only expands "
            "a subnetwork's range in place and the pods and services ranges the cluster uses "
            "(`ip_allocation_policy`, ForceNew) cannot change",
            f"{_CLUSTER}; node IPs",
        ),
        Replacement(
            "network.podCidr",
            "the cluster (`ip_allocation_policy` is ForceNew)",
            _CLUSTER,
        ),
        Replacement(
            "network.serviceCidr",
            "the cluster (`ip_allocation_policy` is ForceNew)",
            _CLUSTER,
        ),
        Replacement(
            "network.existing.networkId",
            "the cluster (`network` is ForceNew)",
            _CLUSTER,
        ),
        Replacement(
            "network.existing.subnetIds",
            "the cluster (`subnetwork` is ForceNew)",
            _CLUSTER,
        ),
        Replacement(
            "gke.autopilot",
            "the cluster (`enable_autopilot` is ForceNew)",
            _CLUSTER,
        ),
        Replacement(
            "nodePools.*.spot",
            "the node pool (`node_config.spot` is ForceNew)",
            _NODES,
        ),
    ),
    "aks": (
        Replacement(
            "network.serviceCidr",
            "the AKS cluster (`network_profile.service_cidr` is ForceNew)",
            _CLUSTER,
        ),
        Replacement(
            "network.cidr",
            "the virtual network's subnets, and with them the node pools (`vnet_subnet_id` "
            "cycles every pool); Azure refuses to resize a subnet that is in use",
            _NODES,
        ),
        Replacement(
            "apiServer.public",
            "the AKS cluster (`private_cluster_enabled` is ForceNew)",
            _CLUSTER,
        ),
        Replacement(
            "zones",
            "the system node pool and every pool that follows the cluster's zones (`zones` "
            "cycles a pool through `temporary_name_for_rotation`: a new pool, then the old "
            "one deleted)",
            _NODES,
        ),
        Replacement(
            "nodePools.*.machineType",
            "the node pool (`vm_size` cycles it through `temporary_name_for_rotation`)",
            _NODES,
        ),
        Replacement(
            "nodePools.*.zones",
            "the node pool (`zones` cycles it through `temporary_name_for_rotation`)",
            _NODES,
        ),
        Replacement(
            "nodePools.*.diskSizeGb",
            "the node pool (`os_disk_size_gb` cycles it through `temporary_name_for_rotation`)",
            _NODES,
        ),
        Replacement(
            "nodePools.*.spot",
            "the node pool (`priority` and `eviction_policy` are ForceNew)",
            _NODES,
        ),
    ),
    "doks": (
        Replacement(
            "network.cidr",
            "the VPC (`digitalocean_vpc.ip_range` is ForceNew) and the cluster with it "
            "(`vpc_uuid` is ForceNew)",
            f"{_CLUSTER}; node IPs",
        ),
        Replacement(
            "network.podCidr",
            "the cluster (`cluster_subnet` is ForceNew)",
            _CLUSTER,
        ),
        Replacement(
            "network.serviceCidr",
            "the cluster (`service_subnet` is ForceNew)",
            _CLUSTER,
        ),
        Replacement(
            "nodePools.*.machineType",
            "the node pool (`size` is ForceNew); for the cluster's first pool, which lives in "
            "the cluster's own `node_pool` block, the whole cluster",
            f"{_NODES}; for the first pool: {_CLUSTER}",
        ),
    ),
    "oke": (
        Replacement(
            "network.podCidr",
            "the cluster (`options.kubernetes_network_config` is ForceNew)",
            _CLUSTER,
        ),
        Replacement(
            "network.serviceCidr",
            "the cluster (`options.kubernetes_network_config` is ForceNew)",
            _CLUSTER,
        ),
    ),
    "iks": (
        Replacement(
            "network.podCidr",
            "the cluster (`pod_subnet` is ForceNew)",
            _CLUSTER,
        ),
        Replacement(
            "network.serviceCidr",
            "the cluster (`service_subnet` is ForceNew)",
            _CLUSTER,
        ),
        Replacement(
            "nodePools.*.machineType",
            "the worker pool (`ibm_container_vpc_worker_pool.flavor` is ForceNew; the "
            "cluster's default pool is resized in place)",
            _NODES,
        ),
    ),
    "ack": (
        Replacement(
            "network.podCidr",
            "the cluster (`pod_cidr` is ForceNew)",
            _CLUSTER,
        ),
        Replacement(
            "network.serviceCidr",
            "the cluster (`service_cidr` is ForceNew)",
            _CLUSTER,
        ),
        Replacement(
            "network.cidr",
            "every vSwitch (`alicloud_vswitch.cidr_block` is ForceNew; their ranges are "
            "carved from the CIDR), and the nodes and pod addresses in them",
            f"{_NODES}; the pods' VPC addresses (Terway)",
        ),
        Replacement(
            "zones",
            "the vSwitches of the zones that change (`alicloud_vswitch.zone_id` and "
            "`cidr_block` are ForceNew), and the nodes in them",
            _NODES,
        ),
    ),
    "tke": (
        Replacement(
            "network.cidr",
            "the VPC (`tencentcloud_vpc.cidr_block` is ForceNew) and the cluster with it "
            "(`vpc_id` is ForceNew)",
            f"{_CLUSTER}; the NAT gateway's public IP",
        ),
        Replacement(
            "network.podCidr",
            "the cluster (`cluster_cidr` is ForceNew)",
            _CLUSTER,
        ),
        Replacement(
            "network.serviceCidr",
            "the cluster (`service_cidr` is ForceNew)",
            _CLUSTER,
        ),
        Replacement(
            "zones",
            "the subnets of the zones that change (`tencentcloud_subnet.availability_zone` "
            "is ForceNew) and the node pools in them (`subnet_ids` is ForceNew)",
            _NODES,
        ),
        Replacement(
            "nodePools.*.zones",
            "the node pool (`subnet_ids` is ForceNew)",
            _NODES,
        ),
    ),
    "cce": (
        Replacement(
            "network.cidr",
            "the subnets (`huaweicloud_vpc_subnet.cidr` is ForceNew) and the cluster in them "
            "(`subnet_id` is ForceNew)",
            f"{_CLUSTER}; the NAT gateway's public IP",
        ),
        Replacement(
            "network.serviceCidr",
            "the cluster (`service_network_cidr` is ForceNew)",
            _CLUSTER,
        ),
        Replacement(
            "zones",
            "with `highAvailability: true`, the cluster: its three masters sit in the first "
            "three zones (`masters` is ForceNew)",
            _CLUSTER,
        ),
        Replacement(
            "highAvailability",
            "the cluster: the number of masters and their zones (`masters`) are ForceNew",
            _CLUSTER,
        ),
    ),
}


def replacements_for(engine: str | None) -> tuple[Replacement, ...]:
    """The table of `engine` (the common rows first)."""
    return COMMON + REPLACEMENTS.get(engine or "", ())


def replacement_for(engine: str | None, path: str) -> Replacement | None:
    """The row of `engine`'s table that a change of the field at `path` hits, if any."""
    return next((r for r in replacements_for(engine) if r.matches(path)), None)
