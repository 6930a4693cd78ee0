"""kOps on GCE: what differs from kOps on other clouds (templates/gcp/kops/ for the
Terraform around it), as a `KopsCloud` (`treeform.providers.kops_cloud`).

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
from treeform.providers.base import Example
from treeform.providers.gcp.tags import cluster_tags, labels_of
from treeform.providers.kops import ADDONS_COMMON, CNI_COMMON, Group, Subnet
from treeform.providers.kops_cloud import KopsCatalog, KopsFacts, KopsMachines, KopsTerraform
from treeform.providers.kops_engine import KopsEngine
from treeform.providers.machines import GCP as GCP_MACHINES

PROVIDERS = {"google": {"source": "hashicorp/google", "version": "~> 7.0"}}

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


class GceKops:
    """kOps on GCE."""

    facts = KopsFacts(
        provider="gce",
        example=Example("us-central1", "e2-standard-4"),
        state_scheme="gs",
        # kOps's GCE defaults (`populate_instancegroup_spec.go`).
        machines=KopsMachines(
            control_plane="e2-medium",
            bastion="e2-micro",
            catalog=KopsCatalog(GCP_MACHINES, root_volume="pd-standard"),
        ),
        terraform=KopsTerraform("gcp/kops", PROVIDERS),
        cnis=CNI_GCE,
        addon_fields=ADDONS_GCE,
        shares_network=True,
        # GCE networks have no range of their own: kOps forbids networkCIDR.
        takes_network_cidr=False,
    )

    def kops_zone(self, cluster: Cluster, zone: str) -> str:
        return zone

    def labels_of(self, tags: Mapping[str, str]) -> dict[str, str]:
        return labels_of(tags)

    def network_name(self, cluster: Cluster) -> str:
        """The network and subnetwork Terraform makes for kops.sharedVpc (GCE names start
        with a letter; a cluster name may not)."""
        return f"kops-{cluster.name}"

    def ip_aliases(self, kops: KopsEngine, cluster: Cluster) -> bool:
        return kops.cni(cluster) in IP_ALIAS_CNIS

    def pod_range(self, cluster: Cluster) -> str:
        return cluster.network.pod_cidr or IP_ALIAS_DEFAULT_PODS

    def service_range(self, cluster: Cluster) -> str:
        return cluster.network.service_cidr or IP_ALIAS_DEFAULT_SERVICES

    def alias_range_name(self, kops: KopsEngine, cluster: Cluster, key: str) -> str:
        """The subnetwork's secondary range kOps looks for (`NameForIPAliasRange`)."""
        return cluster_suffixed_name(key, kops.cluster_name(cluster))

    def subnets(self, kops: KopsEngine, cluster: Cluster) -> list[Subnet]:
        kind = "Private" if cluster.network.private else "Public"
        existing = cluster.network.existing
        if existing is not None:
            # IP aliases: kOps keeps the model's ranges only if it knows the node range too.
            cidr = kops.known_network_cidr(cluster) if self.ip_aliases(kops, cluster) else None
            return [
                Subnet(
                    cluster.region,
                    kind,
                    region=cluster.region,
                    cidr=cidr,
                    id=existing.subnet_ids[0],
                )
            ]
        subnet_id = self.network_name(cluster) if kops.shared_vpc(cluster) else None
        return [
            Subnet(
                cluster.region, kind, region=cluster.region, cidr=cluster.network.cidr, id=subnet_id
            )
        ]

    def cluster_fields(self, kops: KopsEngine, cluster: Cluster) -> dict[str, Any]:
        fields: dict[str, Any] = {"project": str(cluster.account.get("project", ""))}
        if kops.creates_network(cluster):
            fields["networkID"] = self.network_name(cluster)
        if self.ip_aliases(kops, cluster):
            fields["podCIDR"] = self.pod_range(cluster)
            fields["serviceClusterIPRange"] = self.service_range(cluster)
        return fields

    def group_fields(self, kops: KopsEngine, cluster: Cluster, group: Group) -> dict[str, Any]:
        fields: dict[str, Any] = {"zones": list(group.zones)}
        if group.pool is not None and group.pool.spot:
            fields["gcpProvisioningModel"] = "SPOT"
        return fields

    def issues(self, kops: KopsEngine, cluster: Cluster) -> Iterator[Issue]:
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
        if "sharedVpcIds" in cluster.settings:
            yield cluster.issue(
                ("kops", "sharedVpcIds"),
                "GCE networks are named, not numbered: kops.sharedVpc needs no ids on GCP",
            )
        if existing is not None and self.ip_aliases(kops, cluster):
            if kops.known_network_cidr(cluster) is None:
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
        if "class" in kops.api_settings(cluster):
            yield cluster.issue(
                ("kops", "apiLoadBalancer", "class"),
                "kOps takes a load balancer class on AWS only",
            )

    def terraform_context(self, kops: KopsEngine, cluster: Cluster) -> dict[str, Any]:
        return {
            "project": cluster.account.get("project"),
            "labels": cluster_tags(cluster),
            "state": {"location": cluster.region.upper()},
            "network": {
                "name": self.network_name(cluster),
                "cidr": cluster.network.cidr,
                "private": cluster.network.private,
                # IP aliases: the secondary ranges kOps's instance templates name.
                "secondary_ranges": [
                    {
                        "name": self.alias_range_name(kops, cluster, "pods"),
                        "cidr": self.pod_range(cluster),
                    },
                    {
                        "name": self.alias_range_name(kops, cluster, "services"),
                        "cidr": self.service_range(cluster),
                    },
                ]
                if self.ip_aliases(kops, cluster)
                else [],
            },
        }


KOPS = KopsEngine(cloud=GceKops())
