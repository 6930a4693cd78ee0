"""`treeform diff`: what a change of the model does, as one unified diff (`unified_diff`, the
text format), or cluster by cluster, for a pull-request comment (markdown) or a machine (json).

The old side is an output directory: its files, and beside each cluster the effective model
it was rendered from (`ID/.treeform-model.json`, written by generate). The new side is the
model as it is now, rendered in memory. Only clusters whose model or files change are named.
"""

from __future__ import annotations

import difflib
import html
import json
import re
import shutil
import subprocess
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

from treeform.atlantis import owner_of
from treeform.errors import UsageError
from treeform.layout import MODEL_RECORD
from treeform.replacements import replacement_for
from treeform.staging import Plan
from treeform.tree import Provenance
from treeform.yamlload import FieldPath, format_path

#: GitHub refuses comments over 65536 characters; leave room for what CI adds around ours.
DEFAULT_MAX_CHARS = 60_000
#: Changing one of these makes the engines create a new cluster and destroy the old one.
REPLACING_FIELDS = ("cloud", "engine", "region", "name")
_ABSENT = "(unset)"


@dataclass
class FieldChange:
    path: str
    old: Any  # None with old_set False when the field was not set
    new: Any
    old_set: bool = True
    new_set: bool = True
    where: str = ""  # the file:line that sets the new value


@dataclass
class VersionChange:
    old: str
    new: str
    kind: str  # upgrade | downgrade
    note: str = ""


@dataclass
class PoolVersionChange:
    """A node pool whose Kubernetes version changes: with the control plane (it follows), or
    on its own (`nodePools.<p>.kubernetesVersion`)."""

    pools: list[str]
    old: str
    new: str


@dataclass
class HeldBack:
    """A node pool kept below its control plane (`nodePools.<p>.kubernetesVersion`)."""

    pool: str
    version: str
    control_plane: str


@dataclass
class FileChange:
    path: str  # relative to the cluster's output directory (or to the output root)
    status: str  # added | changed | removed
    added: int
    removed: int
    diff: str = field(repr=False, default="")


@dataclass
class ReplacementWarning:
    """A field change that replaces a resource (see treeform.replacements)."""

    path: str
    old: Any
    new: Any
    replaces: str
    loses: str


@dataclass
class ClusterReview:
    id: str
    status: str  # added | changed | removed
    model_known: bool  # False when the old output recorded no model for the cluster
    fields: list[FieldChange] = field(default_factory=list)
    pools_added: list[str] = field(default_factory=list)
    pools_removed: list[str] = field(default_factory=list)
    version: VersionChange | None = None
    pool_versions: list[PoolVersionChange] = field(default_factory=list)
    held_back: list[HeldBack] = field(default_factory=list)
    replaced_by: list[str] = field(default_factory=list)
    files: list[FileChange] = field(default_factory=list)
    replacements: list[ReplacementWarning] = field(default_factory=list)
    #: For a new cluster: its key values (cloud, engine, region, network, pools, ...).
    key_values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Review:
    clusters: list[ClusterReview]
    other_files: list[FileChange]
    unchanged_clusters: int
    base: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.clusters or self.other_files)


# -- building the review ---------------------------------------------------------------------


def _leaves(value: Any, path: FieldPath) -> dict[FieldPath, Any]:
    if isinstance(value, dict) and value:
        out: dict[FieldPath, Any] = {}
        for key, child in value.items():
            out.update(_leaves(child, (*path, key)))
        return out
    return {path: value}


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version)[:3])


def _version_change(old: Any, new: Any) -> VersionChange | None:
    if not isinstance(old, str) or not isinstance(new, str) or old == new:
        return None
    a, b = _version_key(old), _version_key(new)
    if a == b:
        return None
    if b < a:
        return VersionChange(old, new, "downgrade", "Kubernetes cannot be downgraded in place")
    note = ""
    if len(a) >= 2 and len(b) >= 2 and a[0] == b[0] and b[1] - a[1] > 1:
        note = "skips a minor version; managed control planes upgrade one minor at a time"
    return VersionChange(old, new, "upgrade", note)


