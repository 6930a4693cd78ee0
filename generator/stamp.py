"""A generate that changed nothing, said again without doing it again.

Pre-commit runs `treeform generate` on every commit, and most of those runs find nothing
to do; at 10,000 clusters even the incremental run (see `runner`) spends a second loading
the manifest, walking the tree and vouching for each cluster. So a generate that changed
nothing (every cluster's files as they were, nothing written, no warning, the whole tree:
no `--only`) notes in treeform's cache (`runs/`, one per model tree and output directory)
what that outcome depended on, as make's stamp files and git's untracked cache do:

- every directory of the model tree (an entry added, removed or renamed changes its mtime
  and ctime) and every file read from it (cluster files, `_defaults.yaml`, extra Terraform,
  `.treeform.yaml`): mode, device, inode, size, mtime and ctime in nanoseconds;
- every file the output's manifest lists, and the manifest: the same; every directory on
  their way: mode, device and inode (a directory replaced by a symlink shows);
- treeform itself (its code fingerprint), the limits set in the environment, the
  `--atlantis` choice, OUT's path in its git repository when atlantis.yaml is written, and
  the line the run printed.

A later `generate` (not `--check`, not `--only`) looks at every one of them (`lstat`, under
the output's lock, with no journal of an unfinished write in OUT; half of them in a forked
process) and, when each is exactly as noted, prints the same line and stops: nothing is
loaded, parsed, hashed or compared. Anything else (one number differs, a path is missing,
the stamp is unreadable or was made by other code) and the run goes on as usual; when that
run too changes nothing, it notes a new stamp, and a run that writes drops the old one.

Why the numbers can vouch for the outcome: a path is noted only when its mtime and ctime
are both older than the moment the run started (by a tick of the clock; two seconds for
whole-second stamps, as `fileindex` does). So nothing changed it while the run read it or
vouched for it, and what the stamp notes is what the run saw; any later change stamps a
later ctime, which no user call can set back. Like the file index, the stamp lives in the
user's cache, never in the committed output (a pull request cannot write it), it is only a
shortcut to the answer the whole run gave, and `--check` and `diff` never use it. A model
tree holding a symlink gets no stamp (what the link leads to is not looked at).
"""

from __future__ import annotations

import array
import contextlib
import hashlib
import marshal
import os
import stat
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from treeform import limits
from treeform.cache import cache_dir
from treeform.errors import OutputError
from treeform.fileindex import TICK_NS, settled_times
from treeform.fingerprint import code_fingerprint
from treeform.forking import cores, in_two
from treeform.gitrepo import path_in_repository
from treeform.layout import JOURNAL, MANIFEST

if TYPE_CHECKING:
    from treeform.runner import Rendered

_FORMAT = 1
#: From this many paths, half of them are looked at by a forked process.
SPLIT = 20_000
#: Numbers noted per path: all of them, or only what a directory of the output is.
_FULL = 6
_KIND = 3
_SETTINGS_FILE = ".treeform.yaml"  # (settings.py is not imported: it loads YAML)


