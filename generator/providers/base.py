"""The provider interface: what every cloud answers, and what every engine does.

Like Kubernetes' cloud-provider interface, a cloud answers a few questions (its name, its
regions and zones, its naming rules) and each of its engines validates a typed cluster and
renders it to `{relative path: text}`. Everything shared between engines lives in
`treeform.providers.common`; a provider module holds only what differs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from treeform.errors import Issue
from treeform.model import Cluster
from treeform.render import Renderer


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

    def validate(self, cluster: Cluster) -> Iterable[Issue]:
        """Engine rules beyond the schema, each at the field that breaks it."""
        ...

    def render(self, cluster: Cluster, renderer: Renderer) -> dict[str, str]:
        """Every output file of the cluster, relative to the cluster's output directory."""
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
