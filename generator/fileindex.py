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
key as JSON, a tab, then a JSON list of `[path, sha256, size, mtime_ns, ino, ctime_ns]`. A
run reads only the keys; a worker parses the line of a cluster when it checks that cluster.
Anything malformed is ignored (the files it would vouch for are hashed).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import IO

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


def _is_int(value: object) -> bool:
    return type(value) is int and value >= 0  # not bool, not negative


def _parse(line: str) -> dict[str, Entry]:
    """The entries of one line; {} for anything malformed (the types are checked: the
    index is only a hint, but a hint of the right shape)."""
    try:
        items = json.loads(line)
    except ValueError:
        return {}
    if type(items) is not list:
        return {}
    found: dict[str, Entry] = {}
    for item in items:
        if type(item) is not list or len(item) != 6:
            return {}
        rel, sha, *meta = item
        if type(rel) is not str or type(sha) is not str or len(sha) != _SHA_LENGTH:
            return {}
        if not all(_is_int(m) for m in meta):
            return {}
        found[rel] = (sha, (meta[0], meta[1], meta[2], meta[3]))
    return found


class FileIndex:
    """The index of one output directory as the last generate left it (empty when there is
    none, or the cache is off)."""

    def __init__(self, path: Path | None, lines: dict[str, str], written_ns: int) -> None:
        self.path = path
        self._lines = lines
        #: When the index was written (its mtime): files not older than this are racy.
        self.written_ns = written_ns

    @classmethod
    def off(cls) -> FileIndex:
        return cls(None, {}, 0)

    @classmethod
    def of(cls, output: Path) -> FileIndex:
        directory = cache_dir("files")
        if directory is None:
            return cls.off()
        key = hashlib.sha256(str(output.resolve()).encode()).hexdigest()[:32]
        path = directory / f"{key}.idx"
        lines: dict[str, str] = {}
        written = 0
        with contextlib.suppress(OSError, UnicodeDecodeError):
            with path.open("r", encoding="utf-8", newline="\n") as fh:
                written = os.fstat(fh.fileno()).st_mtime_ns
                for line in fh:
                    name, tab, rest = line.partition("\t")
                    if tab:
                        lines[name] = rest
        return cls(path, lines, written)

    def entries(self, key: str) -> dict[str, Entry]:
        """{path: (sha256, metadata)} noted for one cluster ("" : repository files)."""
        line = self._lines.get(json.dumps(key))
        return _parse(line) if line is not None else {}

    def has(self, key: str) -> bool:
        return json.dumps(key) in self._lines

    def settled(self, meta: Meta) -> bool:
        """Whether a file with this metadata was last changed before the index was written
        (not racy): only then can its metadata vouch for its bytes."""
        limit = self.written_ns
        if meta[1] % 1_000_000_000 == 0 or meta[3] % 1_000_000_000 == 0:
            limit -= _COARSE_SLACK_NS  # whole seconds: maybe a coarse file system
        return meta[1] < limit and meta[3] < limit

    def vouches(self, entry: Entry | None, sha: str | None, info: os.stat_result) -> bool:
        """Whether the index can say, without reading it, that the file `info` describes
        holds the bytes whose digest is `sha` (the manifest's)."""
        if entry is None or sha is None or entry[0] != sha:
            return False
        meta = file_meta(info)
        return meta is not None and meta == entry[1] and self.settled(meta)

    def writer(self) -> IndexWriter | None:
        return IndexWriter(self) if self.path is not None else None


class IndexWriter:
    """A new index, line by line as a run finds them, into a temporary file beside the index
    (nothing of it is held in memory); `finish` puts it in place. While every line is the
    old one (a run that changed nothing) nothing is written at all."""

    def __init__(self, index: FileIndex) -> None:
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
        name = json.dumps(key)
        line = self.index._lines.get(name)
        if line is None:
            return
        if self._fh is None and not self._failed:
            self._kept.append(name)
        elif self._fh is not None:
            self._fh.write(f"{name}\t{line}")

    def add(self, key: str, entries: Iterable[tuple[str, str, Meta | None]]) -> None:
        """Note the files of `key` as (path, sha256, metadata); those without metadata
        (replaced at commit, or not regular files) are left out: they will be hashed."""
        items = [[rel, sha, *meta] for rel, sha, meta in entries if meta is not None]
        fh = self._open()
        if fh is not None and items:
            fh.write(f"{json.dumps(key)}\t{json.dumps(items, separators=(',', ':'))}\n")

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
