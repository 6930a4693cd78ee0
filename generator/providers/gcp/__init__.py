"""Google Cloud: regions, labels, and the engines that run on it."""

from __future__ import annotations

import re
from collections.abc import Iterator

from treeform.errors import Issue
from treeform.model import Cluster
from treeform.providers.common import Cloud
from treeform.providers.gcp.gke import GKE
from treeform.providers.gcp.kops import KOPS
from treeform.providers.gcp.tags import cluster_tags, to_label


def _zones(region: str, letters: str) -> tuple[str, ...]:
    return tuple(f"{region}-{letter}" for letter in letters)


#: Regions and their zones, taken 2026-11-27 from the Google Cloud documentation.
REGIONS: dict[str, tuple[str, ...]] = {
    "asia-east1": _zones("asia-east1", "abc"),
    "asia-northeast1": _zones("asia-northeast1", "abc"),
    "asia-south1": _zones("asia-south1", "abc"),
    "asia-southeast1": _zones("asia-southeast1", "abc"),
    "australia-southeast1": _zones("australia-southeast1", "abc"),
    "europe-north1": _zones("europe-north1", "abc"),
    "europe-west1": _zones("europe-west1", "bcd"),
    "europe-west2": _zones("europe-west2", "abc"),
    "europe-west3": _zones("europe-west3", "abc"),
    "europe-west4": _zones("europe-west4", "abc"),
    "northamerica-northeast1": _zones("northamerica-northeast1", "abc"),
    "southamerica-east1": _zones("southamerica-east1", "abc"),
    "us-central1": _zones("us-central1", "abcf"),
    "us-east1": _zones("us-east1", "bcd"),
    "us-east4": _zones("us-east4", "abc"),
    "us-west1": _zones("us-west1", "abc"),
    "us-west2": _zones("us-west2", "abc"),
}

#: GCP label keys and values: lowercase letters, digits, '_' and '-', at most 63
#: characters; keys start with a letter. Tags are converted to labels by lowercasing and
#: replacing any other character with '_'; what still breaks the rules is an error.
_LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}\Z")
_LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}\Z")


class GcpCloud(Cloud):
    def validate(self, cluster: Cluster) -> Iterator[Issue]:
        seen: dict[str, str] = {}
        for key, value in cluster.tags.items():
            label_key, label_value = to_label(key), to_label(value)
            if not _LABEL_KEY.match(label_key):
                yield cluster.issue(
                    ("tags", key),
                    f"tag {key!r} cannot become a GCP label key (it must start with a letter "
                    "and be at most 63 characters)",
                    key=True,
                )
            if not _LABEL_VALUE.match(label_value):
                yield cluster.issue(
                    ("tags", key), f"tag value {value!r} is longer than a GCP label (63)"
                )
            if label_key in seen:
                yield cluster.issue(
                    ("tags", key),
                    f"tags {seen[label_key]!r} and {key!r} both become GCP label {label_key!r}",
                    key=True,
                )
            seen[label_key] = key


PROVIDER = GcpCloud("gcp", REGIONS, (GKE, KOPS), cluster_tags)
