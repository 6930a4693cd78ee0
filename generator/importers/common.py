"""What the kOps and eksctl importers share: reading the input documents (treeform's own
YAML loader: marks, limits, no tags), comparing documents field by field, the model file's
minimization against the `_defaults.yaml` files above it, and writing it.

An importer turns the input documents into a model (`Extracted`); the rest is generic:

1. the model is merged under the defaults of its place in the tree and rendered, exactly
   as `treeform generate` would render it;
2. every difference between the input and what came out is either a documented default
   (`Allowed`, one list per importer, each with its reason), or goes into the engine's
   escape hatch where it has one, or is a field the model cannot express (`Issue` at the
   input's FILE:LINE): a warning, or with `--strict` (always for eksctl) an error;
3. every field that changes nothing is dropped, one at a time (equal to the inherited value
   or to the default), so the file reads like one a person wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from treeform.errors import Issue, Location, ModelError, OutputError, UsageError
from treeform.render import Renderer, to_yaml
from treeform.scaffold import check_cluster_id
from treeform.tree import DEFAULTS_FILE, Provenance, RawCluster, _Layer, merge_into
from treeform.yamlload import (
    Document,
    FieldPath,
    YamlProblem,
    format_path,
    load_yaml,
    read_yaml_file,
)

#: Input files an import reads at most (kOps writes one file per instance group at most).
MAX_FILES = 200
#: Documents in all input files together.
MAX_DOCUMENTS = 500


class _Missing:
    def __repr__(self) -> str:
        return "(absent)"


#: A key absent on one side of a comparison.
MISSING: Any = _Missing()


def listed(value: Any) -> list[Any]:
    """`value` where it is a list, else an empty one."""
    return value if isinstance(value, list) else []


def mapping(value: Any) -> dict[str, Any]:
    """`value` where it is a mapping, else an empty one (hostile input has any shape)."""
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Source:
    """One input document, with the marks of its file."""

    doc: Document
    index: int  # the document's place in its file, 0-based

    @property
    def data(self) -> Any:
        return self.doc.data

    def where(self, path: FieldPath) -> Location:
        """The location of `path` in this document, or of its nearest ancestor."""
        probe = tuple(path)
        while probe:
            if probe in self.doc.values:
                return self.doc.values[probe]
            probe = probe[:-1]
        return self.doc.values.get((), Location(self.doc.file))

    def issue(self, path: FieldPath, message: str) -> Issue:
        return Issue(self.where(path), format_path(path), message)


def read_sources(files: Iterable[Path]) -> list[Source]:
    """Every document of the input files, in order; ModelError at FILE:LINE otherwise."""
    paths = list(files)
    if not paths:
        raise UsageError("name at least one input FILE")
    if len(paths) > MAX_FILES:
        raise UsageError(f"at most {MAX_FILES} input files, not {len(paths)}")
    from treeform.yamlload import load_yaml_stream

    sources: list[Source] = []
    issues: list[Issue] = []
    for path in paths:
        shown = str(path)
        try:
            # The user names the file (a link is followed), but a FIFO or a device is refused
            # and the read stops at the size limit, as for model files.
            docs = load_yaml_stream(read_yaml_file(str(path.resolve()), shown), shown)
        except OSError as exc:
            issues.append(Issue(Location(shown), "", f"cannot read: {exc.strerror}"))
            continue
        except YamlProblem as problem:
            issues.append(problem.issue)
            continue
        if not docs:
            issues.append(Issue(Location(shown), "", "the file holds no YAML document"))
        for i, doc in enumerate(docs):
            sources.append(Source(doc, i))
        if len(sources) > MAX_DOCUMENTS:
            raise ModelError(
                [Issue(Location(shown), "", f"more than {MAX_DOCUMENTS} documents in the input")]
            )
    if issues:
        raise ModelError(issues)
    return sources


def check_document(
    source: Source, api_versions: Mapping[str, tuple[str, ...]], tool: str
) -> Issue | None:
    """Why a document is not one `tool` writes (kind and apiVersion), or None."""
    data = source.data
    if not isinstance(data, dict):
        return source.issue((), f"not a {tool} document: a {type(data).__name__}, not a mapping")
    kind, version = data.get("kind"), data.get("apiVersion")
    if not isinstance(kind, str) or kind not in api_versions:
        return source.issue(
            ("kind",),
            f"not a {tool} document: kind {kind!r}; {tool} documents are "
            + ", ".join(sorted(api_versions)),
        )
    if version not in api_versions[kind]:
        return source.issue(
            ("apiVersion",),
            f"unknown apiVersion {version!r} for a {tool} {kind}; treeform reads "
            + ", ".join(api_versions[kind]),
        )
    if not isinstance(data.get("metadata"), dict) or not isinstance(
        data["metadata"].get("name"), str
    ):
        return source.issue(("metadata",), f"a {kind} needs metadata.name")
    return None


# --- comparing documents --------------------------------------------------------------


@dataclass(frozen=True)
class Allowed:
    """A documented difference between an input and what treeform generates from it.

    `path` is matched against the path of a difference in a document of `kind` (`*` for
    any key or index); `how` is `added` (treeform writes a field the input leaves out: its
    secure or explicit default, the input's value wins when it has one), `alias` (the two
    values mean the same to the tool: `same(input, ours)` says so) or `ignored` (a value
    the tool sets itself, such as a timestamp)."""

    kind: str
    path: tuple[str, ...]
    how: str
    reason: str
    same: Callable[[Any, Any], bool] | None = None

    def matches(self, kind: str, path: FieldPath, prefix: bool = False) -> bool:
        """Whether `path` is this rule's (or, with `prefix`, lies under it)."""
        if self.kind not in ("*", kind) or len(path) < len(self.path):
            return False
        if len(path) != len(self.path) and not prefix:
            return False
        head = path[: len(self.path)]
        return all(p == "*" or p == str(q) for p, q in zip(self.path, head, strict=True))


