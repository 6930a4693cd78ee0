"""Microsoft Azure: regions and their availability zones, tags, and the engines that run on it."""

from __future__ import annotations

import re
from collections.abc import Iterator

from treeform.errors import Issue
from treeform.model import Cluster
from treeform.providers.azure.aks import AKS
from treeform.providers.azure.kops import KOPS
from treeform.providers.azure.tags import cluster_tags
from treeform.providers.base import CLUSTER_TAG
from treeform.providers.common import Cloud

_ZONAL = ("1", "2", "3")

#: Regions (their ARM names) and their availability zones, taken 2026-11-27 from the Azure
#: documentation "Azure regions with availability zone support". Azure numbers the zones of
#: every zonal region "1", "2" and "3"; a region without zones has none to name.
REGIONS: dict[str, tuple[str, ...]] = {
    **{
        region: _ZONAL
        for region in (
            "australiaeast",
            "brazilsouth",
            "canadacentral",
            "centralindia",
            "centralus",
            "eastasia",
            "eastus",
            "eastus2",
            "francecentral",
            "germanywestcentral",
            "israelcentral",
            "italynorth",
            "japaneast",
            "japanwest",
            "koreacentral",
            "mexicocentral",
            "newzealandnorth",
            "northeurope",
            "norwayeast",
            "polandcentral",
            "qatarcentral",
            "southafricanorth",
            "southcentralus",
            "southeastasia",
            "spaincentral",
            "swedencentral",
            "switzerlandnorth",
            "uaenorth",
            "uksouth",
            "westeurope",
            "westus2",
            "westus3",
        )
    },
    **{
        region: ()
        for region in (
            "australiacentral",
            "australiasoutheast",
            "brazilsoutheast",
            "canadaeast",
            "francesouth",
            "germanynorth",
            "koreasouth",
            "northcentralus",
            "norwaywest",
            "southafricawest",
            "southindia",
            "switzerlandwest",
            "uaecentral",
            "ukwest",
            "westcentralus",
            "westindia",
            "westus",
        )
    },
}

#: Azure tag limits: names up to 512 characters without < > % & \ ? /, values up to 256,
#: at most 50 tags a resource; names are case-insensitive. Names starting with "microsoft",
#: "azure" or "windows" are reserved. treeform adds one tag of its own (CLUSTER_TAG).
TAG_NAME_MAX = 512
TAG_VALUE_MAX = 256
TAGS_MAX = 50
_TAG_NAME_FORBIDDEN = re.compile(r"[<>%&\\?/]")
_RESERVED_PREFIXES = ("microsoft", "azure", "windows")

#: Resource group names: 1-90 letters, digits, '_', '-', '.', '(' and ')', not ending in '.'.
_RESOURCE_GROUP = re.compile(r"^[-\w.()]{0,89}[-\w()]\Z")


class AzureCloud(Cloud):
    def validate(self, cluster: Cluster) -> Iterator[Issue]:
        seen: dict[str, str] = {CLUSTER_TAG: CLUSTER_TAG}
        for key, value in cluster.tags.items():
            if _TAG_NAME_FORBIDDEN.search(key):
                yield cluster.issue(
                    ("tags", key),
                    f"tag {key!r}: Azure tag names cannot contain < > % & \\ ? /",
                    key=True,
                )
            if key.lower().startswith(_RESERVED_PREFIXES):
                yield cluster.issue(
                    ("tags", key),
                    "tag names starting with microsoft, azure or windows are reserved on Azure",
                    key=True,
                )
            if len(key) > TAG_NAME_MAX:
                yield cluster.issue(
                    ("tags", key),
                    f"Azure tag names are at most {TAG_NAME_MAX} characters",
                    key=True,
                )
            if len(value) > TAG_VALUE_MAX:
                yield cluster.issue(
                    ("tags", key), f"Azure tag values are at most {TAG_VALUE_MAX} characters"
                )
            if key.lower() in seen:
                yield cluster.issue(
                    ("tags", key),
                    f"Azure tag names ignore case: {key!r} is the same tag as "
                    f"{seen[key.lower()]!r}",
                    key=True,
                )
            seen[key.lower()] = key
        if len(self.cluster_tags(cluster)) > TAGS_MAX:
            yield cluster.issue(
                "tags",
                f"Azure resources take at most {TAGS_MAX} tags; treeform adds {CLUSTER_TAG!r}, "
                f"so the model may set {TAGS_MAX - 1}",
            )
        group = cluster.account.get("resourceGroup")
        if group is not None and not _RESOURCE_GROUP.match(group):
            yield cluster.issue(
                ("azure", "resourceGroup"),
                f"{group!r} is not an Azure resource group name (1-90 letters, digits, '_', "
                "'-', '.', '(' and ')', not ending in '.')",
            )


PROVIDER = AzureCloud("azure", REGIONS, (AKS, KOPS), cluster_tags, default_zone_count=None)
