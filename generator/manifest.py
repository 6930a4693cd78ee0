"""The manifest of an output directory: what the last generate wrote there, per cluster
(its fingerprint, state address and files with their digests) and beside them (the files
that are no cluster's, atlantis.yaml's inputs).

It is committed with the output, so a pull request controls it: `load_manifest` checks every
path and field before any is used. A writing run does not hold the new manifest: the
`ManifestSpool` writes it cluster by cluster into its temporary file beside the old one
(which the journal's commit swaps in), and writes nothing when every cluster is as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import marshal
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from treeform import __version__
from treeform.cache import cache_dir
from treeform.errors import OutputError
from treeform.fingerprint import code_fingerprint
from treeform.jsonout import indented_json
from treeform.layout import MANIFEST, tmp_name
from treeform.safefs import Jail, escaped, jailed, plain_relative

if TYPE_CHECKING:
    from treeform.staging import Plan


@dataclass(frozen=True)
class ClusterRecord:
    """What the manifest keeps of one cluster: its fingerprint and its files."""

    fingerprint: str
    files: list[str]
    #: Where its Terraform state lives (None: a local state), so that a reused cluster
    #: takes part in the one-state-per-cluster rule without being read again.
    state: str | None = None


@dataclass
class Manifest:
    """What the last generate recorded in an output directory."""

    #: {path: sha256} of every file treeform wrote.
    files: dict[str, str] = field(default_factory=dict)
    #: Per cluster id: the fingerprint, files and state recorded by the last generate.
    clusters: dict[str, ClusterRecord] = field(default_factory=dict)
    #: A hash of what atlantis.yaml was made from (None: not made).
    atlantis: str | None = None
    #: The files that are no cluster's (None: not worked out; see `ManifestSpool.gone`).
    loose: list[str] | None = field(default=None, compare=False)


class ManifestSpool:
    """The new manifest of a writing run, cluster by cluster in the order of the tree,
    written straight into the manifest's temporary file (beside it, through the jail)
    rather than held (a first generate of a large tree would otherwise hold every path and
    digest, and the manifest's text); `write` ends it. While every cluster is as the last
    manifest has it (a run that changed nothing) nothing is written, only noted, and the
    manifest is not written again."""

    def __init__(self, jail: Jail, before: Manifest) -> None:
        self.jail = jail
        self.before = before
        #: Files that are no cluster's (atlantis.yaml, files kept by --only): rel -> sha.
        self.extras: dict[str, str] = {}
        self._fh: IO[str] | None = None
        self._count = 0  # clusters written
        self._pending: list[str] = []  # clusters as before, while nothing was written
        #: Clusters of the last manifest met in this run, files that left one.
        self._met: set[str] = set()
        self._left: set[str] = set()
        self._taken: set[str] = set()  # files now of another cluster than before

    def _open(self) -> IO[str]:
        if self._fh is None:
            tmp = tmp_name(MANIFEST)
            self.jail.unlink(tmp)
            self._fh = os.fdopen(self.jail.open_append(tmp), "a", encoding="utf-8")
            enc = json.encoder.encode_basestring_ascii
            self._fh.write(f'{{\n  "generator": "treeform",\n  "version": {enc(__version__)},\n')
            self._fh.write('  "clusters": {')
            pending, self._pending = self._pending, []
            for cid in pending:  # as the last manifest had them
                rec = self.before.clusters[cid]
                self._write(cid, rec, {r: self.before.files[r] for r in rec.files})
        return self._fh

    def _write(self, cid: str, record: ClusterRecord, files: Mapping[str, str]) -> None:
        fh = self._open()
        body = indented_json(
            {
                "fingerprint": record.fingerprint,
                "state": record.state,
                "files": {rel: files[rel] for rel in sorted(files)},
            },
            sort_keys=False,
            ensure_ascii=True,
        ).replace("\n", "\n    ")
        sep = "," if self._count else ""
        fh.write(f"{sep}\n    {json.encoder.encode_basestring_ascii(cid)}: {body}")
        self._count += 1

    def cluster(
        self, cid: str, record: ClusterRecord, files: Mapping[str, str] | None = None
    ) -> None:
        """One cluster's record and files ({path: sha256}; None: as the last manifest has
        them, `record` being its record there)."""
        before = self.before.clusters.get(cid)
        owned = self.before.files
        if files is None:
            if record is before and self._fh is None:
                self._met.add(cid)
                self._pending.append(cid)  # nothing to compare: it is the last one's
                return
            files = {rel: owned[rel] for rel in record.files if rel in owned}
        if before is not None:
            self._met.add(cid)
            if before.files != record.files:
                self._left.update(set(before.files) - set(files))
        if before is not record and owned:
            mine = set(before.files) if before is not None else set()
            self._taken.update(rel for rel in files if rel in owned and rel not in mine)
        unchanged = (
            self._fh is None
            and before == record
            and all(owned.get(rel) == sha for rel, sha in files.items())
        )
        if unchanged:
            self._pending.append(cid)
        else:
            self._write(cid, record, files)

    def gone(self, owned: dict[str, str]) -> set[str]:
        """Files of the last manifest that no cluster of this run lists: of clusters that
        left the model or no longer have them, and files that were no cluster's."""
        found = set(self._left)
        for cid, rec in self.before.clusters.items():
            if cid not in self._met:
                found.update(rec.files)
        loose = self.before.loose if owned is self.before.files else None
        if loose is None:
            recorded: set[str] = set()
            for rec in self.before.clusters.values():
                recorded.update(rec.files)
            loose = [rel for rel in owned if rel not in recorded]
        found.update(loose)
        return {rel for rel in found if rel in owned} - self._taken - set(self.extras)

    def unchanged(self, atlantis: str | None) -> bool:
        """Whether the manifest would be the same as the last one."""
        before = self.before
        return (
            self._fh is None  # every cluster of this run as before (each of them pending)
            and len(self._pending) == len(self._met) == len(before.clusters)
            and all(before.files.get(rel) == sha for rel, sha in self.extras.items())
            and sum(len(rec.files) for rec in before.clusters.values()) + len(self.extras)
            == len(before.files)
            and atlantis == before.atlantis
        )

    def write(self, atlantis: str | None) -> None:
        """End the manifest's temporary file: the clusters' records are in it already."""
        fh = self._open()
        enc = json.encoder.encode_basestring_ascii
        fh.write("\n  },\n" if self._count else "},\n")
        extras = {rel: self.extras[rel] for rel in sorted(self.extras)}
        files = indented_json(extras, sort_keys=False, ensure_ascii=True)
        fh.write(f'  "files": {files.replace(chr(10), chr(10) + "  ")}')
        if atlantis is not None:
            fh.write(f',\n  "atlantis": {enc(atlantis)}')
        fh.write("\n}\n")
        fh.close()
        self._fh = None

    def close(self) -> None:
        if self._fh is not None:
            with contextlib.suppress(OSError):
                self._fh.close()
            self._fh = None


