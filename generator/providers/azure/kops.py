"""kOps on Azure (alpha in kOps, as kOps marks it): what differs from kOps on other clouds.
The documents and kOps's rules live in `treeform.providers.kops`.

kOps names Azure zones `<location>-<n>` (`azure.ZoneToLocation`), where the model names
them `1`, `2`, `3`; its subnets are regional, like GCE's (one subnet, every group names its
zones); its only DNS topology is None (`validateCloudDNSTopology`), so the API is reached
through a load balancer; its state store is Azure Blob, `azureblob://ACCOUNT/CONTAINER/PATH`
(`util/pkg/vfs/context.go`). `spec.cloudConfig.azure` carries the subscription, the tenant,
kOps's admin user and, when the model names one, the resource group kOps then treats as
shared (`IsSharedAzureResourceGroup`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from treeform.errors import Issue
from treeform.model import Cluster
from treeform.providers.azure.tags import cluster_tags
from treeform.providers.base import Example
from treeform.providers.common import versions_tf
from treeform.providers.kops import (
    ADDONS_COMMON,
    CNI_COMMON,
    Group,
    KopsEngine,
    Subnet,
    carve_kops_subnets,
)
from treeform.render import Renderer

PROVIDERS = {"azurerm": {"source": "hashicorp/azurerm", "version": "~> 4.0"}}

#: kOps's Azure machine defaults (`populate_instancegroup_spec.go`), and the admin user
#: `kops create cluster` writes (`AzureAdminUser = "kops"`).
DEFAULT_CONTROL_PLANE_TYPE = "Standard_B2s"
DEFAULT_BASTION_TYPE = "Standard_B2s"
ADMIN_USER = "kops"

#: azureblob://ACCOUNT/CONTAINER[/PATH]: storage account names are 3-24 lowercase letters
#: and digits; container names 3-63 lowercase letters, digits and single hyphens.
_BLOB_STORE = re.compile(
    r"azureblob://(?P<account>[a-z0-9]{3,24})/(?P<container>[a-z0-9](?:-?[a-z0-9]){2,62})(/.*)?\Z"
)


class AzureKopsEngine(KopsEngine):
    example = Example("eastus", "Standard_D4s_v5")
    cloud_provider = "azure"
    state_scheme = "azureblob"
    default_control_plane_type = DEFAULT_CONTROL_PLANE_TYPE
    default_bastion_type = DEFAULT_BASTION_TYPE
    cnis = CNI_COMMON
    addon_fields = ADDONS_COMMON
    addons: tuple[str, ...] = tuple(ADDONS_COMMON)

    def kops_zone(self, cluster: Cluster, zone: str) -> str:
        return f"{cluster.region}-{zone}"

    def dns_type(self, cluster: Cluster) -> str:
        # kOps on Azure publishes no DNS records: None is its only topology.
        return str(cluster.settings.get("dnsType", "None"))

    def subnets(self, cluster: Cluster) -> list[Subnet]:
        kind = "Private" if cluster.network.private else "Public"
        existing = cluster.network.existing
        if existing is not None:
            # kOps finds an existing subnet by its name in the virtual network.
            return [
                Subnet(
                    existing.subnet_ids[0],
                    kind,
                    region=cluster.region,
                    cidr=self.known_network_cidr(cluster),
                )
            ]
        carved = carve_kops_subnets(cluster.network.cidr, (cluster.region,), False)
        return [Subnet(cluster.region, kind, region=cluster.region, cidr=carved[0].cidr)]

    def network_cidr(self, cluster: Cluster) -> str | None:
        # An existing virtual network: kOps reads its range (cloudup/defaults.go) unless given.
        return self.known_network_cidr(cluster)

    def network_id(self, cluster: Cluster) -> str | None:
        existing = cluster.network.existing
        return existing.network_id if existing is not None else None

    def etcd_member(self, cluster: Cluster, group: str, name: str) -> dict[str, Any]:
        return {"encryptedVolume": True, **super().etcd_member(cluster, group, name)}

    def cluster_cloud_fields(self, cluster: Cluster) -> dict[str, Any]:
        azure: dict[str, Any] = {
            "adminUser": ADMIN_USER,
            "subscriptionId": str(cluster.account.get("subscriptionId", "")),
            "tenantId": str(cluster.account.get("tenantId", "")),
        }
        group = cluster.account.get("resourceGroup")
        if group:
            azure["resourceGroupName"] = str(group)
        return {"cloudConfig": {"azure": azure}}

    def group_subnets(self, cluster: Cluster, group: Group, subnets: list[Subnet]) -> list[str]:
        return [s.name for s in subnets]

    def group_cloud_fields(self, cluster: Cluster, group: Group) -> dict[str, Any]:
        return {"zones": [self.kops_zone(cluster, z) for z in group.zones]}

    def cloud_issues(self, cluster: Cluster) -> Iterator[Issue]:
        for key in ("subscriptionId", "tenantId"):
            if not cluster.account.get(key):
                yield cluster.issue(
                    ("azure", key),
                    f"kOps on Azure needs azure.{key} (spec.cloudConfig.azure.{key})",
                )
        if not cluster.zones:
            yield cluster.issue(
                "region",
                f"kOps on Azure places every group in zones (<location>-<n>); region "
                f"{cluster.region} has no availability zones",
            )
        store = self.state_store(cluster)
        if store.startswith("azureblob://") and not _BLOB_STORE.match(store):
            yield cluster.issue(
                ("kops", "stateStore"),
                f"{store!r} is not azureblob://ACCOUNT/CONTAINER[/PATH] (account: 3-24 "
                "lowercase letters and digits; container: 3-63 lowercase letters, digits, '-')",
            )
        if self.dns_type(cluster) != "None":
            yield cluster.issue(
                ("kops", "dnsType"),
                "kOps on Azure publishes no DNS records: its only DNS topology is None",
            )
        if self.shared_vpc(cluster):
            yield cluster.issue(
                ("kops", "sharedVpc"),
                "kops.sharedVpc is not offered on Azure yet; an existing virtual network is: "
                "network.existing (with azure.resourceGroup)",
            )
        existing = cluster.network.existing
        if existing is not None:
            if len(existing.subnet_ids) != 1:
                yield cluster.issue(
                    ("network", "existing", "subnetIds"),
                    "Azure subnets are regional: kOps takes exactly one subnet name",
                )
            if not cluster.account.get("resourceGroup"):
                yield cluster.issue(
                    ("network", "existing"),
                    "kOps finds an existing virtual network in its resource group: set "
                    "azure.resourceGroup",
                )
        api = self.api_settings(cluster)
        for key in ("class", "dnsOnly"):
            if key in api:
                yield cluster.issue(
                    ("kops", "apiLoadBalancer", key),
                    "kOps on Azure reaches the API through its own load balancer "
                    f"(no {key} to choose)",
                )
        for name in ("egress", "discoveryStore"):
            if name in cluster.settings:
                yield cluster.issue(("kops", name), f"kops.{name} is not offered by kOps on Azure")
        for pool in cluster.node_pools.values():
            if pool.spot:
                yield cluster.issue(
                    ("nodePools", pool.name, "spot"),
                    "kOps's Azure instance groups have no spot priority",
                )

    def state_resource_group(self, cluster: Cluster) -> str:
        """The resource group Terraform makes for the state store: treeform's own, apart
        from `azure.resourceGroup` (the group kOps builds the cluster in, which exists)."""
        return f"kops-state-{cluster.name}"

    def context(self, cluster: Cluster) -> dict[str, Any]:
        match = _BLOB_STORE.match(self.state_store(cluster))
        assert match is not None  # cloud_issues refused any other store
        return {
            "cluster": {
                "id": cluster.id,
                "name": cluster.name,
                "kops_name": self.cluster_name(cluster),
                "region": cluster.region,
            },
            "subscription_id": str(cluster.account["subscriptionId"]),
            "tags": cluster_tags(cluster),
            "state": {
                "url": self.state_store(cluster),
                "account": match["account"],
                "container": match["container"],
                "resource_group": self.state_resource_group(cluster),
            },
        }

    def terraform(self, cluster: Cluster, renderer: Renderer) -> dict[str, str]:
        if cluster.settings.get("stateStoreExternal", False):
            return {}  # nothing for Terraform to make before `kops create`: kOps makes the rest
        files = renderer.render_dir("azure/kops", self.context(cluster))
        files["versions.tf"] = versions_tf(cluster, renderer, PROVIDERS)
        return files


KOPS = AzureKopsEngine()
