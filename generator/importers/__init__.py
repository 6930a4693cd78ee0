"""`treeform import kops|eksctl`: a model file from a cluster's existing manifests.

`import_cluster` reads the documents, has the tool's importer turn them into a model, fills
the escape hatch where the engine has one, reports what the model cannot express, drops
every field that changes nothing (inherited or default), checks that the file is valid
and, unless it is a dry run, writes it. See `common` for the steps and the rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from treeform.errors import Issue, ModelError, OutputError, UsageError, one_line
from treeform.importers.common import (
    MISSING,
    Difference,
    Outcome,
    Place,
    Source,
    check_cluster_id,
    defaults_layer,
    diff_documents,
    minimize,
    model_text,
    null_fill,
    read_sources,
    write_model_file,
)
from treeform.yamlload import format_path

#: Unexpressed fields listed in the model file's header at most (all are reported).
MAX_LISTED = 40


@dataclass(frozen=True)
class Tool:
    name: str  # as on the command line
    output: str  # the generated file compared with the input
    strict_always: bool  # no escape hatch: what the model cannot say is an error


TOOLS = {
    "kops": Tool("kops", "kops/cluster.yaml", strict_always=False),
    "eksctl": Tool("eksctl", "eksctl/cluster.yaml", strict_always=True),
}


def _documents(text: str) -> list[Any]:
    # Our own output: plain YAML that treeform wrote a moment ago.
    return [d for d in yaml.safe_load_all(text) if d is not None]


@dataclass
class Imported:
    """An import before it is written: the model (not yet minimized), the documents it
    must reproduce, and what could not be said."""

    model: dict[str, Any]
    reference: str  # the compared output of `model`
    differences: list[Difference]
    unexpressed: list[Issue]


def _located(
    diffs: list[Difference],
    sources: dict[tuple[str, str], Source],
    renames: dict[str, str],
    hints: dict[tuple[str, ...], str],
) -> list[Issue]:
    """Each difference as an issue at the input's FILE:LINE."""
    back = {new: old for old, new in renames.items()}
    first = next(iter(sources.values()))
    out = []
    for d in diffs:
        name = back.get(d.name, d.name) if d.kind == "InstanceGroup" else d.name
        source = sources.get((d.kind, name), first)
        ours = _brief(d.ours)
        if not d.path:
            message = (
                "the model cannot express this document"
                if d.ours is MISSING
                else f"treeform writes this {d.kind} too and the model cannot leave it out"
            )
        elif d.theirs is MISSING:
            message = f"treeform writes {ours} here and the model cannot leave it out"
        elif d.ours is MISSING:
            message = "the model cannot express this field"
        else:
            message = f"the model cannot express this value (treeform writes {ours})"
        for pattern, hint in hints.items():
            head = d.path[: len(pattern)]
            if len(head) == len(pattern) and all(
                p in ("*", str(q)) for p, q in zip(pattern, head, strict=True)
            ):
                message += f"; {hint}"
        label = f"{d.kind}/{name}" + (f" {format_path(d.path)}" if d.path else "")
        out.append(Issue(source.where(d.path), label, message))
    return out


