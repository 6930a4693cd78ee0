"""DigitalOcean tags: plain names, so a model tag `key: value` becomes the tag `key:value`."""

from __future__ import annotations

from collections.abc import Mapping

from treeform.model import Cluster


def tag_of(key: str, value: str) -> str:
    return f"{key}:{value}" if value else key


def tag_names(tags: Mapping[str, str]) -> list[str]:
    """The DigitalOcean tags of a tag map (validated by DigitalOceanProvider), sorted."""
    return sorted(tag_of(k, v) for k, v in tags.items())


def cluster_tags(cluster: Cluster) -> dict[str, str]:
    return dict(cluster.tags)
