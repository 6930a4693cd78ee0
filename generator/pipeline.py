"""The pipeline the commands share: load the tree, validate it, render every cluster.

`render_for_output` is generate's path: clusters whose fingerprint and files are as the
last generate left them are reused as they are; the others are validated and rendered, in
worker processes when there are many and the machine has more than one core. The result is
the same bytes whichever way it was computed.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from generator.errors import Issue, ModelError
from generator.fingerprint import cluster_fingerprint
from generator.model import Cluster
from generator.providers import PROVIDERS
from generator.render import Renderer
from generator.tree import RawCluster, load_tree
from generator.validate import validate_model
from generator.writer import ClusterRecord, intact_files, read_cluster_records, read_manifest

#: Below this many clusters to render, worker processes cost more than they save.
PARALLEL_THRESHOLD = 200


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


@dataclass
class Rendered:
    """Every output file, and what the manifest records per cluster."""

    files: dict[str, str]
    clusters: dict[str, ClusterRecord]
    reused: int = 0


_WORKER_RENDERER: Renderer | None = None


def _validate_and_render(raws: list[RawCluster]) -> tuple[dict[str, dict[str, str]], list[Issue]]:
    """Validate and render a batch of clusters (in a worker process or in this one):
    {cluster id: {path: text}}, or the issues found."""
    global _WORKER_RENDERER
    if _WORKER_RENDERER is None:
        _WORKER_RENDERER = Renderer()
    try:
        clusters = validate_model(raws)
    except ModelError as exc:
        return {}, exc.issues
    return {c.id: render_cluster(c, _WORKER_RENDERER) for c in clusters}, []


def _jobs(n: int, jobs: int | None) -> int:
    if jobs is not None:
        return max(1, jobs)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(cores or 1, 8) if n >= PARALLEL_THRESHOLD else 1


def render_for_output(
    root: Path, output: Path, display: str | None = None, jobs: int | None = None
) -> Rendered:
    """Validate and render a model tree for writing into `output`; raises ModelError."""
    raws, issues = load_tree(root, display)
    previous = read_cluster_records(output) if output.is_dir() else {}
    owned = read_manifest(output) if previous else {}
    records: dict[str, ClusterRecord] = {}
    files: dict[str, str] = {}
    todo: list[RawCluster] = []
    for raw in raws:
        fingerprint = cluster_fingerprint(raw)
        before = previous.get(raw.id)
        kept = None
        if before is not None and before.fingerprint == fingerprint and not issues:
            kept = intact_files(output, before.files, owned)
        if kept is not None and before is not None:
            files.update(kept)
            records[raw.id] = before
        else:
            todo.append(raw)
            records[raw.id] = ClusterRecord(fingerprint, [])
    reused = len(raws) - len(todo)
    workers = _jobs(len(todo), jobs)
    if workers > 1:
        batches = [todo[i::workers] for i in range(workers)]
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            results = list(pool.map(_validate_and_render, batches))
    else:
        results = [_validate_and_render(todo)]
    for rendered, found in results:
        for cluster_id, cluster_files in rendered.items():
            files.update(cluster_files)
            records[cluster_id] = ClusterRecord(
                records[cluster_id].fingerprint, sorted(cluster_files)
            )
        issues.extend(found)
    if issues:
        raise ModelError(issues)
    return Rendered(dict(sorted(files.items())), records, reused)