@dataclass(frozen=True)
class Difference:
    kind: str
    name: str
    path: FieldPath
    theirs: Any  # the input's value, or MISSING
    ours: Any  # what treeform generates, or MISSING

    def __str__(self) -> str:
        where = f"{self.kind}/{self.name}" + (f" {format_path(self.path)}" if self.path else "")
        return f"{where}: input {_brief(self.theirs)}, treeform {_brief(self.ours)}"


def _brief(value: Any) -> str:
    if value is MISSING:
        return "(absent)"
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def diff_values(
    theirs: Any, ours: Any, path: FieldPath = ()
) -> Iterator[tuple[FieldPath, Any, Any]]:
    """Each leaf where two plain values differ (mappings by key, lists of one length by
    position, anything else as a whole)."""
    # A mapping on one side only is compared field by field with nothing (an empty one is
    # a value of its own: kOps's `rbac: {}` says something).
    if theirs is MISSING and isinstance(ours, dict) and ours:
        theirs = {}
    if ours is MISSING and isinstance(theirs, dict) and theirs:
        ours = {}
    if isinstance(theirs, dict) and isinstance(ours, dict):
        for key in [*theirs, *[k for k in ours if k not in theirs]]:
            yield from diff_values(theirs.get(key, MISSING), ours.get(key, MISSING), (*path, key))
        return
    pairs = paired(theirs, ours)
    if pairs is not None:
        for i, a, b in pairs:
            yield from diff_values(a, b, (*path, i))
        return
    if theirs is MISSING and ours is MISSING:
        return
    if theirs != ours or type(theirs) is not type(ours):
        yield path, theirs, ours


def _names(items: list[Any]) -> list[Any] | None:
    names = [i.get("name") if isinstance(i, dict) else None for i in items]
    if not all(isinstance(n, str) for n in names):
        return None
    if None in names or len(set(names)) != len(names):
        return None
    return names


def paired(theirs: Any, ours: Any) -> list[tuple[int, Any, Any]] | None:
    """Two lists compared item by item: lists of named mappings (node groups, addons, etcd
    clusters) by name where some names match, others by position when they are as long;
    None to compare them whole.
    The index is the input's (past its end for an item only treeform writes)."""
    if not (isinstance(theirs, list) and isinstance(ours, list)):
        return None
    a, b = _names(theirs), _names(ours)
    if a is not None and b is not None and set(a) & set(b):
        mine = dict(zip(b, ours, strict=True))
        out = [(i, t, mine.pop(n, MISSING)) for i, (n, t) in enumerate(zip(a, theirs, strict=True))]
        # An item only treeform writes is placed after the input's items.
        out += [(len(theirs) + k, MISSING, o) for k, o in enumerate(mine.values())]
        return out
    if len(theirs) == len(ours):
        return [(i, x, y) for i, (x, y) in enumerate(zip(theirs, ours, strict=True))]
    return None


def _at(doc: Any, path: FieldPath) -> Any:
    node = doc
    for part in path:
        if isinstance(node, dict):
            node = node.get(part, MISSING)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return MISSING
    return node


