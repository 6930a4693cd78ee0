"""kOps on GCE: what differs from kOps on other clouds (templates/gcp/kops/ for the
Terraform around it). The documents and kOps's rules live in `treeform.providers.kops`.

GCE subnets are regional: one kOps subnet named after the region, no zones on it (kOps
validation `gceValidateCluster`), and every instance group names its zones itself. GCE has
no network range of its own, so kOps forbids `networkCIDR`; the model's `network.cidr`
becomes the range of the regional subnet.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from typing import Any

from treeform.errors import Issue
from treeform.model import Cluster
from treeform.providers import machines
from treeform.providers.base import Example
from treeform.providers.common import versions_tf
from treeform.providers.gcp.tags import cluster_tags, labels_of
from treeform.providers.kops import ADDONS_COMMON, CNI_COMMON, Group, KopsEngine, Subnet
from treeform.render import Renderer

PROVIDERS = {"google": {"source": "hashicorp/google", "version": "~> 7.0"}}

#: kOps's GCE defaults (`populate_instancegroup_spec.go`).
DEFAULT_CONTROL_PLANE_TYPE = "e2-medium"
DEFAULT_BASTION_TYPE = "e2-micro"

ADDONS_GCE: dict[str, tuple[str, ...]] = {
    **ADDONS_COMMON,
    "gcp-pd-csi-driver": ("cloudConfig", "gcpPDCSIDriver"),
}


#: Model CNI -> kOps networking block on this cloud.
CNI_GCE: dict[str, dict[str, Any]] = {**CNI_COMMON, "gce": {"gce": {}}}

#: With IP aliases pods and services draw from secondary ranges of the subnetwork. kOps
#: keeps the ranges it is given only when podCIDR, serviceClusterIPRange and the subnet's
#: CIDR are all set (upup/pkg/fi/cloudup/gce/network.go performNetworkAssignmentsIPAliases);
#: otherwise it allocates all three afresh from 10.0.0.0/8. Without podCidr/serviceCidr
#: treeform writes kOps's usual ranges inside the non-masquerade range 100.64.0.0/10.
IP_ALIAS_DEFAULT_PODS = "100.96.0.0/11"
IP_ALIAS_DEFAULT_SERVICES = "100.64.0.0/13"
#: kOps's CNIs that use IP aliases on GCE (gce.UsesIPAliases).
IP_ALIAS_CNIS = {"gce", "kindnet"}


def _fnv32a(data: bytes) -> int:
    h = 0x811C9DC5
    for byte in data:
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def cluster_suffixed_name(prefix: str, cluster_name: str, max_length: int = 63) -> str:
    """kOps's `gce.ClusterSuffixedName`: `<prefix>-<cluster name with . as ->`, the name cut
    and given a 6-character FNV-1a hash when it would pass `max_length` (pkg/truncate)."""
    safe = cluster_name.replace(".", "-")
    room = max_length - len(prefix) - 1
    if len(safe) > room:
        digest = base64.b32hexencode(_fnv32a(safe.encode()).to_bytes(4, "big"))
        hashed = digest.decode().lower()[:6]
        safe = safe[: room - len(hashed) - 1] + "-" + hashed
    return f"{prefix}-{safe}"


class GcpKopsEngine(KopsEngine):
    example = Example("us-central1", "e2-standard-4")
    cloud_provider = "gce"
    state_scheme = "gs"
    default_control_plane_type = DEFAULT_CONTROL_PLANE_TYPE
    default_bastion_type = DEFAULT_BASTION_TYPE
    cnis = CNI_GCE
    addon_fields = ADDONS_GCE
    addons: tuple[str, ...] = tuple(ADDONS_GCE)
    catalog = machines.GCP
    default_root_volume = "pd-standard"

    def network_name(self, cluster: Cluster) -> str:
        """The network and subnetwork Terraform makes for kops.sharedVpc (GCE names start
        with a letter; a cluster name may not)."""
        return f"kops-{cluster.name}"

    def ip_aliases(self, cluster: Cluster) -> bool:
        return self.cni(cluster) in IP_ALIAS_CNIS

    def pod_range(self, cluster: Cluster) -> str:
        return cluster.network.pod_cidr or IP_ALIAS_DEFAULT_PODS

    def service_range(self, cluster: Cluster) -> str:
        return cluster.network.service_cidr or IP_ALIAS_DEFAULT_SERVICES

    def alias_range_name(self, cluster: Cluster, key: str) -> str:
        """The subnetwork's secondary range kOps looks for (`NameForIPAliasRange`)."""
        return cluster_suffixed_name(key, self.cluster_name(cluster))

    def subnets(self, cluster: Cluster) -> list[Subnet]:
        kind = "Private" if cluster.network.private else "Public"
        existing = cluster.network.existing
        if existing is not None:
            # IP aliases: kOps keeps the model's ranges only if it knows the node range too.
            cidr = self.known_network_cidr(cluster) if self.ip_aliases(cluster) else None
            return [
                Subnet(
                    cluster.region,
                    kind,
                    region=cluster.region,
                    cidr=cidr,
                    id=existing.subnet_ids[0],
                )
            ]
        subnet_id = self.network_name(cluster) if self.shared_vpc(cluster) else None
        return [
            Subnet(
                cluster.region, kind, region=cluster.region, cidr=cluster.network.cidr, id=subnet_id
            )
        ]

    def network_cidr(self, cluster: Cluster) -> str | None:
        return None  # kOps forbids networkCIDR on GCE

    def network_id(self, cluster: Cluster) -> str | None:
        if cluster.network.existing is not None:
            return cluster.network.existing.network_id
        return self.network_name(cluster) if self.shared_vpc(cluster) else None

    def cluster_cloud_fields(self, cluster: Cluster) -> dict[str, Any]:
        fields: dict[str, Any] = {"project": str(cluster.account.get("project", ""))}
        if self.ip_aliases(cluster):
            fields["podCIDR"] = self.pod_range(cluster)
            fields["serviceClusterIPRange"] = self.service_range(cluster)
        return fields

    def labels_of(self, tags: Mapping[str, str]) -> dict[str, str]:
        return labels_of(tags)

    def group_subnets(self, cluster: Cluster, group: Group, subnets: list[Subnet]) -> list[str]:
        return [s.name for s in subnets]

    def group_cloud_fields(self, cluster: Cluster, group: Group) -> dict[str, Any]:
        fields: dict[str, Any] = {"zones": list(group.zones)}
        if group.pool is not None and group.pool.spot:
            fields["gcpProvisioningModel"] = "SPOT"
        return fields

    def cloud_issues(self, cluster: Cluster) -> Iterator[Issue]:
        if not cluster.account.get("project"):
            yield cluster.issue(
                ("gcp", "project"), "kOps on GCE needs gcp.project (spec.project of the cluster)"
            )
        existing = cluster.network.existing
        if existing is not None and len(existing.subnet_ids) != 1:
            yield cluster.issue(
                ("network", "existing", "subnetIds"),
                "GCE subnets are regional: kOps takes exactly one subnetwork name",
            )
        if self.shared_vpc(cluster) and existing is not None:
            yield cluster.issue(
                ("kops", "sharedVpc"),
                "kops.sharedVpc creates the network in Terraform; network.existing uses one "
                "that exists: choose one",
            )
        if "sharedVpcIds" in cluster.settings:
            yield cluster.issue(
                ("kops", "sharedVpcIds"),
                "GCE networks are named, not numbered: kops.sharedVpc needs no ids on GCP",
            )
        if existing is not None and self.ip_aliases(cluster):
            if self.known_network_cidr(cluster) is None:
                yield cluster.issue(
                    ("network", "existing"),
                    "with GCE IP aliases kOps keeps the pod and service ranges only when it "
                    "is told the subnetwork's range too (else it allocates all three): set "
                    "network.existing.cidr",
                )
        if existing is not None and existing.additional_cidrs:
            yield cluster.issue(
                ("network", "existing", "additionalCidrs"),
                "GCE networks have no range of their own (kOps forbids networkCIDR and "
                "additionalNetworkCIDRs on GCE); remove additionalCidrs",
            )
        egress = cluster.settings.get("egress")
        if egress and egress != "External":
            yield cluster.issue(
                ("kops", "egress"),
                "kOps on GCE makes Cloud NAT or, with External, leaves egress to you; "
                f"{egress!r} names an AWS resource",
            )
        if "class" in self.api_settings(cluster):
            yield cluster.issue(
                ("kops", "apiLoadBalancer", "class"),
                "kOps takes a load balancer class on AWS only",
            )

    def context(self, cluster: Cluster) -> dict[str, Any]:
        create_network = self.shared_vpc(cluster) and cluster.network.existing is None
        return {
            "cluster": {
                "id": cluster.id,
                "name": cluster.name,
                "kops_name": self.cluster_name(cluster),
                "region": cluster.region,
            },
            "project": cluster.account.get("project"),
            "labels": cluster_tags(cluster),
            "state": {
                "create": not cluster.settings.get("stateStoreExternal", False),
                "bucket": self.state_bucket(cluster),
                "url": self.state_store(cluster),
                "location": cluster.region.upper(),
            },
            "network": {
                "create": create_network,
                "name": self.network_name(cluster),
                "cidr": cluster.network.cidr,
                "private": cluster.network.private,
                # IP aliases: the secondary ranges kOps's instance templates name.
                "secondary_ranges": [
                    {
                        "name": self.alias_range_name(cluster, "pods"),
                        "cidr": self.pod_range(cluster),
                    },
                    {
                        "name": self.alias_range_name(cluster, "services"),
                        "cidr": self.service_range(cluster),
                    },
                ]
                if self.ip_aliases(cluster)
                else [],
            },
        }

    def terraform(self, cluster: Cluster, renderer: Renderer) -> dict[str, str]:
        ctx = self.context(cluster)
        if not ctx["state"]["create"] and not ctx["network"]["create"]:
            return {}  # nothing for Terraform to make before `kops create`
        files = renderer.render_dir("gcp/kops", ctx)
        files["versions.tf"] = versions_tf(cluster, renderer, PROVIDERS)
        return files


KOPS = GcpKopsEngine()
