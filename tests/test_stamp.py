"""A generate that changed nothing is said again from its stamp (see treeform.stamp): the
next run looks at every path the outcome depended on and stops when each is as noted, and
any change (of the model, the settings, the output, the environment, treeform itself) makes
it do the whole run, which then finds the change. A stamp is only noted for paths last
changed before the run started, never for `--only`, and never holds a model with a symlink."""

from __future__ import annotations

import array
import os
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from helpers import write_tree
from test_fileindex import BASE, edit_keeping_size_and_mtime
from treeform import runner, stamp
from treeform.cli import cli
from treeform.layout import JOURNAL
from treeform.stamp import Stamp


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("TREEFORM_CACHE_DIR", str(directory))
    return directory


@pytest.fixture
def full_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per generate that did the whole run (not said again from the stamp)."""
    runs: list[int] = []
    real = runner.write_generated

    def counted(*args: object, **kwargs: object) -> runner.Rendered:
        runs.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "write_generated", counted)
    return runs


def generate(model: Path, out: Path, *options: str) -> Result:
    return CliRunner().invoke(cli, ["generate", str(model), "-o", str(out), *options])


def stamp_of(model: Path, out: Path) -> Path:
    found = Stamp.of(model, out, None)
    assert found is not None
    return found.path


def stamped(model: Path, out: Path) -> str:
    """Generate (which notes the stamp of the state it leaves; the model's files must be a
    clock tick old) and return the line of a whole run with nothing changed (the stamp
    put aside for it; it notes the same one)."""
    time.sleep(0.05)
    first = generate(model, out)
    assert first.exit_code == 0, first.output
    path = stamp_of(model, out)
    assert path.exists()
    noted = path.read_bytes()
    path.unlink()
    whole = generate(model, out)
    assert whole.exit_code == 0, whole.output
    assert " 0 created, 0 updated, 0 removed," in whole.output
    # Noted again, the same: what the writing run had of its files is what they are.
    assert path.read_bytes() == noted
    return whole.output


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    extra = {"a.extra.tf": 'output "x" {\n  value = 1\n}\n'}
    return write_tree(tmp_path / "model", {**BASE, **extra}), tmp_path / "out"


def test_a_run_with_nothing_changed_is_said_again_without_being_done(
    tree: tuple[Path, Path], full_runs: list[int]
) -> None:
    model, out = tree
    said = stamped(model, out)
    assert full_runs == [1, 1]
    again = generate(model, out)
    assert (again.exit_code, again.output) == (0, said)
    assert full_runs == [1, 1]  # said again: no whole run
    assert "0 created, 0 updated, 0 removed" in said


def same_size_edit(path: Path, old: str, new: str, *, new_inode: bool = False) -> None:
    """Replace `old` by `new` (as long) in a file, putting its mtime back: only its ctime
    (and, `new_inode`, its inode) shows the edit."""
    before = path.stat()
    text = path.read_text()
    assert len(old) == len(new) and old in text
    if new_inode:
        path.unlink()
    path.write_text(text.replace(old, new))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)


@pytest.mark.parametrize(
    ("change", "then"),
    [
        # The model: a cluster file, a new one, one removed, the defaults, extra Terraform.
        (lambda m: same_size_edit(m / "a.yaml", "one", "eno"), "2 updated"),
        (lambda m: (m / "c.yaml").write_text("tags: {v: three}\n"), "3 clusters"),
        (lambda m: (m / "b.yaml").unlink(), "1 cluster,"),
        (lambda m: same_size_edit(m / "_defaults.yaml", "3}", "4}", new_inode=True), "updated"),
        (lambda m: same_size_edit(m / "a.extra.tf", "= 1", "= 2"), "1 updated"),
        # The settings: atlantis.yaml is no longer written.
        (lambda m: (m / ".treeform.yaml").write_text("atlantis: false\n"), "1 removed"),
    ],
)
def test_a_change_of_the_model_makes_the_run_whole(
    tree: tuple[Path, Path], full_runs: list[int], change: object, then: str
) -> None:
    model, out = tree
    stamped(model, out)
    change(model)  # type: ignore[operator]
    result = generate(model, out)
    assert full_runs == [1, 1, 1]
    assert result.exit_code == 0, result.output
    assert then in result.output
    assert ", 0 updated, 0 removed" not in result.output or "3 clusters" in result.output


def test_an_output_file_edited_keeping_size_and_mtime_is_found(
    tree: tuple[Path, Path], full_runs: list[int]
) -> None:
    model, out = tree
    stamped(model, out)
    edit_keeping_size_and_mtime(out / "a" / "terraform" / "main.tf", new_inode=False)
    result = generate(model, out)
    assert full_runs == [1, 1, 1]
    assert result.exit_code == 1
    assert "a/terraform/main.tf: edited by hand" in result.output


def test_an_output_directory_swapped_for_a_symlink_is_found(
    tree: tuple[Path, Path], tmp_path: Path, full_runs: list[int]
) -> None:
    """The files reached through the link are the very files noted (same inodes and
    times): the directory's own `lstat` shows the link."""
    model, out = tree
    stamped(model, out)
    (out / "a").rename(tmp_path / "elsewhere")
    (out / "a").symlink_to(tmp_path / "elsewhere")
    result = generate(model, out)
    assert full_runs == [1, 1, 1]
    assert result.exit_code == 1
    assert "symbolic link" in result.output
    assert (tmp_path / "elsewhere" / "terraform" / "main.tf").exists()  # nothing outside OUT


