"""kOps on GCE: what differs from kOps on other clouds (templates/gcp/kops/ for the
Terraform around it). The documents and kOps's rules live in `treeform.providers.kops`.

GCE subnets are regional: one kOps subnet named after the region, no zones on it (kOps
validation `gceValidateCluster`), and every instance group names its zones itself. GCE has
no network range of its own, so kOps forbids `networkCIDR`; the model's `network.cidr`
becomes the range of the regional subnet.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from treeform.errors import Issue
from treeform.model import Cluster
from treeform.providers import gcp, machines
from treeform.providers.common import versions_tf
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


class GcpKopsEngine(KopsEngine):
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

    def subnets(self, cluster: Cluster) -> list[Subnet]:
        kind = "Private" if cluster.network.private else "Public"
        existing = cluster.network.existing
        if existing is not None:
            return [Subnet(cluster.region, kind, region=cluster.region, id=existing.subnet_ids[0])]
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
        return {"project": str(cluster.account.get("project", ""))}

    def cloud_labels(self, cluster: Cluster) -> dict[str, str]:
        return gcp.labels_of(cluster.tags)

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
        if cluster.network.pod_cidr is not None and self.cni(cluster) == "gce":
            yield cluster.issue(
                ("network", "podCidr"),
                "with GCE IP-alias networking kOps allocates the pod range; remove podCidr",
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
            "labels": gcp.labels_of({**cluster.tags, "treeform-cluster": cluster.id}),
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
