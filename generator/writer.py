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
from treeform.jsonout import indented_json
from treeform.safefs import Jail, escaped, jailed

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

    @property
    def changed(self) -> bool:
        return bool(self.create or self.update or self.remove)

    def summary(self) -> str:
        return (
            f"{len(self.create)} created, {len(self.update)} updated, "
            f"{len(self.remove)} removed, {len(self.unchanged)} unchanged"
        )

    def add(self, staged: Iterable[Staged]) -> None:
        for item in staged:
            self.digests[item.rel] = item.sha
            {"create": self.create, "update": self.update, "unchanged": self.unchanged}[
                item.action
            ].append(item.rel)
            if item.conflict:
                self.conflicts.append(item.conflict)
            if item.old is not None:
                self.old[item.rel] = item.old

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
        for rel, sha in sorted((intact or {}).items()):
            self.kept[rel] = sha
            self.unchanged.append(rel)
        gone = sorted(set(owned) - set(self.digests) - set(self.kept))
        with jailed(self.root) as jail:
            for rel in gone:
                if scope is not None and not scope(rel):
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


def manifest_data(plan: Plan) -> dict[str, Any]:
    """The manifest a generate carrying out `plan` writes."""
    files = {**plan.kept, **plan.digests}
    manifest: dict[str, Any] = {
        "generator": "treeform",
        "version": __version__,
        "files": dict(sorted(files.items())),
        "clusters": {
            cid: {"fingerprint": rec.fingerprint, "files": rec.files, "state": rec.state}
            for cid, rec in plan.clusters.items()
        },
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
    the type treeform writes, or the run is refused, naming the entry."""
    if root.is_symlink() or not root.is_dir():
        return Manifest()
    if jail is None:
        with jailed(root) as own:
            return load_manifest(root, own)
    data = _load_manifest(jail)
    source = str(root / MANIFEST)
    files: dict[str, str] = {}
    for rel, sha in data.get("files", {}).items():
        if not isinstance(sha, str):
            raise _malformed(jail, f"files.{escaped(str(rel))}")
        files[jail.checked(rel, source)] = sha
    records = data.get("clusters", {})
    if not isinstance(records, dict):
        raise _malformed(jail, "clusters")
    clusters = {}
    for cid, rec in records.items():
        if not isinstance(rec, dict):
            raise _malformed(jail, f"clusters.{escaped(cid)}")
        fingerprint, rels, state = (
            rec.get("fingerprint", ""),
            rec.get("files", []),
            rec.get("state"),
        )
        if not isinstance(fingerprint, str):
            raise _malformed(jail, f"clusters.{escaped(cid)}.fingerprint")
        if not isinstance(rels, list):
            raise _malformed(jail, f"clusters.{escaped(cid)}.files")
        if state is not None and not isinstance(state, str):
            raise _malformed(jail, f"clusters.{escaped(cid)}.state")
        jail.checked(cid, source)
        checked = [rel if rel in files else jail.checked(rel, source) for rel in rels]
        clusters[cid] = ClusterRecord(fingerprint, checked, state)
    atlantis = data.get("atlantis")
    jail.known = files
    return Manifest(files, clusters, atlantis if isinstance(atlantis, str) else None)


def intact_digests(
    root: Path, rels: list[str], owned: dict[str, str], jail: Jail | None = None
) -> dict[str, str] | None:
    """{path: sha256} of files that are still exactly as treeform wrote them, or None if
    any is missing or differs (read through `jail`, the stager's, when given)."""
    if jail is None:
        with jailed(root) as own:
            return intact_digests(root, rels, owned, own)
    digests = {}
    for rel in rels:
        sha = owned.get(rel)
        try:
            data = jail.read(rel)
        except (OSError, OutputError):
            return None  # unreadable: render the cluster again (and meet the problem there)
        if data is None or sha is None or digest(data) != sha:
            return None
        digests[rel] = sha
    return digests


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
    ) -> None:
        self.root = root
        self.manifest = manifest
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
        writes: list[tuple[str, bytes]] = []
        for rel in sorted(files):
            data = files[rel].encode()
            item = self._classify(rel, data)
            staged.append(item)
            if item.action == "create":
                writes.append((rel, data))
            elif item.action == "update":
                writes.append((_tmp_name(rel), data))
        if self.journal is not None and writes:
            self._note([(s.action, s.rel) for s in staged if s.action != "unchanged"])
            for target, data in writes:  # directories too only once they are listed
                self.jail.write(target, data)
        return staged

    def _classify(self, rel: str, data: bytes) -> Staged:
        sha = digest(data)
        path = self.root / rel
        old = _read(self.jail, rel) if self.existing is None or rel in self.existing else None
        if old is None:
            return Staged(rel, sha, "create")
        kept = old if self.for_diff else None
        if old == data:
            return Staged(rel, sha, "unchanged", old=kept)
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
        self.stager = Stager(root, manifest, existing, journal=self.journal)
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
        if self.stager is not None:
            self.stager.close()
            jail = self.stager.jail
            before = self.stager.manifest
            if not plan.changed and (files, plan.clusters, plan.atlantis) == (
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
        manifest = manifest_data(plan)
        listed = {"update": plan.update, "remove": plan.remove}
        jail.write(f"{JOURNAL}/{_PLAN}", json.dumps(listed).encode())
        text = indented_json(manifest, sort_keys=False, ensure_ascii=True) + "\n"
        jail.write(_tmp_name(MANIFEST), text.encode())
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