def _load_manifest(jail: Jail, raw: bytes | None = None) -> dict[str, Any]:
    """The manifest's data (`raw`: its bytes, read already)."""
    path = jail.root / MANIFEST
    try:
        if raw is None:
            raw = jail.read(MANIFEST)
        if raw is None:
            return {}
        data = json.loads(raw.decode("utf-8"))
        if isinstance(data, dict) and isinstance(data.get("files"), dict):
            return data
    except (OSError, ValueError):
        pass
    raise OutputError(f"{path}: the manifest is unreadable; remove it to let treeform start over")


def _unreadable(jail: Jail) -> OutputError:
    return OutputError(
        f"{jail.root / MANIFEST}: the manifest is unreadable; remove it to let treeform start over"
    )


def _malformed(jail: Jail, where: str) -> OutputError:
    return OutputError(
        f"{jail.root / MANIFEST}: the manifest is malformed at {where}; remove it to let "
        "treeform start over"
    )


def _table(
    jail: Jail,
    value: object,
    where: str,
    source: str,
    cid: str = "",
    plain: set[str] | None = None,
) -> dict[str, str]:
    """A {path: sha256} table of the manifest, every path checked and every digest a
    string, or the run is refused, naming the table. A path below `cid` (checked already)
    has only the rest checked, once per distinct rest (`plain`: those found plain): a path
    is plain exactly when its parts are, and clusters repeat the same file names."""
    if type(value) is not dict:
        raise _malformed(jail, where)
    if not set(map(type, value.values())) <= {str}:
        bad = next(rel for rel, sha in value.items() if type(sha) is not str)
        raise _malformed(jail, f"{where}.{escaped(str(bad))}")
    below = f"{cid}/" if cid else ""
    cut = len(below)
    for rel in value:
        if plain is not None and below and type(rel) is str and rel.startswith(below):
            rest = rel[cut:]
            if rest in plain:
                continue
            if plain_relative(rest):
                plain.add(rest)
                continue
        jail.checked(rel, source)
    return value


