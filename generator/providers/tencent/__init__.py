"""Tencent Cloud: regions, tags, and the engines that run on it."""

from __future__ import annotations

from treeform.providers.common import Cloud
from treeform.providers.tencent.tags import TAG_LIMITS, cluster_tags
from treeform.providers.tencent.tke import TKE


def _zones(region: str, numbers: str) -> tuple[str, ...]:
    return tuple(f"{region}-{n}" for n in numbers.split())


#: Regions and their zones, taken 2026-11-27 from the Tencent Cloud "Regions and
#: Availability Zones" documentation (zones still selling CVMs).
REGIONS: dict[str, tuple[str, ...]] = {
    "ap-guangzhou": _zones("ap-guangzhou", "3 4 6 7"),
    "ap-shanghai": _zones("ap-shanghai", "2 3 4 5 8"),
    "ap-nanjing": _zones("ap-nanjing", "1 2 3"),
    "ap-beijing": _zones("ap-beijing", "3 5 6 7"),
    "ap-chengdu": _zones("ap-chengdu", "1 2"),
    "ap-chongqing": _zones("ap-chongqing", "1"),
    "ap-hongkong": _zones("ap-hongkong", "1 2 3"),
    "ap-singapore": _zones("ap-singapore", "1 2 3 4"),
    "ap-jakarta": _zones("ap-jakarta", "1 2"),
    "ap-bangkok": _zones("ap-bangkok", "1 2"),
    "ap-seoul": _zones("ap-seoul", "1 2"),
    "ap-tokyo": _zones("ap-tokyo", "1 2"),
    "na-siliconvalley": _zones("na-siliconvalley", "1 2"),
    "na-ashburn": _zones("na-ashburn", "1 2"),
    "eu-frankfurt": _zones("eu-frankfurt", "1 2"),
    "sa-saopaulo": _zones("sa-saopaulo", "1"),
}


PROVIDER = Cloud("tencent", REGIONS, (TKE,), cluster_tags, TAG_LIMITS)
