"""Generate's runner (and validate's, and what `--check` and `diff` compare): incremental
and forking, the same bytes as the plain pipeline (`pipeline`).

A cluster whose fingerprint (its bytes, the defaults above it, treeform's code) and files
are as the last generate left them is reused as it is, decided in this process before any
worker is forked; the others are validated and rendered, in worker processes when there are
many and the machine has more than one core, and each cluster's files go to the stager as
soon as they are rendered (so memory holds one cluster's texts, not the tree's).
`write_generated` is `treeform generate`: the lock, the transaction, this run, the commit.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from contextlib import AbstractContextManager as ContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from treeform import limits, versions
from treeform.atlantis import ATLANTIS_FILE, atlantis_fingerprint, render_atlantis
from treeform.cache import ValidClusters
from treeform.errors import Issue, Location, ModelError, OutputError, as_warning
from treeform.fileindex import IndexWriter, Meta, SourceIndex, file_meta
from treeform.fingerprint import cluster_fingerprint, code_fingerprint
from treeform.forking import cores, in_two
from treeform.journal import Transaction
from treeform.layout import MODEL_RECORD, directories_of
from treeform.lock import output_lock
from treeform.manifest import ClusterRecord, ManifestSpool
from treeform.model import Cluster, build_cluster
from treeform.pipeline import (
    in_scope,
    model_record,
    recorded_ids,
    render_cluster,
    selected_ids,
)
from treeform.providers import PROVIDERS
from treeform.render import Renderer
from treeform.settings import AtlantisSettings, Settings, load_settings
from treeform.staging import Plan, Staged, Stager, intact_digests
from treeform.stamp import OutputLook
from treeform.tree import ClusterFile, Provenance, RawCluster, Tree, scan_tree
from treeform.validate import StateClaim, shared_state_issues, state_claim, validate_each

#: Below this many clusters to render, worker processes cost more than they save.
PARALLEL_THRESHOLD = 100
#: Clusters per unit of work (and per step of the progress bar).
CHUNK = 25


@dataclass
class Rendered:
    """What a generate writes (or would write) into an output directory."""

    plan: Plan
    #: The ids of the clusters in scope (all, or those `--only` selects).
    selected: list[str]
    #: Where each value of a rendered cluster was set (kept only for a diff).
    provenance: dict[str, Provenance] = field(default_factory=dict)
    reused: int = 0
    rendered: int = 0
    #: A writing run: the new file index (see fileindex), put in place after the commit.
    noter: IndexWriter | None = None
    #: Files swapped in at commit, by cluster ("": repository files), noted after it.
    swapped: list[tuple[str, list[Staged]]] = field(default_factory=list)
    #: Warnings about valid clusters (FILE:LINE:COLUMN, like issues), for stderr.
    warnings: list[Issue] = field(default_factory=list)
    #: A run over the whole tree, for its stamp (see `stamp`): the tree, the output's files
    #: (each cluster's, by one copy of each layout, then atlantis.yaml's) and what the run
    #: saw of them, the Atlantis settings; `wrote`: the commit changed OUT.
    tree: Tree | None = None
    layouts: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    look: OutputLook | None = None
    atlantis: AtlantisSettings | None = None
    wrote: bool = True


@dataclass
class _Context:
    """What every process of a run needs, set before the workers are forked (they share
    it): the tree, the stager taking each cluster's files, the last generate's records."""

    tree: Tree
    stager: Stager | None  # None: validate only
    previous: dict[str, ClusterRecord]
    chosen: AbstractSet[str]
    reuse: bool
    #: validate: the fingerprints of clusters the last run found valid (their states).
    known: dict[str, str | None] = field(default_factory=dict)
    renderer: Renderer | None = None
    #: The limits that differ from their defaults: part of every fingerprint.
    limits: str = field(default_factory=limits.signature)
    #: What the last run saw of the cluster files (their digests), None: the cache is off.
    sources: SourceIndex | None = None


@dataclass
class _Outcome:
    """One cluster's part of a run (small: it travels back from a worker process)."""

    id: str
    issues: list[Issue]
    valid: bool = False
    record: ClusterRecord | None = None
    staged: list[Staged] = field(default_factory=list)
    claim: StateClaim | None = None
    reused: bool = False
    texts: dict[str, str] | None = None
    provenance: Provenance | None = None
    fingerprint: str = ""
    #: A reused cluster: its files for the file index, when the index's line is not kept.
    noted: list[tuple[str, str, Meta | None]] | None = None
    #: A reused cluster the index vouched for: its files' metadata (see `staging.Intact`).
    numbers: list[int] | None = None
    warnings: list[Issue] = field(default_factory=list)
    #: What the source index should note of the cluster's file: "" the line it has, None
    #: nothing (racy, unreadable, or the cache is off).
    source: str | None = None


