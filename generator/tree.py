"""Load a model tree and merge it into one effective document per cluster.

The tree: `_defaults.yaml` in any directory applies to every cluster at or below it; every
other `*.yaml` / `*.yml` is one cluster whose id is its path without the extension.
Mappings merge key by key, scalars and lists from the deeper file replace, `null` removes.
Every effective value keeps the location of the file and line that set it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from treeform import limits
from treeform.errors import Issue, Location, ModelError, UsageError
from treeform.yamlload import (
    Document,
    FieldPath,
    YamlProblem,
    format_path,
    load_yaml,
    read_yaml_file,
)

DEFAULTS_FILE = "_defaults.yaml"
CLUSTER_SUFFIXES = (".yaml", ".yml")
#: Extra Terraform beside the model: `<cluster>.<name>.tf` goes into that cluster's module,
#: `_defaults.<name>.tf` into every cluster module at or below its directory, as `<name>.tf`.
TERRAFORM_SUFFIX = ".tf"
DEFAULTS_STEM = "_defaults"


@dataclass
class Provenance:
    """Where each effective value (and each mapping key) of a cluster was written."""

    values: dict[FieldPath, Location] = field(default_factory=dict)
    keys: dict[FieldPath, Location] = field(default_factory=dict)
    fallback: Location = field(default_factory=lambda: Location("?"))

    def where(self, path: FieldPath, *, key: bool = False) -> Location:
        """The location that set `path`, or of its nearest ancestor that was set."""
        table = self.keys if key else self.values
        probe = tuple(path)
        while True:
            if probe in table:
                return table[probe]
            if key and probe in self.values:
                return self.values[probe]
            if not probe:
                return self.fallback
            probe = probe[:-1]

    def copy(self) -> Provenance:
        return Provenance(dict(self.values), dict(self.keys), self.fallback)


@dataclass
class RawCluster:
    """One cluster's effective model as plain data, before validation."""

    id: str
    file: str
    data: dict[str, Any]
    provenance: Provenance
    #: Extra Terraform files for the cluster's module: `<name>.tf` -> (its model file, text).
    terraform: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass
class _Layer:
    data: dict[str, Any]
    provenance: Provenance


def _drop_under(table: dict[FieldPath, Location], path: FieldPath) -> None:
    n = len(path)
    for p in [p for p in table if p[:n] == path]:
        del table[p]


def merge_into(base: _Layer, doc: Document) -> _Layer:
    """A new layer: `doc` merged over `base` by the rules of the model."""
    data = _merge_value(base.data, doc.data, (), base.provenance, doc)
    return _Layer(data, base.provenance)


def _merge_value(base: Any, over: Any, path: FieldPath, prov: Provenance, doc: Document) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            child = (*path, key)
            if value is None:
                out.pop(key, None)
                _drop_under(prov.values, child)
                _drop_under(prov.keys, child)
                if path in doc.values:  # the mapping is now as this file left it
                    prov.values[path] = doc.values[path]
                continue
            if key in out and isinstance(out[key], dict) and isinstance(value, dict):
                if child in doc.keys:
                    prov.keys[child] = doc.keys[child]
                out[key] = _merge_value(out[key], value, child, prov, doc)
            else:
                _drop_under(prov.values, child)
                _drop_under(prov.keys, child)
                n = len(child)
                for table, source in ((prov.values, doc.values), (prov.keys, doc.keys)):
                    for p, loc in source.items():
                        if p[:n] == child:
                            table[p] = loc
                out[key] = value
        return out
    return over


def _display(root_display: str, rel: str) -> str:
    return rel if root_display in ("", ".") else f"{root_display.rstrip('/')}/{rel}"


#: Characters a file name of the tree may not hold: they would end a line of a report, an
#: id or a path in atlantis.yaml.
_BAD_NAME_CHARS = frozenset([chr(c) for c in range(0x20)] + ["\x7f", "\x85", "\u2028", "\u2029"])