def manifest_data(plan: Plan) -> dict[str, Any]:
    """The manifest a generate carrying out `plan` writes."""
    files = {**plan.kept, **plan.digests}
    recorded = {rel for rec in plan.clusters.values() for rel in rec.files}
    manifest: dict[str, Any] = {
        "generator": "treeform",
        "version": __version__,
        "clusters": {
            cid: {
                "fingerprint": rec.fingerprint,
                "state": rec.state,
                "files": {rel: files[rel] for rel in sorted(rec.files) if rel in files},
            }
            for cid, rec in plan.clusters.items()
        },
        "files": {rel: sha for rel, sha in sorted(files.items()) if rel not in recorded},
    }
    if plan.atlantis is not None:
        manifest["atlantis"] = plan.atlantis
    return manifest


def manifest_is_current(root: Path, plan: Plan) -> bool:
    """Whether the manifest in `root` is the one a generate carrying out `plan` would leave
    (`generate --check`: a stale committed manifest is stale output too)."""
    if root.is_symlink() or not root.is_dir():
        return False  # no output yet: generate would write its manifest
    try:
        with jailed(root) as jail:
            on_disk = _load_manifest(jail)
    except OutputError:
        return False
    return on_disk == manifest_data(plan)


def load_manifest(root: Path, jail: Jail | None = None) -> Manifest:
    """The manifest of an output directory. It is committed, so a pull request controls it:
    every path in it must be a plain relative path inside the directory and every field of
    the type treeform writes, or the run is refused, naming the entry.

    Each cluster's record holds its files' digests (`{"fingerprint", "state", "files":
    {path: sha256}}`), the top-level `files` those that are no cluster's (atlantis.yaml); a
    manifest of an earlier treeform, whose records list paths and whose `files` has every
    digest, reads the same."""
    if root.is_symlink() or not root.is_dir():
        return Manifest()
    if jail is None:
        with jailed(root) as own:
            return load_manifest(root, own)
    try:
        raw = jail.read(MANIFEST)
    except OSError:
        raise _unreadable(jail) from None
    cache = _ManifestCache(root, raw) if raw is not None else None
    manifest = cache.load() if cache is not None else Manifest()
    if manifest is None:
        manifest = _parsed(root, jail, _load_manifest(jail, raw))
        cache.save(manifest)  # type: ignore[union-attr]
    jail.known = manifest.files
    return manifest


