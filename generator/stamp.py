"""A generate with nothing changed, said without doing the run.

Pre-commit runs `treeform generate` on every commit, and most of those runs find nothing
to do; at 10,000 clusters even the incremental run (see `runner`) spends a second loading
the manifest, walking the tree and vouching for each cluster. So every generate over the
whole tree (no `--only`, no warning) notes in treeform's cache (`runs/`, one per model tree
and output directory) a stamp of the state it left, as make's stamp files and git's
untracked cache do:

- every directory of the model tree (an entry added, removed or renamed changes its mtime
  and ctime) and every file read from it (cluster files, `_defaults.yaml`, extra Terraform,
  `.treeform.yaml`): size, mtime and ctime in nanoseconds, inode;
- every file of the output and the manifest: the same numbers; every directory on their
  way: its inode (one swapped for a symlink, or for another directory, shows);
- treeform itself (its code fingerprint), the limits set in the environment, the
  `--atlantis` choice, OUT's path in its git repository when atlantis.yaml is written, and
  the line a run that changes nothing prints.

A later `generate` (not `--check`, not `--only`) looks at every one of them (`lstat`, under
the output's lock, with no journal of an unfinished write in OUT; half of them in a forked
process) and, when each is exactly as noted, prints that line and stops: nothing is loaded,
parsed, hashed or compared. Anything else (one number differs, a path is missing, the
stamp is unreadable or was made by other code) and the run is done as usual, and notes a
new stamp.

Why the numbers can vouch for the state:

- a model path is noted only when its mtime and ctime are older, by a tick of the clock
  (two seconds for whole-second stamps, as `fileindex` does), than the moment the run
  started: nothing changed it while the run read it, and any later change stamps a later
  ctime, which no user call can set back;
- an output file's numbers are those the run itself had of it, with the rules of the file
  index: taken as it wrote the file (`fstat` of the written descriptor; after the commit for
  one swapped in), before it read and hashed it, or the numbers the file index vouched
  for. The stamp is written more than a tick after the last of them (waiting, if need be,
  a few milliseconds), so that no file is "racy" against it;
- the manifest: as the commit left it, or, not written, older than the run's start.

Like the file index, the stamp lives in the user's cache, never in the committed output (a
pull request cannot write it), it is only a shortcut to the answer the whole run would give,
and `--check` and `diff` never use it. A model tree holding a symlink gets no stamp (what
the link leads to is not looked at).
"""

from __future__ import annotations

import array
import contextlib
import hashlib
import marshal
import os
import stat
import struct
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING

from treeform import limits
from treeform.cache import cache_dir
from treeform.errors import OutputError
from treeform.fileindex import TICK_NS, Meta, settled_times
from treeform.fingerprint import code_fingerprint
from treeform.forking import cores, in_two
from treeform.gitrepo import path_in_repository
from treeform.layout import JOURNAL, MANIFEST, SETTINGS_FILE, directories_of

if TYPE_CHECKING:
    from treeform.runner import Rendered
    from treeform.staging import Staged

_FORMAT = 2
#: From this many paths, half of them are looked at by a forked process.
SPLIT = 20_000
#: Numbers noted per path: a file's or a model directory's (size, mtime, inode, ctime, as
#: the file index keeps them), or an output directory's inode.
_FULL = 4
_KIND = 1
_LENGTH = struct.Struct("<Q")


class OutputLook:
    """What a run over the whole tree had of each output file, in the order of its layouts
    (then `extras`): four numbers a file, as the file index takes them; `complete` is False
    once a file came without any (it is not noted then)."""

    def __init__(self) -> None:
        self.numbers = array.array("q")
        self.extras: list[str] = []
        self.complete = True
        #: Files swapped in at the commit: (their place in `numbers`, path).
        self._swapped: list[tuple[int, str]] = []

    def _add(self, meta: Meta | None) -> None:
        if meta is None:
            self.complete = False
            meta = (0, 0, 0, 0)
        self.numbers.extend(meta)

    def reused(
        self, numbers: list[int] | None, noted: list[tuple[str, str, Meta | None]] | None
    ) -> None:
        """Files left as they were: the numbers the file index vouched for, or those taken
        before each was read and hashed."""
        if numbers is not None:
            self.numbers.extend(numbers)
        elif noted is not None:
            for _, _, meta in noted:
                self._add(meta)
        else:
            self.complete = False

    def staged(self, staged: Iterable[Staged]) -> None:
        """Rendered files: as written, or as read before being found unchanged; a changed
        one is taken once the commit has swapped it in."""
        for item in staged:
            if item.meta is None and item.action == "update":
                self._swapped.append((len(self.numbers), item.rel))
                self.numbers.extend((0, 0, 0, 0))
            else:
                self._add(item.meta)

    def swapped_in(self, metas: dict[str, Meta | None]) -> None:
        """After the commit: the files it swapped in, as it left them (by path; None: not
        a regular file, or gone)."""
        for at, rel in self._swapped:
            meta = metas.get(rel)
            if meta is None:
                self.complete = False
                continue
            self.numbers[at : at + 4] = array.array("q", meta)
        self._swapped = []


