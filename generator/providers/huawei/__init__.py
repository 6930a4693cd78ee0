"""Huawei Cloud: regions, tags, and the engines that run on it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from treeform.errors import Issue
from treeform.model import Cluster
from treeform.providers.base import Engine
from treeform.providers.common import TagLimits
from treeform.providers.huawei.cce import CCE


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

#: Huawei Cloud tag limits (TMS): keys 1-128 characters, values up to 255, and the `_sys_`
#: prefix is the system's.
TAG_LIMITS = TagLimits("Huawei Cloud", 128, 255, reserved_prefixes=("_sys_",))


class HuaweiProvider:
    name = "huawei"
    regions: Mapping[str, tuple[str, ...]] = REGIONS
    engines: Mapping[str, Engine] = {e.name: e for e in (CCE,)}

    def default_zones(self, region: str) -> tuple[str, ...]:
        return REGIONS.get(region, ())[:3]

    def validate(self, cluster: Cluster) -> Iterator[Issue]:
        yield from TAG_LIMITS.issues(cluster)


PROVIDER = HuaweiProvider()
