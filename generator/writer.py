"""Write rendered files into an output directory, safely.

Everything is rendered to memory first; the writer then compares with the disk, refuses to
overwrite what a person edited or what treeform does not own, writes changed files
atomically (temp file + os.replace), removes files it owns that left the model, and records
what it owns in a manifest. `--check` and `diff` are the same plan, not carried out.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator import __version__
from generator.errors import OutputError

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


@dataclass
class Plan:
    """What writing `files` into a directory would do."""

    root: Path
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

    @property
    def changed(self) -> bool:
        return bool(self.create or self.update or self.remove)

    def summary(self) -> str:
        return (
            f"{len(self.create)} created, {len(self.update)} updated, "
            f"{len(self.remove)} removed, {len(self.unchanged)} unchanged"
        )


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


def read_manifest(root: Path) -> dict[str, str]:
    """{path: sha256} of every file treeform wrote into `root`."""
    return {str(k): str(v) for k, v in _load_manifest(root).get("files", {}).items()}


def read_cluster_records(root: Path) -> dict[str, ClusterRecord]:
    """Per cluster id: the fingerprint and files recorded by the last generate."""
    records = _load_manifest(root).get("clusters", {})
    if not isinstance(records, dict):
        return {}
    return {
        str(cid): ClusterRecord(str(rec.get("fingerprint", "")), list(rec.get("files", [])))
        for cid, rec in records.items()
        if isinstance(rec, dict)
    }


def intact_digests(root: Path, rels: list[str], owned: dict[str, str]) -> dict[str, str] | None:
    """{path: sha256} of files that are still exactly as treeform wrote them, or None if
    any is missing or differs."""
    digests = {}
    for rel in rels:
        data = _read(root / rel)
        if data is None or rel not in owned or digest(data) != owned[rel]:
            return None
        digests[rel] = owned[rel]
    return digests


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise OutputError(f"{path}: a directory stands where treeform writes a file") from None
    except OSError as exc:
        raise OutputError(f"{path}: cannot read: {exc.strerror}") from None


def plan_output(
    root: Path,
    files: dict[str, str],
    clusters: dict[str, ClusterRecord] | None = None,
    *,
    scope: Callable[[str], bool] | None = None,
    intact: dict[str, str] | None = None,
) -> Plan:
    """What writing `files` into `root` would do. Owned files that `scope` rejects are
    neither removed nor forgotten (a run restricted to some clusters); `intact` files
    ({path: sha256}, known to be as treeform wrote them) stay as they are."""
    if root.exists() and not root.is_dir():
        raise OutputError(f"{root}: the output path exists and is not a directory")
    owned = read_manifest(root) if root.is_dir() else {}
    existing = _files_under(root)
    plan = Plan(root, files, dict(sorted((clusters or {}).items())))
    for rel in sorted(files):
        new = files[rel].encode()
        old = _read(root / rel) if rel in existing else None
        if old is None:
            plan.create.append(rel)
            continue
        plan.old[rel] = old
        if old == new:
            plan.unchanged.append(rel)
            continue
        if rel not in owned:
            plan.conflicts.append(f"{root / rel}: exists and was not written by treeform")
        elif digest(old) != owned[rel]:
            plan.conflicts.append(f"{root / rel}: edited by hand since treeform wrote it")
        plan.update.append(rel)
    for rel, sha in sorted((intact or {}).items()):
        plan.kept[rel] = sha
        plan.unchanged.append(rel)
    for rel in sorted(set(owned) - set(files) - set(plan.kept)):
        if scope is not None and not scope(rel):
            plan.kept[rel] = owned[rel]
            continue
        old = _read(root / rel)
        if old is None:
            continue
        plan.old[rel] = old
        if digest(old) != owned[rel]:
            plan.conflicts.append(
                f"{root / rel}: edited by hand since treeform wrote it, and its cluster left "
                "the model"
            )
        plan.remove.append(rel)
    return plan


def _files_under(root: Path) -> set[str]:
    """Every file below `root` (relative paths): one directory listing each instead of one
    failed open per file that does not exist yet."""
    found: set[str] = set()
    if not root.is_dir():
        return found
    for directory, _, names in os.walk(root):
        base = os.path.relpath(directory, root)
        prefix = "" if base == "." else base.replace(os.sep, "/") + "/"
        found.update(prefix + name for name in names)
    return found


def _tmp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.treeform-tmp")


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


# The journal makes a write all-or-nothing. It lists the plan, holds hard links to the files
# being replaced or removed, and carries a `committing` mark while targets are being
# replaced. An interrupted write (an error, Ctrl-C, a crash) is rolled back from it, at
# once or by the next run: the directory is then as it was before.
_PLAN = "plan.json"
_COMMITTING = "committing"
_BACKUP = "backup"


def recover(root: Path) -> bool:
    """Roll back a write that was interrupted; True if there was one."""
    journal = root / JOURNAL
    if not journal.is_dir():
        return False
    try:
        listed = json.loads((journal / _PLAN).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        listed = {"create": [], "update": [], "remove": []}
    rels = [*listed["create"], *listed["update"], MANIFEST]
    for rel in rels:
        _tmp_name(root / rel).unlink(missing_ok=True)
    if (journal / _COMMITTING).exists():
        for rel in [*listed["update"], *listed["remove"], MANIFEST]:
            backup = journal / _BACKUP / rel
            if backup.exists():
                (root / rel).parent.mkdir(parents=True, exist_ok=True)
                backup.replace(root / rel)
        for rel in listed["create"]:
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


def write_output(plan: Plan, *, force: bool = False) -> None:
    """Carry out a plan, all or nothing. Nothing is changed when the plan has conflicts
    (unless `force`). Call it under `output_lock`."""
    if plan.conflicts and not force:
        raise OutputError(
            "\n".join(plan.conflicts)
            + "\nnothing was written; move those files away, or pass --force to overwrite them"
        )
    root = plan.root
    manifest = {
        "generator": "treeform",
        "version": __version__,
        "files": dict(
            sorted(
                {
                    **plan.kept,
                    **{rel: digest(text.encode()) for rel, text in plan.files.items()},
                }.items()
            )
        ),
        "clusters": {
            cid: {"fingerprint": rec.fingerprint, "files": rec.files}
            for cid, rec in plan.clusters.items()
        },
    }
    staged = {rel: plan.files[rel].encode() for rel in plan.update}
    staged[MANIFEST] = (json.dumps(manifest, indent=2) + "\n").encode()
    journal = root / JOURNAL
    made: set[Path] = set()

    def parent_of(target: Path) -> Path:
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        return target

    try:
        root.mkdir(parents=True, exist_ok=True)
        recover(root)
        journal.mkdir()
        listed = {"create": plan.create, "update": plan.update, "remove": plan.remove}
        (journal / _PLAN).write_text(json.dumps(listed), encoding="utf-8")
        # 1. Stage the new bytes of every file being replaced: a failure here changes nothing.
        for rel, data in staged.items():
            _tmp_name(parent_of(root / rel)).write_bytes(data)
        # 2. Keep the files about to be replaced or removed.
        for rel in [*plan.update, *plan.remove, MANIFEST]:
            if (root / rel).exists():
                _backup(root / rel, journal / _BACKUP / rel)
        # 3. From here an interruption is rolled back from the journal: new files are
        # written in place (rolling back removes them), the others replaced.
        (journal / _COMMITTING).touch()
        for rel in plan.create:
            parent_of(root / rel).write_bytes(plan.files[rel].encode())
        for rel in plan.update:
            _tmp_name(root / rel).replace(root / rel)
        for rel in plan.remove:
            (root / rel).unlink(missing_ok=True)
            _prune_empty_dirs(root, (root / rel).parent)
        _tmp_name(root / MANIFEST).replace(root / MANIFEST)
        # 4. Done: dropping the mark makes the new state final.
        (journal / _COMMITTING).unlink()
        shutil.rmtree(journal)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            recover(root)
        if isinstance(exc, OSError):
            raise OutputError(
                f"{exc.filename or root}: cannot write: {exc.strerror}; "
                "the output directory was left as it was"
            ) from None
        raise


def _prune_empty_dirs(root: Path, directory: Path) -> None:
    while directory != root and directory.is_relative_to(root):
        try:
            directory.rmdir()
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