class Stamp:
    """The stamp of one model tree and output directory, for this run of generate."""

    def __init__(self, model: Path, output: Path, key: str, path: Path, started_ns: int) -> None:
        self.model = model  # resolved
        self.output = output  # as given: opened without following a symlink
        self.key = key
        self.path = path
        #: Before this run read anything: only what was last changed before is noted.
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
        """The line the last run printed, when everything it depended on is as it saw it;
        None: the run must be done."""
        noted = self._load() if self.output.is_dir() else None
        if noted is None:
            return None
        said, repository, model_rels, file_rels, dir_rels, expected = noted
        from treeform.lock import output_lock  # (here: a run without a stamp needs it later)

        try:
            with output_lock(self.output):
                found = self._look(model_rels, file_rels, dir_rels, expected=expected)
        except (OSError, OutputError):
            return None
        if found != expected:
            return None
        if repository is not False and repository != _repository(self.output):
            return None
        return str(said)

    def _load(self) -> tuple[Any, ...] | None:
        try:
            data = marshal.loads(self.path.read_bytes())
        except Exception:  # anything unreadable is no stamp
            return None
        if not isinstance(data, tuple) or len(data) != 5 or data[0] != self.key:
            return None
        said, repository, joined, expected = data[1:5]
        if not isinstance(said, str) or not isinstance(joined, tuple) or len(joined) != 3:
            return None
        if not all(isinstance(x, str) for x in joined):
            return None
        if not isinstance(expected, list) or len(expected) != 3:
            return None
        model_rels, file_rels, dir_rels = (_split(x) for x in joined)
        return said, repository, model_rels, file_rels, dir_rels, expected

    def _look(
        self,
        model_rels: list[str],
        file_rels: list[str],
        dir_rels: list[str],
        expected: list[bytes] | None = None,
    ) -> list[bytes] | None:
        """The numbers of every path (model: relative to the model, "" itself; output files
        and directories: relative to OUT), one bytes per list; None when one is missing or
        cannot be looked at. When the numbers `expected` are given (a stamp's), OUT must
        hold no journal of an unfinished write (the run recovers it), and the model's
        numbers are compared first (a run with a change has it there, mostly)."""
        model_fd = os.open(self.model, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
            output_fd = os.open(self.output, flags)
            try:
                jobs = [(output_fd, file_rels, _FULL), (output_fd, dir_rels, _KIND)]
                if expected is None:
                    return _look_all([(model_fd, model_rels, _FULL), *jobs])
                with contextlib.suppress(FileNotFoundError):
                    os.stat(JOURNAL, dir_fd=output_fd, follow_symlinks=False)
                    return None
                model = _look_all([(model_fd, model_rels, _FULL)], split=False)
                if model is None or model[0] != expected[0]:
                    return None
                rest = _look_all(jobs)
                return None if rest is None else [*model, *rest]
            finally:
                os.close(output_fd)
        finally:
            os.close(model_fd)

    # -- after a run --------------------------------------------------------------------------

    def after(self, rendered: Rendered, said: str) -> None:
        """Note the stamp of a run that changed nothing (printing `said`), or drop the old
        one when the run wrote. Best effort: a stamp that cannot be noted is no error."""
        tree = rendered.tree
        if rendered.wrote or rendered.warnings or tree is None or tree.linked:
            self.forget()
            return
        model_rels = [*tree.directories]
        model_rels += [f"{d}/_defaults.yaml" if d else "_defaults.yaml" for d in tree.defaults]
        for cluster_file in tree.files:
            model_rels.append(f"{cluster_file.id}.{cluster_file.path.rpartition('.')[2]}")
        for extras in tree.terraform.values():
            model_rels += [extra.file.id for extra in extras]
        if os.path.lexists(self.model / _SETTINGS_FILE):  # else the root's mtime says so
            model_rels.append(_SETTINGS_FILE)
        file_rels = [*rendered.owned, MANIFEST]
        dir_rels = sorted(_directories(rendered.owned))
        repository: str | bool | None = False  # no atlantis.yaml: OUT's place is no input
        atlantis = rendered.atlantis
        if atlantis is not None and atlantis.enabled:
            repository = _repository(self.output)
            if not atlantis.output_path_set and (repository or "") != atlantis.output_path:
                return  # git answers otherwise than it did for the run
        try:
            found = self._look(model_rels, file_rels, dir_rels)
        except OSError:
            found = None
        if found is None or not self._settled(found, len(tree.directories)):
            self.forget()
            return
        joined = tuple(
            "".join([f"{rel}\0" for rel in rels]) for rels in (model_rels, file_rels, dir_rels)
        )
        data = (self.key, said, repository, joined, found)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_bytes(marshal.dumps(data))
            tmp.replace(self.path)
        except (OSError, ValueError):
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)

    def _settled(self, found: list[bytes], model_dirs: int) -> bool:
        """Whether every path looked at is what it must be (the model's directories, then
        its files, regular files, output directories), each with full numbers last changed
        before this run started."""
        before = self.started_ns - TICK_NS
        model, files, dirs = (array.array("q", b) for b in found)
        for numbers, first_dirs in ((model, model_dirs), (files, 0)):
            for i in range(0, len(numbers), _FULL):
                mode, mtime, ctime = numbers[i], numbers[i + 4], numbers[i + 5]
                want = stat.S_ISDIR if i < first_dirs * _FULL else stat.S_ISREG
                if not want(mode) or not settled_times(mtime, ctime, before):
                    return False
        return all(stat.S_ISDIR(dirs[i]) for i in range(0, len(dirs), _KIND))

    def forget(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink(missing_ok=True)


def _repository(output: Path) -> str | None:
    """OUT's path in its git repository (None: in none), as atlantis.yaml's dirs take it;
    "?" when git cannot say (never the noted one)."""
    try:
        located = path_in_repository(output)
    except OutputError:
        return "?"
    return None if located is None else located[0]


def _split(joined: str) -> list[str]:
    """The paths of a list noted as one string (a path holds no NUL; one string loads many
    times faster than as many)."""
    return joined.split("\0")[:-1]  # each path ends with one


def _directories(files: Iterable[str]) -> set[str]:
    """The directories on the way to `files` (relative; "" for OUT itself)."""
    found = {""}
    for rel in files:
        directory = rel.rpartition("/")[0]
        while directory and directory not in found:
            found.add(directory)
            directory = directory.rpartition("/")[0]
    return found


def _numbers(fd: int, rels: list[str], width: int) -> bytes:
    """The numbers of each path (relative to the directory `fd`; "" that directory), not
    following a symlink: mode, device, inode, and (`width` 6) size, mtime and ctime in ns."""
    look = os.stat
    out: list[int] = []
    add = out.extend
    for rel in rels:
        i = look(rel, dir_fd=fd, follow_symlinks=False) if rel else os.fstat(fd)
        if width == _FULL:
            add((i.st_mode, i.st_dev, i.st_ino, i.st_size, i.st_mtime_ns, i.st_ctime_ns))
        else:
            add((i.st_mode, i.st_dev, i.st_ino))
    return array.array("q", out).tobytes()


def _look_all(jobs: list[tuple[int, list[str], int]], *, split: bool = True) -> list[bytes] | None:
    """`_numbers` of each job; for many paths (unless not `split`), the second half of each
    list by a forked process. None when a path is missing or cannot be looked at."""

    def part(start: int, end: int) -> list[bytes] | None:
        try:
            return [
                _numbers(fd, rels[len(rels) * start // 2 : len(rels) * end // 2], width)
                for fd, rels, width in jobs
            ]
        except (OSError, OverflowError):
            return None

    total = sum(len(rels) for _, rels, _ in jobs)
    if not split or total < SPLIT or cores() < 2:
        return part(0, 2)
    mine, theirs = in_two(part, 2)
    if mine is None or theirs is None:
        return None
    return [a + b for a, b in zip(mine, theirs, strict=True)]


def forget(model: Path, output: Path) -> None:
    """Drop the stamp of `model` and `output` (the benchmark's runs without one)."""
    stamp = Stamp.of(model, output, None)
    if stamp is not None:
        stamp.forget()
