"""What treeform last saw of the files of an output directory, as git's index keeps it.

A generate with nothing changed has to know that every file of every cluster is still as it
wrote it. Reading and hashing them all costs more than everything else such a run does, so
the last run noted, per file, its digest and its metadata: size, mtime and ctime in
nanoseconds, inode. A later run hashes only the files whose metadata it cannot vouch for:

- the metadata differs in any of the four (an edit, a new file put in its place, a copy);
- the file is "racy", as git calls it: its mtime or ctime is not older than the index
  itself (written after every file it lists was looked at), so an edit in the same clock
  tick would not show;
- the digest noted is not the one the manifest expects for the file.

The index is the user's, like git's `.git/index`: it lives in treeform's cache directory
(`files/`, one per output directory), never in the output, which is committed and may come
from someone else (a pull request controls the manifest, not this file). It only ever lets
a run skip *hashing* a file; what a file should hold is still the manifest's digest, and
`--check` and `diff` always read and compare. An inode and a ctime are set by the kernel of
the machine that wrote the file (no user call sets a ctime), so a checkout, a copy or an
edit that puts size and mtime back (`touch -d`, `os.utime`) still shows as a change. With
the cache off (`TREEFORM_CACHE_DIR=`) every file is hashed, as before.

The file: one line per cluster (key "" for repository files such as atlantis.yaml), the
key as JSON, a tab, and a signature: a sha256 over the cluster's file paths, their digests
(the ones the manifest expects) and their metadata. A run checks a cluster by looking at
its files (`lstat`) and computing the signature again: one value to compare, nothing to
parse, and the index stays small (a line per cluster). When it differs, or a file is
racy, every file of that cluster is read and hashed, and the new signature noted. Anything
malformed is ignored.

`SourceIndex` does the same for the cluster files of a model tree, so that a run that
only needs a cluster's fingerprint (generate reusing its output, validate finding it valid
as before) does not read the file either.
"""

from __future__ import annotations

import array
import contextlib
import hashlib
import json
import os
import stat
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO, TypeVar

from treeform.cache import cache_dir

#: size, mtime_ns, ino, ctime_ns
Meta = tuple[int, int, int, int]
#: One file's entry: (sha256, metadata).
Entry = tuple[str, Meta]

_SHA_LENGTH = 64
#: A file system whose timestamps are whole seconds (FAT keeps two): a file is racy for
#: that long after the index was written.
_COARSE_SLACK_NS = 2_000_000_000


def file_meta(info: os.stat_result) -> Meta | None:
    """The metadata the index keeps of a regular file (None for anything else)."""
    if not stat.S_ISREG(info.st_mode):
        return None
    return (info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns)


def settled_times(mtime_ns: int, ctime_ns: int, before_ns: int) -> bool:
    """Whether a file stamped so was last changed (mtime and ctime) before `before_ns`; with
    whole-second stamps (maybe a coarse file system) two seconds before."""
    if mtime_ns % 1_000_000_000 == 0 or ctime_ns % 1_000_000_000 == 0:
        before_ns -= _COARSE_SLACK_NS
    return mtime_ns < before_ns and ctime_ns < before_ns


def _settled(meta: Meta, before_ns: int) -> bool:
    """`settled_times` of a file with this metadata."""
    return settled_times(meta[1], meta[3], before_ns)


def _meta_text(meta: Meta) -> str:
    """The metadata as the source index writes it, before the digest."""
    return f"{meta[0]} {meta[1]} {meta[2]} {meta[3]} "


def signature(entries: Iterable[tuple[str, str, Meta]]) -> str:
    """The signature of a cluster's files: (path, sha256, metadata) of each, in order."""
    rels: list[str] = []
    shas: list[str] = []
    numbers: list[int] = []
    for rel, sha, meta in entries:
        rels.append(rel)
        shas.append(sha)
        numbers += meta
    return _signature(rels, shas, numbers)


def _signature(rels: list[str], shas: list[str], numbers: list[int]) -> str:
    """`signature` of the files at `rels`, their digests, and their metadata four numbers
    a file (a path holds no NUL; a digest, read from the manifest, could: their lengths are
    in too, so that no two lists of them read the same)."""
    text = "\0".join([*rels, "", *shas, " ".join(map(str, map(len, shas)))])
    h = hashlib.sha256(text.encode("utf-8", "surrogateescape"))
    try:
        h.update(array.array("q", numbers).tobytes())  # 10x faster than as text
    except OverflowError:  # an inode number past 2**63
        h.update(" ".join(map(str, numbers)).encode())
    return h.hexdigest()