def test_the_journal_of_an_unfinished_write_makes_the_run_whole(
    tree: tuple[Path, Path], full_runs: list[int]
) -> None:
    model, out = tree
    said = stamped(model, out)
    (out / JOURNAL).mkdir()  # the run recovers it (an empty journal: nothing to roll back)
    result = generate(model, out)
    assert full_runs == [1, 1, 1]
    assert (result.exit_code, result.output) == (0, said)
    assert not (out / JOURNAL).exists()


def test_the_environment_the_command_line_and_treeform_itself_are_in_the_stamp(
    tree: tuple[Path, Path], full_runs: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    model, out = tree
    stamped(model, out)
    assert generate(model, out, "--no-atlantis").exit_code == 0  # another choice: whole
    assert full_runs == [1, 1, 1]
    time.sleep(0.05)
    stamped(model, out)  # (atlantis.yaml written again)
    full_runs.clear()
    monkeypatch.setenv("TREEFORM_MAX_DEPTH", "63")
    assert generate(model, out).exit_code == 0
    monkeypatch.delenv("TREEFORM_MAX_DEPTH")
    monkeypatch.setattr(stamp, "code_fingerprint", lambda: "other code")
    assert generate(model, out).exit_code == 0
    assert full_runs == [1, 1]


def test_the_place_of_the_output_in_its_repository_is_asked_again(
    tree: tuple[Path, Path], full_runs: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """atlantis.yaml's dirs are OUT's path in its git repository: a repository made around
    it since the stamp makes the run whole."""
    model, out = tree
    stamped(model, out)
    monkeypatch.setattr(stamp, "path_in_repository", lambda output: ("gen", output.parent))
    generate(model, out)
    assert full_runs == [1, 1, 1]


def test_a_stamp_is_only_noted_for_what_was_last_changed_before_the_run(
    tree: tuple[Path, Path],
) -> None:
    model, out = tree
    assert generate(model, out).exit_code == 0
    found = Stamp.of(model, out, None)
    assert found is not None
    rendered = runner.write_generated(model, out)
    assert not rendered.wrote
    time.sleep(0.05)
    cluster = model / "b.yaml"
    cluster.write_text(cluster.read_text())  # as if edited while the run read it
    found.started_ns = cluster.stat().st_ctime_ns
    found.after(rendered, "said")
    assert not found.path.exists()
    found.started_ns = time.time_ns() + 10**9
    found.after(rendered, "said")
    assert found.path.exists()


def test_a_run_that_writes_notes_the_state_it_left_and_only_never_uses_a_stamp(
    tree: tuple[Path, Path], full_runs: list[int]
) -> None:
    model, out = tree
    said = stamped(model, out)
    noted = stamp_of(model, out).read_bytes()
    result = generate(model, out, "--only", "a")
    assert result.exit_code == 0 and "1 cluster," in result.output
    assert full_runs == [1, 1, 1]
    assert stamp_of(model, out).read_bytes() == noted  # --only neither uses nor notes it
    (model / "c.yaml").write_text("tags: {v: three}\n")
    time.sleep(0.05)
    wrote = generate(model, out)
    assert wrote.exit_code == 0 and "3 clusters" in wrote.output
    assert " 0 created," not in wrote.output
    assert full_runs == [1, 1, 1, 1]
    again = generate(model, out)  # the very next run, said from the stamp the write noted
    assert full_runs == [1, 1, 1, 1]
    assert "3 clusters, 0 created, 0 updated, 0 removed," in again.output
    stamp_of(model, out).unlink()
    assert generate(model, out).output == again.output  # as the whole run says it
    assert full_runs == [1, 1, 1, 1, 1]
    assert said != again.output


def test_an_unreadable_stamp_is_no_stamp(tree: tuple[Path, Path], full_runs: list[int]) -> None:
    model, out = tree
    said = stamped(model, out)
    path = stamp_of(model, out)
    for junk in (b"", b"\x00garbage", path.read_bytes()[:-9]):
        path.write_bytes(junk)
        result = generate(model, out)
        assert (result.exit_code, result.output) == (0, said)
    assert full_runs == [1, 1, 1, 1, 1]


def test_a_model_with_a_symlink_gets_no_stamp(tmp_path: Path) -> None:
    model, out = write_tree(tmp_path / "model", BASE), tmp_path / "out"
    shutil.move(model / "b.yaml", tmp_path / "model" / "b.txt")
    (model / "b.yaml").symlink_to("b.txt")
    assert generate(model, out).exit_code == 0
    time.sleep(0.05)
    assert generate(model, out).exit_code == 0
    assert not stamp_of(model, out).exists()


def test_without_a_cache_there_is_no_stamp(
    tree: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, full_runs: list[int]
) -> None:
    model, out = tree
    monkeypatch.setenv("TREEFORM_CACHE_DIR", "")
    for _ in range(3):
        assert generate(model, out).exit_code == 0
        time.sleep(0.05)
    assert full_runs == [1, 1, 1]


def test_two_processes_look_as_one(
    tree: tuple[Path, Path], full_runs: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """From SPLIT paths the second half of each list is looked at by a forked process:
    the same answer, and a change in that half is found."""
    model, out = tree
    monkeypatch.setattr(stamp, "SPLIT", 1)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    said = stamped(model, out)
    assert generate(model, out).output == said
    assert full_runs == [1, 1]
    edit_keeping_size_and_mtime(out / "b" / "terraform" / "main.tf", new_inode=False)
    assert generate(model, out).exit_code == 1
    assert full_runs == [1, 1, 1]


def test_files_changed_in_the_last_tick_are_racy() -> None:
    """The stamp is written only once every output file it notes is older than a tick of
    the clock (an edit in the same tick would not show in the numbers)."""
    now = time.time_ns()
    old = now - 10**9
    assert not stamp._racy(array.array("q", [10, old, 7, old] * 3))
    assert stamp._racy(array.array("q", [10, old, 7, old, 10, old, 8, now]))
    assert stamp._racy(array.array("q", [10, now + 10**12, 7, old]))  # a stamp in the future
    coarse = (now // 10**9 - 1) * 10**9  # whole seconds, a second ago: maybe this second
    assert stamp._racy(array.array("q", [10, coarse, 7, coarse]))
