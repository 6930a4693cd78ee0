"""The lock of an output directory: one writer at a time.

An exclusive `flock` on `.treeform.lock`, opened with `O_NOFOLLOW` through the jail, which
the kernel drops when its holder dies (a dead owner leaves nothing that holds). A second
writer is refused at once, naming the holder's pid.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from treeform.errors import OutputError
from treeform.layout import LOCK
from treeform.safefs import Jail, symlinked_root


@contextlib.contextmanager
def output_lock(root: Path) -> Iterator[None]:
    """Hold the output directory for one writer: an exclusive `flock` on the lock file,
    which the kernel drops when its process dies (a dead owner leaves nothing that holds).
    A second writer is refused at once. The lock file is removed by its holder while it
    still holds it; a writer that locked a file removed meanwhile tries again, so two live
    owners never hold the same path."""
    if root.is_symlink():
        raise symlinked_root(root)
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
        try:
            if fd >= 0:
                with contextlib.suppress(OSError):
                    jail.unlink(LOCK)  # still holding it
        finally:  # even when interrupted there: the lock is never held past this
            if fd >= 0:
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


def _lock_error(exc: OSError, root: Path) -> OutputError:
    lock = root / LOCK
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return OutputError(f"{root}: the output directory is not writable ({exc.strerror})")
    if exc.errno == errno.EISDIR:
        return OutputError(f"{lock}: a directory stands where the lock file belongs; remove it")
    return OutputError(f"{lock}: cannot take the lock: {exc.strerror}")