_CONTEXT: _Context | None = None


def _process(chunk: list[ClusterFile]) -> list[_Outcome]:
    """Load, validate, render and stage a batch of clusters (in a worker process or in this
    one), none of which could be reused (see `_early`). Only one cluster's texts are held
    at a time, unless for a diff."""
    ctx = _CONTEXT
    assert ctx is not None
    if ctx.renderer is None:
        ctx.renderer = Renderer()
    return [_process_one(ctx, cluster_file) for cluster_file in chunk]


def _fingerprint(
    ctx: _Context, cluster_file: ClusterFile, source_sha256: str
) -> tuple[str, list[Issue]]:
    """The cluster's fingerprint (its bytes, the defaults and extra Terraform files that
    apply, treeform itself), and the problems of extra Terraform files that cannot be read."""
    chain = ctx.tree.chains.get(cluster_file.directory or "", "") + ctx.limits
    _, terraform_digest, unreadable = ctx.tree.read_terraform(cluster_file)
    fingerprint = cluster_fingerprint(
        cluster_file.id, chain + versions.fingerprint_salt(), source_sha256, terraform_digest
    )
    return fingerprint, unreadable


def _read(ctx: _Context, cluster_file: ClusterFile) -> tuple[bytes | Issue, str, str | None]:
    """The bytes of a cluster's file (or why they cannot be read), their sha256, and what
    the source index should note of it (see `_Outcome.source`)."""
    looked = SourceIndex.looked_at(cluster_file.path) if ctx.sources is not None else None
    source = ctx.tree.read(cluster_file)  # after the look: an edit meanwhile shows later
    if isinstance(source, Issue):
        return source, "", None
    sha = hashlib.sha256(source).hexdigest()
    return source, sha, SourceIndex.line(looked, sha) if looked is not None else None


def _early(ctx: _Context, cluster_file: ClusterFile) -> _Outcome | None:
    """The outcome of a cluster that needs no work, decided in this process before any
    worker is started: its fingerprint and files are as the last generate left them
    (reused), or `validate` found the same bytes valid in its last run. None: it must be
    read (or could not be: that is reported when it is processed). The file is not even
    read when the source index vouches for its digest."""
    cid = cluster_file.id
    sha = ctx.sources.digest(cid, cluster_file.path) if ctx.sources is not None else None
    noted: str | None = ""  # the source index's line is right
    if sha is None:
        source, sha, noted = _read(ctx, cluster_file)
        if isinstance(source, Issue):
            return None
    fingerprint, unreadable = _fingerprint(ctx, cluster_file, sha)
    if unreadable:
        return None  # reported when it is processed
    if fingerprint in ctx.known and cluster_file.directory is not None:
        # validate: the same bytes under the same code were valid in the last run.
        state = ctx.known[fingerprint]
        claim = None if state is None else StateClaim(state, cid, cluster_file.shown, False, None)
        return _Outcome(
            cid, [], True, claim=claim, reused=True, fingerprint=fingerprint, source=noted
        )
    stager = ctx.stager
    before = ctx.previous.get(cid)
    if stager is None or before is None or before.fingerprint != fingerprint or not ctx.reuse:
        return None
    # The same bytes under the same code: valid before, valid now; not even parsed.
    intact = None
    if cid in ctx.chosen:
        intact = intact_digests(
            stager.root, before.files, stager.owned, stager.index, cid, jail=stager.jail
        )
        if intact is None:
            return None  # a file is missing or differs: render it again
    claim = None
    if before.state is not None:
        claim = StateClaim(before.state, cid, cluster_file.shown, False, None)
    # Its files' digests are the manifest's: the parent has them already; what the file
    # index should note of them comes back when it is not what the index has.
    entries = intact.entries if intact is not None else None
    return _Outcome(
        cid,
        [],
        True,
        claim=claim,
        reused=True,
        fingerprint=fingerprint,
        noted=entries,
        numbers=intact.numbers if intact is not None else None,
        source=noted,
    )


