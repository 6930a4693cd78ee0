"""A generate is all or nothing: interrupted at any file operation, by an error or by a
crash, the output is as it was before (rolled back at once, or by the next run), and the
next run writes it fully new. Two writers never share an output directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import write_tree
from treeform import journal
from treeform.errors import ModelError, OutputError
from treeform.journal import recover
from treeform.layout import LOCK
from treeform.lock import output_lock
from treeform.runner import write_generated
from treeform.safefs import Jail

BASE = {
    "_defaults.yaml": """
        cloud: aws
        engine: eks
        region: us-east-1
        kubernetesVersion: "1.33"
        nodePools:
          general: {machineType: m6i.large, minSize: 1, maxSize: 3}
        """,
    "a.yaml": "tags: {v: one}\n",
    "b.yaml": "tags: {v: one}\n",
}
CHANGED = {**BASE, "a.yaml": "tags: {v: two}\n", "c.yaml": "tags: {v: new}\n"}


@pytest.fixture(autouse=True)
def no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """The operations counted here are the output directory's: treeform's cache (which a
    run writes only when what it notes changed) is off."""
    monkeypatch.setenv("TREEFORM_CACHE_DIR", "")


def tree_bytes(root: Path) -> dict[str, bytes | None]:
    """Every file's bytes, and every directory (None): an empty directory left behind is a
    difference too."""
    return {
        str(p.relative_to(root)): p.read_bytes() if p.is_file() else None
        for p in sorted(root.rglob("*"))
    }


def but_the_lock(root: Path) -> dict[str, bytes | None]:
    """`tree_bytes` without the lock file: one left behind (its removal failed, or its
    holder died) holds nothing (see the test of the lock below)."""
    found = tree_bytes(root)
    found.pop(LOCK, None)
    return found


def visible(root: Path) -> dict[str, str]:
    """The rendered files of an output directory (not treeform's own bookkeeping)."""
    return {
        p: b.decode()
        for p, b in tree_bytes(root).items()
        if b is not None and not p.startswith(".")
    }


def generate(model: Path, out: Path) -> Any:
    """What `treeform generate MODEL -o OUT` runs (the CLI calls it so): the lock, the
    transaction, the incremental run staging each cluster's files, the commit."""
    return write_generated(model, out, str(model))


@pytest.fixture
def states(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(output as it was, model before the change, model after it: b removed, a changed,
    c added)."""
    before_model = write_tree(tmp_path / "before", BASE)
    after_model = write_tree(
        tmp_path / "after", {k: v for k, v in CHANGED.items() if k != "b.yaml"}
    )
    out = tmp_path / "out-before"
    generate(before_model, out)
    return out, before_model, after_model


class Crash(BaseException):
    """Stands for the process dying: nothing in the writer may handle it."""


def fail_at(monkeypatch: pytest.MonkeyPatch, k: int, exc: Callable[[], BaseException]) -> list[int]:
    """Make the k-th file operation of the writer raise; returns the operation counter."""
    calls = [0]

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        def inner(*args: Any, **kwargs: Any) -> Any:
            calls[0] += 1
            if calls[0] == k:
                raise exc()
            return fn(*args, **kwargs)

        return inner

    # Every change the writer makes goes through the jail (treeform.safefs); directories
    # are made by os.mkdir, backups are hard links (os.link, a copy where that fails).
    # (Emptied directories are removed as well as can be: a failure leaves one in place.)
    for name in ("write", "replace", "unlink", "open_append", "rmtree"):
        monkeypatch.setattr(Jail, name, wrap(getattr(Jail, name)))
    monkeypatch.setattr(os, "mkdir", wrap(os.mkdir))
    monkeypatch.setattr(os, "link", wrap(os.link))
    return calls


@pytest.fixture
def probe(
    states: tuple[Path, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, Any, dict[str, bytes | None]]:
    """A generate of the changed model over a copy of the output, counted: (how many file
    operations it makes, its plan, the output it leaves, but the lock file)."""
    out, _, after = states
    target = tmp_path / "probe"
    shutil.copytree(out, target)
    with monkeypatch.context() as m:
        calls = fail_at(m, 0, lambda: OSError())
        plan = generate(after, target).plan
    return calls[0], plan, tree_bytes(target)


def test_an_error_at_any_operation_leaves_the_output_as_it_was(
    states: tuple[Path, Path, Path],
    probe: tuple[int, Any, dict[str, bytes | None]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out, _, after = states
    before = tree_bytes(out)
    total, plan, done = probe
    assert total > 20
    refused = 0
    for k in range(1, total + 1):
        target = tmp_path / f"out-{k}"
        shutil.copytree(out, target)
        with monkeypatch.context() as m:
            fail_at(m, k, lambda: OSError(28, "No space left on device"))
            try:
                generate(after, target)
            except OutputError as exc:
                assert "left as it was" in str(exc)
                assert tree_bytes(target) == before, f"operation {k} of {total}"
                refused += 1
            else:  # worked around (a hard link falls back to a copy), or after the commit
                recover(target)  # what the next run does first: a journal left is removed
                assert but_the_lock(target) == done, f"operation {k} of {total}"
        generate(after, target)
        assert tree_bytes(target) == done
    # Worked around: a failed hard link of a backup (by a copy), the lock's `mkdir` of the
    # output directory (it is there), and, once the commit is made, the removal of the
    # journal (the next run removes it) and of the lock file; every other failure is refused.
    assert plan.update and plan.remove
    assert refused == total - (len(plan.update) + len(plan.remove) + 1) - 3


def test_a_crash_at_any_operation_is_rolled_back_by_the_next_run(
    states: tuple[Path, Path, Path],
    probe: tuple[int, Any, dict[str, bytes | None]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Killed at any file operation (while clusters are staged, or committed), the output
    is, once the next run has recovered it, as it was before, or, from the commit's last
    step on, as the run would have left it."""
    out, _, after = states
    before = tree_bytes(out)
    total, _, done = probe
    committed = []
    for k in range(1, total + 1):
        target = tmp_path / f"crash-{k}"
        shutil.copytree(out, target)
        with monkeypatch.context() as m:
            m.setattr(journal, "recover", lambda root: False)  # a dead process recovers nothing
            fail_at(m, k, Crash)
            with pytest.raises(Crash):
                generate(after, target)
        recover(target)
        found = but_the_lock(target)
        assert found in (before, done), f"operation {k} of {total}"
        committed.append(found == done)
        generate(after, target)
        assert tree_bytes(target) == done
    # Once made, the commit stays made: only the last two steps (the journal's and the
    # lock's removal) leave the new state.
    assert committed == sorted(committed) and sum(committed) == 2


def test_a_second_writer_is_refused_and_a_dead_owner_leaves_nothing_that_holds(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    lock = out / LOCK
    lock.write_text(f"{os.getppid()}\n")  # a lock file nobody holds (its owner died)
    with output_lock(out):
        assert lock.read_text() == f"{os.getpid()}\n"
        # A live holder: another process.
        probe = subprocess.run(
            [sys.executable, "-c", HOLD, str(out), "0"], capture_output=True, text=True
        )
        assert probe.returncode == 1, probe.stderr
        assert f"another treeform (pid {os.getpid()}) is writing this directory" in probe.stderr
    assert not lock.exists()
    # A holder killed while it holds the lock: the kernel drops it, the next run takes it.
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(out), "60"], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    with pytest.raises(OutputError, match=f"another treeform \\(pid {holder.pid}\\)"):
        with output_lock(out):
            pass
    holder.kill()
    holder.wait()
    with output_lock(out):
        pass
    assert not lock.exists()


#: Take the lock of argv[1], say so, hold it argv[2] seconds.
HOLD = """
import sys, time
from pathlib import Path
from treeform.errors import OutputError
from treeform.lock import output_lock
try:
    with output_lock(Path(sys.argv[1])):
        print("held", flush=True)
        time.sleep(float(sys.argv[2]))
except OutputError as exc:
    print(exc, file=sys.stderr)
    sys.exit(1)
"""


def test_an_unwritable_output_directory_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()

    def refuse(*args: Any, **kwargs: Any) -> int:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(OutputError, match="not writable"):
        with output_lock(out):
            pass


def test_an_invalid_cluster_found_late_leaves_the_output_as_it_was(tmp_path: Path) -> None:
    """Files of the valid clusters are written as they are rendered; a cluster found invalid
    after them rolls every one of them back."""
    model = write_tree(
        tmp_path / "model",
        {
            **CHANGED,
            **{f"n{i:02}.yaml": f"tags: {{v: n{i}}}\n" for i in range(30)},
            "zz.yaml": "nodePools: {general: {minSize: 5, maxSize: 1}}\n",
        },
    )
    out = tmp_path / "out"
    generate(write_tree(tmp_path / "first", BASE), out)
    before = tree_bytes(out)
    with pytest.raises(ModelError, match=r"zz\.yaml"):
        generate(model, out)
    assert tree_bytes(out) == before
    fresh = tmp_path / "fresh"
    with pytest.raises(ModelError):
        write_generated(model, fresh, jobs=2)
    assert not fresh.exists()
