"""Large trees: `--only` for validate, a progress bar on stderr only on a terminal and never
with --check, and a one-line summary at the end of generate."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import treeform.cli as cli_module
from click.testing import CliRunner, Result
from helpers import write_tree
from treeform.cli import cli

DEFAULTS = """
    cloud: aws
    engine: eks
    region: us-east-1
    kubernetesVersion: "1.33"
    nodePools:
      general: {machineType: m6i.large, minSize: 1, maxSize: 3}
    """


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def model(tmp_path: Path) -> Path:
    files = {"_defaults.yaml": DEFAULTS}
    for i in range(cli_module.PROGRESS_MIN_CLUSTERS):
        files[f"team{i % 3}/c{i:02d}.yaml"] = f"network: {{cidr: 10.{i}.0.0/16}}\n"
    files["broken/c.yaml"] = "nodePools:\n  general: {minSize: 9}\n"
    return write_tree(tmp_path / "model", files)


def test_validate_only_checks_the_selection(model: Path) -> None:
    assert run("validate", str(model)).exit_code == 1
    result = run("validate", str(model), "--only", "team0/*", "--only", "team1/c01")
    assert result.exit_code == 0
    assert result.output.endswith(": 8 clusters valid\n")


def test_progress_bar_only_on_a_terminal_and_never_with_check(
    model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (model / "broken/c.yaml").unlink()
    out = tmp_path / "out"
    assert "rendering" not in run("generate", str(model), "-o", str(out)).stderr
    monkeypatch.setattr(cli_module, "_stderr_is_tty", lambda: True)
    # Every cluster changes (the bar counts the clusters to render, not the unchanged ones).
    (model / "_defaults.yaml").write_text(
        (model / "_defaults.yaml").read_text().replace("maxSize: 3", "maxSize: 4")
    )
    result = run("generate", str(model), "-o", str(out), "--check")
    assert result.exit_code == 1 and "rendering" not in result.stderr
    result = run("generate", str(model), "-o", str(out))
    assert result.exit_code == 0
    assert "rendering" in result.stderr  # (click draws the bar itself on a real terminal)
    assert "rendering" not in result.stdout
    summary = re.fullmatch(
        rf"{re.escape(str(out))}: 20 clusters, 0 created, (\d+) updated, 0 removed, "
        r"(\d+) unchanged\n",
        result.stdout,
    )
    assert summary is not None, result.stdout
    written = sum(1 for p in out.rglob("*") if p.is_file() and p.name != ".treeform-manifest.json")
    assert int(summary[1]) >= 20 and int(summary[1]) + int(summary[2]) == written
    small = run("generate", str(model), "-o", str(out), "--only", "team0/*")
    assert "rendering" not in small.stderr  # a short run needs no bar