def allowed_for(
    allowed: Iterable[Allowed],
    kind: str,
    path: FieldPath,
    theirs: Any,
    ours: Any,
    doc: Any = MISSING,
    other: Any = MISSING,
) -> Allowed | None:
    """The rule that allows a difference at `path`, or None. With the two documents
    (`doc` the input's, `other` treeform's), a rule also covers what lies under its field,
    judged on the field as a whole (an `added` mapping, an `alias` of two mappings)."""
    for rule in allowed:
        if (
            doc is not MISSING
            and len(path) > len(rule.path)
            and rule.matches(kind, path, prefix=True)
        ):
            head = path[: len(rule.path)]
            if _allows(rule, _at(doc, head), _at(other, head)):
                return rule
            continue
        if rule.matches(kind, path) and _allows(rule, theirs, ours):
            return rule
    return None


def _allows(rule: Allowed, theirs: Any, ours: Any) -> bool:
    if rule.how == "ignored":
        return True
    if rule.how == "added":
        return theirs is MISSING
    return rule.how == "alias" and rule.same is not None and rule.same(theirs, ours)


def doc_key(doc: Any) -> tuple[str, str]:
    if not isinstance(doc, dict):
        return ("?", "?")
    meta = mapping(doc.get("metadata"))
    return (str(doc.get("kind", "?")), str(meta.get("name", "?")))


def diff_documents(
    theirs: list[Any],
    ours: list[Any],
    allowed: Iterable[Allowed],
    renames: Mapping[str, str] | None = None,
) -> list[Difference]:
    """Every difference between two sets of documents (matched by kind and name; `renames`:
    input group name -> treeform's) that is not an `Allowed` one, in the input's order."""
    rules = list(allowed)
    mine = {doc_key(d): d for d in ours}
    out: list[Difference] = []
    for doc in theirs:
        key = doc_key(doc)
        if key[0] == "InstanceGroup" and renames and key[1] in renames:
            key = (key[0], renames[key[1]])
        other = mine.pop(key, MISSING)
        if other is MISSING:
            out.append(Difference(key[0], key[1], (), "the document", MISSING))
            continue
        for path, a, b in diff_values(doc, other):
            if allowed_for(rules, key[0], path, a, b, doc, other) is None:
                out.append(Difference(key[0], key[1], path, a, b))
    for key in mine:
        out.append(Difference(key[0], key[1], (), MISSING, "the document"))
    return out


def with_additions(
    theirs: Any, ours: Any, kind: str, allowed: Iterable[Allowed], path: FieldPath = ()
) -> Any:
    """The input's value with the fields treeform adds on purpose (`added`) put in and the
    `alias`/`ignored` ones as treeform writes them: what an import aims to generate."""
    rules = list(allowed)
    if isinstance(theirs, dict) and isinstance(ours, dict):
        out = {}
        for key, value in theirs.items():
            child = (*path, key)
            rule = allowed_for(rules, kind, child, value, ours.get(key, MISSING))
            if rule is not None and rule.how in ("alias", "ignored") and key in ours:
                out[key] = ours[key]
            else:
                out[key] = with_additions(value, ours.get(key, MISSING), kind, rules, child)
        for key, value in ours.items():
            if key not in theirs and allowed_for(rules, kind, (*path, key), MISSING, value):
                out[key] = value
        return out
    pairs = paired(theirs, ours)
    if pairs is not None and isinstance(theirs, list):
        return [
            with_additions(a, b, kind, rules, (*path, i)) for i, a, b in pairs if a is not MISSING
        ]
    return theirs


def merge_patch(ours: Any, target: Any) -> Any:
    """What to deep-merge into `ours` to get `target`: mappings by key, `None` for a key to
    remove, anything else (lists too) replaced whole."""
    if not (isinstance(ours, dict) and isinstance(target, dict)):
        return target
    patch: dict[str, Any] = {}
    for key, value in target.items():
        if key not in ours:
            patch[key] = value
        elif isinstance(value, dict) and isinstance(ours[key], dict):
            sub = merge_patch(ours[key], value)
            if sub:
                patch[key] = sub
        elif value != ours[key] or type(value) is not type(ours[key]):
            patch[key] = value
    for key in ours:
        if key not in target:
            patch[key] = None
    return patch


def deep_merge(base: Any, patch: Any) -> Any:
    """`patch` merged into `base` (the inverse of `merge_patch`)."""
    if not (isinstance(base, dict) and isinstance(patch, dict)):
        return patch
    out = dict(base)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif key in out:
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def has_null(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, dict):
        return any(has_null(v) for v in value.values())
    if isinstance(value, list):
        return any(has_null(v) for v in value)
    return False


