"""The pre-commit hooks, the GitHub Actions example and the README-ready pytest example run
the commands they claim to, and those commands pass on the committed examples."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from helpers import ROOT, write_tree
from test_pytest_plugin import USER_TEST
from treeform.cli import cli


def test_pre_commit_hooks_run_generate_check_and_pass_on_the_examples() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    check = hooks["treeform-check"]
    assert check["entry"] == "treeform generate --check"
    assert check["pass_filenames"] is False and check["language"] == "python"
    assert {"name", "entry", "language"} <= set(check)
    for hook in hooks.values():
        out = ["-o", str(ROOT / "output")] if "generate" in hook["entry"] else []
        argv = [*shlex.split(hook["entry"])[1:], str(ROOT / "examples"), *out]
        result = CliRunner().invoke(cli, argv, catch_exceptions=False)
        assert result.exit_code == 0, (hook["id"], result.output)


WORKFLOW = ROOT / "ci-examples/github-actions.yml"


def _workflow() -> dict[str, Any]:
    return yaml.safe_load(WORKFLOW.read_text())


def _steps() -> list[dict[str, Any]]:
    (job,) = _workflow()["jobs"].values()
    return list(job["steps"])


def test_the_workflow_is_a_valid_github_workflow() -> None:
    # check-jsonschema vendors SchemaStore's GitHub workflow schema: no network.
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            str(WORKFLOW),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_workflow_validates_posts_the_markdown_diff_and_checks() -> None:
    workflow = _workflow()
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "write"}
    script = "\n".join(step.get("run", "") for step in _steps())
    order = [
        script.index('treeform validate "$MODEL"'),
        script.index("--format markdown"),
        script.index("gh api"),
        script.index('treeform generate "$MODEL" -o "$OUT" --check'),
    ]
    assert order == sorted(order)
    assert "--edit-last" not in script  # it could take another workflow's comment
    assert "${{" not in script  # event values reach the scripts as variables only
    checkout = next(s for s in _steps() if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    assert "Keep fetch-depth: 0" in WORKFLOW.read_text()
    post = next(s for s in _steps() if "gh api" in s.get("run", ""))
    assert post["if"] == "github.event.pull_request.head.repo.full_name == github.repository"


def test_it_installs_the_tag_the_pre_commit_hooks_name() -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    env = _workflow()["env"]
    assert env["TREEFORM_VERSION"] == f"v{version}"
    assert env["TREEFORM_SOURCE"] == "https://github.com/OWNER/treeform"
    (install,) = [s for s in _steps() if "pip install" in s.get("run", "")]
    assert install["run"] == (
        'python -m pip install "treeform @ git+${TREEFORM_SOURCE}@${TREEFORM_VERSION}"'
    )
    hooks_doc = (ROOT / ".pre-commit-hooks.yaml").read_text()
    docs = (ROOT / "docs/review.md").read_text()
    for text in (hooks_doc, docs):
        assert re.findall(r"rev: (v[0-9.]+)", text) == [f"v{version}"] * len(
            re.findall(r"rev: ", text)
        )
        assert f"rev: v{version}" in text


GH_STUB = """#!{python}
# A stand-in for the GitHub CLI: `gh api` over a JSON file of issue comments.
import json, os, subprocess, sys

if not os.environ.get("GH_TOKEN"):
    sys.exit("gh: set the GH_TOKEN environment variable")
db = os.environ["GH_STUB_DB"]
comments = json.load(open(db))
args = sys.argv[1:]
assert args.pop(0) == "api", args
method, jq, fields, path = "GET", None, {{}}, None
while args:
    arg = args.pop(0)
    if arg == "--method":
        method = args.pop(0)
    elif arg == "--jq":
        jq = args.pop(0)
    elif arg == "--paginate":
        pass
    elif arg in ("-F", "--field"):
        key, _, value = args.pop(0).partition("=")
        fields[key] = open(value[1:]).read() if value.startswith("@") else value
    else:
        path = arg
with open(os.environ["GH_STUB_LOG"], "a") as log:
    log.write(json.dumps([method, path]) + "\\n")
parts = path.split("/")
if method == "GET" and parts[-1] == "comments":
    out = json.dumps(comments)
    if jq is not None:
        out = subprocess.run(["jq", "-r", jq], input=out, capture_output=True, text=True,
                             check=True).stdout
    sys.stdout.write(out)
elif method == "POST":
    new = {{"id": 1000 + len(comments), "user": {{"login": "github-actions[bot]"}},
           "body": fields["body"]}}
    comments.append(new)
    print(json.dumps(new))
elif method == "PATCH":
    (hit,) = [c for c in comments if str(c["id"]) == parts[-1]]
    hit["body"] = fields["body"]
    print(json.dumps(hit))
else:
    sys.exit(f"gh stub: {{method}} {{path}}")