def _parsed(root: Path, jail: Jail, data: dict[str, Any]) -> Manifest:
    """The manifest of `data`, every path and field checked (see `load_manifest`)."""
    source = str(root / MANIFEST)
    files = dict(_table(jail, data.get("files", {}), "files", source))
    top = list(files)
    records = data.get("clusters", {})
    if not isinstance(records, dict):
        raise _malformed(jail, "clusters")
    clusters = {}
    plain: set[str] = set()  # names below a cluster found plain
    for cid, rec in records.items():
        if not isinstance(rec, dict):
            raise _malformed(jail, f"clusters.{escaped(cid)}")
        fingerprint, listed, state = (
            rec.get("fingerprint", ""),
            rec.get("files", []),
            rec.get("state"),
        )
        where = f"clusters.{escaped(cid)}"
        if not isinstance(fingerprint, str):
            raise _malformed(jail, f"{where}.fingerprint")
        if state is not None and not isinstance(state, str):
            raise _malformed(jail, f"{where}.state")
        jail.checked(cid, source)
        if isinstance(listed, dict):
            table = _table(jail, listed, f"{where}.files", source, cid, plain)
            files.update(table)
            rels = list(table)
        elif isinstance(listed, list):  # the earlier format: the digests are in `files`
            rels = [rel if rel in files else jail.checked(rel, source) for rel in listed]
        else:
            raise _malformed(jail, f"{where}.files")
        clusters[cid] = ClusterRecord(fingerprint, rels, state)
    atlantis = data.get("atlantis")
    recorded: set[str] = set()
    for rec in clusters.values():
        recorded.update(rec.files)
    loose = [rel for rel in top if rel not in recorded]
    return Manifest(files, clusters, atlantis if isinstance(atlantis, str) else None, loose)


class _ManifestCache:
    """The last manifest of an output directory, as read and checked, in treeform's cache
    (`manifests/`, one per output directory) in a compact form that loads several times
    faster than the JSON (a manifest of 10,000 clusters is 12 MB): per cluster its
    fingerprint, state, the names of its files below it (one copy of each layout) and their
    digests in one string. It is used only for the very bytes it was made from (their
    sha256) under the same treeform (its code fingerprint); anything else, or anything
    unreadable, and the manifest is read as JSON and checked again."""

    _FORMAT = 1

    def __init__(self, root: Path, raw: bytes) -> None:
        directory = cache_dir("manifests")
        self.path: Path | None = None
        self.key = ""
        if directory is None or len(raw) < _CACHED_FROM:
            return
        place = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:32]
        self.path = directory / f"{place}.bin"
        self.key = f"{self._FORMAT}:{code_fingerprint()}:{hashlib.sha256(raw).hexdigest()}"

    def load(self) -> Manifest | None:
        if self.path is None:
            return None
        try:
            data = marshal.loads(self.path.read_bytes())
            key, shapes, rows, extras, atlantis = data
            if key != self.key:
                return None
            files: dict[str, str] = dict(extras)
            clusters: dict[str, ClusterRecord] = {}
            for cid, fingerprint, state, shape, shas in rows:
                rels = [f"{cid}/{name}" for name in shapes[shape]]
                if type(shas) is str:
                    shas = [shas[i : i + 64] for i in range(0, len(shas), 64)]
                files.update(zip(rels, shas, strict=True))
                clusters[cid] = ClusterRecord(fingerprint, rels, state)
            return Manifest(files, clusters, atlantis, [rel for rel, _ in extras])
        except (OSError, ValueError, TypeError, EOFError, IndexError, KeyError):
            return None

    def save(self, manifest: Manifest) -> None:
        """Best effort: a cache that cannot be written is no error."""
        if self.path is None:
            return
        shapes: dict[tuple[str, ...], int] = {}
        rows = []
        recorded: set[str] = set()
        files = manifest.files
        for cid, rec in manifest.clusters.items():
            cut = len(cid) + 1
            if not all(rel.startswith(f"{cid}/") for rel in rec.files):
                return  # not a layout this form can hold (an earlier manifest): not kept
            names = tuple(rel[cut:] for rel in rec.files)
            shas = [files[rel] for rel in rec.files]
            joined = "".join(shas)
            compact = joined if len(joined) == 64 * len(shas) else shas
            shape = shapes.setdefault(names, len(shapes))
            rows.append((cid, rec.fingerprint, rec.state, shape, compact))
            recorded.update(rec.files)
        extras = [(rel, sha) for rel, sha in files.items() if rel not in recorded]
        data = (self.key, list(shapes), rows, extras, manifest.atlantis)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with contextlib.suppress(OSError, ValueError):
            tmp.write_bytes(marshal.dumps(data))
            tmp.replace(self.path)
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


#: A manifest smaller than this is read as JSON as fast as from the cache (and tests, with
#: the cache on, keep reading theirs).
_CACHED_FROM = 1 << 20
