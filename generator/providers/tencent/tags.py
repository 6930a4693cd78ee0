"""Tencent Cloud tags: the model's, and treeform's cluster tag, within the cloud's limits."""

from __future__ import annotations

from treeform.model import Cluster
from treeform.providers.common import TagLimits, tagged

#: Tencent Cloud tag rules: keys up to 127 characters, values up to 255, at most 50 tags on a
#: resource, and the prefixes "qcloud", "tencent" and "project" are reserved for keys.
TAG_LIMITS = TagLimits("Tencent Cloud", 127, 255, 50, ("qcloud", "tencent", "project"))


def cluster_tags(cluster: Cluster) -> dict[str, str]:
    return tagged(cluster)