json.dump(comments, open(db, "w"))
"""


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


class Runner:
    """Runs the workflow's shell steps as Actions would (bash -eo pipefail, the workflow's
    and the step's env, `${{ }}` expressions resolved from a pull-request event)."""

    def __init__(self, repo: Path, tmp: Path, expressions: dict[str, str]) -> None:
        self.repo, self.expressions = repo, expressions
        stub = tmp / "bin" / "gh"
        stub.parent.mkdir()
        stub.write_text(GH_STUB.format(python=sys.executable))
        stub.chmod(0o755)
        self.db, self.log, self.summary = tmp / "comments.json", tmp / "gh.log", tmp / "summary"
        self.temp = tmp / "runner-temp"
        self.temp.mkdir()
        self.path = f"{stub.parent}:{Path(sys.executable).parent}:{os.environ['PATH']}"

    def resolve(self, value: str) -> str:
        def one(match: re.Match[str]) -> str:
            return self.expressions[match[1].strip()]

        return re.sub(r"\$\{\{(.*?)\}\}", one, str(value))

    def step(self, name: str) -> subprocess.CompletedProcess[str]:
        (step,) = [s for s in _steps() if s.get("name") == name]
        env = {
            **os.environ,
            **{k: self.resolve(v) for k, v in _workflow()["env"].items()},
            **{k: self.resolve(v) for k, v in step.get("env", {}).items()},
            "PATH": self.path,
            "GITHUB_REPOSITORY": "acme/infra",
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "RUNNER_TEMP": str(self.temp),
            "GH_STUB_DB": str(self.db),
            "GH_STUB_LOG": str(self.log),
        }
        script = step["run"]
        return subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=self.repo,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    def comments(self) -> list[dict[str, Any]]:
        return list(json.loads(self.db.read_text()))


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
}


@pytest.mark.skipif(shutil.which("jq") is None or shutil.which("git") is None, reason="jq, git")
def test_the_shell_steps_run_against_a_pull_request(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", MODEL)
    _git(repo, "init", "-q", "-b", "main")
    treeform = Path(sys.executable).parent / "treeform"
    subprocess.run([treeform, "generate", "clusters", "-o", "output"], cwd=repo, check=True)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    base = _git(repo, "rev-parse", "HEAD")
    payments = repo / "clusters/prod/payments.yaml"
    payments.write_text(payments.read_text() + "nodePools:\n  general: {maxSize: 9}\n")
    subprocess.run([treeform, "generate", "clusters", "-o", "output"], cwd=repo, check=True)
    _git(repo, "commit", "-qam", "the pull request")

    runner = Runner(
        repo,
        tmp_path,
        {
            "github.event.pull_request.base.sha": base,
            "github.event.pull_request.number": "42",
            "github.token": "a-token",
        },
    )
    marker = "<!-- treeform-summary: this workflow updates this comment -->"
    others = [
        {"id": 1, "user": {"login": "someone"}, "body": f"{marker}\nquoting the bot"},
        {"id": 2, "user": {"login": "github-actions[bot]"}, "body": "another workflow"},
    ]
    runner.db.write_text(json.dumps(others))

    validate = runner.step("Validate the model")
    assert validate.returncode == 0, validate.stderr
    summarise = runner.step("Summarise the change")
    assert summarise.returncode == 0, summarise.stderr
    summary = (repo / "treeform-diff.md").read_text()
    assert summary.startswith("### treeform: 1 of 1 cluster changes (compared with the output")
    assert "`nodePools.general.maxSize`: `6` → `9`" in summary
    assert runner.summary.read_text() == summary

    first = runner.step("Post the summary on the pull request")
    assert first.returncode == 0, first.stderr
    assert first.stdout == "created a comment\n"
    comments = runner.comments()
    assert comments[:2] == others  # a person's comment with the marker, another bot's: kept
    (ours,) = comments[2:]
    assert ours["body"] == f"{marker}\n\n{summary}"

    # The next push updates the same comment.
    (repo / "treeform-diff.md").write_text("### treeform: no cluster changes\n")
    second = runner.step("Post the summary on the pull request")
    assert second.returncode == 0, second.stderr
    assert second.stdout == f"updated comment {ours['id']}\n"
    comments = runner.comments()
    assert len(comments) == 3 and comments[:2] == others
    assert comments[2]["body"] == f"{marker}\n\n### treeform: no cluster changes\n"

    check = runner.step("The committed output is what the model generates")
    assert check.returncode == 0, check.stderr
    payments.write_text(payments.read_text().replace("maxSize: 9", "maxSize: 8"))
    stale = runner.step("The committed output is what the model generates")
    assert stale.returncode == 1 and "not up to date" in stale.stderr


def test_posting_without_a_token_fails_loudly(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "treeform-diff.md").write_text("x\n")
    runner = Runner(repo, tmp_path, {"github.event.pull_request.number": "1", "github.token": ""})
    runner.db.write_text("[]")
    result = runner.step("Post the summary on the pull request")
    assert result.returncode != 0 and "GH_TOKEN" in result.stderr


def test_the_docs_example_is_the_one_the_plugin_test_runs() -> None:
    docs = (ROOT / "docs/review.md").read_text()
    (block,) = re.findall(r"```python\n(.*?)```", docs, flags=re.S)
    lines = [line for line in block.splitlines() if not line.startswith("#")]
    assert len(block.splitlines()) <= 5
    assert "\n".join(lines).strip() == textwrap.dedent(USER_TEST).strip()
