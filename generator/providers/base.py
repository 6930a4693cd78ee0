"""The provider interface: what every cloud answers, and what every engine does.

Like Kubernetes' cloud-provider interface, a cloud answers a few questions (its name, its
regions and zones, its naming rules) and each of its engines validates a typed cluster and
renders it to `{relative path: text}`, one output target at a time
(`treeform.providers.targets`). Everything shared between engines lives in
`treeform.providers.common`, `terraform` (the base of the managed engines) and `pools`; a
provider module holds only what differs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from treeform.errors import Issue
from treeform.model import Cluster

#: The one tag (or label) treeform adds to what it creates, naming the cluster by its id: in
#: every cloud's tags, in one spelling.
CLUSTER_TAG = "treeform-cluster"


@dataclass(frozen=True)
class Example:
    """Where `treeform new` starts a cluster of an engine: a region and a general-purpose
    machine type."""

    region: str
    machine_type: str


class Engine(Protocol):
    """One way to run Kubernetes on a cloud (eks, kops, gke, ...)."""

    name: str
    #: Minor versions the engine offers, and the date the table was taken.
    versions: tuple[str, ...]
    versions_taken: str
    #: Zones a highAvailability control plane needs, or 0 where the engine spreads it itself.
    ha_min_zones: int
    #: Addons the engine knows; those it runs by itself need no output.
    addons: tuple[str, ...]
    #: The output targets the engine renders, by their names in `targets.TARGETS`, in the
    #: order their files are listed.
    targets: tuple[str, ...]
    #: A region and machine type for `treeform new`.
    example: Example

    def validate(self, cluster: Cluster) -> Iterable[Issue]:
        """Engine rules beyond the schema, each at the field that breaks it."""
        ...


class Provider(Protocol):
    """One cloud."""

    name: str
    engines: Mapping[str, Engine]
    #: Region name -> its zones, as the cloud names them.
    regions: Mapping[str, tuple[str, ...]]

    def default_zones(self, region: str) -> tuple[str, ...]:
        """The zones a cluster gets when its model names none."""
        ...

    def validate(self, cluster: Cluster) -> Iterable[Issue]:
        """Cloud rules (names, tags, account settings) shared by the cloud's engines."""
        ...

    def cluster_tags(self, cluster: Cluster) -> dict[str, str]:
        """The model's tags plus treeform's `CLUSTER_TAG`, as the cloud writes them (GCP:
        converted to labels): what the engines tag resources with, and what the cloud's tag
        limits count."""
        ...
