"""Alibaba Cloud tags: the model's, and treeform's cluster tag, within the cloud's limits."""

from __future__ import annotations

from treeform.model import Cluster
from treeform.providers.common import TagLimits, tagged

#: Alibaba Cloud tag rules (Tag service): keys up to 128 characters, values up to 128, at
#: most 20 tags on a resource; keys may not start with "aliyun" or "acs:", values not with
#: "acs:", and neither may contain "http://" or "https://". treeform adds one tag of its own.
TAG_LIMITS = TagLimits("Alibaba Cloud", 128, 128, 20, ("aliyun", "acs:"))


def cluster_tags(cluster: Cluster) -> dict[str, str]:
    return tagged(cluster)
