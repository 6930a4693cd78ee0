"""DigitalOcean: regions, tags, and the engines that run on it.

A DigitalOcean region is one datacenter and has no availability zones. So that the model's
`zones` keep one meaning everywhere, each region is its own single zone: `zones` may be
left out or name the region itself (`zones: [nyc1]`); any other zone is an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from treeform.errors import Issue
from treeform.model import Cluster
from treeform.providers.common import Cloud, tag_text
from treeform.providers.digitalocean.doks import DOKS
from treeform.providers.digitalocean.tags import cluster_tags

#: Regions (datacenter slugs) where DOKS runs, taken 2026-11-27 from the DigitalOcean
#: regional availability matrix. Each is its own single zone (see above).
REGIONS: dict[str, tuple[str, ...]] = {
    region: (region,)
    for region in (
        "ams3",
        "atl1",
        "blr1",
        "fra1",
        "lon1",
        "nyc1",
        "nyc3",
        "sfo2",
        "sfo3",
        "sgp1",
        "syd1",
        "tor1",
    )
}

#: DigitalOcean tags are plain names: letters, digits, ':', '-' and '_', at most 255
#: characters. A model tag `key: value` becomes the tag `key:value`.
_TAG = re.compile(r"^[A-Za-z0-9:_-]{1,255}\Z")


class DigitalOceanCloud(Cloud):
    def validate(self, cluster: Cluster) -> Iterator[Issue]:
        for key, value in cluster.tags.items():
            tag = tag_text(key, value)
            if not _TAG.match(tag):
                yield cluster.issue(
                    ("tags", key),
                    f"tag {key}: {value} becomes the DigitalOcean tag {tag!r}, but tags are "
                    "at most 255 letters, digits, ':', '-' and '_'",
                )


PROVIDER = DigitalOceanCloud(
    "digitalocean", REGIONS, (DOKS,), cluster_tags, default_zone_count=None
)