def _bad_name(name: str) -> str | None:
    """Why a file name of the tree cannot be used, or None."""
    if not name.isascii():
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            return "the file name is not UTF-8; rename it"
    if not _BAD_NAME_CHARS.isdisjoint(name):
        return "the file name holds a line break or a control character; rename it"
    return None


def _walk(
    root: Path, root_display: str, issues: list[Issue], walked: _Walked | None = None
) -> Iterator[tuple[str, str]]:
    """Yield (relative posix path, real path) of every YAML file, refusing escapes, names
    that cannot be shown or used, and anything but regular files and directories. `walked`
    notes the directories listed, and whether a symlink was met."""
    real_root = root.resolve()
    seen_dirs: set[Path] = set()

    def visit(directory: Path, rel: str) -> Iterator[tuple[str, str]]:
        real = directory.resolve()
        if real in seen_dirs:
            issues.append(
                Issue(Location(_display(root_display, rel or ".")), "", "symlink loop in the tree")
            )
            return
        seen_dirs.add(real)
        if walked is not None:
            walked.directories.append(rel)
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            issues.append(
                Issue(Location(_display(root_display, rel or ".")), "", f"cannot read: {exc}")
            )
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            child_rel = f"{rel}/{entry.name}" if rel else entry.name
            why = _bad_name(entry.name)
            if why is not None:
                shown = _display(root_display, child_rel)
                shown = shown.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                issues.append(Issue(Location(shown), "", why))
                continue
            path: str = entry.path  # a string, not a Path: a large tree has many
            is_dir = False
            if entry.is_symlink():
                if walked is not None:
                    walked.linked = True
                try:
                    target = Path(entry.path).resolve(strict=True)
                except (OSError, RuntimeError):
                    issues.append(
                        Issue(
                            Location(_display(root_display, child_rel)),
                            "",
                            "broken symlink or symlink loop",
                        )
                    )
                    continue
                if not target.is_relative_to(real_root):
                    issues.append(
                        Issue(
                            Location(_display(root_display, child_rel)),
                            "",
                            f"symlink leads outside the model root (to {target})",
                        )
                    )
                    continue
                is_dir = target.is_dir()
                if not is_dir:
                    path = str(target)  # read the file itself, never through the link
            else:
                is_dir = entry.is_dir(follow_symlinks=False)
                if not is_dir and not entry.is_file(follow_symlinks=False):
                    if entry.name.endswith((*CLUSTER_SUFFIXES, TERRAFORM_SUFFIX)):
                        issues.append(
                            Issue(
                                Location(_display(root_display, child_rel)),
                                "",
                                "not a regular file (a FIFO, a socket or a device)",
                            )
                        )
                    continue
            if is_dir:
                if entry.name.endswith(CLUSTER_SUFFIXES):
                    # `c.yaml/` reads as a cluster file but is not one: say so rather than
                    # read clusters with ids such as `c.yaml/x` or silently skip it.
                    issues.append(
                        Issue(
                            Location(_display(root_display, child_rel)),
                            "",
                            "a directory named like a cluster file; rename it (cluster files "
                            "are files, directories group them)",
                        )
                    )
                    continue
                yield from visit(Path(entry.path), child_rel)
            elif entry.name.endswith((*CLUSTER_SUFFIXES, TERRAFORM_SUFFIX)):
                yield child_rel, path

    yield from visit(root, "")


def load_model(root: Path, root_display: str | None = None) -> list[RawCluster]:
    """Read the tree under `root` into effective clusters, sorted by id.

    Raises ModelError with every problem found, or UsageError when root is not a directory.
    """
    clusters, issues = load_tree(root, root_display)
    if issues:
        raise ModelError(issues)
    return clusters


def load_tree(root: Path, root_display: str | None = None) -> tuple[list[RawCluster], list[Issue]]:
    """The clusters that could be read, and the problems of the files that could not.

    A cluster below a broken `_defaults.yaml` is left out (its effective model is unknown),
    so that the rest of the tree can still be validated and every error reported at once.
    """
    tree = scan_tree(root, root_display)
    clusters: list[RawCluster] = []
    issues = list(tree.issues)
    for cluster_file in tree.files:
        raw, found = tree.load(cluster_file)
        issues.extend(found)
        if raw is not None:
            clusters.append(raw)
    return clusters, issues


