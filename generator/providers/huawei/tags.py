"""Huawei Cloud tags: the model's, and treeform's cluster tag (tag values take no '/', so
the id's are '-'), within the cloud's limits."""

from __future__ import annotations

from treeform.model import Cluster
from treeform.providers.common import TagLimits, tagged

#: Huawei Cloud tag limits (TMS): keys 1-128 characters, values up to 255, and the `_sys_`
#: prefix is the system's.
TAG_LIMITS = TagLimits("Huawei Cloud", 128, 255, reserved_prefixes=("_sys_",))


def cluster_tags(cluster: Cluster) -> dict[str, str]:
    return tagged(cluster, cluster.id.replace("/", "-"))