def compare_models(
    old: dict[str, Any],
    new: dict[str, Any],
    review: ClusterReview,
    provenance: Provenance | None = None,
) -> None:
    """Fill `review` with the field-by-field changes from `old` to `new` (and where each new
    value is set, given the new model's provenance)."""
    old_pools = old.get("nodePools") or {}
    new_pools = new.get("nodePools") or {}
    review.pools_added = sorted(set(new_pools) - set(old_pools))
    review.pools_removed = sorted(set(old_pools) - set(new_pools))
    whole_pools = {("nodePools", p) for p in review.pools_added + review.pools_removed}
    a, b = _leaves(old, ()), _leaves(new, ())
    for path in sorted(set(a) | set(b), key=lambda p: [str(x) for x in p]):
        if path[:2] in whole_pools or a.get(path, _ABSENT) == b.get(path, _ABSENT):
            continue
        if path in a and path in b and a[path] == b[path]:
            continue
        where = str(provenance.where(path)) if provenance and path in b else ""
        review.fields.append(
            FieldChange(
                format_path(path),
                a.get(path),
                b.get(path),
                old_set=path in a,
                new_set=path in b,
                where=where,
            )
        )
    review.version = _version_change(old.get("kubernetesVersion"), new.get("kubernetesVersion"))
    review.pool_versions, review.held_back = _pool_versions(old, new)
    review.replaced_by = [f for f in REPLACING_FIELDS if f in old and old.get(f) != new.get(f)]
    engine = new.get("engine") if isinstance(new.get("engine"), str) else None
    for change in review.fields:
        row = replacement_for(engine, change.path)
        if row is not None:
            review.replacements.append(
                ReplacementWarning(change.path, change.old, change.new, row.replaces, row.loses)
            )


def _pool_versions(
    old: dict[str, Any], new: dict[str, Any]
) -> tuple[list[PoolVersionChange], list[HeldBack]]:
    """The node pools whose version changes (grouped by change), and those held back in the
    new model. A pool runs its own kubernetesVersion, or the control plane's."""

    def versions_of(model: dict[str, Any]) -> tuple[str | None, dict[str, str]]:
        control = model.get("kubernetesVersion")
        control = control if isinstance(control, str) else None
        pools = model.get("nodePools") if isinstance(model.get("nodePools"), dict) else {}
        out = {}
        for name, pool in (pools or {}).items():
            own = pool.get("kubernetesVersion") if isinstance(pool, dict) else None
            version = own if isinstance(own, str) else control
            if version is not None:
                out[str(name)] = version
        return control, out

    _, before = versions_of(old)
    control, after = versions_of(new)
    changes: dict[tuple[str, str], list[str]] = {}
    for name in sorted(set(before) & set(after)):
        if _version_key(before[name]) != _version_key(after[name]):
            changes.setdefault((before[name], after[name]), []).append(name)
    held = [
        HeldBack(name, version, control)
        for name, version in sorted(after.items())
        if control is not None and _version_key(version)[:2] < _version_key(control)[:2]
    ]
    return [PoolVersionChange(p, a, b) for (a, b), p in sorted(changes.items())], held


def unified_diff(plan: Plan) -> str:
    """Every change of a plan as one unified diff, paths relative to the output root."""
    chunks: list[str] = []
    for rel in sorted(plan.create + plan.update + plan.remove):
        old = plan.old.get(rel, b"").decode(errors="replace").splitlines(keepends=True)
        new = plan.files.get(rel, "").splitlines(keepends=True)
        chunks.extend(
            difflib.unified_diff(
                old,
                new,
                fromfile="/dev/null" if rel in plan.create else f"a/{rel}",
                tofile="/dev/null" if rel in plan.remove else f"b/{rel}",
            )
        )
    return "".join(chunks)


def _file_change(rel: str, shown: str, plan: Plan) -> FileChange:
    old = plan.old.get(rel, b"").decode(errors="replace").splitlines(keepends=True)
    new = plan.files.get(rel, "").splitlines(keepends=True)
    status = "added" if rel in plan.create else "removed" if rel in plan.remove else "changed"
    lines = list(
        difflib.unified_diff(
            old,
            new,
            fromfile="/dev/null" if status == "added" else f"a/{rel}",
            tofile="/dev/null" if status == "removed" else f"b/{rel}",
        )
    )
    text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    added = sum(1 for line in lines[2:] if line.startswith("+"))
    removed = sum(1 for line in lines[2:] if line.startswith("-"))
    return FileChange(shown, status, added, removed, text)


def _record(data: bytes | str | None) -> dict[str, Any] | None:
    if data is None:
        return None
    try:
        record = json.loads(data)
    except ValueError:
        return None
    model = record.get("model") if isinstance(record, dict) else None
    return model if isinstance(model, dict) else None


