"""The JSON Schema of one model *file*, derived from the schema of a merged cluster.

A file of the tree is a part of a cluster: `_defaults.yaml` files above it may set any
field, and an explicit `null` removes an inherited key. So an editor checking one file needs
a schema in which every field is optional and may be `null`, and in which an unknown field
is still an error. That schema is computed here from `schemas/cluster.schema.json`, never
written by hand, so that it follows every field added there:

- `required` (and `dependentRequired`, `minProperties`) go: a field may be set above;
- the value of every property of a mapping (named, `additionalProperties`,
  `patternProperties`) may also be `null`: the merge removes that key (a node pool, a tag);
- `oneOf` becomes `anyOf`, `not` and `if` go (and `then`/`else` become the `anyOf` of both):
  they may speak of fields set in another file;
- lists are replaced whole by the merge, never merged, so a list's items keep the cluster
  schema as it is (a taint in a file is a whole taint);
- `additionalProperties: false`, `propertyNames`, types, patterns, bounds, enums and
  descriptions stay, so typos are errors and editors complete values.

The merged cluster is checked against the cluster schema itself (`treeform schema
--effective`), as `validate` does.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

FILE_SCHEMA_ID = "https://treeform.dev/schemas/model-file.schema.json"
#: The `$defs` of the file schema: the cluster schema's, each as a part of a file, under
#: this prefix (the cluster schema's own `$defs` stay, for list items).
_PART = "file_"
#: Keywords that may name fields which another file of the tree sets.
_DROPPED = ("required", "dependentRequired", "minProperties", "not", "if", "then", "else")
#: Keywords whose value is a schema that applies to the value of a mapping key.
_VALUE_MAPS = ("properties", "patternProperties")
#: Keywords whose value is a schema (or a list of schemas) kept as the cluster schema has it.
_WHOLE = ("items", "prefixItems", "contains", "propertyNames")


def _nullable(schema: Any) -> Any:
    """`schema`, also accepting null (the merge's "remove this key")."""
    if not isinstance(schema, dict):
        return schema  # true / false
    out = dict(schema)
    kinds = out.get("type")
    if isinstance(kinds, str) and kinds != "null":
        out["type"] = [kinds, "null"]
    elif isinstance(kinds, list) and "null" not in kinds:
        out["type"] = [*kinds, "null"]
    if "const" in out:
        out["enum"] = [out.pop("const"), None]
    elif "enum" in out and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    for key in ("anyOf", "allOf"):
        if key in out:
            out[key] = [_nullable(branch) for branch in out[key]]
    return out  # a `$ref` to a part of a file is nullable: every part is


def _whole(schema: Any) -> Any:
    """A schema kept as the cluster schema has it (its `$ref`s name the cluster's `$defs`)."""
    return copy.deepcopy(schema)


def _part(schema: Any) -> Any:
    """`schema` as a part of a file: see the module docstring."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _DROPPED or key in ("$schema", "$id", "$defs"):
            continue
        if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
            out[key] = "#/$defs/" + _PART + value.removeprefix("#/$defs/")
        elif key in _VALUE_MAPS and isinstance(value, dict):
            out[key] = {name: _nullable(_part(sub)) for name, sub in value.items()}
        elif key == "additionalProperties" and isinstance(value, dict):
            out[key] = _nullable(_part(value))
        elif key in ("anyOf", "allOf", "oneOf") and isinstance(value, list):
            out["anyOf" if key == "oneOf" else key] = [_part(branch) for branch in value]
        elif key in ("dependentSchemas",) and isinstance(value, dict):
            out[key] = {name: _part(sub) for name, sub in value.items()}
        elif key in _WHOLE:
            out[key] = _whole(value)
        else:
            out[key] = copy.deepcopy(value)
    branches = [schema[k] for k in ("then", "else") if k in schema]
    if "if" in schema and len(branches) == 2:
        out.setdefault("anyOf", [])
        out["anyOf"] = [*out["anyOf"], {"anyOf": [_part(b) for b in branches]}]
    return out


def file_schema_of(cluster: dict[str, Any]) -> dict[str, Any]:
    """The schema of a model file for the cluster schema `cluster`."""
    root = _part(cluster)
    out: dict[str, Any] = {
        "$schema": cluster.get("$schema", "https://json-schema.org/draft/2020-12/schema"),
        "$id": FILE_SCHEMA_ID,
        "title": "A treeform model file",
        "description": (
            "One file of a treeform model tree: a cluster file or a _defaults.yaml. Every "
            "field is optional (a _defaults.yaml above may set it) and null removes an "
            "inherited key; the merged cluster must match the cluster schema "
            "(`treeform schema --effective`)."
        ),
    }
    out.update({k: v for k, v in root.items() if k not in ("title", "description")})
    defs = cluster.get("$defs", {})
    out["$defs"] = {
        **{name: _whole(sub) for name, sub in defs.items()},
        **{_PART + name: _nullable(_part(sub)) for name, sub in defs.items()},
    }
    return out


@cache
def _file_schema() -> dict[str, Any]:
    from treeform.validate import cluster_schema

    return file_schema_of(cluster_schema())


def file_schema() -> dict[str, Any]:
    """The schema of a model file (`treeform schema`), for the cluster schema in use."""
    return copy.deepcopy(_file_schema())
