"""The command line as users drive it: validate, generate (and --check), diff, explain,
schema, and the writer's promises about the output directory."""

from __future__ import annotations

import json
from pathlib import Path

import hcl2
import pytest
from click.testing import CliRunner, Result
from helpers import hcl_unquote, write_tree
from treeform.cli import cli
from treeform.layout import MANIFEST
from treeform.manifest import load_manifest

MODEL = {
    "_defaults.yaml": """
        kubernetesVersion: "1.33"
        tags: {owner: platform}
        backend: {type: local}
        """,
    "aws/_defaults.yaml": """
        cloud: aws
        engine: eks
        aws: {accountId: "123456789012"}
        nodePools:
          general: {machineType: m6i.large, minSize: 2, maxSize: 6}
        """,
    "aws/prod/_defaults.yaml": """
        region: us-east-1
        zones: [us-east-1a, us-east-1b, us-east-1c]
        highAvailability: true
        """,
    "aws/prod/payments.yaml": """
        nodePools:
          general: {maxSize: 12}
        tags:
          note: 'say "hi" ${var.secret} %{ if true }x%{ endif } \\ end'
        """,
    "aws/prod/search.yaml": """
        network: {cidr: 10.30.0.0/16}
        """,
}


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def model(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "model", MODEL)


def files_of(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_version_and_help() -> None:
    assert run("--version").output.startswith("treeform, version ")
    helped = run("--help")
    assert helped.exit_code == 0
    assert "treeform generate examples -o output --check" in helped.output
    assert run("no-such-command").exit_code == 2


def test_validate_counts_the_clusters(model: Path) -> None:
    result = run("validate", str(model))
    assert result.exit_code == 0
    assert result.output.endswith("2 clusters valid\n")


def test_generate_is_deterministic_and_check_sees_changes(model: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run("generate", str(model), "-o", str(out)).exit_code == 0
    first = files_of(out)
    assert "aws/prod/payments/terraform/versions.tf" in first
    assert MANIFEST in first
    again = run("generate", str(model), "-o", str(out))
    n = len(first) - 1  # all but the manifest
    assert again.output.endswith(f"0 created, 0 updated, 0 removed, {n} unchanged\n")
    assert files_of(out) == first
    assert run("generate", str(model), "-o", str(out), "--check").exit_code == 0

    (model / "aws/prod/payments.yaml").write_text("nodePools:\n  general: {maxSize: 16}\n")
    check = run("generate", str(model), "-o", str(out), "--check")
    assert check.exit_code == 1
    assert "would update" in check.stderr and "payments/terraform/node_groups.tf" in check.stderr
    assert files_of(out) == first  # --check writes nothing

    diff = run("diff", str(model), "-o", str(out))
    assert diff.exit_code == 0
    assert "--- a/aws/prod/payments/terraform/node_groups.tf" in diff.output
    assert "-    max_size     = 12\n+    max_size     = 16\n" in diff.output


def test_explain_names_inherited_and_overridden_values(model: Path) -> None:
    result = run("explain", str(model), "aws/prod/payments", "nodePools")
    assert result.exit_code == 0
    lines = dict(line.split(": ", 1) for line in result.output.splitlines())

    def column(rel: str, line: int, text: str) -> int:
        return (model / rel).read_text().splitlines()[line - 1].index(text) + 1

    at = column("aws/prod/payments.yaml", 2, "12")
    assert lines["nodePools.general.maxSize"] == f"12  # {model}/aws/prod/payments.yaml:2:{at}"
    at = column("aws/_defaults.yaml", 5, "2,")
    assert lines["nodePools.general.minSize"] == f"2  # {model}/aws/_defaults.yaml:5:{at}"
    whole = run("explain", str(model), "aws/prod/payments")
    assert f'"us-east-1"  # {model}/aws/prod/_defaults.yaml:1:9' in whole.output
    assert run("explain", str(model), "aws/prod/nope").exit_code == 2


def test_a_hostile_tag_comes_back_literally_from_the_hcl(model: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run("generate", str(model), "-o", str(out))
    providers = hcl2.loads((out / "aws/prod/payments/terraform/providers.tf").read_text())
    tags = providers["provider"][0]['"aws"']["default_tags"][0]["tags"]
    assert hcl_unquote(tags["note"]) == 'say "hi" ${var.secret} %{ if true }x%{ endif } \\ end'


def test_hand_edits_and_foreign_files_are_never_overwritten(model: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run("generate", str(model), "-o", str(out))
    edited = out / "aws/prod/payments/terraform/outputs.tf"
    edited.write_text(edited.read_text() + "# mine\n")
    foreign = out / "aws/prod/payments/terraform/extra.tf"
    foreign.write_text("# a file of the user's\n")
    (model / "aws/prod/payments.yaml").write_text("nodePools:\n  general: {maxSize: 16}\n")
    before = files_of(out)

    refused = run("generate", str(model), "-o", str(out))
    assert refused.exit_code == 1
    assert f"{edited}: edited by hand" in refused.stderr
    assert files_of(out) == before  # nothing at all was written

    forced = run("generate", str(model), "-o", str(out), "--force")
    assert forced.exit_code == 0
    assert "# mine" not in edited.read_text()
    assert foreign.read_text() == "# a file of the user's\n"


def test_clusters_that_leave_the_model_are_removed_but_nothing_else(
    model: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    run("generate", str(model), "-o", str(out))
    (out / "README.md").write_text("mine\n")
    (model / "aws/prod/search.yaml").unlink()
    result = run("generate", str(model), "-o", str(out))
    assert result.exit_code == 0
    assert not (out / "aws/prod/search").exists()
    assert (out / "README.md").read_text() == "mine\n"
    manifest = load_manifest(out)
    assert all(not p.startswith("aws/prod/search/") for p in manifest.files)
    assert "aws/prod/search" not in manifest.clusters


def test_an_output_path_that_is_a_file_is_refused(model: Path, tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.write_text("x")
    result = run("generate", str(model), "-o", str(target))
    assert result.exit_code == 1
    assert "is not a directory" in result.stderr
    assert target.read_text() == "x"


def test_a_missing_model_is_a_usage_error(tmp_path: Path) -> None:
    result = run("validate", str(tmp_path / "nowhere"))
    assert result.exit_code == 2
    assert "not a directory" in result.stderr


def test_schema_prints_the_json_schema() -> None:
    schema = json.loads(run("schema").output)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "nodePools" in schema["properties"]