# --- the model file -------------------------------------------------------------------


#: Top-level model fields every importer states in full (inherited ones are nulled if
#: unsaid); each importer adds its engine's settings block.
OWNED_COMMON = (
    "zones",
    "highAvailability",
    "network",
    "apiServer",
    "nodePools",
    "addons",
    "tags",
)


#: Top-level fields, in the order a model file lists them (the README's order).
FIELD_ORDER = (
    "name",
    "cloud",
    "engine",
    "region",
    "zones",
    "kubernetesVersion",
    "highAvailability",
    "network",
    "apiServer",
    "nodePools",
    "addons",
    "tags",
    "backend",
)


def ordered(model: dict[str, Any]) -> dict[str, Any]:
    rank = {k: i for i, k in enumerate(FIELD_ORDER)}
    return {k: model[k] for k in sorted(model, key=lambda k: (rank.get(k, len(rank)), k))}


#: The first line of an imported model file (the lines below it are the ones errors name).
HEADER = "# Imported by `treeform import`; `treeform explain` shows what each field inherits."


def model_text(model: dict[str, Any], footer: list[str] | None = None) -> str:
    """The model file: one comment line, the fields, then `footer` as comments."""
    body = to_yaml(ordered(model)) if model else "{}\n"
    tail = "".join(f"# {line}\n" if line else "#\n" for line in footer or [])
    return f"{HEADER}\n{body}" + (f"\n{tail}" if tail else "")


def defaults_layer(root: Path, cluster_id: str, shown_root: str) -> _Layer:
    """The merged `_defaults.yaml` files above `cluster_id` in the tree at `root`."""
    layer = _Layer({}, Provenance())
    parts = cluster_id.split("/")[:-1]
    issues: list[Issue] = []
    for depth in range(len(parts) + 1):
        rel = "/".join([*parts[:depth], DEFAULTS_FILE])
        path = root / rel
        if not path.is_file():
            continue
        shown = f"{shown_root.rstrip('/')}/{rel}" if shown_root not in ("", ".") else rel
        try:
            doc = load_yaml(read_yaml_file(str(path), shown), shown)
        except OSError as exc:
            issues.append(Issue(Location(shown), "", f"cannot read: {exc.strerror}"))
            continue
        except YamlProblem as problem:
            issues.append(problem.issue)
            continue
        if doc.data is None:
            continue
        if not isinstance(doc.data, dict):
            issues.append(Issue(Location(shown), "", "a defaults file must hold a mapping"))
            continue
        layer = merge_into(_Layer(layer.data, layer.provenance.copy()), doc)
    if issues:
        raise ModelError(issues)
    return layer


@dataclass
class Place:
    """Where the model file goes, and how a candidate text is judged there."""

    root: Path
    cluster_id: str
    shown: str  # the target file as the user named it
    layer: _Layer
    output: str  # the rendered file that is compared: `kops/cluster.yaml`, ...
    renderer: Renderer = field(default_factory=Renderer)
    _seen: dict[str, tuple[str | None, list[Issue]]] = field(default_factory=dict)
    #: every rendered file of a model text
    _files: dict[str, dict[str, str] | None] = field(default_factory=dict)

    def files(self, model: dict[str, Any]) -> dict[str, str] | None:
        """Every file `model` renders (None when it is invalid)."""
        self.render(model)
        return self._files[model_text(model)]

    def raw(self, text: str) -> RawCluster:
        doc = load_yaml(text.encode("utf-8"), self.shown)
        prov = self.layer.provenance.copy()
        prov.fallback = Location(self.shown)
        data = merge_into(_Layer(self.layer.data, prov), doc).data
        if "name" not in data:
            data = {**data, "name": self.cluster_id.rsplit("/", 1)[-1]}
            prov.values[("name",)] = Location(self.shown)
        return RawCluster(self.cluster_id, self.shown, data, prov)

    def render(self, model: dict[str, Any]) -> tuple[str | None, list[Issue]]:
        """The compared output of a model file (None and the issues when it is invalid)."""
        text = model_text(model)
        if text in self._seen:
            return self._seen[text]
        self._files[text] = None
        from treeform.pipeline import render_cluster
        from treeform.validate import validate_each

        clusters, issues = validate_each([self.raw(text)])
        out: str | None = None
        if clusters and not issues:
            files = render_cluster(clusters[0], self.renderer)
            out = files.get(f"{self.cluster_id}/{self.output}", "")
            self._files[text] = files
        result = (out, issues)
        self._seen[text] = result
        return result


