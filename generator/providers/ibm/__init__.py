"""IBM Cloud (VPC infrastructure): regions, tags, and the engines that run on it."""

from __future__ import annotations

import re
from collections.abc import Iterator

from treeform.errors import Issue
from treeform.model import Cluster
from treeform.providers.common import Cloud, tag_text
from treeform.providers.ibm.iks import IKS
from treeform.providers.ibm.tags import cluster_tags


def _zones(region: str) -> tuple[str, ...]:
    return tuple(f"{region}-{n}" for n in (1, 2, 3))


#: VPC regions and their zones as IBM Cloud names them (`us-south-1`), taken 2026-11-27 from
#: the IBM Cloud "Creating a VPC in a different region" documentation. Every multizone
#: region has three zones.
REGIONS: dict[str, tuple[str, ...]] = {
    region: _zones(region)
    for region in (
        "au-syd",
        "br-sao",
        "ca-tor",
        "eu-de",
        "eu-es",
        "eu-gb",
        "jp-osa",
        "jp-tok",
        "us-east",
        "us-south",
    )
}

#: IBM Cloud tags are strings of at most 128 characters of letters, digits, spaces and
#: `_ - . :`; treeform writes each model tag as "key:value".
_TAG = re.compile(r"^[A-Za-z0-9 _.:-]{1,128}\Z")


class IbmCloud(Cloud):
    def validate(self, cluster: Cluster) -> Iterator[Issue]:
        for key, value in cluster.tags.items():
            text = tag_text(key, value)
            if ":" in key or not _TAG.match(text):
                yield cluster.issue(
                    ("tags", key),
                    f'tag {text!r} is not an IBM Cloud tag ("key:value" of at most 128 '
                    "letters, digits, spaces and _ - . , with no ':' in the key)",
                    key=True,
                )


PROVIDER = IbmCloud("ibm", REGIONS, (IKS,), cluster_tags, default_zone_count=None)
