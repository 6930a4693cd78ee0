"""The journal and the transaction: a generate writes its output all or nothing.

A generate is one transaction (`Transaction`, under the lock). It begins by recovering from
any interrupted run and opening the journal; the stager it gives puts each rendered file in
place as soon as it is rendered, listed first in its process's log (`JournalLog`). The
commit refuses to overwrite what a person edited or what treeform does not own, swaps the
changed files in, removes files it owns that left the model, and puts the new manifest in
place; any failure before the end is rolled back, at once or by the next run (`recover`).

The journal's logs (one per process) list every file written in place or staged beside its
target, before it is touched; at commit it lists the plan, holds hard links to the files
being replaced or removed, and carries a `committing` mark while targets are being
replaced. An interrupted write (an error, Ctrl-C, a crash) is rolled back from it: the
directory is then as it was before. Renaming the mark to `committed` is the commit's one
atomic step: from there the new state is final, and a journal that is left (its removal
failed or was interrupted) is only removed. The journal may have been committed by anyone: every
path in it is checked before any is used, and a journal that names anything but plain paths
inside the directory is refused.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from treeform.errors import OutputError
from treeform.fileindex import FileIndex
from treeform.layout import JOURNAL, MANIFEST, tmp_name
from treeform.manifest import load_manifest
from treeform.safefs import Jail, escaped, jailed, symlinked_root
from treeform.staging import Plan, Stager, known_files

_STAGED = "staged."
_PLAN = "plan.json"
_COMMITTING = "committing"
_COMMITTED = "committed"
_BACKUP = "backup"


class JournalLog:
    """The lines of one process's log in the journal (`staged.<pid>`): what is about to be
    written, on disk before the files are touched. A worker forked with it opens its own."""

    def __init__(self, jail: Jail) -> None:
        self.jail = jail
        self._log: IO[str] | None = None
        self._log_pid = 0

    def note(self, entries: list[tuple[str, str]]) -> None:
        """(action, path) of each file about to be written: "create" or "update"."""
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
        if _COMMITTED in names:  # the new state is final: only the journal is left over
            jail.rmtree(JOURNAL)
            return True
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
            jail.unlink(tmp_name(rel))
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
    `begin` gives the stager for the rendered files, then `commit` its plan, or `rollback`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.stager: Stager | None = None

    def begin(self) -> Stager:
        root = self.root
        if root.is_symlink():
            raise symlinked_root(root)
        try:
            if not root.is_dir():
                root.mkdir(parents=True, exist_ok=True)
            recover(root)
            jail = Jail(root)
            try:
                manifest = load_manifest(root, jail)
                existing = known_files(root)
                jail.mkdir(JOURNAL)
            except BaseException:
                jail.close()
                raise
        except OSError as exc:
            raise _write_error(exc, root) from None
        # An empty output has nothing for the index to vouch for: its lines are not read.
        index = FileIndex.of(root, read=bool(manifest.files))
        self.stager = Stager(
            root, manifest, existing, journal=JournalLog(jail), index=index, jail=jail
        )
        return self.stager

    def rollback(self) -> None:
        if self.stager is not None:
            self.stager.close()
        with contextlib.suppress(OSError, OutputError):
            recover(self.root)

    def commit(self, plan: Plan, *, force: bool = False) -> bool:
        """Make the staged files of `plan` (made with the stager `begin` gave, its manifest
        in a spool) final, all or nothing. Nothing is changed when the plan has conflicts
        (unless `force`). False: there was nothing to change (not even the manifest)."""
        if plan.conflicts and not force:
            raise _refusal(plan.conflicts)
        stager, spool = self.stager, plan.spool
        if stager is None or spool is None:
            raise ValueError("commit: the plan of this transaction's stager")
        stager.close()
        jail = stager.jail
        try:
            if not plan.changed and spool.unchanged(plan.atlantis):
                jail.rmtree(JOURNAL)  # nothing to change, the manifest included
                return False
            self._commit(jail, plan)
            return True
        finally:
            jail.close()

    def _commit(self, jail: Jail, plan: Plan) -> None:
        listed = {"update": plan.update, "remove": plan.remove}
        jail.write(f"{JOURNAL}/{_PLAN}", json.dumps(listed).encode())
        assert plan.spool is not None
        plan.spool.write(plan.atlantis)
        # Keep the files about to be replaced or removed.
        for rel in [*plan.update, *plan.remove, MANIFEST]:
            if jail.exists(rel):
                jail.link(rel, f"{JOURNAL}/{_BACKUP}/{rel}")
        # From here an interruption is rolled back from the backups.
        jail.write(f"{JOURNAL}/{_COMMITTING}", b"")
        for rel in plan.update:
            jail.replace(tmp_name(rel), rel)
        for rel in plan.remove:
            jail.unlink(rel)
            _prune_empty_dirs(jail, rel.rpartition("/")[0])
        jail.replace(tmp_name(MANIFEST), MANIFEST)
        # Done: renaming the mark makes the new state final (with the mark merely dropped,
        # an interruption of the journal's removal left logs and backups that the next run
        # took for an unfinished write, and rolled the manifest and new files back).
        jail.replace(f"{JOURNAL}/{_COMMITTING}", f"{JOURNAL}/{_COMMITTED}")
        with contextlib.suppress(OSError):  # else the next run removes it
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