def _name(key: str) -> str:
    """A key as the index writes it: as JSON (a plain one without calling json)."""
    if key.isascii() and key.isprintable() and '"' not in key and "\\" not in key:
        return f'"{key}"'
    return json.dumps(key)


class LineIndex:
    """A file of lines `key<TAB>rest` in treeform's cache, read whole, written anew by an
    `IndexWriter` (empty when there is none, or the cache is off)."""

    def __init__(self, path: Path | None, lines: dict[str, str], written_ns: int) -> None:
        self.path = path
        self._lines = lines
        #: When the index was written (its mtime): files not older than this are racy.
        self.written_ns = written_ns

    @classmethod
    def off(cls: type[_I]) -> _I:
        return cls(None, {}, 0)

    @classmethod
    def _of(cls: type[_I], kind: str, place: Path, *, read: bool = True) -> _I:
        """The index of `place` (a directory) in the cache's `kind` folder (`read=False`:
        one to write only, its old lines unread)."""
        directory = cache_dir(kind)
        if directory is None:
            return cls.off()
        key = hashlib.sha256(str(place.resolve()).encode()).hexdigest()[:32]
        path = directory / f"{key}.idx"
        lines: dict[str, str] = {}
        written = 0
        if not read:
            return cls(path, lines, written)
        with contextlib.suppress(OSError, UnicodeDecodeError):
            with path.open("r", encoding="utf-8", newline="\n") as fh:
                written = os.fstat(fh.fileno()).st_mtime_ns
                for line in fh:
                    name, tab, rest = line.partition("\t")
                    if tab:
                        lines[name] = rest
        return cls(path, lines, written)

    def writer(self) -> IndexWriter | None:
        return IndexWriter(self) if self.path is not None else None


_I = TypeVar("_I", bound=LineIndex)


class FileIndex(LineIndex):
    """The index of one output directory as the last generate left it."""

    @classmethod
    def of(cls, output: Path, *, read: bool = True) -> FileIndex:
        """The index of `output` (`read=False`: one to write only, its old lines unread)."""
        return cls._of("files", output, read=read)

    def noted(self, key: str) -> str | None:
        """The signature noted for one cluster ("": repository files), if any."""
        line = self._lines.get(_name(key))
        if line is None or len(line) != _SHA_LENGTH + 1:
            return None  # absent or malformed
        return line[:_SHA_LENGTH]

    def settled(self, meta: Meta) -> bool:
        """Whether a file with this metadata was last changed before the index was written
        (not racy): only then can its metadata vouch for its bytes."""
        return _settled(meta, self.written_ns)

    def vouches(self, noted: str, rels: list[str], shas: list[str], numbers: list[int]) -> bool:
        """Whether the index can say, without reading them, that the files at `rels` hold
        the bytes of `shas` (the manifest's digests), their metadata found now being
        `numbers` (four a file: see `Jail.metadata`): their signature is the one `noted`
        (for their cluster), and none of them is racy."""
        times = numbers[1::4] + numbers[3::4]
        if times and max(times) >= self.written_ns - _COARSE_SLACK_NS:  # look closer
            metas = [tuple(numbers[i : i + 4]) for i in range(0, len(numbers), 4)]
            if not all(self.settled(meta) for meta in metas):  # type: ignore[arg-type]
                return False
        return _signature(rels, shas, numbers) == noted


#: Longer than a tick of the clock that stamps files (coarse clocks tick every 1-10 ms).
TICK_NS = 20_000_000


