"""A safe YAML reader that remembers where every value was written.

PyYAML's composer gives every node its start mark; we turn the node graph into plain
Python values ourselves, so that nothing but the standard scalar types is ever built,
duplicate keys are found, and alias expansion is bounded (a "billion laughs" file fails
fast instead of eating the machine).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
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
        self.count(node)
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
        except (yaml.YAMLError, ValueError, KeyError, TypeError, OverflowError):
            # An explicit tag on a text that is not of its type (`!!int abc`).
            kind = node.tag.rpartition(":")[2]
            raise self.fail(
                node, path, f"invalid scalar: {node.value!r} is not a valid {kind} (tag !!{kind})"
            ) from None

    def count(self, node: yaml.Node, n: int = 1) -> None:
        """Count `n` more values against the node limit (aliases and merges included)."""
        self.nodes += n
        if self.nodes > self.max_nodes:
            raise self.fail(
                node,
                (),
                f"the file expands to more than {self.max_nodes} values (an alias bomb?); "
                + limits.YAML_NODES.hint(),
            )

    def mapping_pairs(
        self, node: yaml.MappingNode, path: FieldPath, merging: tuple[int, ...] = ()
    ) -> list[tuple[Any, Any]]:
        """Key/value node pairs, with YAML merge keys (<<) expanded as PyYAML does: explicit
        keys win over merged ones, and of several merged mappings the first that has a key
        wins. Every merged pair counts against the node limit, so a wide or nested merge
        fails fast."""
        explicit: list[tuple[Any, Any]] = []
        groups: list[list[tuple[Any, Any]]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                sources = (
                    value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                )
                group: list[tuple[Any, Any]] = []
                for src in sources:
                    if not isinstance(src, yaml.MappingNode):
                        raise self.fail(src, path, "a merge key (<<) takes a mapping")
                    if id(src) in merging or src is node:
                        raise self.fail(src, path, "a merge key (<<) merges a mapping into itself")
                    pairs = self.mapping_pairs(src, path, (*merging, id(node)))
                    self.count(src, len(pairs))
                    group.extend(pairs)
                groups.append(group)
            else:
                explicit.append((key_node, value_node))
        if not groups:
            return explicit
        seen = {k.value for k, _ in explicit if isinstance(k, yaml.ScalarNode)}
        out = list(explicit)
        for group in reversed(groups):  # a later merge key wins over an earlier one (PyYAML)
            for k, v in group:
                text = k.value if isinstance(k, yaml.ScalarNode) else id(k)
                if text not in seen:
                    seen.add(text)
                    out.append((k, v))
        return out

    def convert_mapping(self, node: yaml.MappingNode, path: FieldPath) -> dict[str, Any]:
        if node.tag != "tag:yaml.org,2002:map":
            raise self.fail(node, path, f"unsupported YAML tag {node.tag}")
        out: dict[str, Any] = {}
        for key_node, value_node in self.mapping_pairs(node, path):
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _SCALAR_TAGS:
                raise self.fail(key_node, path, "mapping keys must be plain strings")
            # A key is the text as written: YAML 1.1 would read `0755`, `on` or `1:30` as
            # 493, true or 90, and a tag, label or pool name is a string.
            key = key_node.value
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


_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def _over_limit(file: str, size: int, max_bytes: int) -> YamlProblem:
    return YamlProblem(
        Issue(
            Location(file),
            "",
            f"the file is {size} bytes, over the limit of {max_bytes}; "
            + limits.FILE_BYTES.hint(size),
        )
    )


def read_yaml_file(path: Path | str, file: str) -> bytes:
    """The bytes of a model file, read without following a symlink (the tree resolves those
    itself) or blocking: anything but a regular file (a FIFO, a device, a socket) is refused
    at once, and the read stops at the size limit, so a file that grows while it is read
    is refused too. Raises OSError for a file that cannot be read, YamlProblem for these."""
    max_bytes = limits.FILE_BYTES.value()
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError as exc:
        if Path(path).is_symlink():
            raise YamlProblem(
                Issue(Location(file), "", "a symbolic link where a regular file must be")
            ) from None
        raise exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a directory" if stat.S_ISDIR(info.st_mode) else "a FIFO, a socket or a device"
            raise YamlProblem(Issue(Location(file), "", f"not a regular file ({kind})"))
        if info.st_size > max_bytes:
            raise _over_limit(file, info.st_size, max_bytes)
        data = os.read(fd, info.st_size + 1)
        if len(data) <= info.st_size:
            return data
        chunks, total = [data], len(data)  # it grows while it is read: up to the limit
        while total <= max_bytes and (chunk := os.read(fd, min(1 << 16, max_bytes + 1 - total))):
            chunks.append(chunk)
            total += len(chunk)
        if total > max_bytes:
            raise YamlProblem(
                Issue(
                    Location(file),
                    "",
                    f"the file grew beyond the limit of {max_bytes} bytes while it was read; "
                    + limits.FILE_BYTES.hint(total),
                )
            )
        return b"".join(chunks)
    finally:
        os.close(fd)


def load_yaml(raw: bytes, file: str) -> Document:
    """Parse one YAML file. Raises YamlProblem with a located issue."""
    docs = _parse(raw, file, single=True)
    return docs[0] if docs else Document(file, None)


def load_yaml_stream(raw: bytes, file: str) -> list[Document]:
    """Parse a file of one or more YAML documents (`---` between them), as kOps and eksctl
    write them: one Document per non-empty document, each with the marks of the whole file.
    The limits of `load_yaml` apply to the file as a whole. Raises YamlProblem."""
    return _parse(raw, file, single=False)


def _parse(raw: bytes, file: str, *, single: bool) -> list[Document]:
    """The documents of a file (`single`: exactly one, or none), every YAML failure turned
    into one located YamlProblem; the node limit counts the whole file."""
    max_bytes = limits.FILE_BYTES.value()
    if len(raw) > max_bytes:
        raise _over_limit(file, len(raw), max_bytes)
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
    docs: list[Document] = []
    nodes = 0
    try:
        for root in _roots(loader, single):
            converter = _Converter(file, loader)
            converter.nodes = nodes
            data = converter.convert(root, ())
            nodes = converter.nodes
            if single or data is not None:
                docs.append(Document(file, data, converter.values, converter.keys))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = str(exc.problem or exc.context or "invalid YAML").strip()
        if exc.context and exc.problem:
            message = f"{exc.context}: {exc.problem}"
        raise YamlProblem(Issue(_loc(file, mark), "", f"YAML syntax error: {message}")) from None
    except yaml.reader.ReaderError as exc:
        # A NUL byte or another control character: at its real line and column.
        position = exc.position if isinstance(exc.position, int) else 0
        if _BaseLoader is not yaml.SafeLoader:  # libyaml counts the bytes of the UTF-8 text
            read = text.encode("utf-8")[:position].decode("utf-8", "replace")
        else:
            read = text[:position]
        line = read.count("\n") + 1
        column = len(read) - (read.rfind("\n") + 1) + 1
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character))
        raise YamlProblem(
            Issue(
                Location(file, line, column),
                "",
                f"YAML syntax error: control character U+{char:04X} is not allowed; "
                "write it as an escape in a double-quoted string",
            )
        ) from None
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
    return docs


def _roots(loader: Any, single: bool) -> Iterator[yaml.Node]:
    """The root nodes of the loader's documents: the one document (none if empty), or each."""
    if single:
        root = loader.get_single_node()
        if root is not None:
            yield root
        return
    while loader.check_node():
        root = loader.get_node()
        if root is not None:
            yield root