@dataclass(frozen=True)
class ExtraFile:
    """An extra Terraform file of the tree: whose it is (a cluster's file stem, or
    `_defaults`), the name it takes in a module, and the file itself."""

    owner: str
    name: str
    file: ClusterFile


@dataclass(frozen=True)
class ClusterFile:
    """A cluster file of the tree, not read yet."""

    id: str
    path: str  # a string, not a Path: a large tree has many (memory)
    shown: str
    #: The directory whose merged defaults apply, or None below a broken `_defaults.yaml`.
    directory: str | None


@dataclass
class _Walked:
    """What a walk of the tree listed: its directories (relative, "" the root) and whether
    it met a symlink (see `Tree.directories`)."""

    directories: list[str] = field(default_factory=list)
    linked: bool = False


@dataclass
class Tree:
    """A model tree read up to its cluster files: every directory's defaults merged, and the
    cluster files (sorted by id) to `load` one at a time, in this process or in a worker
    forked from it. `issues` are the problems found so far (of the tree and its defaults)."""

    files: list[ClusterFile]
    issues: list[Issue]
    layers: dict[str, _Layer]
    #: Per directory with clusters: a hash of the `_defaults.yaml` files that apply there
    #: (their directories and bytes), for fingerprints.
    chains: dict[str, str]
    #: Per directory: its extra Terraform files (`<cluster>.<name>.tf`, `_defaults.<name>.tf`).
    terraform: dict[str, list[ExtraFile]] = field(default_factory=dict)
    #: The directories the walk listed (relative, "" the root), those whose `_defaults.yaml`
    #: was read, and whether it met a symlink: what a run depends on beside the cluster
    #: files (see `stamp`).
    directories: list[str] = field(default_factory=list)
    defaults: list[str] = field(default_factory=list)
    linked: bool = False

    def inputs(self) -> list[str]:
        """The paths a run over this tree read (relative to its root, "" the root itself):
        the directories it listed, the `_defaults.yaml` files, the cluster files and the
        extra Terraform files (see `stamp`)."""
        rels = [*self.directories]
        rels += [f"{d}/{DEFAULTS_FILE}" if d else DEFAULTS_FILE for d in self.defaults]
        rels += [f"{f.id}.{f.path.rpartition('.')[2]}" for f in self.files]
        for extras in self.terraform.values():
            rels += [extra.file.id for extra in extras]
        return rels

    def terraform_of(self, cluster_file: ClusterFile) -> dict[str, ExtraFile]:
        """The extra Terraform files of a cluster's module by the name they take there:
        the `_defaults.<name>.tf` of every directory from the root down, then the cluster's
        own `<cluster>.<name>.tf`, a deeper file replacing one of the same name."""
        if not self.terraform:  # (most trees have none)
            return {}
        directory, _, stem = cluster_file.id.rpartition("/")
        chain = [""]
        for part in directory.split("/") if directory else ():
            chain.append(f"{chain[-1]}/{part}" if chain[-1] else part)
        out: dict[str, ExtraFile] = {}
        for d in chain:
            for extra in self.terraform.get(d, ()):
                if extra.owner == DEFAULTS_STEM:
                    out[extra.name] = extra
        for extra in self.terraform.get(directory, ()):
            if extra.owner == stem:
                out[extra.name] = extra
        return dict(sorted(out.items()))

    def read_terraform(
        self, cluster_file: ClusterFile
    ) -> tuple[dict[str, tuple[str, str]], bytes, list[Issue]]:
        """The cluster's extra Terraform (`<name>.tf` -> (model file, text)), their names
        and bytes for the fingerprint, and the problems of those that cannot be read."""
        extras = self.terraform_of(cluster_file)
        if not extras:
            return {}, b"", []
        texts: dict[str, tuple[str, str]] = {}
        digest = hashlib.sha256()
        issues: list[Issue] = []
        for name, extra in extras.items():
            data = self.read(extra.file)  # the same reading rules as the model's YAML files
            if isinstance(data, Issue):
                issues.append(data)
                continue
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                issues.append(
                    Issue(Location(extra.file.shown), "", f"the file is not UTF-8 ({exc.reason})")
                )
                continue
            texts[name] = (extra.file.shown, text)
            for part in (name.encode(), extra.file.id.encode(), data):
                digest.update(len(part).to_bytes(8, "big"))
                digest.update(part)
        return texts, digest.digest() if texts else b"", issues

    def read(self, cluster_file: ClusterFile) -> bytes | Issue:
        try:
            return read_yaml_file(cluster_file.path, cluster_file.shown)
        except YamlProblem as problem:
            return problem.issue
        except OSError as exc:
            return Issue(Location(cluster_file.shown), "", f"cannot read: {exc.strerror}")

    def load(
        self, cluster_file: ClusterFile, source: bytes | None = None
    ) -> tuple[RawCluster | None, list[Issue]]:
        """One cluster's effective model (with its extra Terraform files), or the problems
        of its files (`source`: the cluster file's bytes, when they have been read already)."""
        shown = cluster_file.shown
        raw = self.read(cluster_file) if source is None else source
        if isinstance(raw, Issue):
            return None, [raw]
        try:
            doc = load_yaml(raw, shown)
        except YamlProblem as problem:
            return None, [problem.issue]
        if doc.data is not None and not isinstance(doc.data, dict):
            return None, [_not_a_mapping(doc, shown)]
        if doc.data is None:
            return None, [Issue(Location(shown), "", "empty cluster file")]
        if cluster_file.directory is None:
            return None, []  # below a broken _defaults.yaml: its problems are reported
        parent = self.layers[cluster_file.directory]
        prov = parent.provenance.copy()
        prov.fallback = Location(shown)
        data = merge_into(_Layer(parent.data, prov), doc).data
        if "name" not in data:
            data = {**data, "name": cluster_file.id.rsplit("/", 1)[-1]}
            prov.values[("name",)] = Location(shown)
        terraform, _, problems = self.read_terraform(cluster_file)
        if problems:
            return None, problems
        return RawCluster(cluster_file.id, shown, data, prov, terraform), []


