"""IBM Cloud tags: strings, so a model tag `key: value` becomes "key:value"; treeform's
cluster tag among them (the id's '/' as '-')."""

from __future__ import annotations

from collections.abc import Mapping

from treeform.model import Cluster
from treeform.providers.common import tag_text, tagged


def tag_strings(tags: Mapping[str, str]) -> list[str]:
    """The IBM Cloud tags of a tag map: "key:value" (or "key" for an empty value), sorted."""
    return [tag_text(k, v) for k, v in sorted(tags.items())]


def cluster_tags(cluster: Cluster) -> dict[str, str]:
    return tagged(cluster, cluster.id.replace("/", "-"))
