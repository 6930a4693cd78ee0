"""The one Jinja environment, and the filters through which every user value reaches output.

`hcl` turns any value into an HCL literal and `yaml` into YAML, so that no user value can
change the meaning of a template: quotes, backslashes, control characters, `${` and `%{`
are all escaped. Templates receive plain data and hold only loops and conditionals.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from treeform.cache import cache_dir
from treeform.hclfmt import format_hcl
from treeform.resources import templates_dir
from treeform.yamlload import CachedResolver

if TYPE_CHECKING:  # jinja2 is imported when the first template is rendered
    import jinja2

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*\Z")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f-\x9f\u2028\u2029]|[$%](?=\{)')


def _escape_char(match: re.Match[str]) -> str:
    c = match.group(0)
    if c in "$%":
        return c + c
    return _ESCAPES.get(c) or f"\\u{ord(c):04x}"


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _escape_non_ascii(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def hcl_string(value: str, *, ascii_only: bool = False) -> str:
    """A quoted HCL string literal whose value is exactly `value` (Terraform then applies
    its NFC normalization to every string, as it does to strings written by hand)."""
    body = _NEEDS_ESCAPE.sub(_escape_char, value)
    if ascii_only:
        body = _NON_ASCII.sub(_escape_non_ascii, body)
    return '"' + body + '"'


def hcl_key(key: str) -> str:
    """An object key: bare when it is an identifier (not a keyword an object constructor
    reads: `{ for = 1 }` is a broken for expression), quoted otherwise. Non-ASCII characters
    of a key are escaped: `terraform fmt` aligns the `=` of a map by the grapheme clusters
    of its keys, which only ASCII lets us count without a Unicode segmentation library."""
    if _IDENT.match(key) and key not in ("true", "false", "null", "for"):
        return key
    return hcl_string(key, ascii_only=True)


def hcl(value: Any, inline: bool = False) -> str:
    """Any plain value as an HCL literal. Maps are multi-line unless `inline`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} has no HCL literal")
        return repr(value)
    if isinstance(value, str):
        return hcl_string(value)
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        items = [f"{hcl_key(str(k))} = {hcl(v, inline=True)}" for k, v in value.items()]
        if inline:
            return "{ " + ", ".join(items) + " }"
        return "{\n" + "\n".join(items) + "\n}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(hcl(v, inline=True) for v in value) + "]"
    raise TypeError(f"no HCL literal for {type(value).__name__}")


# libyaml's emitter when PyYAML has it (ten times faster), else the pure-Python one: the two
# write the same text for the same settings.
_BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _YamlDumper(CachedResolver, _BaseDumper):  # type: ignore[misc,valid-type]
    """Our own dumper: never changes PyYAML's global one."""


# Characters a YAML reader treats as line breaks or drops: PyYAML writes them raw in plain
# and single-quoted scalars, where they do not survive a round trip.
_YAML_BREAKS = re.compile("[\x85\u2028\u2029\ufeff]")


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if _YAML_BREAKS.search(value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_YamlDumper.add_representer(str, _represent_str)


def to_yaml(value: Any) -> str:
    """A YAML document (block style) for any plain value; scalars come back on one line."""
    try:
        node = _node(value, set())
    except _NotPlain:
        text = represented_yaml(value)
    else:
        text = yaml.serialize(node, Dumper=_YamlDumper, allow_unicode=True, width=1_000_000)
    if not isinstance(value, Mapping | list | tuple):
        text = text.removesuffix("\n").removesuffix("\n...")
    return text


def represented_yaml(value: Any) -> str:
    """PyYAML's own way from a value to YAML, through its representer."""
    return yaml.dump(
        value,
        Dumper=_YamlDumper,
        default_flow_style=False,
        sort_keys=False,
        allow_unicode=True,
        width=1_000_000,
    )


class _NotPlain(Exception):
    """A value `_node` leaves to PyYAML's representer."""


_TAG = "tag:yaml.org,2002:"


def _node(value: Any, seen: set[int]) -> yaml.Node:
    """The node PyYAML's representer (with our settings) makes of plain data, without its
    per-value dispatch: the emitter then writes the same text, faster.

    Kept because it pays: measured 2026-12-01 on the kOps and eksctl documents of
    `examples/`, 290 us a document against 513 us through the representer with the C
    emitter (about 0.1 s of a 1.6 s first generate of 1,000 clusters); the text is the same,
    property-tested against `represented_yaml`."""
    kind = type(value)
    if kind is str:
        style = '"' if _YAML_BREAKS.search(value) else None
        return yaml.ScalarNode(_TAG + "str", value, style=style)
    if kind is dict or kind is list:
        if id(value) in seen:
            raise _NotPlain  # one object twice: PyYAML writes an anchor and an alias
        seen.add(id(value))
        if kind is list:
            return yaml.SequenceNode(
                _TAG + "seq", [_node(v, seen) for v in value], flow_style=False
            )
        pairs = [(_node(k, seen), _node(v, seen)) for k, v in value.items()]
        return yaml.MappingNode(_TAG + "map", pairs, flow_style=False)
    if value is None:
        return yaml.ScalarNode(_TAG + "null", "null")
    if kind is bool:
        return yaml.ScalarNode(_TAG + "bool", "true" if value else "false")
    if kind is int:
        return yaml.ScalarNode(_TAG + "int", str(value))
    raise _NotPlain  # floats and anything else: the representer knows their forms


def bytecode_cache() -> jinja2.BytecodeCache | None:
    """Templates compiled by an earlier run (compiling treeform's templates costs each
    process more than rendering a hundred clusters), in the cache's `jinja/` folder."""
    import jinja2

    directory = cache_dir("jinja")
    return None if directory is None else jinja2.FileSystemBytecodeCache(str(directory))


class Renderer:
    """Renders templates by name (`aws/eks/cluster.tf.j2`) with the shared filters."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or templates_dir()
        self._listings: dict[str, list[str]] = {}

    @cached_property
    def env(self) -> jinja2.Environment:
        import jinja2

        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(self.root)),
            bytecode_cache=bytecode_cache(),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            autoescape=False,
            auto_reload=False,
        )
        env.filters["hcl"] = hcl
        env.filters["hcl_key"] = hcl_key
        env.filters["yaml"] = to_yaml
        return env

    def render(self, template: str, context: Mapping[str, Any]) -> str:
        text = self.env.get_template(template).render(context)
        if template.endswith(".tf.j2"):
            return format_hcl(text)
        return text

    def render_dir(self, folder: str, context: Mapping[str, Any]) -> dict[str, str]:
        """Every `*.j2` template of a folder, named by the file it becomes; empty results
        (a template with nothing to say for this cluster) are left out."""
        out = {}
        for name in self._listing(folder):
            text = self.render(f"{folder}/{name}", context)
            if text.strip():
                out[name.removesuffix(".j2")] = text
        return out

    def _listing(self, folder: str) -> list[str]:
        """The templates of a folder, listed once per renderer."""
        names = self._listings.get(folder)
        if names is None:
            names = sorted(p.name for p in (self.root / folder).glob("*.j2"))
            self._listings[folder] = names
        return names
