"""Oracle Cloud Infrastructure: regions, availability domains, tags, and the engines."""

from __future__ import annotations

from collections.abc import Iterator

from treeform.errors import Issue
from treeform.model import Cluster
from treeform.providers.common import Cloud
from treeform.providers.oracle.oke import OKE
from treeform.providers.oracle.tags import cluster_tags

#: Each region's key (the airport code in its availability domain names) and how many
#: availability domains it has, taken 2026-11-27 from the OCI "Regions and Availability
#: Domains" page.
_REGION_KEYS: dict[str, tuple[str, int]] = {
    "ap-mumbai-1": ("BOM", 1),
    "ap-osaka-1": ("KIX", 1),
    "ap-singapore-1": ("SIN", 1),
    "ap-sydney-1": ("SYD", 1),
    "ap-tokyo-1": ("NRT", 1),
    "ca-toronto-1": ("YYZ", 1),
    "eu-amsterdam-1": ("AMS", 1),
    "eu-frankfurt-1": ("FRA", 3),
    "eu-paris-1": ("CDG", 1),
    "sa-saopaulo-1": ("GRU", 1),
    "uk-london-1": ("LHR", 3),
    "us-ashburn-1": ("IAD", 3),
    "us-chicago-1": ("ORD", 3),
    "us-phoenix-1": ("PHX", 3),
    "us-sanjose-1": ("SJC", 1),
}

#: Region -> its availability domains as the model names them: `IAD-AD-1`, the part of the
#: tenancy's AD name (`Uocm:IAD-AD-1`) after the tenancy prefix, which differs per tenancy.
#: The Terraform looks the full names up (oci_identity_availability_domains).
REGIONS: dict[str, tuple[str, ...]] = {
    region: tuple(f"{key}-AD-{n}" for n in range(1, count + 1))
    for region, (key, count) in _REGION_KEYS.items()
}

#: OCI freeform tags: keys up to 100 characters, values up to 256.
_TAG_KEY_MAX = 100
_TAG_VALUE_MAX = 256


class OracleCloud(Cloud):
    def validate(self, cluster: Cluster) -> Iterator[Issue]:
        for key, value in cluster.tags.items():
            if len(key) > _TAG_KEY_MAX or any(c in key for c in " .:"):
                yield cluster.issue(
                    ("tags", key),
                    f"OCI freeform tag keys are at most {_TAG_KEY_MAX} characters with no "
                    "spaces, '.' or ':'",
                    key=True,
                )
            if len(value) > _TAG_VALUE_MAX:
                yield cluster.issue(
                    ("tags", key),
                    f"OCI freeform tag values are at most {_TAG_VALUE_MAX} characters",
                )


PROVIDER = OracleCloud("oracle", REGIONS, (OKE,), cluster_tags, default_zone_count=None)
