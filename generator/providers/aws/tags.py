"""AWS tags: the model's, and treeform's cluster tag, on every resource (the provider's
`default_tags`), within AWS's limits."""

from __future__ import annotations

from treeform.model import Cluster
from treeform.providers.common import TagLimits, tagged

#: AWS tag limits: 128-character keys, 256-character values, 50 tags, no "aws:" prefix.
TAG_LIMITS = TagLimits("AWS", 128, 256, 50, ("aws:",))


def cluster_tags(cluster: Cluster) -> dict[str, str]:
    return tagged(cluster)