def _not_a_mapping(doc: Document, shown: str) -> Issue:
    return Issue(
        doc.values.get((), Location(shown)),
        "",
        f"a model file must hold a mapping, not a {_kind(doc.data)}",
    )


def scan_tree(root: Path, root_display: str | None = None) -> Tree:
    """Walk the tree under `root`, read and merge its `_defaults.yaml` files, and list its
    cluster files; raises UsageError when root is not a directory."""
    display = str(root) if root_display is None else root_display
    if not root.is_dir():
        raise UsageError(f"{display}: the model root is not a directory")
    issues: list[Issue] = []
    defaults: dict[str, Document] = {}
    sources: dict[str, bytes] = {}  # the bytes of each directory's _defaults.yaml
    found: dict[str, tuple[str, str]] = {}  # cluster id -> (shown, path)
    broken_dirs: set[str] = set()  # directories whose _defaults.yaml could not be read
    terraform: dict[str, list[ExtraFile]] = {}  # directory -> its extra Terraform files
    max_clusters = limits.CLUSTERS.value()
    walked = _Walked()
    for rel, path in _walk(root, display, issues, walked):
        shown = _display(display, rel)
        directory, _, name = rel.rpartition("/")
        if name.endswith(TERRAFORM_SUFFIX):
            owner, dot, target = name[: -len(TERRAFORM_SUFFIX)].partition(".")
            if not dot or not owner or not target:
                issues.append(
                    Issue(
                        Location(shown),
                        "",
                        "a Terraform file in the model is named CLUSTER.NAME.tf (into that "
                        "cluster's module) or _defaults.NAME.tf (into every module below it)",
                    )
                )
                continue
            terraform.setdefault(directory, []).append(
                ExtraFile(owner, f"{target}{TERRAFORM_SUFFIX}", ClusterFile(rel, path, shown, None))
            )
            continue
        if name == DEFAULTS_FILE:
            broken_dirs.add(directory)  # until it has been read
            try:
                sources[directory] = read_yaml_file(path, shown)
                doc = load_yaml(sources[directory], shown)
            except OSError as exc:
                issues.append(Issue(Location(shown), "", f"cannot read: {exc.strerror}"))
                continue
            except YamlProblem as problem:
                issues.append(problem.issue)
                continue
            if doc.data is not None and not isinstance(doc.data, dict):
                issues.append(_not_a_mapping(doc, shown))
                continue
            defaults[directory] = doc
            broken_dirs.discard(directory)
            continue
        if name.startswith("_"):
            issues.append(
                Issue(
                    Location(shown),
                    "",
                    f"file names starting with '_' are reserved; the defaults file is "
                    f"{DEFAULTS_FILE}",
                )
            )
            continue
        cluster_id = rel.rsplit(".", 1)[0]
        if cluster_id in found:
            issues.append(
                Issue(
                    Location(shown),
                    "",
                    f"two files define cluster {cluster_id!r}: {found[cluster_id][0]} and {shown}",
                )
            )
            continue
        found[cluster_id] = (shown, path)
        if len(found) > max_clusters:
            raise ModelError(
                [
                    Issue(
                        Location(shown),
                        "",
                        f"the tree holds more than {max_clusters} clusters; "
                        + limits.CLUSTERS.hint(),
                    )
                ]
            )

    layers: dict[str, _Layer] = {}
    chains: dict[str, str] = {}

    def chain_for(directory: str) -> str:
        if directory not in chains:
            h = hashlib.sha256(b"" if directory == "" else chain_for(_up(directory)).encode())
            h.update(f"\0{directory}\0".encode())
            h.update(sources.get(directory, b""))
            chains[directory] = h.hexdigest()
        return chains[directory]

    def layer_for(directory: str) -> _Layer:
        if directory in layers:
            return layers[directory]
        parent = (
            _Layer({}, Provenance()) if directory == "" else layer_for(directory.rpartition("/")[0])
        )
        doc = defaults.get(directory)
        if doc is not None and doc.data:
            layer = merge_into(_Layer(parent.data, parent.provenance.copy()), doc)
        else:
            layer = parent
        layers[directory] = layer
        return layer

    for directory, extras in terraform.items():
        for extra in extras:
            owner_id = f"{directory}/{extra.owner}" if directory else extra.owner
            if extra.owner != DEFAULTS_STEM and owner_id not in found:
                issues.append(
                    Issue(
                        Location(extra.file.shown),
                        "",
                        f"no cluster {owner_id!r} beside this Terraform file (its name says "
                        f"it goes into the module of {extra.owner}); rename it, or name it "
                        f"{DEFAULTS_STEM}.{extra.name} for every cluster below",
                    )
                )

    files = []
    shared: dict[str, str] = {}  # one string per directory
    for cluster_id, (shown, file_path) in sorted(found.items()):
        parent = cluster_id.rpartition("/")[0]
        parent = shared.setdefault(parent, parent)
        if any(d == "" or parent == d or parent.startswith(d + "/") for d in broken_dirs):
            files.append(ClusterFile(cluster_id, file_path, shown, None))
        else:
            layer_for(parent)
            chain_for(parent)
            files.append(ClusterFile(cluster_id, file_path, shown, parent))
    return Tree(
        files,
        issues,
        layers,
        chains,
        terraform,
        walked.directories,
        sorted(sources),
        walked.linked,
    )


def _up(directory: str) -> str:
    return directory.rpartition("/")[0]


def _kind(value: Any) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        type(value), type(value).__name__
    )


__all__ = [
    "ClusterFile",
    "Provenance",
    "RawCluster",
    "Tree",
    "format_path",
    "load_model",
    "merge_into",
    "scan_tree",
]