def _process_one(ctx: _Context, cluster_file: ClusterFile) -> _Outcome:
    source, sha, noted = _read(ctx, cluster_file)
    if isinstance(source, Issue):
        return _Outcome(cluster_file.id, [source])
    outcome = _process_read(ctx, cluster_file, source, sha)
    outcome.source = noted
    return outcome


def _process_read(ctx: _Context, cluster_file: ClusterFile, source: bytes, sha: str) -> _Outcome:
    stager = ctx.stager
    cid = cluster_file.id
    chosen = cid in ctx.chosen
    fingerprint, unreadable = _fingerprint(ctx, cluster_file, sha)
    if unreadable:
        return _Outcome(cid, unreadable)
    before = ctx.previous.get(cid)
    raw, issues = ctx.tree.load(cluster_file, source)
    if raw is None:
        return _Outcome(cid, issues)
    clusters, issues = validate_each([raw])
    # A cluster left out by --only keeps its files and record as they are.
    outcome = _Outcome(cid, issues, record=None if chosen else before)
    if not clusters:
        return outcome
    cluster = clusters[0]
    if stager is not None and chosen and before is not None:
        # One minor at a time, from the version the last generate rendered.
        engine = PROVIDERS[cluster.cloud].engines[cluster.engine]
        recorded = _recorded_versions(stager, cid)
        if isinstance(recorded, Issue):
            cluster.warnings.append(recorded)
        elif recorded is not None:
            outcome.issues.extend(versions.upgrade_issues(cluster, engine, recorded))
            if outcome.issues:
                return outcome
    assert ctx.renderer is not None
    files = None
    if cluster.terraform or (stager is not None and chosen):
        # Extra Terraform whose name a generated file takes is an error: rendering finds it.
        try:
            files = render_cluster(cluster, ctx.renderer)
        except ModelError as exc:
            outcome.issues = [*outcome.issues, *exc.issues]
            return outcome
    outcome.warnings = list(cluster.warnings)
    outcome.valid = True
    outcome.fingerprint = fingerprint
    outcome.claim = state_claim(cluster)
    if stager is None or not chosen or files is None:
        return outcome
    files[f"{cid}/{MODEL_RECORD}"] = model_record(cluster)
    outcome.staged = stager.stage_all(files)
    state = outcome.claim.address if outcome.claim is not None else None
    # A cluster with warnings is rendered again by the next run, which warns again.
    recorded_fingerprint = "" if outcome.warnings else fingerprint
    outcome.record = ClusterRecord(recorded_fingerprint, [s.rel for s in outcome.staged], state)
    if stager.for_diff:
        outcome.texts = files
        outcome.provenance = raw.provenance
    return outcome


#: A model record larger than this is not one generate wrote.
_MAX_RECORD = 4 << 20


def _recorded_versions(
    stager: Stager, cid: str
) -> tuple[str, str, str, dict[str, str]] | Issue | None:
    """The versions the last generate rendered for a cluster, from its model record in the
    output: None when there is no record treeform wrote (a new cluster), a warning when the
    record is there but unreadable (the output is not trusted; the rule is not checked)."""
    import json

    rel = f"{cid}/{MODEL_RECORD}"
    if rel not in stager.owned:
        return None
    where = Issue(Location(f"{stager.root}/{rel}"), "", "")
    if intact_digests(stager.root, [rel], stager.owned, jail=stager.jail) is None:
        message = "edited since treeform wrote it or unreadable"
    else:
        try:
            data = stager.jail.read(rel) or b""
            record = json.loads(data) if len(data) <= _MAX_RECORD else None
        except (OSError, OutputError, ValueError, RecursionError):
            record = None
        found = versions.record_versions(record)
        if found is not None:
            return found
        message = "not a model record treeform wrote"
    return as_warning(
        dataclasses.replace(
            where,
            message=f"{message}; the version it was rendered at is unknown, so the "
            "one-minor-at-a-time rule is not checked for this cluster",
        )
    )


