"""`treeform explain`: the effective values of a cluster and the file:line that set each."""

from __future__ import annotations

import json
from typing import Any

from treeform.errors import UsageError
from treeform.tree import RawCluster
from treeform.yamlload import FieldPath, format_path


def _leaves(value: Any, path: FieldPath) -> list[tuple[FieldPath, Any]]:
    if isinstance(value, dict) and value:
        out = []
        for key, child in value.items():
            out.extend(_leaves(child, (*path, key)))
        return out
    return [(path, value)]


def explain_cluster(raw: RawCluster, field: str | None = None) -> str:
    rows = _leaves(raw.data, ())
    if field:
        prefix = field.strip(".")
        rows = [
            (p, v)
            for p, v in rows
            if format_path(p) == prefix or format_path(p).startswith((prefix + ".", prefix + "["))
        ]
        if not rows:
            raise UsageError(f"cluster {raw.id!r} has no field {field!r}")
    lines = []
    for path, value in rows:
        shown = json.dumps(value, ensure_ascii=False)
        lines.append(f"{format_path(path)}: {shown}  # {raw.provenance.where(path)}")
    return "\n".join(lines) + "\n"
