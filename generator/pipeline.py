"""The plain pipeline: load the tree, validate it, render every cluster, in memory.

`render_output` renders a list of valid clusters into every file generate writes (the pytest
plugin and tests use it through `generate_files`); `render_cluster` is one cluster's files.
Generate itself goes through `runner`, which reuses what is unchanged, forks workers and
stages each cluster's files as they are rendered: the same bytes. The selection of clusters
(`--only`) is here, shared by both.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path

from treeform import versions
from treeform.atlantis import ATLANTIS_FILE, owner_of, render_atlantis
from treeform.errors import Issue, Location, ModelError, UsageError
from treeform.jsonout import indented_json
from treeform.layout import MODEL_RECORD, TERRAFORM_DIR
from treeform.model import Cluster
from treeform.providers import PROVIDERS, targets
from treeform.render import Renderer
from treeform.settings import Settings, load_settings
from treeform.tree import load_tree
from treeform.validate import validate_model

__all__ = [
    "MODEL_RECORD",
    "TERRAFORM_DIR",
    "generate_files",
    "in_scope",
    "in_selection",
    "load_clusters",
    "model_record",
    "recorded_ids",
    "render_cluster",
    "render_model",
    "render_output",
    "selected_ids",
]


def load_clusters(root: Path, display: str | None = None) -> list[Cluster]:
    """The valid, typed clusters of a model tree; raises ModelError listing every issue."""
    versions.use_extensions(load_settings(root, display).versions)
    return validate_model(*load_tree(root, display))


def render_cluster(cluster: Cluster, renderer: Renderer) -> dict[str, str]:
    """Every file of one cluster, by its path under the output root: the engine's, and the
    extra Terraform files of the model in its module, unchanged. Raises ModelError where an
    extra file would take the name of a generated one."""
    engine = PROVIDERS[cluster.cloud].engines[cluster.engine]
    own = targets.render_cluster(engine, cluster, renderer)
    files = {f"{cluster.id}/{rel}": text for rel, text in own.items()}
    if cluster.terraform:
        issues = []
        for name, (shown, text) in cluster.terraform.items():
            rel = f"{cluster.id}/{TERRAFORM_DIR}/{name}"
            if rel in files:
                issues.append(
                    Issue(
                        Location(shown),
                        "",
                        f"would replace the generated {TERRAFORM_DIR}/{name} of cluster "
                        f"{cluster.id} ({shown} goes into its module as {name}); rename it "
                        f"(a Terraform override file, {name[:-3]}_override.tf, changes "
                        "generated blocks)",
                    )
                )
            files[rel] = text
        if issues:
            raise ModelError(issues)
    return files


def render_model(clusters: Iterable[Cluster], renderer: Renderer | None = None) -> dict[str, str]:
    renderer = renderer or Renderer()
    files: dict[str, str] = {}
    for cluster in clusters:
        files.update(render_cluster(cluster, renderer))
    return dict(sorted(files.items()))


def model_record(cluster: Cluster) -> str:
    """The effective model of a cluster as JSON (sorted keys, so the bytes are stable)."""
    return indented_json({"id": cluster.id, "model": cluster.data}) + "\n"


def selected_ids(ids: Sequence[str], only: Sequence[str], gone: Iterable[str] = ()) -> set[str]:
    if not only:
        return set(ids)
    names = [*ids, *gone]
    for pattern in only:
        if not any(in_selection(i, [pattern]) for i in names):
            known = sorted(ids)
            shown = ", ".join(known[:20]) + (f", ... ({len(known)} in all)" if known[20:] else "")
            raise UsageError(f"--only {pattern!r} matches no cluster; clusters: {shown}")
    return {i for i in ids if in_selection(i, only)}


def in_selection(cluster_id: str, only: Sequence[str]) -> bool:
    return not only or any(
        fnmatch.fnmatchcase(cluster_id, p.removesuffix(".yaml").removesuffix(".yml")) for p in only
    )


def in_scope(path: str, cluster_ids: AbstractSet[str], only: Sequence[str]) -> bool:
    """Whether an output file is the business of a run restricted to `only`: a file of a
    selected cluster, a repository file (atlantis.yaml), or a file left by a cluster that
    is gone from the model, when a pattern matches where that cluster was."""
    if not only:
        return True
    owner = owner_of(path, cluster_ids)
    if owner is not None:
        return in_selection(owner, only)
    parts = path.split("/")
    if len(parts) == 1:
        return True
    return any(in_selection("/".join(parts[:i]), only) for i in range(1, len(parts)))


def recorded_ids(paths: Iterable[str]) -> list[str]:
    """The clusters whose model record is among `paths` (files of an output directory)."""
    return [p.removesuffix("/" + MODEL_RECORD) for p in paths if p.endswith("/" + MODEL_RECORD)]


def render_output(
    clusters: Sequence[Cluster],
    settings: Settings,
    renderer: Renderer | None = None,
    *,
    only: Sequence[str] = (),
    other_paths: Iterable[str] = (),
    progress: Callable[[Sequence[Cluster]], Iterable[Cluster]] | None = None,
) -> dict[str, str]:
    """Everything generate writes: every selected cluster's files and its model record, and
    the repository files (atlantis.yaml). `other_paths` are the files already in the output
    of clusters left out by `only`, so that atlantis.yaml still lists them."""
    renderer = renderer or Renderer()
    other_paths = list(other_paths)
    selected = [c for c in clusters if in_selection(c.id, only)]
    files: dict[str, str] = {}
    for cluster in progress(selected) if progress else selected:
        files.update(render_cluster(cluster, renderer))
        files[f"{cluster.id}/{MODEL_RECORD}"] = model_record(cluster)
    if settings.atlantis.enabled:
        files[ATLANTIS_FILE] = render_atlantis(
            [*files, *other_paths],
            [c.id for c in clusters] + recorded_ids(other_paths),
            settings.atlantis,
        )
    return dict(sorted(files.items()))


def generate_files(root: Path, display: str | None = None) -> dict[str, str]:
    """Everything `treeform generate` writes for the model tree at `root` (but the
    manifest), by path under the output root."""
    return render_output(load_clusters(root, display), load_settings(root, display))
