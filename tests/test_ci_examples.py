"""The pre-commit hooks, the GitHub Actions example and the README-ready pytest example run
the commands they claim to, and those commands pass on the committed examples."""

from __future__ import annotations

import re
import shlex
import textwrap

import yaml
from click.testing import CliRunner
from helpers import ROOT
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


def test_the_workflow_validates_posts_the_markdown_diff_and_checks() -> None:
    workflow = yaml.safe_load((ROOT / "ci-examples/github-actions.yml").read_text())
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "write"}
    (job,) = workflow["jobs"].values()
    script = "\n".join(step.get("run", "") for step in job["steps"])
    order = [
        script.index('treeform validate "$MODEL"'),
        script.index("--format markdown"),
        script.index("gh pr comment"),
        script.index('treeform generate "$MODEL" -o "$OUT" --check'),
    ]
    assert order == sorted(order)
    assert "--base" in script and "--edit-last --create-if-none" in script
    checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0


def test_the_docs_example_is_the_one_the_plugin_test_runs() -> None:
    docs = (ROOT / "docs/review.md").read_text()
    (block,) = re.findall(r"```python\n(.*?)```", docs, flags=re.S)
    lines = [line for line in block.splitlines() if not line.startswith("#")]
    assert len(block.splitlines()) <= 5
    assert "\n".join(lines).strip() == textwrap.dedent(USER_TEST).strip()
