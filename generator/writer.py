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
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from treeform import __version__
from treeform.errors import OutputError
from treeform.jsonout import indented_json

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
        for rel in sorted(set(owned) - set(self.digests) - set(self.kept)):
            if scope is not None and not scope(rel):
                self.kept[rel] = owned[rel]
                continue
            old = _read(self.root / rel)
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


def _load_manifest(root: Path) -> dict[str, Any]:
    path = root / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("files"), dict):
            return data
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        pass
    raise OutputError(f"{path}: the manifest is unreadable; remove it to let treeform start over")


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
    try:
        on_disk = _load_manifest(root) if root.is_dir() else {}
    except OutputError:
        return False
    return on_disk == manifest_data(plan)


def load_manifest(root: Path) -> Manifest:
    if not root.is_dir():
        return Manifest()
    data = _load_manifest(root)
    records = data.get("clusters", {})
    clusters = {
        str(cid): ClusterRecord(
            str(rec.get("fingerprint", "")),
            list(rec.get("files", [])),
            str(rec["state"]) if rec.get("state") is not None else None,
        )
        for cid, rec in (records.items() if isinstance(records, dict) else ())
        if isinstance(rec, dict)
    }
    atlantis = data.get("atlantis")
    return Manifest(
        {str(k): str(v) for k, v in data.get("files", {}).items()},
        clusters,
        atlantis if isinstance(atlantis, str) else None,
    )


def intact_digests(root: Path, rels: list[str], owned: dict[str, str]) -> dict[str, str] | None:
    """{path: sha256} of files that are still exactly as treeform wrote them, or None if
    any is missing or differs."""
    digests = {}
    base = str(root)
    for rel in rels:
        sha = owned.get(rel)
        try:
            data = read_bytes(f"{base}/{rel}")
        except OSError:
            return None  # missing or unreadable: render the cluster again
        if sha is None or digest(data) != sha:
            return None
        digests[rel] = sha
    return digests


def read_bytes(path: str) -> bytes:
    """A file's bytes with two system calls and no file object: this runs for every file of
    every unchanged cluster."""
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        data = os.read(fd, size + 1)
        if len(data) <= size:
            return data
        chunks = [data]  # it grew while being read
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _read(path: Path) -> bytes | None:
    try:
        return read_bytes(str(path))
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise OutputError(f"{path}: a directory stands where treeform writes a file") from None
    except OSError as exc:
        raise OutputError(f"{path}: cannot read: {exc.strerror}") from None


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


def _tmp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.treeform-tmp")


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
        self._made: set[Path] = set()
        self._log: IO[str] | None = None
        self._log_pid = 0

    @classmethod
    def dry(cls, root: Path, *, for_diff: bool = False) -> Stager:
        """A stager that only compares (`--check`, `diff`)."""
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
        writes: list[tuple[Path, bytes]] = []
        for rel in sorted(files):
            data = files[rel].encode()
            item = self._classify(rel, data)
            staged.append(item)
            if item.action == "create":
                writes.append((self.root / rel, data))
            elif item.action == "update":
                writes.append((_tmp_name(self.root / rel), data))
        if self.journal is not None and writes:
            self._note([(s.action, s.rel) for s in staged if s.action != "unchanged"])
            for target, data in writes:  # directories too only once they are listed
                self._parent_of(target).write_bytes(data)
        return staged

    def _classify(self, rel: str, data: bytes) -> Staged:
        sha = digest(data)
        path = self.root / rel
        old = _read(path) if self.existing is None or rel in self.existing else None
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

    def _parent_of(self, target: Path) -> Path:
        if target.parent not in self._made:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(target.parent)
        return target

    def _note(self, entries: list[tuple[str, str]]) -> None:
        """Lines of this process's journal log, on disk before the files are touched."""
        assert self.journal is not None
        if self._log is None or self._log_pid != os.getpid():
            self._log_pid = os.getpid()
            log = self.journal / f"{_STAGED}{self._log_pid}"
            self._log = log.open("a", encoding="utf-8")
        self._log.write("".join(json.dumps(entry) + "\n" for entry in entries))
        self._log.flush()

    def close(self) -> None:
        if self._log is not None and self._log_pid == os.getpid():
            self._log.close()
        self._log = None


@contextlib.contextmanager
def output_lock(root: Path) -> Iterator[None]:
    """Hold the output directory for one writer; a second one is refused, a stale lock
    (its process is gone) is taken over."""
    if root.exists() and not root.is_dir():
        raise OutputError(f"{root}: the output path exists and is not a directory")
    created = not root.exists()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{root}: cannot create the output directory: {exc.strerror}") from None
    lock = root / LOCK
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except PermissionError:
            raise OutputError(f"{root}: the output directory is not writable") from None
        except FileExistsError:
            holder = _lock_holder(lock)
            if holder is not None:
                raise OutputError(
                    f"{lock}: another treeform (pid {holder}) is writing this directory; "
                    "wait for it to finish (remove the file if that process is gone)"
                ) from None
            lock.unlink(missing_ok=True)  # stale: its process is gone
            continue
        with os.fdopen(fd, "w") as fh:
            fh.write(f"{os.getpid()}\n")
        break
    else:
        raise OutputError(f"{lock}: cannot take the lock")
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)
        if created:
            # An invalid model writes nothing, not even the directory it would have filled.
            with contextlib.suppress(OSError):
                root.rmdir()  # only when still empty


