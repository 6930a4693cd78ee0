"""Write rendered files into an output directory, safely.

A generate is one transaction. It begins by recovering from any interrupted run and opening a
journal; each rendered file is then staged as soon as it is rendered (`Stager.stage`, also
in worker processes): a new file is written where it belongs, a changed one beside its
target, and the journal lists each before it is touched. Nothing has to be held in memory
but one cluster's files. The commit refuses to overwrite what a person edited or what
treeform does not own, swaps the changed files in, removes files it owns that left the
model, and records what it owns in a manifest; any failure before the end is rolled back,
at once or by the next run. `--check` and `diff` classify the same way without writing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import errno
import fcntl
import hashlib
import json
import os
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from treeform import __version__
from treeform.errors import OutputError
from treeform.fileindex import FileIndex, Meta, file_meta, signature
from treeform.jsonout import indented_json
from treeform.safefs import Jail, escaped, jailed, plain_relative

MANIFEST = ".treeform-manifest.json"
JOURNAL = ".treeform-journal"
LOCK = ".treeform.lock"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class ClusterRecord:
    """What the manifest keeps of one cluster: its fingerprint and its files."""

    fingerprint: str
    files: list[str]
    #: Where its Terraform state lives (None: a local state), so that a reused cluster
    #: takes part in the one-state-per-cluster rule without being read again.
    state: str | None = None


@dataclass(frozen=True)
class Staged:
    """What staging one rendered file found (and, when writing, did)."""

    rel: str
    sha: str
    #: "create", "update" or "unchanged"
    action: str
    conflict: str | None = None
    #: The bytes on disk before, kept only for a diff.
    old: bytes | None = None
    #: The file's metadata once staged (see fileindex), when it is final: None for a file
    #: swapped in at commit (its ctime changes then).
    meta: Meta | None = None


@dataclass
class Plan:
    """What writing the rendered files into a directory does (or would do)."""

    root: Path
    #: The rendered texts, kept only for a diff; `digests` has every file.
    files: dict[str, str]
    clusters: dict[str, ClusterRecord] = field(default_factory=dict)
    create: list[str] = field(default_factory=list)
    update: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    old: dict[str, bytes] = field(default_factory=dict)
    #: Files outside the scope of this run (`--only`): left alone, still owned (rel -> digest).
    kept: dict[str, str] = field(default_factory=dict)
    #: Every file this run rendered (rel -> digest).
    digests: dict[str, str] = field(default_factory=dict)
    #: What atlantis.yaml was made from (a hash), for the next run to reuse it.
    atlantis: str | None = None
    #: A writing run: each cluster's record and digests go to this spool as they come in
    #: (see `add_cluster`), so that memory does not grow with the tree; `clusters`,
    #: `digests`, `create` and `unchanged` then stay empty (the counts below are kept).
    spool: ManifestSpool | None = None
    created: int = 0
    same: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.update or self.remove)

    def summary(self) -> str:
        return (
            f"{self.created} created, {len(self.update)} updated, "
            f"{len(self.remove)} removed, {self.same} unchanged"
        )

    def add(self, staged: Iterable[Staged], *, of_cluster: bool = False) -> None:
        lean = self.spool is not None
        for item in staged:
            if lean and not of_cluster:
                self.spool.extras[item.rel] = item.sha  # type: ignore[union-attr]
            elif not lean:
                self.digests[item.rel] = item.sha
            if item.action == "create":
                self.created += 1
                if not lean:
                    self.create.append(item.rel)
            elif item.action == "update":
                self.update.append(item.rel)
            else:
                self.same += 1
                if not lean:
                    self.unchanged.append(item.rel)
            if item.conflict:
                self.conflicts.append(item.conflict)
            if item.old is not None:
                self.old[item.rel] = item.old

    def add_cluster(
        self,
        cid: str,
        record: ClusterRecord,
        staged: list[Staged] | None = None,
        digests: dict[str, str] | None = None,
    ) -> None:
        """One cluster's part of the plan: its record and its files, rendered (`staged`)
        or left as they are (`digests`: {path: sha256}; None: as the manifest has them)."""
        if staged is not None:
            self.add(staged, of_cluster=True)
        if self.spool is None:
            self.clusters[cid] = record
            return
        files = digests if staged is None else {s.rel: s.sha for s in staged}
        self.spool.cluster(cid, record, files)

    def finish(
        self,
        owned: dict[str, str],
        *,
        scope: Callable[[str], bool] | None = None,
        intact: dict[str, str] | None = None,
        for_diff: bool = False,
    ) -> Plan:
        """Complete the plan once every rendered file is in: `intact` files ({path: sha256},
        known to be as treeform wrote them) stay as they are; owned files that left the
        model are removed, but those `scope` rejects (a run restricted to some clusters),
        which are neither removed nor forgotten."""
        spool = self.spool
        for rel, sha in sorted((intact or {}).items()):
            if spool is not None:
                spool.extras[rel] = sha
                self.same += 1
                continue
            self.kept[rel] = sha
            self.unchanged.append(rel)
            self.same += 1
        gone = (
            spool.gone(owned)
            if spool is not None
            else set(owned) - set(self.digests) - set(self.kept)
        )
        with jailed(self.root) as jail:
            for rel in sorted(gone):
                if scope is not None and not scope(rel):
                    if spool is not None:
                        spool.extras[rel] = owned[rel]
                    else:
                        self.kept[rel] = owned[rel]
                    continue
                old = _read(jail, rel)
                if old is None:
                    continue
                if for_diff:
                    self.old[rel] = old
                if digest(old) != owned[rel]:
                    self.conflicts.append(
                        f"{self.root / rel}: edited by hand since treeform wrote it, and its "
                        "cluster left the model"
                    )
                self.remove.append(rel)
        for names in (self.create, self.update, self.unchanged, self.conflicts):
            names.sort()
        self.clusters = dict(sorted(self.clusters.items()))
        return self


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
            tmp = _tmp_name(MANIFEST)
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
        recorded: set[str] = set()
        found = set(self._left)
        for cid, rec in self.before.clusters.items():
            recorded.update(rec.files)
            if cid not in self._met:
                found.update(rec.files)
        found.update(rel for rel in owned if rel not in recorded)
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


def _load_manifest(jail: Jail) -> dict[str, Any]:
    path = jail.root / MANIFEST
    try:
        raw = jail.read(MANIFEST)
        if raw is None:
            return {}
        data = json.loads(raw.decode("utf-8"))
        if isinstance(data, dict) and isinstance(data.get("files"), dict):
            return data
    except (OSError, ValueError):
        pass
    raise OutputError(f"{path}: the manifest is unreadable; remove it to let treeform start over")


def _malformed(jail: Jail, where: str) -> OutputError:
    return OutputError(
        f"{jail.root / MANIFEST}: the manifest is malformed at {where}; remove it to let "
        "treeform start over"
    )


@dataclass
class Manifest:
    """What the last generate recorded in an output directory."""

    #: {path: sha256} of every file treeform wrote.
    files: dict[str, str] = field(default_factory=dict)
    #: Per cluster id: the fingerprint, files and state recorded by the last generate.
    clusters: dict[str, ClusterRecord] = field(default_factory=dict)
    #: A hash of what atlantis.yaml was made from (None: not made).
    atlantis: str | None = None


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
    data = _load_manifest(jail)
    source = str(root / MANIFEST)
    files = dict(_table(jail, data.get("files", {}), "files", source))
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
    jail.known = files
    return Manifest(files, clusters, atlantis if isinstance(atlantis, str) else None)


@dataclass(frozen=True)
class Intact:
    """The files of a cluster (or atlantis.yaml) found still as treeform wrote them."""

    #: {path: sha256}
    digests: dict[str, str]
    #: (path, sha256, metadata) of each, for the new file index; None when the index vouched
    #: for every one of them (its line is kept as it is).
    entries: list[tuple[str, str, Meta | None]] | None


def intact_digests(
    root: Path,
    rels: list[str],
    owned: dict[str, str],
    index: FileIndex | None = None,
    key: str = "",
    *,
    jail: Jail | None = None,
) -> Intact | None:
    """The files at `rels` if every one is still exactly as treeform wrote them (its digest
    the manifest's), else None (one is missing or differs). When the `index` vouches for
    them by their metadata (see fileindex) none is read; else each is read and hashed
    (through `jail`, the stager's, when given; no symlink is followed either way)."""
    if jail is None:
        with jailed(root) as own:
            return intact_digests(root, rels, owned, index, key, jail=own)
    digests: dict[str, str] = {}
    for rel in rels:
        sha = owned.get(rel)
        if sha is None:
            return None
        digests[rel] = sha
    noted = index.noted(key) if index is not None else None
    if index is not None and noted is not None:
        found: list[tuple[str, str, Meta]] = []
        limit = index.written_ns
        known = jail.known
        last, parent = None, None
        for rel, sha in digests.items():  # the hot loop of a generate with nothing changed
            try:
                if rel in known:  # checked as the manifest was read: the jail's lstat, inlined
                    directory, _, name = rel.rpartition("/")
                    if directory != last:
                        last, parent = directory, jail.dir_fd(directory)
                    if parent is None:
                        return None  # missing: render the cluster again
                    info = os.stat(name, dir_fd=parent, follow_symlinks=False)
                else:
                    checked = jail.lstat(rel)
                    if checked is None:
                        return None
                    info = checked
            except FileNotFoundError:
                return None  # missing: render the cluster again
            except (OSError, OutputError):
                return None  # unreadable: render the cluster again (and meet the problem there)
            meta = (info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns)
            if not (meta[1] < limit and meta[3] < limit and stat.S_ISREG(info.st_mode)):
                break  # racy, or not a regular file (read it, and fail, below)
            if not (meta[1] % 1_000_000_000 and meta[3] % 1_000_000_000):
                if not index.settled(meta):  # whole seconds: a coarse file system?
                    break
            found.append((rel, sha, meta))
        else:
            if signature(found) == noted:
                return Intact(digests, None)
    entries: list[tuple[str, str, Meta | None]] = []
    for rel, sha in digests.items():
        try:
            data, read = jail.read_info(rel)
        except (OSError, OutputError):
            return None  # unreadable: render the cluster again (and meet the problem there)
        if data is None or digest(data) != sha:
            return None
        entries.append((rel, sha, file_meta(read) if read is not None else None))
    return Intact(digests, entries)


def _read_meta(jail: Jail, rel: str) -> tuple[bytes | None, Meta | None]:
    """A file's bytes and its metadata (taken before it was read), or (None, None)."""
    try:
        data, info = jail.read_info(rel)
    except IsADirectoryError:
        raise OutputError(
            f"{jail.root / rel}: a directory stands where treeform writes a file"
        ) from None
    except OSError as exc:
        raise OutputError(f"{jail.root / rel}: cannot read: {exc.strerror}") from None
    return data, (file_meta(info) if info is not None and data is not None else None)


def _read(jail: Jail, rel: str) -> bytes | None:
    try:
        return jail.read(rel)
    except IsADirectoryError:
        raise OutputError(
            f"{jail.root / rel}: a directory stands where treeform writes a file"
        ) from None
    except OSError as exc:
        raise OutputError(f"{jail.root / rel}: cannot read: {exc.strerror}") from None


def _known_files(root: Path) -> set[str] | None:
    """The files below `root` when it is known without looking (none: it is missing or
    empty but for the lock); None when each must be looked for as it is staged (reading a
    file that is there is needed anyway, to compare it)."""
    try:
        with os.scandir(root) as entries:
            if any(e.name not in (LOCK, JOURNAL) for e in entries):
                return None
    except FileNotFoundError:
        pass
    return set()


def _tmp_name(rel: str) -> str:
    directory, slash, name = rel.rpartition("/")
    return f"{directory}{slash}.{name}.treeform-tmp"


class Stager:
    """Classifies each rendered file against the output directory and, when it writes, puts
    the file in place at once: a new file where it belongs, a changed one beside its target
    (the commit swaps it in). The journal lists a file before it is touched, so that a
    roll-back knows what to remove. A stager holds the manifest (and knows when the
    directory is empty); worker processes forked from the one that made it use it as it is."""

    def __init__(
        self,
        root: Path,
        manifest: Manifest,
        existing: set[str] | None,
        *,
        journal: Path | None = None,
        for_diff: bool = False,
        index: FileIndex | None = None,
    ) -> None:
        self.root = root
        self.manifest = manifest
        #: What the last run saw of the files (None: hash every file, as --check does).
        self.index = index
        self.owned = manifest.files
        self.existing = existing
        self.journal = journal
        self.for_diff = for_diff
        #: Every file operation on the output directory goes through it.
        self.jail = Jail(root)
        self.jail.known = manifest.files  # checked as the manifest was read
        self._log: IO[str] | None = None
        self._log_pid = 0

    @classmethod
    def dry(cls, root: Path, *, for_diff: bool = False) -> Stager:
        """A stager that only compares (`--check`, `diff`)."""
        if root.is_symlink():
            raise _symlinked_root(root)
        if root.exists() and not root.is_dir():
            raise OutputError(f"{root}: the output path exists and is not a directory")
        return cls(root, load_manifest(root), _known_files(root), for_diff=for_diff)

    def stage(self, rel: str, text: str) -> Staged:
        return self.stage_all({rel: text})[0]

    def stage_all(self, files: Mapping[str, str]) -> list[Staged]:
        """Stage a batch of files (one cluster's), in path order: each is compared with the
        disk, the journal lists those about to be written (one write for the batch), then
        they are written."""
        staged: list[Staged] = []
        writes: list[tuple[int, str, bytes]] = []
        for rel in sorted(files):
            data = files[rel].encode()
            item = self._classify(rel, data)
            if item.action == "create":
                writes.append((len(staged), rel, data))
            elif item.action == "update":
                writes.append((-1, _tmp_name(rel), data))
            staged.append(item)
        if self.journal is not None and writes:
            self._note([(s.action, s.rel) for s in staged if s.action != "unchanged"])
            for i, target, data in writes:  # directories too only once they are listed
                info = self.jail.write(target, data)
                if i >= 0:  # in place for good: what the file index will note
                    staged[i] = dataclasses.replace(staged[i], meta=file_meta(info))
        return staged

    def _classify(self, rel: str, data: bytes) -> Staged:
        sha = digest(data)
        path = self.root / rel
        old, meta = None, None
        if self.existing is None or rel in self.existing:
            old, meta = _read_meta(self.jail, rel)
        if old is None:
            return Staged(rel, sha, "create")
        kept = old if self.for_diff else None
        if old == data:
            return Staged(rel, sha, "unchanged", old=kept, meta=meta)
        conflict = None
        if rel not in self.owned:
            conflict = f"{path}: exists and was not written by treeform"
        elif digest(old) != self.owned[rel]:
            conflict = f"{path}: edited by hand since treeform wrote it"
        return Staged(rel, sha, "update", conflict, kept)

    def _note(self, entries: list[tuple[str, str]]) -> None:
        """Lines of this process's journal log, on disk before the files are touched."""
        assert self.journal is not None
        if self._log is None or self._log_pid != os.getpid():
            self._log_pid = os.getpid()
            fd = self.jail.open_append(f"{JOURNAL}/{_STAGED}{self._log_pid}")
            self._log = os.fdopen(fd, "a", encoding="utf-8")
        self._log.write("".join(json.dumps(entry) + "\n" for entry in entries))
        self._log.flush()

    def close(self) -> None:
        if self._log is not None and self._log_pid == os.getpid():
            self._log.close()
        self._log = None
        self.jail.close()


def _symlinked_root(root: Path) -> OutputError:
    return OutputError(
        f"{root}: the output directory is a symbolic link; treeform writes only into a real "
        "directory"
    )


def _lock_error(exc: OSError, root: Path) -> OutputError:
    lock = root / LOCK
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return OutputError(f"{root}: the output directory is not writable ({exc.strerror})")
    if exc.errno == errno.EISDIR:
        return OutputError(f"{lock}: a directory stands where the lock file belongs; remove it")
    return OutputError(f"{lock}: cannot take the lock: {exc.strerror}")


@contextlib.contextmanager
def output_lock(root: Path) -> Iterator[None]:
    """Hold the output directory for one writer: an exclusive `flock` on the lock file,
    which the kernel drops when its process dies (a dead owner leaves nothing that holds).
    A second writer is refused at once. The lock file is removed by its holder while it
    still holds it; a writer that locked a file removed meanwhile tries again, so two live
    owners never hold the same path."""
    if root.is_symlink():
        raise _symlinked_root(root)
    if root.exists() and not root.is_dir():
        raise OutputError(f"{root}: the output path exists and is not a directory")
    created = not root.exists()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{root}: cannot create the output directory: {exc.strerror}") from None
    jail = Jail(root)
    fd = -1
    try:
        fd = _take_lock(jail)
        yield
    finally:
        if fd >= 0:
            with contextlib.suppress(OSError):
                jail.unlink(LOCK)  # still holding it
            os.close(fd)
        jail.close()
        if created:
            # An invalid model writes nothing, not even the directory it would have filled.
            with contextlib.suppress(OSError):
                root.rmdir()  # only when still empty


def _take_lock(jail: Jail) -> int:
    root = jail.root
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    for _ in range(100):
        try:
            parent = jail.dir_fd("")
            assert parent is not None
            fd = os.open(LOCK, flags, 0o644, dir_fd=parent)
        except OutputError:
            raise
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                raise jail.symlink_refusal(LOCK) from None
            raise _lock_error(exc, root) from None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OutputError(f"{root / LOCK}: not a regular file; remove it")
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
                who = f" (pid {holder})" if holder.isdigit() else ""
                raise OutputError(
                    f"{root / LOCK}: another treeform{who} is writing this directory; wait "
                    "for it to finish"
                ) from None
            mine = os.fstat(fd)
            try:
                there = os.stat(LOCK, dir_fd=parent, follow_symlinks=False)
            except FileNotFoundError:
                there = None
            if there is not None and (there.st_dev, there.st_ino) == (mine.st_dev, mine.st_ino):
                with contextlib.suppress(OSError):  # who holds it, for the message of others
                    os.ftruncate(fd, 0)
                    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
                return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)  # its holder removed it as we opened it: take the new one
    raise OutputError(f"{root / LOCK}: cannot take the lock")


# The journal makes a write all-or-nothing. Its logs (one per process) list every file
# written in place or staged beside its target, before it is touched; at commit it lists the
# plan, holds hard links to the files being replaced or removed, and carries a `committing`
# mark while targets are being replaced. An interrupted write (an error, Ctrl-C, a crash) is
# rolled back from it, at once or by the next run: the directory is then as it was before.
# The journal may have been committed by anyone: every path in it is checked before any is
# used, and a journal that names anything but plain paths inside the directory is refused.
_STAGED = "staged."
_PLAN = "plan.json"
_COMMITTING = "committing"
_BACKUP = "backup"


def _journal_refusal(jail: Jail, what: str) -> OutputError:
    return OutputError(
        f"{jail.root / JOURNAL}: {what}; nothing was touched; remove the journal to let "
        "treeform start over"
    )


def _logged(jail: Jail, names: list[str]) -> list[tuple[str, str]]:
    entries = []
    for name in names:
        if not name.startswith(_STAGED):
            continue
        source = f"{jail.root / JOURNAL}/{escaped(name)}"
        raw = jail.read(f"{JOURNAL}/{name}")
        for line in (raw or b"").decode("utf-8", errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:  # a line cut short by a crash
                continue
            if (
                not isinstance(entry, list)
                or len(entry) != 2
                or entry[0] not in ("create", "update")
            ):
                raise _journal_refusal(jail, f"{escaped(name)}: malformed entry {escaped(line)!r}")
            entries.append((entry[0], jail.checked(entry[1], source)))
    return entries


def _listed(jail: Jail) -> dict[str, list[str]]:
    source = str(jail.root / JOURNAL / _PLAN)
    try:
        raw = jail.read(f"{JOURNAL}/{_PLAN}")
        listed = json.loads((raw or b"").decode("utf-8"))
    except (OSError, ValueError):  # not written yet (or cut short): the commit had not begun
        return {"update": [], "remove": []}
    if not isinstance(listed, dict) or not all(
        isinstance(listed.get(k), list) for k in ("update", "remove")
    ):
        raise _journal_refusal(jail, f"{_PLAN} is malformed")
    return {k: [jail.checked(rel, source) for rel in listed[k]] for k in ("update", "remove")}


def recover(root: Path) -> bool:
    """Roll back a write that was interrupted; True if there was one. Everything the
    journal names is checked before anything is touched."""
    if root.is_symlink() or not root.is_dir():
        return False
    with jailed(root) as jail:
        info = jail.lstat(JOURNAL)
        if info is None:
            return False
        if not stat.S_ISDIR(info.st_mode):
            raise _journal_refusal(jail, "not a directory")
        names = jail.listdir(JOURNAL)
        logged = _logged(jail, names)
        listed = _listed(jail) if _COMMITTING in names else {"update": [], "remove": []}
        restore = []
        for rel in [*listed["update"], *listed["remove"], MANIFEST]:
            backup = jail.lstat(f"{JOURNAL}/{_BACKUP}/{rel}")
            if backup is None:
                continue
            if not stat.S_ISREG(backup.st_mode):
                raise _journal_refusal(jail, f"{_BACKUP}/{escaped(rel)} is not a regular file")
            restore.append(rel)
        for _, rel in logged:
            jail.lstat(rel)  # its directories: a symlink among them is refused here
        # Checked: now act.
        for _, rel in [*logged, ("update", MANIFEST)]:
            jail.unlink(_tmp_name(rel))
        for rel in restore:
            jail.replace(f"{JOURNAL}/{_BACKUP}/{rel}", rel)
        for action, rel in logged:
            if action == "create":
                jail.unlink(rel)
                _prune_empty_dirs(jail, rel.rpartition("/")[0])
        jail.rmtree(JOURNAL)
    return True


class Transaction:
    """One all-or-nothing write into an output directory (call it under `output_lock`):
    `begin` gives the stager for the rendered files, then `commit` a plan, or `rollback`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.journal = root / JOURNAL
        self.stager: Stager | None = None

    def begin(self) -> Stager:
        root = self.root
        if root.is_symlink():
            raise _symlinked_root(root)
        try:
            if not root.is_dir():
                root.mkdir(parents=True, exist_ok=True)
            recover(root)
            jail = Jail(root)
            try:
                manifest = load_manifest(root, jail)
                existing = _known_files(root)
                jail.mkdir(JOURNAL)
            except BaseException:
                jail.close()
                raise
        except OSError as exc:
            raise _write_error(exc, root) from None
        # An empty output has nothing for the index to vouch for: its lines are not read.
        index = FileIndex.of(root, read=bool(manifest.files))
        self.stager = Stager(root, manifest, existing, journal=self.journal, index=index)
        self.stager.jail = jail
        return self.stager

    def rollback(self) -> None:
        if self.stager is not None:
            self.stager.close()
        with contextlib.suppress(OSError, OutputError):
            recover(self.root)

    def commit(self, plan: Plan, *, force: bool = False) -> None:
        """Make the staged files final, all or nothing. Nothing is changed when the plan has
        conflicts (unless `force`)."""
        if plan.conflicts and not force:
            raise _refusal(plan.conflicts)
        files = {**plan.kept, **plan.digests}
        jail = Jail(self.root)
        spool = plan.spool
        if self.stager is not None:
            self.stager.close()
            jail = self.stager.jail
            before = self.stager.manifest
            if spool is not None:
                if not plan.changed and spool.unchanged(plan.atlantis):
                    jail.rmtree(JOURNAL)  # nothing to change, the manifest included
                    jail.close()
                    return
            elif not plan.changed and (files, plan.clusters, plan.atlantis) == (
                before.files,
                before.clusters,
                before.atlantis,
            ):
                jail.rmtree(JOURNAL)  # nothing to change, the manifest included
                jail.close()
                return
        try:
            self._commit(jail, plan, files)
        finally:
            jail.close()

    def _commit(self, jail: Jail, plan: Plan, files: dict[str, str]) -> None:
        listed = {"update": plan.update, "remove": plan.remove}
        jail.write(f"{JOURNAL}/{_PLAN}", json.dumps(listed).encode())
        spool = plan.spool
        if spool is None:  # a plan made in memory: its manifest the same way
            spool = ManifestSpool(jail, Manifest())
            for cid, rec in plan.clusters.items():
                spool.cluster(cid, rec, {rel: files[rel] for rel in rec.files if rel in files})
            recorded = {rel for rec in plan.clusters.values() for rel in rec.files}
            spool.extras = {rel: sha for rel, sha in files.items() if rel not in recorded}
        spool.jail = jail
        spool.write(plan.atlantis)
        # Keep the files about to be replaced or removed.
        for rel in [*plan.update, *plan.remove, MANIFEST]:
            if jail.exists(rel):
                jail.link(rel, f"{JOURNAL}/{_BACKUP}/{rel}")
        # From here an interruption is rolled back from the backups.
        jail.write(f"{JOURNAL}/{_COMMITTING}", b"")
        for rel in plan.update:
            jail.replace(_tmp_name(rel), rel)
        for rel in plan.remove:
            jail.unlink(rel)
            _prune_empty_dirs(jail, rel.rpartition("/")[0])
        jail.replace(_tmp_name(MANIFEST), MANIFEST)
        # Done: dropping the mark makes the new state final.
        jail.unlink(f"{JOURNAL}/{_COMMITTING}")
        jail.rmtree(JOURNAL)

    @contextlib.contextmanager
    def running(self) -> Iterator[Stager]:
        """`begin`, and on any failure inside (or raised by `commit`) roll back; an OSError
        becomes an OutputError saying the directory was left as it was."""
        try:
            yield self.begin()
        except BaseException as exc:
            self.rollback()
            if isinstance(exc, OSError):
                raise _write_error(exc, self.root) from None
            raise


def _refusal(conflicts: list[str]) -> OutputError:
    return OutputError(
        "\n".join(conflicts)
        + "\nnothing was written; move those files away, or pass --force to overwrite them"
    )


def _write_error(exc: OSError, root: Path) -> OutputError:
    return OutputError(
        f"{exc.filename or root}: cannot write: {exc.strerror}; "
        "the output directory was left as it was"
    )


def plan_output(
    root: Path,
    files: dict[str, str],
    clusters: dict[str, ClusterRecord] | None = None,
    *,
    scope: Callable[[str], bool] | None = None,
    intact: dict[str, str] | None = None,
) -> Plan:
    """What writing `files` into `root` would do, with the old bytes for a diff."""
    stager = Stager.dry(root, for_diff=True)
    plan = Plan(root, files, dict(clusters or {}))
    try:
        plan.add(stager.stage(rel, files[rel]) for rel in sorted(files))
    finally:
        stager.close()
    return plan.finish(stager.owned, scope=scope, intact=intact, for_diff=True)


def write_output(plan: Plan, *, force: bool = False) -> None:
    """Carry out a plan made in memory by `plan_output`, all or nothing. Nothing is changed
    when the plan has conflicts (unless `force`). Call it under `output_lock`."""
    if plan.conflicts and not force:
        raise _refusal(plan.conflicts)
    transaction = Transaction(plan.root)
    with transaction.running() as stager:
        staged = Plan(plan.root, {}, plan.clusters, kept=dict(plan.kept))
        staged.add(stager.stage_all(plan.files))
        staged.remove = list(plan.remove)
        transaction.commit(staged, force=force)


def _prune_empty_dirs(jail: Jail, directory: str) -> None:
    """Remove `directory` and the directories above it (below the root) that are empty;
    one that is not there (its creation failed half-way) is passed over."""
    while directory:
        try:
            jail.rmdir(directory)
        except FileNotFoundError:
            pass
        except OSError:
            return
        directory = directory.rpartition("/")[0]


def unified_diff(plan: Plan) -> str:
    """Every change of a plan as one unified diff, paths relative to the output root."""
    chunks: list[str] = []
    for rel in sorted(plan.create + plan.update + plan.remove):
        old = plan.old.get(rel, b"").decode(errors="replace").splitlines(keepends=True)
        new = plan.files.get(rel, "").splitlines(keepends=True)
        chunks.extend(
            difflib.unified_diff(
                old,
                new,
                fromfile="/dev/null" if rel in plan.create else f"a/{rel}",
                tofile="/dev/null" if rel in plan.remove else f"b/{rel}",
            )
        )
    return "".join(chunks)