class Stamp:
    """The stamp of one model tree and output directory, for this run of generate."""

    def __init__(self, model: Path, output: Path, key: str, path: Path, started_ns: int) -> None:
        self.model = model  # resolved
        self.output = output  # as given: opened without following a symlink
        self.key = key
        self.path = path
        #: Before this run read anything: only model paths last changed before are noted.
        self.started_ns = started_ns

    @classmethod
    def of(cls, model: Path, output: Path, atlantis: bool | None) -> Stamp | None:
        """The stamp of a generate of `model` into `output` (`atlantis`: the command line's
        choice), the time taken now; None when the cache is off."""
        started = time.time_ns()
        directory = cache_dir("runs")
        if directory is None:
            return None
        try:
            real_model, real_output = model.resolve(strict=True), output.resolve()
        except (OSError, RuntimeError):
            return None
        place = hashlib.sha256(f"{real_model}\0{real_output}".encode()).hexdigest()[:32]
        key = "\0".join(
            [
                str(_FORMAT),
                code_fingerprint(),
                limits.signature(),
                repr(atlantis),
                str(real_model),
                str(real_output),
            ]
        )
        return cls(real_model, output, key, directory / f"{place}.bin", started)

    # -- a run with nothing changed ---------------------------------------------------------

    def said_again(self) -> str | None:
        """The line a run with nothing changed prints, when every path the stamp notes is
        as noted; None: the run must be done."""
        noted = self._load() if self.output.is_dir() else None
        if noted is None:
            return None
        said, repository, paths, expected = noted
        from treeform.lock import output_lock  # (here: a run without a stamp needs it later)

        try:
            with output_lock(self.output):
                found = self._look(paths, expected)
        except (OSError, OutputError):
            return None
        if found is None or found != expected:
            return None
        if repository is not False and repository != _repository(self.output):
            return None
        return said

    def _load(self) -> tuple[str, object, list[list[str]], list[bytes]] | None:
        """The stamp's line, OUT's noted place in git, its three lists of paths and their
        numbers; None when there is none, for another key, or it is unreadable."""
        try:
            data = self.path.read_bytes()
            sections = _sections(data)
            header = marshal.loads(sections[0])
        except Exception:  # anything unreadable is no stamp
            return None
        if not isinstance(header, tuple) or len(header) != 3 or header[0] != self.key:
            return None
        if len(sections) != 7 or not isinstance(header[1], str):
            return None
        try:
            paths = [bytes(b).decode("utf-8").split("\0")[:-1] for b in sections[1:4]]
        except UnicodeDecodeError:
            return None
        return header[1], header[2], paths, [bytes(b) for b in sections[4:]]

    def _look(
        self, paths: list[list[str]], expected: list[bytes] | None = None
    ) -> list[bytes] | None:
        """The numbers of every path (the model's, relative to it, "" itself; the output's
        files and directories, relative to OUT), one bytes per list; None when one is
        missing or cannot be looked at. With a stamp's numbers (`expected`), OUT must hold
        no journal of an unfinished write (the run recovers it), and the model's numbers
        are compared first (a run with a change has it there, mostly)."""
        model_rels, file_rels, dir_rels = paths
        model_fd = os.open(self.model, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
            output_fd = os.open(self.output, flags)
            try:
                jobs = [(output_fd, file_rels, _FULL), (output_fd, dir_rels, _KIND)]
                if expected is None:
                    return _numbers_of([(model_fd, model_rels, _FULL), *jobs])
                with contextlib.suppress(FileNotFoundError):
                    os.stat(JOURNAL, dir_fd=output_fd, follow_symlinks=False)
                    return None
                model = _numbers_of([(model_fd, model_rels, _FULL)], split=False)
                if model is None or model[0] != expected[0]:
                    return None
                rest = _numbers_of(jobs)
                return None if rest is None else [*model, *rest]
            finally:
                os.close(output_fd)
        finally:
            os.close(model_fd)

    # -- after a run --------------------------------------------------------------------------

    def after(self, rendered: Rendered, said: str) -> None:
        """Note the stamp of the state a run over the whole tree left (`said`: what a run
        with nothing changed prints then). Best effort: a stamp that cannot be noted is no
        error (the old one is dropped)."""
        if not self._note(rendered, said):
            self.forget()

    def _note(self, rendered: Rendered, said: str) -> bool:
        tree, look = rendered.tree, rendered.look
        if rendered.warnings or tree is None or tree.linked or look is None:
            return False
        if not look.complete:
            return False
        repository: str | bool | None = False  # no atlantis.yaml: OUT's place is no input
        atlantis = rendered.atlantis
        if atlantis is not None and atlantis.enabled:
            repository = _repository(self.output)
            if not atlantis.output_path_set and (repository or "") != atlantis.output_path:
                return False  # git answers otherwise than it did for the run
        model_rels = _model_paths(rendered, self.model)
        output_dirs = _output_directories(rendered.layouts, look.extras)
        try:
            model, manifest, dirs = self._looked_at(model_rels, output_dirs, rendered.wrote)
        except (OSError, OverflowError):
            return False
        if model is None or manifest is None or dirs is None:
            return False
        numbers = array.array("q", look.numbers)
        numbers.extend(manifest)
        if _racy(numbers):  # the last files were written in this tick: let it pass
            time.sleep(TICK_NS / 1e9)
            if _racy(numbers):  # (stamps in the future, or whole seconds)
                return False
        header = marshal.dumps((self.key, said, repository))
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            with tmp.open("wb") as fh:
                _section(fh, [header])
                _section(fh, [_joined(model_rels)])
                _section(fh, _file_paths(rendered.layouts, look.extras))
                _section(fh, [_joined(output_dirs)])
                for part in (model, numbers.tobytes(), dirs):
                    _section(fh, [part])
            tmp.replace(self.path)
        except (OSError, ValueError):
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            return False
        return True

    def _looked_at(
        self, model_rels: list[str], output_dirs: list[str], wrote: bool
    ) -> tuple[bytes | None, list[int] | None, bytes | None]:
        """The numbers of the model's paths (None unless each is what the run read, a
        directory or a regular file, last changed before it started), of the manifest
        (None unless as the commit left it, or older than the start) and of the output's
        directories (None unless each is one)."""
        before = self.started_ns - TICK_NS
        flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
        model_fd = os.open(self.model, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            output_fd = os.open(self.output, flags)
            try:
                jobs = [(model_fd, model_rels, _FULL), (output_fd, [MANIFEST], _FULL)]
                found = _look_all([*jobs, (output_fd, output_dirs, _KIND)], modes=True)
            finally:
                os.close(output_fd)
        finally:
            os.close(model_fd)
        if found is None:
            return None, None, None
        (model, modes), (noted, manifest_mode), (dirs, dir_modes) = found
        numbers = array.array("q", model)
        for i, mode in enumerate(modes):
            if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
                return None, None, None
            if not settled_times(numbers[4 * i + 1], numbers[4 * i + 3], before):
                return None, None, None
        manifest = list(array.array("q", noted))
        if not stat.S_ISREG(manifest_mode[0]):
            return model, None, None
        if not wrote and not settled_times(manifest[1], manifest[3], before):
            return model, None, None
        if not all(stat.S_ISDIR(mode) for mode in dir_modes):
            return model, manifest, None
        return model, manifest, dirs

    def forget(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink(missing_ok=True)


def _model_paths(rendered: Rendered, model: Path) -> list[str]:
    """The model's paths a run read (relative; "" the model itself): the tree's, and the
    settings file."""
    tree = rendered.tree
    assert tree is not None
    rels = tree.inputs()
    if os.path.lexists(model / SETTINGS_FILE):  # else the model's own mtime says so
        rels.append(SETTINGS_FILE)
    return rels


def _file_paths(layouts: list[tuple[str, tuple[str, ...]]], extras: list[str]) -> Iterable[bytes]:
    """The output's files, in the order of the run's look at them, then the manifest."""
    for cid, names in layouts:
        yield "".join([f"{cid}/{name}\0" for name in names]).encode()
    yield _joined([*extras, MANIFEST])


def _output_directories(layouts: list[tuple[str, tuple[str, ...]]], extras: list[str]) -> list[str]:
    """The directories on the way to the output's files (relative; "" for OUT itself)."""
    cids = [cid for cid, _ in layouts]
    found = {"", *cids, *directories_of(cids), *directories_of(extras)}
    below: dict[tuple[str, ...], set[str]] = {}  # per layout: its directories below a cluster
    for cid, names in layouts:
        if names not in below:
            below[names] = directories_of(names)
        found.update([f"{cid}/{d}" for d in below[names]])
    return sorted(found)


def _joined(rels: list[str]) -> bytes:
    return "".join([f"{rel}\0" for rel in rels]).encode()


def _section(fh: IO[bytes], parts: Iterable[bytes]) -> None:
    """One section of a stamp: its length, then its bytes (written as they come)."""
    at = fh.tell()
    fh.write(_LENGTH.pack(0))
    for part in parts:
        fh.write(part)
    end = fh.tell()
    fh.seek(at)
    fh.write(_LENGTH.pack(end - at - _LENGTH.size))
    fh.seek(end)


def _sections(data: bytes) -> list[memoryview]:
    view = memoryview(data)
    found = []
    at = 0
    while at < len(view):
        (length,) = _LENGTH.unpack_from(view, at)
        at += _LENGTH.size
        if at + length > len(view):
            raise ValueError("a cut stamp")
        found.append(view[at : at + length])
        at += length
    return found


def _racy(numbers: array.array[int]) -> bool:
    """Whether a file of these numbers (four a file) was changed in the last tick of the
    clock (or later): an edit in the same tick would not show in them."""
    before = time.time_ns() - TICK_NS
    mtimes, ctimes = numbers[1::4], numbers[3::4]
    if not numbers or max(max(mtimes), max(ctimes)) < before - 2 * 10**9:
        return False
    return not all(map(settled_times, mtimes, ctimes, [before] * len(mtimes)))


def _repository(output: Path) -> str | None:
    """OUT's path in its git repository (None: in none), as atlantis.yaml's dirs take it;
    "?" when git cannot say (never the noted one)."""
    try:
        located = path_in_repository(output)
    except (OSError, OutputError):
        return "?"
    return None if located is None else located[0]


def _numbers(fd: int, rels: list[str], width: int, modes: list[int] | None = None) -> bytes:
    """The numbers of each path (relative to the directory `fd`; "" that directory), not
    following a symlink: size, mtime, inode and ctime (`width` 4) or the inode; `modes`
    gets each path's mode."""
    look = os.stat
    out: list[int] = []
    add = out.extend
    for rel in rels:
        i = look(rel, dir_fd=fd, follow_symlinks=False) if rel else os.fstat(fd)
        if width == _FULL:
            add((i.st_size, i.st_mtime_ns, i.st_ino, i.st_ctime_ns))
        else:
            out.append(i.st_ino)
        if modes is not None:
            modes.append(i.st_mode)
    return array.array("q", out).tobytes()


def _look_all(
    jobs: list[tuple[int, list[str], int]], *, split: bool = True, modes: bool = False
) -> list[tuple[bytes, list[int]]] | None:
    """`_numbers` of each job (with the paths' modes when `modes`); for many paths (unless
    not `split`), the second half of each list by a forked process. None when a path is
    missing or cannot be looked at."""

    def part(start: int, end: int) -> list[tuple[bytes, list[int]]] | None:
        found = []
        try:
            for fd, rels, width in jobs:
                kinds: list[int] = []
                rows = rels[len(rels) * start // 2 : len(rels) * end // 2]
                found.append((_numbers(fd, rows, width, kinds if modes else None), kinds))
        except (OSError, OverflowError):
            return None
        return found

    total = sum(len(rels) for _, rels, _ in jobs)
    if not split or total < SPLIT or cores() < 2:
        return part(0, 2)
    mine, theirs = in_two(part, 2)
    if mine is None or theirs is None:
        return None
    return [(a + b, c + d) for (a, c), (b, d) in zip(mine, theirs, strict=True)]


def _numbers_of(
    jobs: list[tuple[int, list[str], int]], *, split: bool = True
) -> list[bytes] | None:
    found = _look_all(jobs, split=split)
    return None if found is None else [numbers for numbers, _ in found]


def forget(model: Path, output: Path) -> None:
    """Drop the stamp of `model` and `output` (the benchmark's runs without one)."""
    stamp = Stamp.of(model, output, None)
    if stamp is not None:
        stamp.forget()