def _lock_holder(lock: Path) -> int | None:
    """The pid holding a lock, or None when the lock is stale."""
    try:
        pid = int(lock.read_text().strip() or "0")
    except (OSError, ValueError):
        return None
    if pid <= 0 or pid == os.getpid():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


# The journal makes a write all-or-nothing. Its logs (one per process) list every file
# written in place or staged beside its target, before it is touched; at commit it lists the
# plan, holds hard links to the files being replaced or removed, and carries a `committing`
# mark while targets are being replaced. An interrupted write (an error, Ctrl-C, a crash) is
# rolled back from it, at once or by the next run: the directory is then as it was before.
_STAGED = "staged."
_PLAN = "plan.json"
_COMMITTING = "committing"
_BACKUP = "backup"


def _logged(journal: Path) -> list[tuple[str, str]]:
    entries = []
    for log in sorted(journal.glob(f"{_STAGED}*")):
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            with contextlib.suppress(ValueError):  # a line cut short by a crash
                action, rel = json.loads(line)
                entries.append((str(action), str(rel)))
    return entries


def recover(root: Path) -> bool:
    """Roll back a write that was interrupted; True if there was one."""
    journal = root / JOURNAL
    if not journal.is_dir():
        return False
    try:
        listed = json.loads((journal / _PLAN).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        listed = {"update": [], "remove": []}
    logged = _logged(journal)
    for _, rel in [*logged, ("update", MANIFEST)]:
        _tmp_name(root / rel).unlink(missing_ok=True)
    if (journal / _COMMITTING).exists():
        for rel in [*listed["update"], *listed["remove"], MANIFEST]:
            backup = journal / _BACKUP / rel
            if backup.exists():
                (root / rel).parent.mkdir(parents=True, exist_ok=True)
                backup.replace(root / rel)
    for action, rel in logged:
        if action == "create":
            (root / rel).unlink(missing_ok=True)
            _prune_empty_dirs(root, (root / rel).parent)
    shutil.rmtree(journal)
    return True


def _backup(source: Path, backup: Path) -> None:
    backup.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, backup)
    except OSError:
        shutil.copy2(source, backup)


class Transaction:
    """One all-or-nothing write into an output directory (call it under `output_lock`):
    `begin` gives the stager for the rendered files, then `commit` a plan, or `rollback`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.journal = root / JOURNAL
        self.stager: Stager | None = None

    def begin(self) -> Stager:
        root = self.root
        try:
            root.mkdir(parents=True, exist_ok=True)
            recover(root)
            manifest = load_manifest(root)
            existing = _known_files(root)
            self.journal.mkdir()
        except OSError as exc:
            raise _write_error(exc, root) from None
        self.stager = Stager(root, manifest, existing, journal=self.journal)
        return self.stager

    def rollback(self) -> None:
        if self.stager is not None:
            self.stager.close()
        with contextlib.suppress(OSError):
            recover(self.root)

    def commit(self, plan: Plan, *, force: bool = False) -> None:
        """Make the staged files final, all or nothing. Nothing is changed when the plan has
        conflicts (unless `force`)."""
        if plan.conflicts and not force:
            raise _refusal(plan.conflicts)
        root, journal = self.root, self.journal
        files = {**plan.kept, **plan.digests}
        if self.stager is not None:
            self.stager.close()
            before = self.stager.manifest
            if not plan.changed and (files, plan.clusters, plan.atlantis) == (
                before.files,
                before.clusters,
                before.atlantis,
            ):
                shutil.rmtree(journal)  # nothing to change, the manifest included
                return
        manifest = manifest_data(plan)
        listed = {"update": plan.update, "remove": plan.remove}
        (journal / _PLAN).write_text(json.dumps(listed), encoding="utf-8")
        text = indented_json(manifest, sort_keys=False, ensure_ascii=True) + "\n"
        _tmp_name(root / MANIFEST).write_bytes(text.encode())
        # Keep the files about to be replaced or removed.
        for rel in [*plan.update, *plan.remove, MANIFEST]:
            if (root / rel).exists():
                _backup(root / rel, journal / _BACKUP / rel)
        # From here an interruption is rolled back from the backups.
        (journal / _COMMITTING).touch()
        for rel in plan.update:
            _tmp_name(root / rel).replace(root / rel)
        for rel in plan.remove:
            (root / rel).unlink(missing_ok=True)
            _prune_empty_dirs(root, (root / rel).parent)
        _tmp_name(root / MANIFEST).replace(root / MANIFEST)
        # Done: dropping the mark makes the new state final.
        (journal / _COMMITTING).unlink()
        shutil.rmtree(journal)

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
    plan.add(stager.stage(rel, files[rel]) for rel in sorted(files))
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


def _prune_empty_dirs(root: Path, directory: Path) -> None:
    """Remove `directory` and the directories above it (below `root`) that are empty; one
    that is not there (its creation failed half-way) is passed over."""
    while directory != root and directory.is_relative_to(root):
        try:
            directory.rmdir()
        except FileNotFoundError:
            pass
        except OSError:
            return
        directory = directory.parent


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
