"""Staging: each rendered file compared with the output directory and, in a writing run,
put in place at once (`Stager`, also in worker processes): a new file where it belongs, a
changed one beside its target, listed in the journal before it is touched. What staging
found adds up to a `Plan` (create / update / remove / unchanged, and the conflicts that
stop a commit). `intact_digests` says whether a cluster's files are still as treeform wrote
them, from their metadata when the file index vouches for them (see fileindex), else by
their digests. `--check` and `diff` stage with a stager that only compares.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from treeform.errors import OutputError
from treeform.fileindex import FileIndex, Meta, file_meta
from treeform.layout import JOURNAL, LOCK, tmp_name
from treeform.manifest import ClusterRecord, Manifest, ManifestSpool, load_manifest
from treeform.safefs import Jail, jailed, plain_relative, symlinked_root

if TYPE_CHECKING:
    from treeform.journal import JournalLog


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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


def summary(created: int, updated: int, removed: int, same: int) -> str:
    """What a generate did to the files, as it says it."""
    return f"{created} created, {updated} updated, {removed} removed, {same} unchanged"


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
        return summary(self.created, len(self.update), len(self.remove), self.same)

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


@dataclass(frozen=True)
class Intact:
    """The files of a cluster (or atlantis.yaml) found still as treeform wrote them."""

    rels: list[str]
    #: The sha256 of each.
    shas: list[str]
    #: (path, sha256, metadata) of each, for the new file index; None when the index vouched
    #: for every one of them (its line is kept as it is).
    entries: list[tuple[str, str, Meta | None]] | None
    #: When the index vouched: the metadata it vouched for, four numbers a file (see
    #: `Jail.metadata`), for the stamp (see stamp).
    numbers: list[int] | None = None

    @property
    def digests(self) -> dict[str, str]:
        """{path: sha256}"""
        return dict(zip(self.rels, self.shas, strict=True))


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
    found = [owned.get(rel) for rel in rels]
    if None in found:
        return None
    shas: list[str] = found  # type: ignore[assignment]
    noted = index.noted(key) if index is not None else None
    if index is not None and noted is not None:
        # The hot loop of a generate with nothing changed: each file's metadata, nothing
        # read. Paths the manifest's reading checked are not checked again.
        known = jail.known
        if known is owned or all(rel in known or plain_relative(rel) for rel in rels):
            numbers = jail.metadata(rels)
            if numbers is not None and index.vouches(noted, rels, shas, numbers):
                return Intact(rels, shas, None, numbers)
        # Else (a file missing, changed, racy or not a regular file): read and hash them.
    entries: list[tuple[str, str, Meta | None]] = []
    for rel, sha in zip(rels, shas, strict=True):
        try:
            data, read = jail.read_info(rel)
        except (OSError, OutputError):
            return None  # unreadable: render the cluster again (and meet the problem there)
        if data is None or digest(data) != sha:
            return None
        entries.append((rel, sha, file_meta(read) if read is not None else None))
    return Intact(rels, shas, entries)


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
    """A file's bytes, or None (see `_read_meta`)."""
    return _read_meta(jail, rel)[0]


def known_files(root: Path) -> set[str] | None:
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


class Stager:
    """Classifies each rendered file against the output directory and, when it writes, puts
    the file in place at once: a new file where it belongs, a changed one beside its target
    (the commit swaps it in). The journal's log (`journal`, given by the transaction that
    made this stager; None: nothing is written) lists a file before it is touched, so that a
    roll-back knows what to remove. A stager holds the manifest (and knows when the
    directory is empty); worker processes forked from the one that made it use it as it is."""

    def __init__(
        self,
        root: Path,
        manifest: Manifest,
        existing: set[str] | None,
        *,
        journal: JournalLog | None = None,
        for_diff: bool = False,
        index: FileIndex | None = None,
        jail: Jail | None = None,
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
        self.jail = jail if jail is not None else Jail(root)
        self.jail.known = manifest.files  # checked as the manifest was read

    @classmethod
    def dry(cls, root: Path, *, for_diff: bool = False) -> Stager:
        """A stager that only compares (`--check`, `diff`)."""
        if root.is_symlink():
            raise symlinked_root(root)
        if root.exists() and not root.is_dir():
            raise OutputError(f"{root}: the output path exists and is not a directory")
        return cls(root, load_manifest(root), known_files(root), for_diff=for_diff)

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
                writes.append((-1, tmp_name(rel), data))
            staged.append(item)
        if self.journal is not None and writes:
            self.journal.note([(s.action, s.rel) for s in staged if s.action != "unchanged"])
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

    def close(self) -> None:
        if self.journal is not None:
            self.journal.close()
        self.jail.close()
