"""A corpus of broken models (tests/cases/invalid/<case>/model): each is refused with every
error as FILE:LINE:COLUMN: field: message, exit 1, no traceback, and the output directory
left byte-for-byte as it was. The report itself is pinned by a snapshot per case."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import TESTS

from generator.cli import cli

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
