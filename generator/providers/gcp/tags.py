"""GCP labels: the model's tags as labels (lowercased, any other character '_'; the
provider's validation reports what still breaks the rules), and treeform's cluster label."""

from __future__ import annotations

import re
from collections.abc import Mapping

from treeform.model import Cluster
from treeform.providers.base import CLUSTER_TAG

#: GCP label values are at most 63 characters.
LABEL_MAX = 63


def to_label(text: str) -> str:
    return re.sub(r"[^a-z0-9_-]", "_", text.lower())


def labels_of(tags: Mapping[str, str]) -> dict[str, str]:
    """The GCP labels of a cluster's tags (validated by GcpProvider.validate)."""
    return {to_label(k): to_label(v) for k, v in sorted(tags.items())}


def cluster_tags(cluster: Cluster) -> dict[str, str]:
    """The cluster's labels, sorted by key: its tags', and the cluster id's."""
    labels = {**labels_of(cluster.tags), CLUSTER_TAG: to_label(cluster.id)[:LABEL_MAX]}
    return dict(sorted(labels.items()))
