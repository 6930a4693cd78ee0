"""The output directory as a jail: every file operation of the writer on OUT goes through
`Jail`, so that nothing it reads, writes, replaces or removes is outside OUT.

A pull request controls what is committed in OUT (the manifest, a journal, symlinks), so a
path that treeform did not make itself is checked before it is used (`checked`): a relative
path of plain names, no `..`, no absolute part, no line break or control character.
Directories are walked one name at a time from an open descriptor of OUT (`openat` through
`dir_fd`) with `O_NOFOLLOW`, and files are opened with `O_NOFOLLOW`: a symlink anywhere on
the way is refused, naming it, never followed. Directory descriptors are kept (a few
hundred at most), so an operation costs the system calls it did without the jail.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

from treeform.errors import OutputError

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
#: Bytes of any one file read from the output directory: far more than treeform writes
#: (a manifest of the largest tree is tens of MB), far less than would exhaust memory.
MAX_READ = 64 << 20
#: Directory descriptors kept open per jail (well below the usual limit of 1024).
_MAX_DIRS = 128
_BAD_CHARS = frozenset([chr(c) for c in range(0x20)] + ["\x7f", "\x85", "\u2028", "\u2029"])


def escaped(text: str) -> str:
    """A path or name as it can be printed: undecodable bytes (surrogate escapes) as
    `\\xff`, control characters and line breaks as escapes."""
    raw = text.encode("utf-8", "surrogateescape")
    out = raw.decode("utf-8", "backslashreplace")
    if any(c in _BAD_CHARS for c in out):
        out = "".join(
            c.encode("unicode_escape").decode("ascii") if c in _BAD_CHARS else c for c in out
        )
    return out


#: Names of one or more plain parts: no empty part, no control character, line break or
#: undecodable byte (a surrogate escape); `.` and `..` parts are looked for apart.
_PLAIN = re.compile(
    "[^/\x00-\x1f\x7f\x85\u2028\u2029\ud800-\udfff]+(?:/[^/\x00-\x1f\x7f\x85\u2028\u2029\ud800-\udfff]+)*"
)


def plain_relative(rel: object) -> bool:
    """Whether `rel` is a relative path of plain names inside a directory."""
    if not isinstance(rel, str) or _PLAIN.fullmatch(rel) is None:
        return False
    if "." in rel:
        framed = f"/{rel}/"
        return "/./" not in framed and "/../" not in framed
    return True


class Jail:
    """File operations on paths relative to one directory (`root`), never leaving it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._root_fd: int | None = None
        self._dirs: dict[str, int] = {}
        #: Directories found real (not a symlink) by `metadata`, while nothing is removed.
        self._real_dirs: set[str] = set()
        #: Paths known to be plain already (the manifest's, once checked): not checked again.
        self.known: set[str] | dict[str, str] = set()

    # -- checking --------------------------------------------------------------------------

    def checked(self, rel: object, source: str) -> str:
        """`rel`, read from `source` (the manifest, the journal), if it is a plain relative
        path inside the jail; else the run is refused, naming the entry."""
        if isinstance(rel, str) and plain_relative(rel):
            return rel
        shown = escaped(rel) if isinstance(rel, str) else repr(rel)
        raise OutputError(
            f"{source}: entry {shown!r} is not a plain relative path inside {self.root} "
            "(an absolute path, `..`, a line break or a control character); nothing was "
            "touched; remove the entry (or the file) to let treeform start over"
        )

    def symlink_refusal(self, rel: str) -> OutputError:
        return OutputError(
            f"{self.root / escaped(rel)}: a symbolic link inside the output directory; "
            "treeform never follows one; remove it (nothing was written)"
        )

    def too_large(self, rel: str) -> OutputError:
        return OutputError(
            f"{self.root / escaped(rel)}: larger than {MAX_READ} bytes, more than treeform "
            "ever writes; remove it"
        )

    # -- descriptors -----------------------------------------------------------------------

    def _root(self) -> int:
        if self._root_fd is None:
            try:
                self._root_fd = os.open(self.root, _DIR_FLAGS)
            except OSError as exc:
                if self.root.is_symlink():
                    raise OutputError(
                        f"{self.root}: the output directory is a symbolic link; treeform "
                        "writes only into a real directory"
                    ) from None
                raise exc
        return self._root_fd

    def dir_fd(self, rel_dir: str, *, create: bool = False) -> int | None:
        """A descriptor of directory `rel_dir` ("" for the root), walked name by name without
        following a symlink; None when it is missing (and not `create`)."""
        if not rel_dir:
            return self._root()
        fd = self._dirs.get(rel_dir)
        if fd is not None:  # in a forked worker too: descriptors are inherited
            return fd
        parent_rel, _, name = rel_dir.rpartition("/")
        parent = self.dir_fd(parent_rel, create=create)
        if parent is None:
            return None
        try:
            fd = os.open(name, _DIR_FLAGS, dir_fd=parent)
        except FileNotFoundError:
            if not create:
                return None
            with contextlib.suppress(FileExistsError):
                os.mkdir(name, 0o777, dir_fd=parent)
            fd = self._open_dir(name, parent, rel_dir)
        except OSError as exc:
            self._not_a_directory(exc, name, parent, rel_dir)
            raise
        if len(self._dirs) >= _MAX_DIRS:
            oldest = next(iter(self._dirs))
            os.close(self._dirs.pop(oldest))
        self._dirs[rel_dir] = fd
        return fd

    def _open_dir(self, name: str, parent: int, rel_dir: str) -> int:
        try:
            return os.open(name, _DIR_FLAGS, dir_fd=parent)
        except OSError as exc:
            self._not_a_directory(exc, name, parent, rel_dir)
            raise

    def _not_a_directory(self, exc: OSError, name: str, parent: int, rel: str) -> None:
        """Raise the refusal when `name` is a symlink (O_NOFOLLOW gives ELOOP or ENOTDIR)."""
        with contextlib.suppress(OSError):
            if stat.S_ISLNK(os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode):
                raise self.symlink_refusal(rel) from None

    def _at(self, rel: str, *, create: bool = False) -> tuple[int | None, str]:
        if rel not in self.known and not plain_relative(rel):
            self.checked(rel, str(self.root))  # raises
        directory, _, name = rel.rpartition("/")
        return self.dir_fd(directory, create=create), name

    def forget(self, rel_dir: str) -> None:
        """Drop the descriptors of `rel_dir` and below (it was removed)."""
        below = rel_dir + "/"
        self._real_dirs.clear()
        for key in [k for k in self._dirs if k == rel_dir or k.startswith(below)]:
            with contextlib.suppress(OSError):
                os.close(self._dirs.pop(key))

    def __del__(self) -> None:  # a jail dropped without close() leaks no descriptor
        self.close()

    def close(self) -> None:
        for fd in self._dirs.values():
            with contextlib.suppress(OSError):
                os.close(fd)
        if self._root_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._root_fd)
        self._dirs = {}
        self._real_dirs = set()
        self._root_fd = None

    # -- operations ------------------------------------------------------------------------

    def metadata(self, rels: list[str]) -> list[int] | None:
        """Size, mtime_ns, inode and ctime_ns of the file at each of `rels` (plain paths,
        checked already: the manifest's), four numbers a file, or None when one is missing
        or cannot be looked at, or a directory on its way is not a real one. For the file
        index's hot loop (a generate with nothing changed looks at every output file): each
        file is `lstat`ed from the root's descriptor, every directory on the way found a
        directory, not a symlink, by its own `lstat` (once per jail); nothing is opened."""
        root = self._root()
        real = self._real_dirs
        for directory in {rel.rpartition("/")[0] for rel in rels}:
            if directory and directory not in real and not self._real_dir(directory):
                return None
        stat_at = os.stat
        try:
            infos = [stat_at(rel, dir_fd=root, follow_symlinks=False) for rel in rels]
        except OSError:
            return None
        return [n for i in infos for n in (i.st_size, i.st_mtime_ns, i.st_ino, i.st_ctime_ns)]

    def _real_dir(self, rel_dir: str) -> bool:
        parent = rel_dir.rpartition("/")[0]
        if parent and parent not in self._real_dirs and not self._real_dir(parent):
            return False
        try:
            info = os.stat(rel_dir, dir_fd=self._root(), follow_symlinks=False)
        except OSError:
            return False
        if not stat.S_ISDIR(info.st_mode):
            return False
        self._real_dirs.add(rel_dir)
        return True

    def read(self, rel: str) -> bytes | None:
        """A regular file's bytes; None when it is missing. A symlink is refused; a
        directory raises IsADirectoryError; anything else that is not a regular file (a
        FIFO, a device) is refused without blocking."""
        return self.read_info(rel)[0]

    def read_info(self, rel: str) -> tuple[bytes | None, os.stat_result | None]:
        """`read`, and the file's status, taken before it was read (an edit while it is
        read shows as a change of its metadata later, never the other way round)."""
        parent, name = self._at(rel)
        if parent is None:
            return None, None
        try:
            fd = os.open(name, _READ_FLAGS, dir_fd=parent)
        except FileNotFoundError:
            return None, None
        except OSError as exc:
            self._not_a_directory(exc, name, parent, rel)
            raise
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                if stat.S_ISDIR(info.st_mode):
                    raise IsADirectoryError(21, "Is a directory", str(self.root / rel))
                raise OutputError(
                    f"{self.root / escaped(rel)}: not a regular file (a FIFO, a socket or a "
                    "device); treeform writes and reads only regular files here"
                )
            size = info.st_size
            if size > MAX_READ:
                raise self.too_large(rel)
            data = os.read(fd, size + 1)
            if len(data) <= size:
                return data, info
            chunks, total = [data], len(data)  # it grew while being read
            while chunk := os.read(fd, 1 << 16):
                chunks.append(chunk)
                total += len(chunk)
                if total > MAX_READ:
                    raise self.too_large(rel)
            return b"".join(chunks), None
        finally:
            os.close(fd)

    def write(self, rel: str, data: bytes) -> os.stat_result:
        """Create or overwrite a regular file (its directories made as needed); its status
        once written."""
        parent, name = self._at(rel, create=True)
        assert parent is not None
        try:
            fd = os.open(name, _WRITE_FLAGS, 0o666, dir_fd=parent)
        except OSError as exc:
            self._not_a_directory(exc, name, parent, rel)
            raise
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            return os.fstat(fd)
        finally:
            os.close(fd)

    def open_append(self, rel: str) -> int:
        """A descriptor appending to a regular file (made if missing)."""
        parent, name = self._at(rel, create=True)
        assert parent is not None
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            return os.open(name, flags, 0o666, dir_fd=parent)
        except OSError as exc:
            self._not_a_directory(exc, name, parent, rel)
            raise

    def lstat(self, rel: str) -> os.stat_result | None:
        parent, name = self._at(rel)
        if parent is None:
            return None
        try:
            return os.stat(name, dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            return None

    def exists(self, rel: str) -> bool:
        return self.lstat(rel) is not None

    def is_dir(self, rel: str) -> bool:
        info = self.lstat(rel)
        if info is not None and stat.S_ISLNK(info.st_mode):
            raise self.symlink_refusal(rel)
        return info is not None and stat.S_ISDIR(info.st_mode)

    def replace(self, src: str, dst: str) -> None:
        """Rename `src` over `dst` (a rename never follows a symlink at either end)."""
        src_parent, src_name = self._at(src)
        if src_parent is None:
            raise FileNotFoundError(2, "No such file or directory", str(self.root / src))
        held = os.dup(src_parent)  # the second walk may close the first descriptor
        try:
            dst_parent, dst_name = self._at(dst, create=True)
            os.replace(src_name, dst_name, src_dir_fd=held, dst_dir_fd=dst_parent)
        finally:
            os.close(held)

    def link(self, src: str, dst: str) -> None:
        """A hard link `dst` to the regular file `src` (a copy where links cannot be made)."""
        src_parent, src_name = self._at(src)
        if src_parent is None:
            raise FileNotFoundError(2, "No such file or directory", str(self.root / src))
        held = os.dup(src_parent)
        try:
            dst_parent, dst_name = self._at(dst, create=True)
            try:
                os.link(
                    src_name,
                    dst_name,
                    src_dir_fd=held,
                    dst_dir_fd=dst_parent,
                    follow_symlinks=False,
                )
                return
            except OSError:
                pass
        finally:
            os.close(held)
        data = self.read(src)
        if data is None:
            raise FileNotFoundError(2, "No such file or directory", str(self.root / src))
        self.write(dst, data)

    def unlink(self, rel: str) -> None:
        """Remove a file (or a symlink itself); a missing one is no error."""
        parent, name = self._at(rel)
        if parent is None:
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name, dir_fd=parent)

    def mkdir(self, rel: str) -> None:
        """Make a new directory (FileExistsError when it is there)."""
        parent, name = self._at(rel, create=True)
        assert parent is not None
        os.mkdir(name, 0o777, dir_fd=parent)

    def rmdir(self, rel: str) -> None:
        parent, name = self._at(rel)
        if parent is None:
            raise FileNotFoundError(2, "No such file or directory", str(self.root / rel))
        self.forget(rel)
        os.rmdir(name, dir_fd=parent)

    def rmtree(self, rel: str) -> None:
        """Remove a directory and everything in it, never following a symlink."""
        parent, name = self._at(rel)
        if parent is None:
            return
        self.forget(rel)
        info = self.lstat(rel)
        if info is None:
            return
        if not stat.S_ISDIR(info.st_mode):
            os.unlink(name, dir_fd=parent)
            return
        shutil.rmtree(name, dir_fd=parent)

    def listdir(self, rel_dir: str) -> list[str]:
        fd = self.dir_fd(rel_dir)
        if fd is None:
            return []
        return sorted(os.listdir(fd))  # noqa: PTH208 (a descriptor, not a path)


@contextlib.contextmanager
def jailed(root: Path) -> Iterator[Jail]:
    jail = Jail(root)
    try:
        yield jail
    finally:
        jail.close()


def symlinked_root(root: Path) -> OutputError:
    """The refusal of an output directory that is itself a symbolic link."""
    return OutputError(
        f"{root}: the output directory is a symbolic link; treeform writes only into a real "
        "directory"
    )
