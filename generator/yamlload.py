"""A safe YAML reader that remembers where every value was written.

PyYAML's composer gives every node its start mark; we turn the node graph into plain
Python values ourselves, so that nothing but the standard scalar types is ever built,
duplicate keys are found, and alias expansion is bounded (a "billion laughs" file fails
fast instead of eating the machine).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from treeform import limits
from treeform.errors import Issue, Location

FieldPath = tuple[str | int, ...]

_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"


# libyaml's parser when PyYAML was built with it (the wheels are), else the pure-Python one;
# both give nodes with the same marks. Only composition is used: we build values ourselves.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CachedResolver:
    """PyYAML's implicit tag resolution (a few regular expressions per scalar, in Python)
    remembered per scalar text: model trees and manifests repeat the same keys and values.
    For loader and dumper classes whose resolvers never change after they are made."""

    _resolved: dict[tuple[Any, str, tuple[bool, bool]], str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._resolved = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if type(value) is not str or type(implicit) is not tuple:
            return super().resolve(kind, value, implicit)  # type: ignore[misc]
        key = (kind, value, implicit)
        tag = self._resolved.get(key)
        if tag is None:
            tag = super().resolve(kind, value, implicit)  # type: ignore[misc]
            if len(self._resolved) < 1 << 13:  # the common ones; memory must stay flat
                self._resolved[key] = tag
        return tag


class TreeformYamlLoader(CachedResolver, _BaseLoader):  # type: ignore[misc,valid-type]
    """Our own loader class: we never change PyYAML's global loaders."""


@dataclass
class Document:
    """One YAML file: its data and where each value (and each mapping key) was written."""

    file: str
    data: Any
    values: dict[FieldPath, Location] = field(default_factory=dict)
    keys: dict[FieldPath, Location] = field(default_factory=dict)


class YamlProblem(Exception):
    def __init__(self, issue: Issue) -> None:
        super().__init__(str(issue))
        self.issue = issue


def format_path(path: FieldPath) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def _loc(file: str, mark: yaml.Mark | None) -> Location:
    if mark is None:
        return Location(file)
    return Location(file, mark.line + 1, mark.column + 1)


class _Converter:
    def __init__(self, file: str, loader: TreeformYamlLoader) -> None:
        self.file = file
        self.loader = loader
        self.nodes = 0
        # The limits in force for this file (see treeform.limits), read once per file.
        self.max_nodes = limits.YAML_NODES.value()
        self.max_depth = limits.DEPTH.value()
        self.values: dict[FieldPath, Location] = {}
        self.keys: dict[FieldPath, Location] = {}

    def fail(self, node: yaml.Node, path: FieldPath, message: str) -> YamlProblem:
        return YamlProblem(Issue(_loc(self.file, node.start_mark), format_path(path), message))

    def convert(self, node: yaml.Node, path: FieldPath) -> Any:
        self.nodes += 1
        if self.nodes > self.max_nodes:
            raise self.fail(
                node,
                (),
                f"the file expands to more than {self.max_nodes} values (an alias bomb?); "
                + limits.YAML_NODES.hint(),
            )
        if len(path) > self.max_depth:
            raise self.fail(
                node,
                (),
                f"nesting is deeper than {self.max_depth} levels; " + limits.DEPTH.hint(),
            )
        self.values[path] = _loc(self.file, node.start_mark)
        if isinstance(node, yaml.MappingNode):
            return self.convert_mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                raise self.fail(node, path, f"unsupported YAML tag {node.tag}")
            return [self.convert(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        if node.tag == _STR_TAG:
            return node.value  # what the constructor would return, without its dispatch
        if node.tag not in _SCALAR_TAGS:
            if node.tag == "tag:yaml.org,2002:timestamp":
                return str(node.value)
            raise self.fail(node, path, f"unsupported YAML tag {node.tag}")
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            raise self.fail(node, path, f"invalid scalar: {exc}") from None

    def mapping_pairs(self, node: yaml.MappingNode, path: FieldPath) -> list[tuple[Any, Any]]:
        """Key/value node pairs, with YAML merge keys (<<) expanded underneath explicit keys."""
        explicit: list[tuple[Any, Any]] = []
        merged: list[tuple[Any, Any]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                sources = (
                    value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                )
                for src in sources:
                    if not isinstance(src, yaml.MappingNode):
                        raise self.fail(src, path, "a merge key (<<) takes a mapping")
                    merged.extend(self.mapping_pairs(src, path))
            else:
                explicit.append((key_node, value_node))
        if not merged:
            return explicit
        seen = {k.value for k, _ in explicit if isinstance(k, yaml.ScalarNode)}
        return explicit + [(k, v) for k, v in merged if k.value not in seen]

    def convert_mapping(self, node: yaml.MappingNode, path: FieldPath) -> dict[str, Any]:
        if node.tag != "tag:yaml.org,2002:map":
            raise self.fail(node, path, f"unsupported YAML tag {node.tag}")
        out: dict[str, Any] = {}
        for key_node, value_node in self.mapping_pairs(node, path):
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _SCALAR_TAGS:
                raise self.fail(key_node, path, "mapping keys must be plain strings")
            key = self.loader.construct_object(key_node)
            key = "null" if key is None else str(key).lower() if isinstance(key, bool) else key
            key = str(key)
            child = (*path, key)
            if key in out:
                first = self.keys[child]
                raise self.fail(
                    key_node,
                    child,
                    f"duplicate key {key!r} (first set at line {first.line})",
                )
            self.keys[child] = _loc(self.file, key_node.start_mark)
            out[key] = self.convert(value_node, child)
        return out


def load_yaml(raw: bytes, file: str) -> Document:
    """Parse one YAML file. Raises YamlProblem with a located issue."""
    max_bytes = limits.FILE_BYTES.value()
    if len(raw) > max_bytes:
        raise YamlProblem(
            Issue(
                Location(file),
                "",
                f"the file is {len(raw)} bytes, over the limit of {max_bytes}; "
                + limits.FILE_BYTES.hint(len(raw)),
            )
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise YamlProblem(
            Issue(Location(file, line, column), "", f"the file is not UTF-8 ({exc.reason})")
        ) from None
    loader = TreeformYamlLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return Document(file, None)
        converter = _Converter(file, loader)
        data = converter.convert(root, ())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = str(exc.problem or exc.context or "invalid YAML").strip()
        if exc.context and exc.problem:
            message = f"{exc.context}: {exc.problem}"
        raise YamlProblem(Issue(_loc(file, mark), "", f"YAML syntax error: {message}")) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(Issue(Location(file), "", f"YAML error: {exc}")) from None
    except RecursionError:
        raise YamlProblem(
            Issue(
                Location(file),
                "",
                "nesting is deeper than Python can follow; lower "
                f"{limits.DEPTH.env} (now {limits.DEPTH.value()})",
            )
        ) from None
    finally:
        loader.dispose()
    return Document(file, data, converter.values, converter.keys)
