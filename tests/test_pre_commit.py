"""The pre-commit hooks of `.pre-commit-hooks.yaml`, run by real pre-commit from a real
`git commit` in a throwaway repository: a clean commit passes; stale output, an invalid
model, and a commit that only deletes a cluster file (pre-commit passes no deleted files to
hooks, so only `always_run` catches it) are refused.

The hooks are copied into a `repo: local` config with `language: system`, running the
treeform installed beside this Python: the hooks' own entries, arguments and file settings,
with nothing cloned or built (so the test runs offline)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import ROOT, write_tree

pytestmark = pytest.mark.slow

PRE_COMMIT = Path(sys.executable).parent / "pre-commit"
TREEFORM = Path(sys.executable).parent / "treeform"

MODEL = {
    "clusters/_defaults.yaml": """
        cloud: aws
        engine: eks
        region: us-east-1
        kubernetesVersion: "1.33"
        nodePools:
          general: {machineType: m6i.large, minSize: 2, maxSize: 6}
        """,
    "clusters/prod/payments.yaml": "network: {cidr: 10.1.0.0/16}\n",
    "clusters/dev/sandbox.yaml": "network: {cidr: 10.2.0.0/16}\n",
}


def _hooks_config(**override: object) -> str:
    hooks = [
        {**hook, **override}
        for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    ]
    hooks = [{k: v for k, v in hook.items() if v is not None} for hook in hooks]
    args = {"treeform-check": ["clusters", "-o", "output"], "treeform-validate": ["clusters"]}
    local = []
    for hook in hooks:
        entry = hook["entry"].split(" ", 1)
        local.append(
            {
                **hook,
                "entry": " ".join([str(TREEFORM), *entry[1:]]),
                "language": "system",
                "args": args[hook["id"]],
            }
        )
    return yaml.safe_dump({"repos": [{"repo": "local", "hooks": local}]}, sort_keys=False)


class Repo:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.env = {
            **os.environ,
            "PRE_COMMIT_HOME": str(path.parent / "pre-commit-home"),
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.com",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
        }

    def run(self, *argv: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(a) for a in argv],
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )

    def git(self, *argv: str) -> subprocess.CompletedProcess[str]:
        proc = self.run("git", *argv)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc

    def commit(self, message: str) -> tuple[int, str]:
        """`git commit` of what is staged, through the installed pre-commit hook: its exit
        code and what it printed (the hook writes to stderr)."""
        proc = self.run("git", "commit", "-q", "-m", message)
        return proc.returncode, proc.stdout + proc.stderr

    def generate(self) -> None:
        proc = self.run(TREEFORM, "generate", "clusters", "-o", "output")
        assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    if shutil.which("git") is None or not PRE_COMMIT.exists():
        pytest.skip("needs git and pre-commit (pip install -e '.[dev]')")
    repo = Repo(write_tree(tmp_path / "repo", MODEL))
    (repo.path / ".pre-commit-config.yaml").write_text(_hooks_config())
    repo.git("init", "-q", "-b", "main")
    install = repo.run(PRE_COMMIT, "install")
    assert install.returncode == 0, install.stdout + install.stderr
    repo.generate()
    repo.git("add", "-A")
    first, first_out = repo.commit("clusters and their output")
    assert first == 0, first_out
    assert "treeform generate --check" in first_out
    return repo


def test_the_hooks_run_on_every_commit_and_take_no_file_names() -> None:
    if PRE_COMMIT.exists():  # pre-commit's own check of a hooks manifest
        proc = subprocess.run(
            [str(PRE_COMMIT), "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")],
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert {h["id"] for h in hooks} == {"treeform-check", "treeform-validate"}
    for hook in hooks:
        assert hook["always_run"] is True and hook["pass_filenames"] is False, hook["id"]
        assert "files" not in hook, hook["id"]


def test_a_clean_change_passes_and_stale_output_is_refused(repo: Repo) -> None:
    payments = repo.path / "clusters/prod/payments.yaml"
    payments.write_text(payments.read_text() + "nodePools:\n  general: {maxSize: 9}\n")
    repo.git("add", "clusters")
    refused, refused_out = repo.commit("model only")
    assert refused != 0
    assert "not up to date" in refused_out
    assert "would update output/prod/payments/terraform/node_groups.tf" in refused_out

    repo.generate()
    repo.git("add", "-A")
    passed, passed_out = repo.commit("model and output")
    assert passed == 0, passed_out


def test_an_invalid_model_is_refused(repo: Repo) -> None:
    (repo.path / "clusters/dev/sandbox.yaml").write_text("nodePools:\n  general: {minSize: 9}\n")
    repo.git("add", "clusters")
    refused, refused_out = repo.commit("broken")
    assert refused != 0
    assert "clusters/dev/sandbox.yaml:2:" in refused_out
    assert "minSize 9 is greater than maxSize 6" in refused_out


def test_deleting_a_cluster_file_without_regenerating_is_refused(repo: Repo) -> None:
    repo.git("rm", "-q", "clusters/dev/sandbox.yaml")
    refused, refused_out = repo.commit("delete a cluster, keep its output")
    assert refused != 0
    assert "would remove output/dev/sandbox/terraform/main.tf" in refused_out

    repo.generate()
    repo.git("add", "-A")
    passed, passed_out = repo.commit("delete a cluster and its output")
    assert passed == 0, passed_out
    assert not (repo.path / "output/dev/sandbox").exists()


def test_deleting_an_output_file_is_refused(repo: Repo) -> None:
    repo.git("rm", "-q", "output/prod/payments/terraform/outputs.tf")
    refused, refused_out = repo.commit("lose an output file")
    assert refused != 0
    assert "would create output/prod/payments/terraform/outputs.tf" in refused_out


def test_without_always_run_the_deletion_would_get_through(repo: Repo) -> None:
    # Why the hooks are always_run: filtered by file names, as they once were, pre-commit
    # skips them for a commit that only deletes a file, and the stale output goes in.
    (repo.path / ".pre-commit-config.yaml").write_text(
        _hooks_config(always_run=None, files=r"\.(ya?ml|tf|json)$")
    )
    repo.git("commit", "-qam", "the old hook settings", "--no-verify")
    repo.git("rm", "-q", "clusters/dev/sandbox.yaml")
    passed, out = repo.commit("delete a cluster, keep its output")
    assert passed == 0, out
    assert "(no files to check)Skipped" in out
