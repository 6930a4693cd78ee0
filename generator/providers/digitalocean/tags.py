"""DigitalOcean tags: plain names, so a model tag `key: value` becomes the tag `key:value`;
treeform's cluster tag among them."""

from __future__ import annotations

import re
from collections.abc import Mapping

from treeform.model import Cluster
from treeform.providers.base import CLUSTER_TAG
from treeform.providers.common import tag_text

#: What a DigitalOcean tag may not hold (it is at most 255 letters, digits, ':', '-', '_').
_NOT_IN_TAG = re.compile(r"[^A-Za-z0-9_-]")
_TAG_MAX = 255


def tag_names(tags: Mapping[str, str]) -> list[str]:
    """The DigitalOcean tags of a tag map (validated by DigitalOceanProvider), sorted."""
    return sorted(tag_text(k, v) for k, v in tags.items())


def cluster_tags(cluster: Cluster) -> dict[str, str]:
    """The model's tags and the cluster id's (`treeform-cluster:aws-prod-web`: its '/' and
    '.' as '-', cut to the tag length)."""
    value = _NOT_IN_TAG.sub("-", cluster.id)[: _TAG_MAX - len(CLUSTER_TAG) - 1]
    return {**cluster.tags, CLUSTER_TAG: value}