#: What a reviewer checks first in a new cluster, in this order.
KEY_FIELDS = (
    "cloud",
    "engine",
    "region",
    "zones",
    "kubernetesVersion",
    "highAvailability",
    "network.cidr",
    "network.topology",
    "network.existing.networkId",
    "apiServer.public",
    "apiServer.allowedCidrs",
    "backend.type",
)


def key_values(model: dict[str, Any]) -> dict[str, Any]:
    """The key values of a new cluster's model (those it sets), and its node pools as
    `machine type, min-max`."""
    out: dict[str, Any] = {}
    for dotted in KEY_FIELDS:
        value: Any = model
        for part in dotted.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None:
            out[dotted] = value
    pools = model.get("nodePools")
    for name, pool in sorted(pools.items()) if isinstance(pools, dict) else ():
        if not isinstance(pool, dict):
            continue
        kind = pool.get("machineType") or pool.get("machineTypes") or "?"
        kinds = kind if isinstance(kind, str) else "/".join(map(str, kind))
        sizes = f"{pool.get('minSize', '?')}-{pool.get('maxSize', '?')} nodes"
        out[f"nodePools.{name}"] = f"{kinds}, {sizes}{', spot' if pool.get('spot') else ''}"
    return out


def review_plan(
    plan: Plan,
    cluster_ids: Sequence[str],
    provenance: Mapping[str, Provenance],
    base: str | None = None,
) -> Review:
    """The review of a plan; `cluster_ids` are the clusters of the model in scope,
    `provenance` where the values of the rendered ones were set."""
    changed = sorted(plan.create + plan.update + plan.remove)
    old_ids = {
        rel.removesuffix("/" + MODEL_RECORD)
        for rel in [*plan.remove, *plan.old]
        if rel.endswith("/" + MODEL_RECORD)
    }
    ids = set(cluster_ids) | old_ids
    by_cluster: dict[str, list[str]] = {}
    other: list[FileChange] = []
    for rel in changed:
        owner = owner_of(rel, ids)
        if owner is None:
            other.append(_file_change(rel, rel, plan))
        else:
            by_cluster.setdefault(owner, []).append(rel)
    had_files = {owner_of(rel, ids) for rel in [*plan.old, *plan.kept]}
    current = set(cluster_ids)
    reviews = []
    for cid in sorted(ids):
        record = f"{cid}/{MODEL_RECORD}"
        new_model = _record(plan.files.get(record))
        old_model = _record(plan.old.get(record))
        if cid not in current:
            status = "removed"
        elif cid not in had_files:
            status = "added"
        else:
            status = "changed"
        review = ClusterReview(cid, status, model_known=old_model is not None or status == "added")
        if new_model is not None and old_model is not None:
            compare_models(old_model, new_model, review, provenance.get(cid))
        if status == "added" and new_model is not None:
            review.key_values = key_values(new_model)
        review.files = [
            _file_change(rel, rel.removeprefix(cid + "/"), plan)
            for rel in by_cluster.get(cid, [])
            if rel != record
        ]
        if status != "changed" or any(
            (review.files, review.fields, review.pools_added, review.pools_removed)
        ):
            reviews.append(review)
    unchanged = len(current - {r.id for r in reviews})
    return Review(reviews, other, unchanged, base)


# -- the old side from git -------------------------------------------------------------------


def _git(cwd: Path, *args: str) -> bytes:
    if shutil.which("git") is None:
        raise UsageError("--base needs git, which is not on PATH")
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    if proc.returncode != 0:
        message = proc.stderr.decode(errors="replace").strip().splitlines()
        raise UsageError(f"git {' '.join(args)}: {message[-1] if message else 'failed'}")
    return proc.stdout


def output_at_revision(output: Path, rev: str, into: Path) -> Path:
    """A copy of the output directory as committed at git revision `rev`, under `into`.
    Empty when the directory did not exist at that revision."""
    probe = output.resolve()
    while not probe.is_dir():
        probe = probe.parent
    top = Path(_git(probe, "rev-parse", "--show-toplevel").decode().strip())
    rel = output.resolve().relative_to(top).as_posix()
    commit = _git(top, "rev-parse", "--verify", "--end-of-options", f"{rev}^{{commit}}")
    commit_id = commit.decode().strip()
    target = into / "base"
    target.mkdir(parents=True, exist_ok=True)
    listed = _git(top, "ls-tree", "-d", "--name-only", commit_id, "--", rel or ".")
    if rel in ("", ".") or listed.strip():
        tar = _git(top, "archive", "--format=tar", commit_id, "--", rel or ".")
        with tarfile.open(fileobj=BytesIO(tar)) as archive:
            archive.extractall(target, filter="data")
    return target / rel if rel not in ("", ".") else target


