"""Small things teams meet first: shell completion of `--only`, `--cloud` and `--engine`; a
progress bar that can be turned off and writes no escape codes where they cannot be shown;
`generate --check` failing on a stale manifest; the LICENSE file."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
import treeform.cli as cli_module
from click.testing import CliRunner, Result
from helpers import ROOT, write_tree
from treeform.cli import cli

DEFAULTS = """
    cloud: aws
    engine: eks
    region: us-east-1
    kubernetesVersion: "1.33"
    nodePools:
      general: {machineType: m6i.large, minSize: 1, maxSize: 3}
    """


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)


def complete(line: str) -> list[str]:
    """What bash completion offers for `line` (the cursor at its end)."""
    words = line.split()
    cword = len(words) if line.endswith(" ") else len(words) - 1
    env = {"_TREEFORM_COMPLETE": "bash_complete", "COMP_WORDS": line, "COMP_CWORD": str(cword)}
    result = CliRunner().invoke(cli, [], prog_name="treeform", env=env)
    return [item.split(",", 1)[1] for item in result.output.split()]


@pytest.fixture
def model(tmp_path: Path) -> Path:
    files = {"_defaults.yaml": DEFAULTS}
    for i in range(cli_module.PROGRESS_MIN_CLUSTERS):
        files[f"team{i % 2}/c{i:02d}.yaml"] = f"network: {{cidr: 10.{i}.0.0/16}}\n"
    return write_tree(tmp_path / "model", files)


@pytest.mark.parametrize("command", ["validate", "generate", "diff"])
def test_only_completes_cluster_ids_after_the_model(model: Path, command: str) -> None:
    assert complete(f"treeform {command} {model} --only team1/c0") == [
        "team1/c01",
        "team1/c03",
        "team1/c05",
        "team1/c07",
        "team1/c09",
    ]
    assert len(complete(f"treeform {command} {model} --only ")) == 20


def test_only_completes_with_the_model_after_the_cursor(model: Path) -> None:
    line = f"treeform generate -o out --only team0/c1 {model}"
    env = {"_TREEFORM_COMPLETE": "bash_complete", "COMP_WORDS": line, "COMP_CWORD": "5"}
    result = CliRunner().invoke(cli, [], prog_name="treeform", env=env)
    assert "plain,team0/c10" in result.output.split()


def test_cloud_and_engine_complete(tmp_path: Path) -> None:
    assert complete("treeform new x --cloud g") == ["gcp"]
    assert complete("treeform new x --cloud aws --engine ") == ["eks", "kops"]
    assert "doks" in complete("treeform new x --engine ")


def _changed(model: Path) -> None:
    defaults = model / "_defaults.yaml"
    defaults.write_text(defaults.read_text().replace("maxSize: 3", "maxSize: 4"))


def test_no_progress_turns_the_bar_off_on_a_terminal(
    model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_module, "_stderr_is_tty", lambda: True)
    out = tmp_path / "out"
    result = run("generate", str(model), "-o", str(out), "--no-progress", env={"TERM": "xterm"})
    assert result.exit_code == 0 and "rendering" not in result.stderr
    _changed(model)
    result = run("generate", str(model), "-o", str(out), env={"TERM": "xterm"})
    assert "rendering" in result.stderr  # the default on a terminal that draws


@pytest.mark.parametrize("tty", [True, False], ids=["TERM=dumb", "not a terminal"])
def test_no_escape_codes_where_they_cannot_be_shown(
    model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tty: bool
) -> None:
    monkeypatch.setattr(cli_module, "_stderr_is_tty", lambda: tty)
    out = tmp_path / "out"
    quiet = run("generate", str(model), "-o", str(out), env={"TERM": "dumb"})
    assert quiet.exit_code == 0 and quiet.stderr == ""  # by default: nothing
    _changed(model)
    asked = run("generate", str(model), "-o", str(out), "--progress", env={"TERM": "dumb"})
    assert asked.exit_code == 0
    assert asked.stderr.startswith("rendering 20 clusters\n")
    assert "rendering: 20/20\n" in asked.stderr
    assert not re.search(r"[\x1b\r]", asked.stderr), repr(asked.stderr)


def test_check_fails_on_a_stale_manifest(model: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run("generate", str(model), "-o", str(out)).exit_code == 0
    assert run("generate", str(model), "-o", str(out), "--check").exit_code == 0
    manifest = out / ".treeform-manifest.json"
    good = manifest.read_text()
    data = json.loads(good)
    data["clusters"]["team0/c00"]["fingerprint"] = "0" * 64  # an older run's record
    manifest.write_text(json.dumps(data, indent=2) + "\n")
    result = run("generate", str(model), "-o", str(out), "--check")
    assert result.exit_code == 1
    assert f"would update {manifest} (it is stale)" in result.stderr
    assert "not up to date" in result.stderr
    manifest.write_text("{not json")
    assert run("generate", str(model), "-o", str(out), "--check").exit_code == 1
    manifest.unlink()
    assert run("generate", str(model), "-o", str(out), "--check").exit_code == 1
    manifest.write_text(good)
    assert run("generate", str(model), "-o", str(out), "--check").exit_code == 0


def test_the_license_file_is_the_one_pyproject_names() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text()
    assert text.split()[:4] == ["Apache", "License", "Version", "2.0,"]
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
    assert "END OF TERMS AND CONDITIONS" in text and "APPENDIX" in text
    assert len(text.splitlines()) == 202  # the whole text, not a summary
