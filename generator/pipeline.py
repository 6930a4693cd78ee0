"""The pipeline the commands share: load the tree, validate it, render every cluster."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from generator.model import Cluster
from generator.providers import PROVIDERS
from generator.render import Renderer
from generator.tree import load_tree
from generator.validate import validate_model


def load_clusters(root: Path, display: str | None = None) -> list[Cluster]:
    """The valid, typed clusters of a model tree; raises ModelError listing every issue."""
    return validate_model(*load_tree(root, display))


def render_cluster(cluster: Cluster, renderer: Renderer) -> dict[str, str]:
    """Every file of one cluster, by its path under the output root."""
    engine = PROVIDERS[cluster.cloud].engines[cluster.engine]
    return {f"{cluster.id}/{rel}": text for rel, text in engine.render(cluster, renderer).items()}


def render_model(clusters: Iterable[Cluster], renderer: Renderer | None = None) -> dict[str, str]:
    renderer = renderer or Renderer()
    files: dict[str, str] = {}
    for cluster in clusters:
        files.update(render_cluster(cluster, renderer))
    return dict(sorted(files.items()))