# -- formats ---------------------------------------------------------------------------------


def _json_value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def code(text: str) -> str:
    """`text` as a markdown code span that no backtick inside can end; safe in tables."""
    run = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (run + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}".replace("|", "\\|").replace("\n", " ")


def _fenced(text: str, lang: str) -> str:
    run = max((len(m) for m in re.findall(r"^`+", text, flags=re.M)), default=0)
    fence = "`" * max(3, run + 1)
    return f"{fence}{lang}\n{text}{'' if text.endswith(chr(10)) else chr(10)}{fence}\n"


def _field_line(change: FieldChange) -> str:
    old = _json_value(change.old) if change.old_set else _ABSENT
    new = _json_value(change.new) if change.new_set else _ABSENT
    where = f" (set in {code(change.where)})" if change.where else ""
    return f"- {code(change.path)}: {code(old)} → {code(new)}{where}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _lines(change: FileChange) -> str:
    return f"+{change.added} -{change.removed}"


def _files_summary(files: list[FileChange]) -> str:
    counts = {s: sum(1 for f in files if f.status == s) for s in ("added", "changed", "removed")}
    parts = [f"{n} {s}" for s, n in counts.items() if n]
    return ", ".join(parts) or "none"


def _model_summary(review: ClusterReview) -> str:
    if review.status == "added":
        return "new cluster"
    if review.status == "removed":
        return "removed from the model"
    if not review.model_known:
        return "not recorded"
    parts = []
    if review.fields:
        parts.append(_plural(len(review.fields), "field"))
    if review.pools_added:
        parts.append(f"+{_plural(len(review.pools_added), 'pool')}")
    if review.pools_removed:
        parts.append(f"-{_plural(len(review.pools_removed), 'pool')}")
    return ", ".join(parts) or "no change"


def _cluster_body(review: ClusterReview) -> list[str]:
    out = [f"#### {code(review.id)}", ""]
    if review.status == "added":
        out.append("New cluster: its Terraform creates it on the first apply.")
    elif review.status == "removed":
        out.append(
            "**Removed from the model.** Its files are deleted; the cluster itself is not: "
            "run `terraform destroy` in its module before merging if it should go."
        )
    elif not review.model_known:
        out.append(
            "The old output recorded no model for this cluster (generated by an older "
            "treeform); only its files are compared."
        )
    if review.key_values:
        out.extend(["", "Its key values:", ""])
        out.extend(f"- {code(k)}: {code(_shown(v))}" for k, v in review.key_values.items())
    if review.replacements:
        if out[-1] != "":
            out.append("")
        out.extend(_replacement_alert(review.replacements))
    if out[-1] != "":
        out.append("")
    if review.version:
        v = review.version
        arrow = "⬆" if v.kind == "upgrade" else "⬇"
        note = f" ({v.note})" if v.note else ""
        out.append(f"- {arrow} Kubernetes **{v.kind}**: {code(v.old)} → {code(v.new)}{note}")
    for change in review.pool_versions:
        pools = ", ".join(code(p) for p in change.pools)
        up = _version_key(change.new) > _version_key(change.old)
        label = "node pool" if len(change.pools) == 1 else "node pools"
        how = (
            " with the control plane"
            if review.version and change.new == review.version.new
            else " on their own"
            if len(change.pools) > 1
            else " on its own"
        )
        verb = ("upgrade" if up else "downgrade") + ("s" if len(change.pools) == 1 else "")
        out.append(
            f"- {'⬆' if up else '⬇'} {label} {pools} {verb}{how}: "
            f"{code(change.old)} → {code(change.new)}"
        )
    out.extend(
        f"- ⏸ node pool {code(h.pool)} held back at {code(h.version)} "
        f"(control plane {code(h.control_plane)})"
        for h in review.held_back
    )
    out.extend(f"- node pool added: {code(p)}" for p in review.pools_added)
    out.extend(f"- node pool removed: {code(p)}" for p in review.pools_removed)
    out.extend(
        _field_line(c)
        for c in review.fields
        if not (review.version and c.path == "kubernetesVersion")
    )
    out.append("")
    if review.files:
        out.extend(_file_table(review.files))
    return out


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else _json_value(value)