def _brief(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 100 else text[:97] + "..."


def _parts(path: str) -> tuple[str, ...]:
    return tuple(p for p in re.split(r"[.\[\]]+", path) if p)


def _settle(
    model: dict[str, Any], place: Place, droppable: tuple[tuple[str, ...], ...]
) -> tuple[dict[str, Any], str]:
    """`model` rendered; where it is invalid at a field the importer may leave to the
    escape hatch or to the report (`droppable`, `*` for any key), without that field."""
    for _ in range(20):
        out, issues = place.render(model)
        if out is not None:
            return model, out
        dropped = False
        for issue in issues:
            parts = _parts(issue.path)
            for pattern in droppable:
                head = parts[: len(pattern)]
                if len(head) == len(pattern) and all(
                    p in ("*", q) for p, q in zip(pattern, head, strict=True)
                ):
                    node: Any = model
                    for part in head[:-1]:
                        node = node.get(part) if isinstance(node, dict) else None
                    if isinstance(node, dict) and head[-1] in node:
                        node = _parent_copy(model, head)
                        del node[head[-1]]
                        dropped = True
                    break
        if not dropped:
            raise ModelError(issues)
    raise ModelError(issues)


def _parent_copy(model: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    node = model
    for part in path[:-1]:
        node[part] = dict(node[part])
        node = node[part]
    return node


def run_import(tool_name: str, sources: list[Source], place: Place) -> Imported:
    """The model of the input documents at `place`, with what it cannot say."""
    if tool_name == "kops":
        from treeform.importers import kops as importer

        ext: Any = importer.Extraction(sources)
    else:
        from treeform.importers import eksctl as importer  # type: ignore[no-redef]

        ext = importer.Extraction(sources)
    try:
        extracted = ext.model()
    except (TypeError, AttributeError, KeyError, ValueError, IndexError) as exc:
        # A shape no check above foresaw: still one located error, never a traceback.
        first = ext.all_sources()[0]
        raise ModelError(
            [first.issue((), f"cannot read this {tool_name} document: {type(exc).__name__}")]
        ) from None
    model = null_fill(extracted, place.layer.data, importer.OWNED)
    model, out = _settle(model, place, importer.DROPPABLE)
    if tool_name == "kops":
        hatched = importer.with_hatch(model, ext, _documents(out), place)
        hatched_out, hatched_issues = place.render(hatched)
        if hatched_out is None:
            raise ModelError(hatched_issues)
        model, out = hatched, hatched_out
    theirs = [s.data for s in ext.all_sources()]
    renames = getattr(ext, "renames", {})
    diffs = diff_documents(theirs, _documents(out), importer.ALLOWED, renames)
    sources_by_key = {(s.data["kind"], s.data["metadata"]["name"]): s for s in ext.all_sources()}
    unexpressed = list(ext.notes) + _located(diffs, sources_by_key, renames, importer.HINTS)
    return Imported(model, out, diffs, unexpressed)


def _footer(tool: str, files: Iterable[str], unexpressed: list[Issue]) -> list[str]:
    lines = [f"From `treeform import {tool} {' '.join(files)}`."]
    if unexpressed:
        lines.append(
            f"{len(unexpressed)} field(s) of the input the model cannot express, not in this file:"
        )
        for issue in sorted(set(unexpressed))[:MAX_LISTED]:
            lines.append(f"  {issue}")
        if len(unexpressed) > MAX_LISTED:
            lines.append(f"  ... and {len(unexpressed) - MAX_LISTED} more")
    return [one_line(line) for line in lines]


def import_cluster(
    tool_name: str,
    files: Iterable[Path],
    root: Path,
    cluster_id: str,
    *,
    root_display: str | None = None,
    strict: bool = False,
    force: bool = False,
    dry_run: bool = False,
) -> Outcome:
    """Import the documents in `files` as cluster `cluster_id` of the model at `root`."""
    tool = TOOLS[tool_name]
    cluster_id = check_cluster_id(cluster_id)
    shown_root = str(root) if root_display is None else root_display
    target = root / f"{cluster_id}.yaml"
    shown = (
        f"{cluster_id}.yaml"
        if shown_root in ("", ".")
        else f"{shown_root.rstrip('/')}/{cluster_id}.yaml"
    )
    if not root.is_dir():
        raise UsageError(f"{shown_root}: the model root is not a directory")
    real_root = root.resolve()
    existing = target.parent
    while not existing.exists() and existing != root:
        existing = existing.parent
    if not existing.resolve().is_relative_to(real_root):
        raise UsageError(f"{shown}: a directory on the way leads outside the model root")
    if not dry_run and target.exists() and not force:
        raise OutputError(f"{target}: exists already; --force overwrites it")
    paths = list(files)
    sources = read_sources(paths)
    layer = defaults_layer(root, cluster_id, shown_root)
    place = Place(root, cluster_id, shown, layer, tool.output)
    imported = run_import(tool_name, sources, place)
    if imported.unexpressed and (strict or tool.strict_always):
        raise ModelError(imported.unexpressed)
    model = minimize(imported.model, place)
    text = model_text(model, _footer(tool_name, [str(p) for p in paths], imported.unexpressed))
    # The file as written must pass `treeform validate` and give the same documents.
    from treeform.validate import validate_model

    validate_model([place.raw(text)])
    outcome = Outcome(target, text, sorted(set(imported.unexpressed)))
    if not dry_run:
        write_model_file(target, text, force)
        outcome.written = True
    return outcome