def null_fill(model: dict[str, Any], inherited: Any, owned: Iterable[str]) -> dict[str, Any]:
    """`model` with an explicit null for every inherited field under an `owned` top-level
    field that the model does not set: the import says everything it knows, and an
    inherited node pool, tag or setting must not slip into the imported cluster."""
    if not isinstance(inherited, dict):
        return model
    out = dict(model)
    for key in owned:
        if key not in inherited:
            continue
        if key not in out:
            out[key] = None
        elif isinstance(out[key], dict) and isinstance(inherited[key], dict):
            out[key] = _fill(out[key], inherited[key])
    return out


def _fill(mine: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    out = dict(mine)
    for key, value in theirs.items():
        if key not in out:
            out[key] = None
        elif isinstance(out[key], dict) and isinstance(value, dict):
            out[key] = _fill(out[key], value)
    return out


def _without(model: dict[str, Any], path: FieldPath) -> dict[str, Any]:
    out = dict(model)
    node = out
    for part in path[:-1]:
        node[part] = dict(node[part])  # type: ignore[index]
        node = node[part]  # type: ignore[index]
    del node[path[-1]]  # type: ignore[arg-type]
    return out


def _get(model: dict[str, Any], path: FieldPath) -> Any:
    node: Any = model
    for part in path:
        node = node[part]
    return node


#: Renders one minimization may spend; beyond it the remaining fields stay (the file is
#: then longer than it could be, never wrong).
MAX_TRIALS = 1500


def minimize(model: dict[str, Any], place: Place) -> dict[str, Any]:
    """`model` without every field whose removal leaves every rendered file as it is (one
    field at a time, whole mappings first, then their fields): a field that only the
    Terraform reads is kept.

    The fields of each node pool are tried on a model with that pool alone (a pool's
    fields change only its own documents), and pools written alike share the answer; the
    result is checked on the whole model, and a pool whose answer does not hold there keeps
    its fields."""
    reference = place.files(model)
    trials = [0]

    def visit(current: dict[str, Any], path: FieldPath, ref: Any) -> dict[str, Any]:
        node = _get(current, path) if path else current
        for key in list(node):
            child = (*path, key)
            if child == ("nodePools",) and isinstance(node[key], dict):
                continue  # below, pool by pool
            if trials[0] >= MAX_TRIALS:
                return current
            trials[0] += 1
            candidate = _without(current, child)
            if place.files(candidate) == ref:
                current = candidate
                continue
            value = _get(current, child)
            if isinstance(value, dict) and value:
                current = visit(current, child, ref)
        return current

    out = visit(model, (), reference)
    pools = out.get("nodePools")
    if not isinstance(pools, dict):
        return out
    answers: dict[str, dict[str, Any]] = {}
    minimized: dict[str, Any] = dict(pools)
    for name, pool in pools.items():
        if not isinstance(pool, dict) or not pool:
            continue
        # The other pools left out (the nulls that remove inherited ones stay).
        alone = {**out, "nodePools": {n: p for n, p in pools.items() if n == name or p is None}}
        key = repr(sorted(pool.items()))
        if key not in answers:
            ref = place.files(alone)
            if ref is None:
                answers[key] = pool
            else:
                probe = visit(alone, ("nodePools", name), ref)
                answers[key] = probe["nodePools"][name]
        minimized[name] = answers[key]
    candidate = {**out, "nodePools": minimized}
    if place.files(candidate) == reference:
        return candidate
    for name in pools:  # keep the pools whose answer does not hold on the whole model
        trial = {**candidate, "nodePools": {**candidate["nodePools"], name: pools[name]}}
        if place.files(trial) == reference:
            return trial
    return out


@dataclass
class Outcome:
    """The result of an import: the text of the model file, where it goes, and what the
    model could not express (warnings unless the import was strict)."""

    target: Path
    text: str
    unexpressed: list[Issue]
    written: bool = False


def write_model_file(target: Path, text: str, force: bool) -> None:
    if target.exists() and not force:
        raise OutputError(f"{target}: exists already; --force overwrites it")
    other = target.with_suffix(".yml")
    if other.exists():
        raise OutputError(f"{other}: the cluster exists already (as a .yml file)")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.treeform-tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)


__all__ = [
    "MISSING",
    "Allowed",
    "Difference",
    "Outcome",
    "Place",
    "Source",
    "check_cluster_id",
    "check_document",
    "deep_merge",
    "defaults_layer",
    "diff_documents",
    "listed",
    "mapping",
    "merge_patch",
    "minimize",
    "model_text",
    "null_fill",
    "read_sources",
    "with_additions",
    "write_model_file",
]