class SourceIndex(LineIndex):
    """What treeform last saw of the cluster files of one model tree (the cache's
    `sources/`, one per tree): per cluster, its file's metadata (size, mtime and ctime in
    ns, inode) and the sha256 of its bytes. A run that only needs a cluster's fingerprint
    (generate reusing its files, validate finding it valid as before) takes the digest
    from here when the file's metadata is the one noted, and reads nothing.

    A digest is noted only for a file whose timestamps are older, by more than a tick of
    the clock, than the moment its metadata was taken before it was read: an edit after
    that moment stamps a later time, so no edit can hide behind the metadata noted (a whole
    second stamp, as on a coarse file system, must be two seconds older). Like the output's
    index, a copy, a checkout or an edit that puts size and mtime back shows by its inode
    or ctime, and the index is only ever a hint: malformed lines are ignored."""

    @classmethod
    def of(cls, model: Path, *, read: bool = True) -> SourceIndex:
        return cls._of("sources", model, read=read)

    def digest(self, key: str, path: str) -> str | None:
        """The sha256 noted for the file at `path` (cluster `key`), if its metadata (by
        `lstat`: a symlink is not the file noted) is the one noted."""
        line = self._lines.get(_name(key))
        if line is None:
            return None
        try:
            info = os.stat(path, follow_symlinks=False)  # noqa: PTH116 (a str: no Path per file)
        except OSError:
            return None
        meta = file_meta(info)
        if meta is None:
            return None
        text = _meta_text(meta)
        if len(line) != len(text) + _SHA_LENGTH + 1 or not line.startswith(text):
            return None
        return line[len(text) : -1]

    @staticmethod
    def looked_at(path: str) -> tuple[int, Meta | None]:
        """The time, and the file's metadata just after it, before the file is read: what
        `line` needs to note it."""
        now = time.time_ns()
        try:
            info = os.stat(path, follow_symlinks=False)  # noqa: PTH116 (a str: no Path per file)
        except OSError:
            return now, None
        return now, file_meta(info)

    @staticmethod
    def line(looked: tuple[int, Meta | None], sha: str) -> str | None:
        """What the index notes of a file looked at (`looked_at`) and then found to hold
        the bytes of `sha`; None when its metadata cannot vouch for them (racy)."""
        now, meta = looked
        if meta is None:
            return None
        if not _settled(meta, now - TICK_NS):
            return None
        return f"{_meta_text(meta)}{sha}\n"


class IndexWriter:
    """A new index, line by line as a run finds them, into a temporary file beside the index
    (nothing of it is held in memory); `finish` puts it in place. While every line is the
    old one (a run that changed nothing) nothing is written at all."""

    def __init__(self, index: LineIndex) -> None:
        assert index.path is not None
        self.index = index
        self.path = index.path
        self.tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        self._fh: IO[str] | None = None
        self._failed = False
        #: The keys kept as they were, while nothing else was written.
        self._kept: list[str] = []

    def _open(self) -> IO[str] | None:
        if self._fh is None and not self._failed:
            try:
                self._fh = self.tmp.open("w", encoding="utf-8", newline="\n")
            except OSError:
                self._failed = True
                return None
            kept, self._kept = self._kept, []
            for name in kept:
                self._fh.write(f"{name}\t{self.index._lines[name]}")
        return self._fh

    def keep(self, key: str) -> None:
        """The line of the old index for `key`, as it was (its files were vouched for)."""
        name = _name(key)
        line = self.index._lines.get(name)
        if line is None:
            return
        if self._fh is None and not self._failed:
            self._kept.append(name)
        elif self._fh is not None:
            self._fh.write(f"{name}\t{line}")

    def line(self, key: str, rest: str) -> None:
        """Note `rest` (its line's end, "\\n" included) for `key`, unless it is the old one."""
        name = _name(key)
        if self._fh is None and not self._failed and self.index._lines.get(name) == rest:
            self._kept.append(name)
            return
        fh = self._open()
        if fh is not None:
            fh.write(f"{name}\t{rest}")

    def add(self, key: str, entries: Iterable[tuple[str, str, Meta | None]]) -> None:
        """Note the files of `key` as (path, sha256, metadata); when one has no metadata
        (not a regular file, or it changed while read) nothing is noted: they will be
        hashed."""
        given = list(entries)
        known = [(rel, sha, meta) for rel, sha, meta in given if meta is not None]
        fh = self._open()
        if fh is not None and known and len(known) == len(given):
            fh.write(f"{_name(key)}\t{signature(known)}\n")

    def finish(self) -> None:
        """Put the new index in place (best effort: an index that cannot be written only
        means the next run hashes the files)."""
        if self._fh is None:
            if not self._failed and len(self._kept) != len(self.index._lines):
                self._open()  # lines were dropped (clusters left): write what is left
            if self._fh is None:
                return
        try:
            self._fh.close()
            self._fh = None
            self.tmp.replace(self.path)
        except OSError:
            self.discard()

    def discard(self) -> None:
        if self._fh is not None:
            with contextlib.suppress(OSError):
                self._fh.close()
            self._fh = None
        with contextlib.suppress(OSError):
            self.tmp.unlink(missing_ok=True)
