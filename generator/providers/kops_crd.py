"""The kOps CRD schemas, strict (unknown fields are errors), checked on the documents that
the escape hatches `kops.clusterSpec` and `nodePools.<p>.kops.spec` are merged into.

kOps itself decodes manifests leniently and drops an unknown field without a word; a typo in
a raw spec would then be a setting silently lost. Each problem is reported at the model
field that wrote it (the deepest part of the error's path that the overlay holds), so the
file and line are the ones the user typed. The schemas are copies of the oracle's
(`schemas/kops.SOURCE.md`).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

import jsonschema
from treeform.errors import Issue
from treeform.model import Cluster
from treeform.resources import schemas_dir
from treeform.yamlload import FieldPath

SCHEMA_FILES = {
    "Cluster": "kops.cluster.schema.json",
    "InstanceGroup": "kops.instancegroup.schema.json",
}


@cache
def crd_validator(kind: str) -> Any:
    with (schemas_dir() / SCHEMA_FILES[kind]).open(encoding="utf-8") as fh:
        return jsonschema.Draft202012Validator(json.load(fh))


def _problems(error: Any) -> Iterator[tuple[list[str | int], str, bool]]:
    """(path in the document, message, whether the path ends at a key) of one error."""
    path: list[str | int] = list(error.absolute_path)
    if error.validator == "additionalProperties" and error.validator_value is False:
        known = list(error.schema.get("properties", {}))
        patterns = list(error.schema.get("patternProperties", {}))
        for extra in error.instance:
            if extra in known or any(re.search(p, extra) for p in patterns):
                continue
            hint = difflib.get_close_matches(str(extra), known, n=1)
            if hint:
                message = f"kOps has no field {extra!r} here; did you mean {hint[0]!r}?"
            elif len(known) > 12:
                message = f"kOps has no field {extra!r} here (it takes {len(known)} others)"
            elif known:
                message = f"kOps has no field {extra!r} here; it takes {', '.join(sorted(known))}"
            else:
                message = f"kOps has no field {extra!r} here (this object takes no fields)"
            yield [*path, extra], message, True
        return
    if error.validator in ("anyOf", "oneOf") and error.context:
        inner = sorted({e.message for e in error.context})
        yield path, f"{error.message} ({'; '.join(inner)})", False
        return
    yield path, f"not valid for kOps: {error.message}", False


def _within(overlay: Mapping[str, Any], path: list[str | int]) -> tuple[list[str | int], bool]:
    """The longest prefix of `path` that `overlay` holds, and whether it is all of it."""
    node: Any = overlay
    held: list[str | int] = []
    for part in path:
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return held, False
        held.append(part)
    return held, True


def crd_issues(
    cluster: Cluster,
    document: dict[str, Any],
    overlay: Mapping[str, Any],
    overlay_path: FieldPath,
) -> Iterator[Issue]:
    """Every CRD violation of one document, at the overlay field that causes it."""
    found: list[tuple[list[str | int], str, bool]] = []
    for error in crd_validator(document["kind"]).iter_errors(document):
        found.extend(_problems(error))
    for path, message, at_key in sorted(found, key=lambda p: [str(x) for x in p[0]]):
        in_spec = path[1:] if path[:1] == ["spec"] else path
        held, whole = _within(overlay, in_spec)
        if not whole:  # a generated value the merge made invalid: name it
            shown = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in in_spec)
            message = f"spec{shown}: {message}"
        yield cluster.issue((*overlay_path, *held), message, key=at_key and whole)
