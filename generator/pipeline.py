"""The pipeline the commands share: load the tree, validate it, render every cluster.

Two paths give the same bytes. `render_output` renders a list of valid clusters in memory
(the pytest plugin and tests use it through `generate_files`). `render_for_output` is
generate's path: a cluster whose fingerprint (effective model + treeform's code) and files
are as the last generate left them is reused as it is; the others are validated and
rendered, in worker processes when there are many and the machine has more than one core.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from concurrent.futures import ProcessPoolExecutor
from contextlib import AbstractContextManager as ContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.atlantis import ATLANTIS_FILE, owner_of, render_atlantis
from generator.errors import Issue, ModelError, UsageError
from generator.fingerprint import cluster_fingerprint
from generator.model import Cluster, build_cluster
from generator.providers import PROVIDERS
from generator.render import Renderer
from generator.settings import Settings, load_settings
from generator.tree import RawCluster, load_tree
from generator.validate import shared_state_issues, validate_each, validate_model
from generator.writer import (
    ClusterRecord,
    Plan,
    intact_digests,
    plan_output,
    read_cluster_records,
    read_manifest,
)

#: Beside each cluster's output: the effective model it was rendered from, so that `diff`
#: can say which fields changed (see docs/review.md).
MODEL_RECORD = ".treeform-model.json"


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


def model_record(cluster: Cluster) -> str:
    """The effective model of a cluster as JSON (sorted keys, so the bytes are stable)."""
    record = {"id": cluster.id, "model": cluster.data}
    return json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"


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


def directories_of(paths: Iterable[str]) -> set[str]:
    """Every directory above the given paths (`a/b/c.tf` -> `a`, `a/b`)."""
    dirs: set[str] = set()
    for path in paths:
        parts = path.split("/")
        dirs.update("/".join(parts[:i]) for i in range(1, len(parts)))
    return dirs


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


#: Below this many clusters to render, worker processes cost more than they save.
PARALLEL_THRESHOLD = 200
#: Clusters per unit of work (and per step of the progress bar).
CHUNK = 25


@dataclass
class Rendered:
    """What generate writes (but the manifest) and what the manifest records per cluster."""

    files: dict[str, str]
    records: dict[str, ClusterRecord]
    selected: list[RawCluster]
    intact: dict[str, str] = field(default_factory=dict)
    scope: Callable[[str], bool] | None = None
    reused: int = 0
    rendered: int = 0

    def plan(self, output: Path) -> Plan:
        """What writing this into `output` would do."""
        return plan_output(output, self.files, self.records, scope=self.scope, intact=self.intact)


_WORKER_RENDERER: Renderer | None = None


def _validate_and_render(
    job: tuple[list[RawCluster], AbstractSet[str]],
) -> tuple[dict[str, dict[str, str]], list[Issue], list[str], int]:
    """Validate a batch of clusters and render those in `render` (in a worker process or in
    this one): ({cluster id: {path: text}}, issues, ids of the valid clusters, batch size)."""
    global _WORKER_RENDERER
    raws, render = job
    if _WORKER_RENDERER is None:
        _WORKER_RENDERER = Renderer()
    clusters, issues = validate_each(raws)
    out = {}
    for cluster in clusters:
        if cluster.id in render:
            files = render_cluster(cluster, _WORKER_RENDERER)
            files[f"{cluster.id}/{MODEL_RECORD}"] = model_record(cluster)
            out[cluster.id] = files
    return out, issues, [c.id for c in clusters], len(raws)


def _workers(n: int, jobs: int | None) -> int:
    """Worker processes for `n` clusters: more than one only when it pays, that is for many
    clusters and cores that are free (on a busy machine, forking only adds work)."""
    if jobs is not None:
        return max(1, jobs)
    if n < PARALLEL_THRESHOLD:
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    idle = (cores or 1) - (os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0)
    return max(1, min(int(idle + 0.5), 8))


def _typed(raw: RawCluster) -> Cluster:
    """The typed cluster of a raw cluster known to be valid (reused: validated before)."""
    provider = PROVIDERS[raw.data["cloud"]]
    return build_cluster(raw, provider.default_zones(raw.data["region"]))


def render_for_output(
    root: Path,
    output: Path,
    display: str | None = None,
    *,
    settings: Settings | None = None,
    only: Sequence[str] = (),
    jobs: int | None = None,
    progress: Callable[[int], ContextManager[Any]] | None = None,
) -> Rendered:
    """Validate MODEL and render what generate writes into `output`; raises ModelError
    listing every issue, or UsageError for an `only` that matches nothing. `progress`, given
    the number of clusters to validate and render, returns a context that yields an
    `update(n)` callable (click's progress bar) or None."""
    raws, issues = load_tree(root, display)
    settings = settings or load_settings(root, display)
    owned = read_manifest(output) if output.is_dir() else {}
    previous = read_cluster_records(output) if owned else {}
    all_ids = [r.id for r in raws]
    # Clusters own their directories, those that left the model too (by their records), so
    # that a file is never taken for one of a cluster whose id is a prefix of its own.
    ids = set(all_ids) | set(recorded_ids(owned))
    chosen = selected_ids(all_ids, only, directories_of(owned))
    files: dict[str, str] = {}
    intact: dict[str, str] = {}  # files of reused clusters: {path: sha256}
    records: dict[str, ClusterRecord] = {}
    reused: list[RawCluster] = []
    todo: list[RawCluster] = []
    for raw in raws:
        fingerprint = cluster_fingerprint(raw)
        before = previous.get(raw.id)
        if before is not None and before.fingerprint == fingerprint and not issues:
            kept = intact_digests(output, before.files, owned) if raw.id in chosen else {}
            if kept is not None:
                intact.update(kept)
                records[raw.id] = before
                reused.append(raw)
                continue
        todo.append(raw)
        if raw.id in chosen:
            records[raw.id] = ClusterRecord(fingerprint, [])
        elif before is not None:
            records[raw.id] = before  # not rendered: its files and record stay as they are
    chunks = [(todo[i : i + CHUNK], chosen) for i in range(0, len(todo), CHUNK)]
    workers = _workers(len(todo), jobs)
    valid: list[str] = []
    with progress(len(todo)) if progress else contextlib.nullcontext() as bar:
        update = bar.update if bar is not None else None
        if workers > 1:
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(workers, mp_context=context) as pool:
                results = pool.map(_validate_and_render, chunks)
                rendered = _collect(results, files, records, issues, valid, update)
        else:
            results = map(_validate_and_render, chunks)
            rendered = _collect(results, files, records, issues, valid, update)
    by_id = {r.id: r for r in raws}
    checked = [*reused, *(by_id[i] for i in valid)]
    issues.extend(shared_state_issues(_typed(r) for r in sorted(checked, key=lambda r: r.id)))
    if issues:
        raise ModelError(issues)
    scope = (lambda rel: in_scope(rel, ids, only)) if only else None
    if settings.atlantis.enabled:
        other_paths = [p for p in owned if not in_scope(p, ids, only)] if only else []
        files[ATLANTIS_FILE] = render_atlantis(
            [*files, *intact, *other_paths], all_ids + recorded_ids(other_paths), settings.atlantis
        )
    selected = [r for r in raws if r.id in chosen]
    return Rendered(
        files=dict(sorted(files.items())),
        records=records,
        selected=selected,
        intact=intact,
        scope=scope,
        reused=len(reused),
        rendered=rendered,
    )


def _collect(
    results: Iterable[tuple[dict[str, dict[str, str]], list[Issue], list[str], int]],
    files: dict[str, str],
    records: dict[str, ClusterRecord],
    issues: list[Issue],
    valid: list[str],
    progress: Callable[[int], None] | None,
) -> int:
    rendered = 0
    for by_cluster, found, ok, size in results:
        for cluster_id, cluster_files in by_cluster.items():
            files.update(cluster_files)
            records[cluster_id] = ClusterRecord(
                records[cluster_id].fingerprint, sorted(cluster_files)
            )
            rendered += 1
        issues.extend(found)
        valid.extend(ok)
        if progress is not None:
            progress(size)
    return rendered