def _workers(n: int, jobs: int | None) -> int:
    """Worker processes for `n` clusters: one per core for many clusters (below the
    threshold, forking costs more than it saves)."""
    if jobs is not None:
        return max(1, jobs)
    if n < PARALLEL_THRESHOLD:
        return 1
    return max(1, min(cores(), 8, -(-n // CHUNK)))


def _typed(raw: RawCluster) -> Cluster:
    """The typed cluster of a raw cluster known to be valid (reused: validated before)."""
    provider = PROVIDERS[raw.data["cloud"]]
    return build_cluster(raw, provider.default_zones(raw.data["region"]))


def _run_all(
    ctx: _Context,
    files: list[ClusterFile],
    jobs: int | None,
    progress: Callable[[int], ContextManager[Any]] | None,
) -> Iterator[_Outcome]:
    """Every cluster's outcome, in the order of `files`, from worker processes when there
    are many clusters and more than one core. The progress bar counts the clusters in
    scope."""
    global _CONTEXT
    _CONTEXT = ctx
    try:
        # First, in this process, the clusters that need no work (a generate or validate
        # with little changed is mostly these: workers would cost more than they save, as
        # they would copy this process's memory as they touch it); then the others, in
        # worker processes when there are many, merged back in order.
        early: dict[int, _Outcome] = {}
        rest: list[ClusterFile] = []
        if ctx.previous or ctx.known:
            early = _early_all(ctx, files, jobs)
            rest = [f for i, f in enumerate(files) if i not in early]
        else:  # nothing could be reused: do not read the files twice
            rest = files
        chunks = [rest[i : i + CHUNK] for i in range(0, len(rest), CHUNK)]
        workers = _workers(len(rest), jobs)
        scope = sum(f.id in ctx.chosen for f in files)  # the others are only validated
        with progress(scope) if progress else contextlib.nullcontext() as bar:
            if bar is not None:
                bar.update(sum(o.id in ctx.chosen for o in early.values()))
            with contextlib.ExitStack() as stack:
                if workers > 1:
                    import multiprocessing  # (not needed, not imported, when nothing changed)
                    from concurrent.futures import ProcessPoolExecutor

                    context = multiprocessing.get_context("fork")
                    pool = stack.enter_context(ProcessPoolExecutor(workers, mp_context=context))
                    results: Iterable[list[_Outcome]] = pool.map(_process, chunks)
                else:
                    results = map(_process, chunks)
                rendered = _in_chunks(results, bar, ctx)
                for i in range(len(files)):
                    outcome = early.pop(i, None)
                    yield outcome if outcome is not None else next(rendered)
    finally:
        _CONTEXT = None


#: From this many clusters, the decisions of `_early` are shared with one forked process.
EARLY_SPLIT = 2000


def _early_range(
    ctx: _Context, files: list[ClusterFile], start: int, end: int
) -> dict[int, _Outcome]:
    found = {}
    for i in range(start, end):
        outcome = _early(ctx, files[i])
        if outcome is not None:
            found[i] = outcome
    return found


def _early_all(ctx: _Context, files: list[ClusterFile], jobs: int | None) -> dict[int, _Outcome]:
    """The outcomes `_early` decides, by the index of their file. For a large tree the
    second half is decided by a forked process (most of a run with nothing changed is
    this: looking at every file), see `forking.in_two`."""
    n = len(files)
    if n < EARLY_SPLIT or jobs == 1 or cores() < 2:
        return _early_range(ctx, files, 0, n)
    mine, theirs = in_two(lambda start, end: _early_range(ctx, files, start, end), n)
    mine.update(theirs)
    return mine


def _in_chunks(results: Iterable[list[_Outcome]], bar: Any, ctx: _Context) -> Iterator[_Outcome]:
    for outcomes in results:
        if bar is not None:  # first: the last chunk's outcomes are the last asked for
            bar.update(sum(o.id in ctx.chosen for o in outcomes))
        yield from outcomes


def render_for_output(
    root: Path,
    output: Path,
    display: str | None = None,
    *,
    settings: Settings | None = None,
    only: Sequence[str] = (),
    jobs: int | None = None,
    progress: Callable[[int], ContextManager[Any]] | None = None,
    stager: Stager | None = None,
) -> Rendered:
    """Validate MODEL, render what generate writes into `output` and hand each cluster's
    files to `stager` as they are rendered (by default one that only compares, keeping the
    texts for a diff); raises ModelError listing every issue, or UsageError for an `only`
    that matches nothing. `progress`, given the number of clusters to validate and render,
    returns a context that yields an `update(n)` callable (click's progress bar) or None."""
    tree = scan_tree(root, display)
    settings = settings or load_settings(root, display)
    versions.use_extensions(settings.versions)
    stager = stager or Stager.dry(output, for_diff=True)
    owned = stager.owned
    all_ids = [f.id for f in tree.files]
    # Clusters own their directories, those that left the model too (by their records), so
    # that a file is never taken for one of a cluster whose id is a prefix of its own.
    ids = set(all_ids) | set(recorded_ids(owned)) if only else set()
    chosen = selected_ids(all_ids, only, directories_of(owned) if only else ())
    previous = stager.manifest.clusters
    # A writing run holds nothing per file: the new manifest goes to a spool in the journal,
    # what the file index notes to a file beside it, as each cluster comes in.
    journal = stager.journal
    lean = journal is not None
    # (`--check` and `diff` read every file, the model's too.)
    sources = SourceIndex.of(root) if lean else SourceIndex.off()
    ctx = _Context(tree, stager, previous, chosen, reuse=not tree.issues)
    ctx.sources = sources if sources.path is not None else None
    source_noter = sources.writer()
    code_fingerprint()  # once, before the workers are forked
    issues = list(tree.issues)
    plan = Plan(output, {}, spool=ManifestSpool(stager.jail, stager.manifest) if lean else None)
    noter = stager.index.writer() if lean and stager.index is not None else None
    intact: dict[str, str] = {}  # files of reused clusters: {path: sha256} (not when lean)
    shapes: dict[tuple[str, ...], tuple[str, ...]] = {}  # one copy of each cluster's layout
    layouts: list[tuple[str, tuple[str, ...]]] = []  # (id, file names) for atlantis.yaml
    claims: list[StateClaim | None] = []
    valid: dict[str, str | None] = {}  # fingerprint -> state, for `validate` to reuse
    result = Rendered(plan, [i for i in all_ids if i in chosen], noter=noter)
    # A stamp is noted only with the cache on (the file index's noter), of the whole tree.
    look = OutputLook() if noter is not None and not only else None
    if look is not None:
        result.tree, result.layouts, result.look = tree, layouts, look
        result.atlantis = settings.atlantis

    def lay_out(cid: str, rels: Iterable[str]) -> None:
        cut = len(cid) + 1
        names = tuple([r[cut:] for r in rels])  # atlantis sorts them
        layouts.append((cid, shapes.setdefault(names, names)))

    try:
        for outcome in _run_all(ctx, tree.files, jobs, progress):
            _note_source(source_noter, outcome)
            issues.extend(outcome.issues)
            result.warnings.extend(outcome.warnings)
            cid = outcome.id
            if not outcome.valid:
                if outcome.record is not None and not lean:
                    plan.clusters[cid] = outcome.record
                continue
            claims.append(outcome.claim)
            if not outcome.warnings:  # noted clusters are not read again: no warning then
                valid[outcome.fingerprint] = outcome.claim.address if outcome.claim else None
            if outcome.reused or not outcome.staged:  # reused, or out of scope (--only)
                record = previous[cid] if outcome.reused else outcome.record
                if record is None:
                    continue
                if lean:
                    plan.add_cluster(cid, record)  # its files as the manifest has them
                    if cid in chosen:
                        plan.same += len(record.files)
                else:
                    plan.clusters[cid] = record
                    if outcome.reused and cid in chosen:
                        intact.update((rel, owned[rel]) for rel in record.files if rel in owned)
                if cid in chosen:
                    lay_out(cid, record.files)
                    if look is not None:
                        look.reused(outcome.numbers, outcome.noted)
                if noter is not None:
                    if outcome.noted is None:
                        noter.keep(cid)
                    else:
                        noter.add(cid, outcome.noted)
            else:
                assert outcome.record is not None
                plan.add_cluster(cid, outcome.record, staged=outcome.staged)
                lay_out(cid, [s.rel for s in outcome.staged])
                if look is not None:
                    look.staged(outcome.staged)
                if noter is not None:
                    if any(s.action == "update" for s in outcome.staged):
                        result.swapped.append((cid, outcome.staged))  # noted after commit
                    else:
                        noter.add(cid, [(s.rel, s.sha, s.meta) for s in outcome.staged])
            if outcome.texts is not None:
                plan.files.update(outcome.texts)
            if outcome.provenance is not None:
                result.provenance[cid] = outcome.provenance
            result.reused += outcome.reused
            result.rendered += bool(outcome.staged)
        _finish_sources(source_noter)  # what it notes holds, the model valid or not
        issues.extend(shared_state_issues(claims, _locator(tree)))
        result.warnings = sorted(set(result.warnings))
        if issues:
            raise ModelError(issues, result.warnings)
        ValidClusters.of(root).save(valid)
        del valid, claims
        scope = (lambda rel: in_scope(rel, ids, only)) if only else None
        if settings.atlantis.enabled:
            other_paths = [p for p in owned if not in_scope(p, ids, only)] if only else []
            paths = _Paths(layouts, other_paths)
            cluster_ids = all_ids + recorded_ids(other_paths)
            plan.atlantis = atlantis_fingerprint(paths, cluster_ids, settings.atlantis)
            kept = None
            if plan.atlantis == stager.manifest.atlantis and not stager.for_diff:
                # made from the same: keep it as it is, when it is
                kept = intact_digests(
                    output, [ATLANTIS_FILE], owned, stager.index, "", jail=stager.jail
                )
            if kept is not None:
                intact.update(kept.digests)
                if noter is not None:
                    noter.keep("") if kept.entries is None else noter.add("", kept.entries)
                if look is not None:
                    look.reused(kept.numbers, kept.entries)
                    look.extras.append(ATLANTIS_FILE)
            else:
                text = render_atlantis(paths, cluster_ids, settings.atlantis)
                staged = stager.stage(ATLANTIS_FILE, text)
                plan.add([staged])
                if look is not None:
                    look.staged([staged])
                    look.extras.append(ATLANTIS_FILE)
                if noter is not None:
                    if staged.action == "update":
                        result.swapped.append(("", [staged]))
                    else:
                        noter.add("", [(staged.rel, staged.sha, staged.meta)])
                if stager.for_diff:
                    plan.files[ATLANTIS_FILE] = text
            del paths
        plan.files = dict(sorted(plan.files.items()))
        plan.finish(owned, scope=scope, intact=intact, for_diff=stager.for_diff)
    except BaseException:
        if noter is not None:
            noter.discard()
        if source_noter is not None:
            source_noter.discard()
        raise
    return result


def _note_source(noter: IndexWriter | None, outcome: _Outcome) -> None:
    """The source index's line of one cluster, as the outcome found its file."""
    if noter is None:
        return
    if outcome.source == "":
        noter.keep(outcome.id)
    elif outcome.source is not None:
        noter.line(outcome.id, outcome.source)


def _finish_sources(noter: IndexWriter | None) -> None:
    if noter is not None:
        noter.finish()


class _Paths:
    """The paths of the output's files, made again each time they are gone through (a
    large tree's are never all held): (cluster id, names below it) of each cluster, and
    other paths as they are."""

    def __init__(self, layouts: list[tuple[str, tuple[str, ...]]], others: list[str]) -> None:
        self.layouts = layouts
        self.others = others

    def __iter__(self) -> Iterator[str]:
        for cid, names in self.layouts:
            for name in names:
                yield f"{cid}/{name}"
        yield from self.others


def _note_swapped(rendered: Rendered) -> None:
    """After the commit: the file index notes the files of clusters whose changed files
    were swapped in (a rename sets a file's ctime), with their metadata now, and so does
    the stamp's look at the output."""
    noter = rendered.noter
    if noter is None:
        return
    root = str(rendered.plan.root)
    swapped: dict[str, Meta | None] = {}
    for key, staged in rendered.swapped:
        entries = []
        for s in staged:
            meta = s.meta
            if s.action == "update":
                try:
                    meta = file_meta(os.lstat(f"{root}/{s.rel}"))
                except OSError:
                    meta = None
                swapped[s.rel] = meta
            entries.append((s.rel, s.sha, meta))
        noter.add(key, entries)
    noter.finish()
    if rendered.look is not None:
        rendered.look.swapped_in(swapped)


def check_model(
    root: Path,
    display: str | None = None,
    *,
    only: Sequence[str] = (),
    jobs: int | None = None,
    warnings: list[Issue] | None = None,
) -> list[str]:
    """`treeform validate`: the ids of the valid clusters in scope; raises ModelError listing
    every issue of the tree and of those clusters. Warnings are added to `warnings`."""
    versions.use_extensions(load_settings(root, display).versions)
    found_warnings: list[Issue] = []
    tree = scan_tree(root, display)
    chosen = selected_ids([f.id for f in tree.files], only)
    files = [f for f in tree.files if f.id in chosen]
    cache = ValidClusters.of(root)
    ctx = _Context(tree, None, {}, chosen, reuse=False, known=cache.known)
    sources = SourceIndex.of(root)
    ctx.sources = sources if sources.path is not None else None
    # A run over some clusters would drop the others' lines: it only reads the index.
    source_noter = sources.writer() if not only else None
    code_fingerprint()  # once, before the workers are forked
    issues = list(tree.issues)
    claims: list[StateClaim | None] = []
    valid: dict[str, str | None] = {}  # fingerprint -> state
    ids: list[str] = []
    try:
        for outcome in _run_all(ctx, files, jobs, None):
            _note_source(source_noter, outcome)
            issues.extend(outcome.issues)
            found_warnings.extend(outcome.warnings)
            if outcome.valid:
                claims.append(outcome.claim)
                if not outcome.warnings:  # noted clusters are not read again: no warning then
                    valid[outcome.fingerprint] = outcome.claim.address if outcome.claim else None
                ids.append(outcome.id)
    except BaseException:
        if source_noter is not None:
            source_noter.discard()
        raise
    _finish_sources(source_noter)  # what it notes holds, the model valid or not
    issues.extend(shared_state_issues(claims, _locator(tree)))
    found_warnings = sorted(set(found_warnings))
    if warnings is not None:
        warnings.extend(found_warnings)
    if issues:
        raise ModelError(issues, found_warnings)
    if not only:  # a whole tree: the next run can rely on it
        cache.save(valid)
    return ids


def _locator(tree: Tree) -> Callable[[StateClaim], StateClaim]:
    """For the one-state rule: the full claim of a cluster that was not read in this run
    (reused), read again to point at its backend setting."""
    by_id = {f.id: f for f in tree.files}

    def locate(claim: StateClaim) -> StateClaim:
        raw, _ = tree.load(by_id[claim.id])
        assert raw is not None
        return state_claim(_typed(raw)) or claim

    return locate


def write_generated(
    root: Path,
    output: Path,
    display: str | None = None,
    *,
    force: bool = False,
    **options: Any,
) -> Rendered:
    """`treeform generate`: validate MODEL, render it into `output` and write it, all or
    nothing (each cluster's files are staged as soon as they are rendered; any failure, an
    invalid model included, rolls every one of them back). `options` as for
    `render_for_output`."""
    with output_lock(output):
        transaction = Transaction(output)
        with transaction.running() as stager:
            rendered = render_for_output(root, output, display, stager=stager, **options)
            try:
                rendered.wrote = transaction.commit(rendered.plan, force=force)
            except BaseException:
                if rendered.noter is not None:
                    rendered.noter.discard()
                raise
            _note_swapped(rendered)
    return rendered
