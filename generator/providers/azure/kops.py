"""kOps on Azure (alpha in kOps, as kOps marks it): what differs from kOps on other clouds,
as a `KopsCloud` (`treeform.providers.kops_cloud`).

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
from collections.abc import Iterator, Mapping
from typing import Any

from treeform.errors import Issue
from treeform.model import Cluster
from treeform.providers.azure.tags import cluster_tags
from treeform.providers.base import Example
from treeform.providers.kops import (
    ETCD_ENCRYPTED,
    Group,
    Subnet,
    carve_kops_subnets,
    sorted_labels,
)
from treeform.providers.kops_cloud import KopsFacts, KopsMachines, KopsTerraform
from treeform.providers.kops_engine import KopsEngine

PROVIDERS = {"azurerm": {"source": "hashicorp/azurerm", "version": "~> 4.0"}}

#: The admin user `kops create cluster` writes (`AzureAdminUser = "kops"`).
ADMIN_USER = "kops"

#: azureblob://ACCOUNT/CONTAINER[/PATH]: storage account names are 3-24 lowercase letters
#: and digits; container names 3-63 lowercase letters, digits and single hyphens.
_BLOB_STORE = re.compile(
    r"azureblob://(?P<account>[a-z0-9]{3,24})/(?P<container>[a-z0-9](?:-?[a-z0-9]){2,62})(/.*)?\Z"
)


class AzureKops:
    """kOps on Azure."""

    facts = KopsFacts(
        provider="azure",
        example=Example("eastus", "Standard_D4s_v5"),
        state_scheme="azureblob",
        # kOps's Azure machine defaults (`populate_instancegroup_spec.go`); no machine
        # table for Azure yet, so machine types and disks go to kOps unchecked.
        machines=KopsMachines(control_plane="Standard_B2s", bastion="Standard_B2s", catalog=None),
        terraform=KopsTerraform("azure/kops", PROVIDERS),
        # kOps on Azure publishes no DNS records: None is its only topology.
        default_dns_type="None",
        etcd_member_defaults=ETCD_ENCRYPTED,
    )

    def kops_zone(self, cluster: Cluster, zone: str) -> str:
        return f"{cluster.region}-{zone}"

    def labels_of(self, tags: Mapping[str, str]) -> dict[str, str]:
        return sorted_labels(tags)

    def subnets(self, kops: KopsEngine, cluster: Cluster) -> list[Subnet]:
        kind = "Private" if cluster.network.private else "Public"
        existing = cluster.network.existing
        if existing is not None:
            # kOps finds an existing subnet by its name in the virtual network.
            return [
                Subnet(
                    existing.subnet_ids[0],
                    kind,
                    region=cluster.region,
                    cidr=kops.known_network_cidr(cluster),
                )
            ]
        carved = carve_kops_subnets(cluster.network.cidr, (cluster.region,), False)
        return [Subnet(cluster.region, kind, region=cluster.region, cidr=carved[0].cidr)]

    def cluster_fields(self, kops: KopsEngine, cluster: Cluster) -> dict[str, Any]:
        azure: dict[str, Any] = {
            "adminUser": ADMIN_USER,
            "subscriptionId": str(cluster.account.get("subscriptionId", "")),
            "tenantId": str(cluster.account.get("tenantId", "")),
        }
        group = cluster.account.get("resourceGroup")
        if group:
            azure["resourceGroupName"] = str(group)
        return {"cloudConfig": {"azure": azure}}

    def group_fields(self, kops: KopsEngine, cluster: Cluster, group: Group) -> dict[str, Any]:
        return {"zones": [self.kops_zone(cluster, z) for z in group.zones]}

    def issues(self, kops: KopsEngine, cluster: Cluster) -> Iterator[Issue]:
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
        store = kops.state_store(cluster)
        if store.startswith("azureblob://") and not _BLOB_STORE.match(store):
            yield cluster.issue(
                ("kops", "stateStore"),
                f"{store!r} is not azureblob://ACCOUNT/CONTAINER[/PATH] (account: 3-24 "
                "lowercase letters and digits; container: 3-63 lowercase letters, digits, '-')",
            )
        if kops.dns_type(cluster) != "None":
            yield cluster.issue(
                ("kops", "dnsType"),
                "kOps on Azure publishes no DNS records: its only DNS topology is None",
            )
        if kops.shared_vpc(cluster):
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
        api = kops.api_settings(cluster)
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

    def terraform_context(self, kops: KopsEngine, cluster: Cluster) -> dict[str, Any]:
        match = _BLOB_STORE.match(kops.state_store(cluster))
        assert match is not None  # issues() refused any other store
        return {
            "subscription_id": str(cluster.account["subscriptionId"]),
            "tags": cluster_tags(cluster),
            "state": {
                "account": match["account"],
                "container": match["container"],
                "resource_group": self.state_resource_group(cluster),
            },
        }


KOPS = KopsEngine(cloud=AzureKops())
