"""A corpus of broken models (tests/cases/invalid/<case>/model): each is refused with every
error as FILE:LINE:COLUMN: field: message, exit 1, no traceback, and the output directory
left byte-for-byte as it was. The report itself is pinned by a snapshot per case."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers import TESTS
from treeform.cli import cli

CASES = TESTS / "cases" / "invalid"
LINE = re.compile(r"^model/[^:]+:\d+:\d+: (\S+: )?\S.*$")


def _snapshot_of(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture
def case_dir(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    shutil.copytree(CASES / request.param, tmp_path / "case", symlinks=True)
    monkeypatch.chdir(tmp_path / "case")
    # A case may lower a limit (`env`: NAME=value lines), so that it stays small on disk.
    env = CASES / request.param / "env"
    if env.exists():
        for line in env.read_text(encoding="utf-8").splitlines():
            name, _, value = line.partition("=")
            monkeypatch.setenv(name, value)
    return tmp_path / "case"


@pytest.mark.parametrize("case_dir", sorted(p.name for p in CASES.iterdir()), indirect=True)
def test_broken_model_is_refused_and_nothing_is_written(case_dir: Path, snapshot) -> None:
    out = case_dir / "out"
    out.mkdir()
    (out / "keep.txt").write_text("not treeform's\n")
    before = _snapshot_of(out)

    result = CliRunner().invoke(cli, ["generate", "model", "-o", "out"], catch_exceptions=False)

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert lines[-1].endswith(("error", "errors"))
    for line in lines[:-1]:
        assert LINE.match(line), line
    assert _snapshot_of(out) == before
    assert result.stderr == snapshot


def test_symlink_out_of_the_tree_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(CASES / "empty-file", tmp_path / "case")
    monkeypatch.chdir(tmp_path / "case")
    Path("model/aws/c.yaml").unlink()
    secret = tmp_path / "secret.yaml"
    secret.write_text("cloud: aws\n")
    Path("model/aws/c.yaml").symlink_to(secret)
    result = CliRunner().invoke(cli, ["validate", "model"], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("model/aws/c.yaml:1:1: symlink leads outside the model root")


def test_all_errors_of_all_files_come_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for case in ("duplicate-key", "min-greater-than-max", "zones-outside-region"):
        shutil.copytree(CASES / case / "model", tmp_path / "model" / case)
    result = CliRunner().invoke(cli, ["validate", "model"], catch_exceptions=False)
    assert result.exit_code == 1
    files = {line.split(":")[0] for line in result.stderr.splitlines()[:-1]}
    assert files == {
        "model/duplicate-key/aws/c.yaml",
        "model/min-greater-than-max/aws/c.yaml",
        "model/zones-outside-region/aws/c.yaml",
    }


def _refused(args: list[str]) -> list[str]:
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    for line in lines[:-1]:
        assert LINE.match(line), line
    return lines[:-1]


@pytest.fixture
def aws_case(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A valid one-cluster model (the empty-file case, its empty cluster filled in)."""
    shutil.copytree(CASES / "empty-file", tmp_path / "case")
    monkeypatch.chdir(tmp_path / "case")
    Path("model/aws/c.yaml").write_text("tags: {team: a}\n", encoding="utf-8")
    return tmp_path / "case"


def test_symlink_loops_are_refused_and_the_rest_still_read(aws_case: Path) -> None:
    Path("model/aws/loop").symlink_to("..", target_is_directory=True)
    Path("model/aws/self.yaml").symlink_to("self.yaml")
    Path("model/aws/bad.yaml").write_text("nodePools: {p: {machineType: m6i.large}}\n")
    out = aws_case / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x\n")
    lines = _refused(["generate", "model", "-o", "out"])
    assert "model/aws/loop:1:1: symlink loop in the tree" in lines
    assert "model/aws/self.yaml:1:1: broken symlink or symlink loop" in lines
    # The loop does not hide the other errors of the tree.
    assert any(line.startswith("model/aws/bad.yaml:1:16: nodePools.p.maxSize") for line in lines)
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


def test_an_unreadable_file_is_reported_at_its_path(
    aws_case: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Root reads any file whatever its mode, so the refusal is simulated.
    real = os.open

    def refuse_c(path: Any, *args: Any, **kwargs: Any) -> int:
        if str(path).endswith("/c.yaml"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse_c)
    assert _refused(["validate", "model"]) == [
        "model/aws/c.yaml:1:1: cannot read: Permission denied"
    ]


def test_a_model_root_that_does_not_exist_is_a_usage_error(aws_case: Path) -> None:
    result = CliRunner().invoke(
        cli, ["generate", "no-such-model", "-o", "out"], catch_exceptions=False
    )
    assert result.exit_code == 2
    assert result.stderr == "no-such-model: the model root is not a directory\n"
    assert not (aws_case / "out").exists()
