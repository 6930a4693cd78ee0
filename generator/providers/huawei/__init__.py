"""Huawei Cloud: regions, tags, and the engines that run on it."""

from __future__ import annotations

from treeform.providers.common import Cloud
from treeform.providers.huawei.cce import CCE
from treeform.providers.huawei.tags import TAG_LIMITS, cluster_tags


def _zones(region: str, letters: str) -> tuple[str, ...]:
    return tuple(f"{region}{letter}" for letter in letters)


#: Regions and their availability zones, as Huawei Cloud names them (`cn-north-4a`), taken
#: 2026-11-27 from Huawei Cloud's regions-and-endpoints documentation. An account may see
#: fewer zones (sold-out or invitation-only ones); the console lists what yours has.
REGIONS: dict[str, tuple[str, ...]] = {
    "af-south-1": _zones("af-south-1", "abc"),
    "ap-southeast-1": _zones("ap-southeast-1", "abc"),
    "ap-southeast-2": _zones("ap-southeast-2", "abc"),
    "ap-southeast-3": _zones("ap-southeast-3", "abcd"),
    "cn-east-3": _zones("cn-east-3", "abcd"),
    "cn-north-4": _zones("cn-north-4", "abcg"),
    "cn-south-1": _zones("cn-south-1", "acef"),
}


PROVIDER = Cloud("huawei", REGIONS, (CCE,), cluster_tags, TAG_LIMITS)
