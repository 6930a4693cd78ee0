"""JSON as `json.dumps(..., indent=2)` writes it, faster: treeform writes a model record per
cluster and a manifest listing every file, and the json module indents only in Python."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any


class _Unusual(Exception):
    """A value `indented_json` leaves to the json module."""


def indented_json(value: Any, *, sort_keys: bool = True, ensure_ascii: bool = False) -> str:
    """`json.dumps(value, indent=2, sort_keys=..., ensure_ascii=..., default=str)`, the
    same bytes, about three times faster for plain data (the json module's C encoder does
    not indent; its Python one is a chain of generators)."""
    out: list[str] = []
    encode = (
        json.encoder.encode_basestring_ascii if ensure_ascii else json.encoder.encode_basestring
    )  # the C versions when there are
    try:
        _indent_into(value, "\n", out, encode, sort_keys)
    except _Unusual:
        return json.dumps(
            value, indent=2, sort_keys=sort_keys, ensure_ascii=ensure_ascii, default=str
        )
    return "".join(out)


def _indent_into(
    value: Any, newline: str, out: list[str], encode: Callable[[str], str], sort_keys: bool
) -> None:
    kind = type(value)
    if kind is str:
        out.append(encode(value))
    elif kind is dict:
        if not value:
            out.append("{}")
            return
        inner = newline + "  "
        if any(type(k) is not str for k in value):
            raise _Unusual  # keys json converts (numbers, booleans, null)
        keys = sorted(value) if sort_keys else list(value)
        if all(type(v) is str for v in value.values()):  # a flat table, like the manifest's
            comma = "," + inner
            out.append("{" + inner)
            out.append(comma.join(f"{encode(k)}: {encode(value[k])}" for k in keys))
            out.append(newline + "}")
            return
        sep = "{" + inner
        for key in keys:
            out.append(sep)
            out.append(encode(key))
            out.append(": ")
            _indent_into(value[key], inner, out, encode, sort_keys)
            sep = "," + inner
        out.append(newline + "}")
    elif kind is list or kind is tuple:
        if not value:
            out.append("[]")
            return
        inner = newline + "  "
        if all(type(v) is str for v in value):
            out.append("[" + inner + ("," + inner).join(map(encode, value)) + newline + "]")
            return
        sep = "[" + inner
        for item in value:
            out.append(sep)
            _indent_into(item, inner, out, encode, sort_keys)
            sep = "," + inner
        out.append(newline + "]")
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif kind is int:
        out.append(int.__repr__(value))
    elif kind is float and math.isfinite(value):
        out.append(float.__repr__(value))
    else:
        raise _Unusual
