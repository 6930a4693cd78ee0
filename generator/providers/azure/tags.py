"""Azure tags: the model's, and treeform's cluster tag, on every resource (AKS and kOps)."""

from __future__ import annotations

from treeform.model import Cluster
from treeform.providers.common import tagged


def cluster_tags(cluster: Cluster) -> dict[str, str]:
    return tagged(cluster)