def _replacement_alert(warnings: list[ReplacementWarning]) -> list[str]:
    """A GitHub alert (a blockquote whose first line is `[!WARNING]`; other renderers show a
    plain blockquote): every line starts with `>`, paragraphs are separated by a bare `>`,
    and blank lines around it keep it from swallowing or joining its neighbours."""
    n = len(warnings)
    lines = [
        "> [!WARNING]",
        f"> **{'This change replaces' if n == 1 else f'These {n} changes replace'} "
        "resources**: what they hold is lost unless you move it first.",
        ">",
    ]
    for w in warnings:
        old = _json_value(w.old) if w.old is not None else _ABSENT
        new = _json_value(w.new) if w.new is not None else _ABSENT
        lines.append(
            f"> - {code(w.path)} {code(old)} → {code(new)} replaces {w.replaces}. "
            f"**Lost:** {w.loses}."
        )
    return [*lines, ""]


def _file_table(files: list[FileChange]) -> list[str]:
    rows = ["| file | change | lines |", "|---|---|---|"]
    rows.extend(f"| {code(f.path)} | {f.status} | {_lines(f)} |" for f in files)
    return [*rows, ""]


def _details(change: FileChange) -> str:
    summary = f"<code>{html.escape(change.path)}</code> ({_lines(change)})"
    return f"<details><summary>{summary}</summary>\n\n{_fenced(change.diff, 'diff')}\n</details>\n"


def to_markdown(review: Review, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """The pull-request comment: a summary table, then each affected cluster with its model
    changes, its files and their diffs folded in <details>, within `max_chars`."""
    total = len(review.clusters) + review.unchanged_clusters
    base = f" (compared with the output at {code(review.base)})" if review.base else ""
    if not review.changed:
        return (
            f"### treeform: no cluster changes{base}\n\n"
            f"{_plural(total, 'cluster')}, all unchanged.\n"
        )
    head = [
        f"### treeform: {len(review.clusters)} of {_plural(total, 'cluster')} "
        f"{'changes' if len(review.clusters) == 1 else 'change'}{base}",
        "",
    ]
    table_cut = 0
    if review.clusters:
        head += ["| cluster | model | files |", "|---|---|---|"]
        rows = [
            f"| {code(r.id)} | {_model_summary(r)} | {_files_summary(r.files)} |"
            for r in review.clusters
        ]
        room = max_chars - 800 - sum(len(line) + 1 for line in head)
        shown_rows = 0
        for row in rows:
            room -= len(row) + 1
            if room < 0:
                break
            shown_rows += 1
        head += rows[:shown_rows]
        if shown_rows < len(rows):
            head.append(f"| ... and {_plural(len(rows) - shown_rows, 'more cluster')} | | |")
        table_cut = len(rows) - shown_rows
        head.append("")
    sections: list[tuple[list[str], list[FileChange]]] = [
        (_cluster_body(r), r.files) for r in review.clusters
    ]
    if review.other_files:
        sections.append(
            (["#### Repository files", "", *_file_table(review.other_files)], review.other_files)
        )
    text = "\n".join(head) + "\n"
    reserve = 400  # for the note on what was cut
    shown_sections = []
    cut_clusters = 0
    for body, files in sections:
        chunk = "\n".join(body) + "\n"
        if len(text) + len(chunk) + reserve > max_chars:
            cut_clusters += 1
            continue
        text += chunk
        shown_sections.append((body, files))
    budget = max_chars - reserve - len(text)
    kept: set[int] = set()
    cut_files = cut_lines = 0
    for _, files in shown_sections:
        for f in files:
            size = len(_details(f)) + 1
            if size <= budget:
                kept.add(id(f))
                budget -= size
            else:
                cut_files += 1
                cut_lines += f.added + f.removed
    out = "\n".join(head) + "\n"
    for body, files in shown_sections:
        out += "\n".join(body) + "\n"
        out += "".join(_details(f) + "\n" for f in files if id(f) in kept)
    notes = []
    if review.clusters and table_cut:
        notes.append(f"{_plural(table_cut, 'cluster')} from the table")
    if cut_clusters:
        notes.append(f"the sections of {_plural(cut_clusters, 'cluster')}")
    if cut_files:
        notes.append(f"the diffs of {_plural(cut_files, 'file')} ({_plural(cut_lines, 'line')})")
    if notes:
        out += (
            f"\n_Cut to stay under {max_chars:,} characters: {' and '.join(notes)}. "
            "Run `treeform diff` locally for everything._\n"
        )
    return out


def to_json(review: Review) -> str:
    data = {
        "base": review.base,
        "unchanged_clusters": review.unchanged_clusters,
        "clusters": [asdict(r) for r in review.clusters],
        "other_files": [asdict(f) for f in review.other_files],
    }
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
