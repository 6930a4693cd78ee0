"""Atlantis settings of `MODEL/.treeform.yaml` (terraformVersion, workflow, plan / apply /
import requirements) on every project, and the output directory's place in the repository
found from git when `outputPath` is not set (checked against git when it is)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner, Result
from helpers import TESTS, write_tree
from treeform.cli import cli

SCHEMA = json.loads((TESTS / "schemas" / "atlantis-v3.schema.json").read_text())

MODEL = {
    "clusters/_defaults.yaml": """
        cloud: aws
        engine: eks
        region: us-east-1
        kubernetesVersion: "1.33"
        nodePools:
          general: {machineType: m6i.large, minSize: 1, maxSize: 3}
        """,
    "clusters/prod/payments.yaml": "network: {cidr: 10.1.0.0/16}\n",
    "clusters/dev/web.yaml": "network: {cidr: 10.2.0.0/16}\n",
}

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "repo", MODEL)


def git_init(path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(path)], check=True)


def generated(repo: Path, out: Path) -> dict:
    result = run("generate", repo / "clusters", "-o", out)
    assert result.exit_code == 0, result.output
    config = yaml.safe_load((out / "atlantis.yaml").read_text())
    jsonschema.Draft202012Validator(SCHEMA).validate(config)
    return config


def test_settings_reach_every_project(repo: Path) -> None:
    (repo / "clusters/.treeform.yaml").write_text(
        "atlantis:\n"
        "  terraformVersion: 1.10.5\n"
        "  workflow: treeform\n"
        "  planRequirements: [undiverged]\n"
        "  applyRequirements: [approved, mergeable]\n"
        "  importRequirements: [approved]\n"
    )
    config = generated(repo, repo / "output")
    assert len(config["projects"]) == 2
    for project in config["projects"]:
        assert project["terraform_version"] == "1.10.5"
        assert project["workflow"] == "treeform"
        assert project["plan_requirements"] == ["undiverged"]
        assert project["apply_requirements"] == ["approved", "mergeable"]
        assert project["import_requirements"] == ["approved"]


def test_a_changed_setting_rewrites_atlantis_yaml(repo: Path) -> None:
    out = repo / "output"
    generated(repo, out)
    (repo / "clusters/.treeform.yaml").write_text("atlantis: {workflow: custom}\n")
    assert run("generate", repo / "clusters", "-o", out, "--check").exit_code == 1
    assert all(p["workflow"] == "custom" for p in generated(repo, out)["projects"])


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ("atlantis: {terraformVersion: '~> 1.10'}\n", "atlantis.terraformVersion: '~> 1.10'"),
        ("atlantis: {terraformVersion: 1.9.8}\n", "Terraform 1.9.8 is older than 1.10.0"),
        ("atlantis: {workflow: 'a b'}\n", "atlantis.workflow: 'a b' does not match"),
        (
            "atlantis: {applyRequirements: [approve]}\n",
            "atlantis.applyRequirements[0]: 'approve' is not one of",
        ),
        ("atlantis: {planRequirements: [approved, approved]}\n", "non-unique"),
    ],
)
def test_bad_settings_are_located_errors(repo: Path, settings: str, expected: str) -> None:
    (repo / "clusters/.treeform.yaml").write_text(settings)
    result = run("validate", repo / "clusters")
    assert result.exit_code == 1
    assert f"{repo}/clusters/.treeform.yaml:1:" in result.stderr
    assert expected in result.stderr, result.stderr


@needs_git
def test_output_below_the_repository_root_is_found_from_git(repo: Path) -> None:
    git_init(repo)
    config = generated(repo, repo / "deploy/output")
    dirs = sorted(p["dir"] for p in config["projects"])
    assert dirs == ["deploy/output/dev/web/terraform", "deploy/output/prod/payments/terraform"]
    header = (repo / "deploy/output/atlantis.yaml").read_text()
    assert "repo_config_file: deploy/output/atlantis.yaml" in header
    # --check from another working directory agrees.
    assert (
        run("generate", repo / "clusters", "-o", repo / "deploy/output", "--check").exit_code == 0
    )


@needs_git
def test_output_at_the_repository_root_has_plain_dirs(tmp_path: Path, repo: Path) -> None:
    git_init(tmp_path / "out")
    config = generated(repo, tmp_path / "out")
    assert sorted(p["dir"] for p in config["projects"])[0] == "dev/web/terraform"


def test_output_in_no_repository_is_the_root_of_one(tmp_path: Path, repo: Path) -> None:
    config = generated(repo, tmp_path / "generated")
    assert sorted(p["dir"] for p in config["projects"])[0] == "dev/web/terraform"


@needs_git
def test_an_output_path_that_git_contradicts_is_an_error(repo: Path) -> None:
    git_init(repo)
    (repo / "clusters/.treeform.yaml").write_text("atlantis: {outputPath: generated}\n")
    result = run("generate", repo / "clusters", "-o", repo / "output")
    assert result.exit_code == 1
    assert "atlantis.outputPath is 'generated', but the output directory is 'output'" in (
        result.stderr
    )
    assert not (repo / "output").exists()  # nothing written
    (repo / "clusters/.treeform.yaml").write_text("atlantis: {outputPath: output}\n")
    assert generated(repo, repo / "output")["projects"][0]["dir"].startswith("output/")


@needs_git
def test_a_repository_git_cannot_read_is_an_error(repo: Path) -> None:
    (repo / ".git").write_text("gitdir: /nonexistent/treeform-test\n")  # a broken worktree
    result = run("generate", repo / "clusters", "-o", repo / "output")
    assert result.exit_code == 1
    assert "cannot tell where the output directory sits in its git repository" in result.stderr
    assert "set atlantis.outputPath" in result.stderr
    # Saying it, or turning Atlantis off, lets generate go on.
    assert run("generate", repo / "clusters", "-o", repo / "output", "--no-atlantis").exit_code == 0


@needs_git
def test_diff_base_finds_dirs_from_the_real_output(repo: Path) -> None:
    git_init(repo)
    out = repo / "output"
    generated(repo, out)
    env = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", *env, "add", "-A"], cwd=repo, check=True)
    subprocess.run(["git", *env, "commit", "-qm", "base"], cwd=repo, check=True)
    result = run("diff", repo / "clusters", "-o", out, "--format", "markdown", "--base", "HEAD")
    assert result.exit_code == 0
    assert "no cluster changes" in result.output  # atlantis.yaml is the same, dirs and all
