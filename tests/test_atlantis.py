"""atlantis.yaml at the output root: one project per cluster root module, checked against the
documented version-3 repo-config keys (tests/schemas/atlantis-v3.schema.json, with its
source), deterministic, written and pruned through the manifest, with an opt-out."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path, PurePosixPath

import jsonschema
import pytest
import yaml
from click.testing import CliRunner, Result
from helpers import TESTS, write_tree
from treeform.cli import cli
from treeform.manifest import load_manifest
from treeform.pipeline import generate_files, load_clusters

SCHEMA = json.loads((TESTS / "schemas" / "atlantis-v3.schema.json").read_text())

MODEL = {
    "_defaults.yaml": """
        cloud: aws
        engine: eks
        kubernetesVersion: "1.33"
        backend: {type: s3, bucket: org-state, keyPrefix: clusters}
        nodePools:
          general: {machineType: m6i.large, minSize: 1, maxSize: 3}
        """,
    "aws/_defaults.yaml": "region: us-east-1\n",
    "aws/prod.yaml": "network: {cidr: 10.9.0.0/16}\n",  # a cluster beside a directory
    "aws/prod/payments.yaml": "network: {cidr: 10.1.0.0/16}\n",
    "aws/prod/search.yaml": "network: {cidr: 10.2.0.0/16}\nregion: us-west-2\n",
    "eu/_defaults.yaml": "region: eu-west-1\n",
    "eu/dev/web.yaml": "network: {cidr: 10.3.0.0/16}\n",
}


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def model(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "model", MODEL)


def atlantis_of(files: dict[str, str]) -> dict:
    return yaml.safe_load(files["atlantis.yaml"])


def test_every_cluster_module_is_one_documented_project(model: Path) -> None:
    files = generate_files(model)
    config = atlantis_of(files)
    jsonschema.Draft202012Validator(SCHEMA).validate(config)
    assert config["version"] == 3
    ids = sorted(c.id for c in load_clusters(model))
    projects = config["projects"]
    assert [p["name"] for p in projects] == ids
    assert [p["dir"] for p in projects] == [f"{i}/terraform" for i in ids]
    assert "aws/prod" in ids and "aws/prod/payments" in ids  # nested ids stay apart
    assert len({p["dir"] for p in projects}) == len(projects)
    module_dirs = {str(PurePosixPath(p).parent) for p in files if p.endswith(".tf")}
    assert {p["dir"] for p in projects} == module_dirs


def test_when_modified_covers_every_file_of_the_module_and_nothing_else(model: Path) -> None:
    files = generate_files(model)
    for project in atlantis_of(files)["projects"]:
        patterns = project["autoplan"]["when_modified"]
        assert project["autoplan"]["enabled"] is True
        assert ".terraform.lock.hcl" in patterns
        own = [p for p in files if p.startswith(project["dir"] + "/")]
        assert own
        for path in own:
            rel = path.removeprefix(project["dir"] + "/")
            assert any(fnmatch.fnmatch(rel, pat) for pat in patterns), (rel, patterns)
        # Patterns are relative to the project dir: none reaches out of it (so neither the
        # model record beside it nor another cluster's files trigger this project).
        assert not any(p.startswith(("/", "..")) or "/../" in p for p in patterns)


def test_the_file_is_deterministic_and_sorted(model: Path, tmp_path: Path) -> None:
    first = generate_files(model)["atlantis.yaml"]
    (model / "zz.yaml").write_text("network: {cidr: 10.4.0.0/16}\nregion: us-east-1\n")
    (model / "aa.yaml").write_text("network: {cidr: 10.5.0.0/16}\nregion: us-east-1\n")
    second = atlantis_of(generate_files(model))
    names = [p["name"] for p in second["projects"]]
    assert names == sorted(names) and "aa" in names and "zz" in names
    (model / "zz.yaml").unlink()
    (model / "aa.yaml").unlink()
    assert generate_files(model)["atlantis.yaml"] == first


def test_output_path_prefixes_the_dirs(model: Path) -> None:
    (model / ".treeform.yaml").write_text("atlantis:\n  outputPath: infra/generated\n")
    config = atlantis_of(generate_files(model))
    jsonschema.Draft202012Validator(SCHEMA).validate(config)
    assert config["projects"][0]["dir"] == "infra/generated/aws/prod/terraform"
    assert all(p["dir"].startswith("infra/generated/") for p in config["projects"])
    text = generate_files(model)["atlantis.yaml"]
    assert "repo_config_file: infra/generated/atlantis.yaml" in text


def test_opt_out_in_the_model_and_on_the_command_line(model: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run("generate", str(model), "-o", str(out)).exit_code == 0
    assert (out / "atlantis.yaml").is_file()
    # Turned off in the model: generate removes the file it wrote; --check agrees.
    (model / ".treeform.yaml").write_text("atlantis: false\n")
    assert run("generate", str(model), "-o", str(out), "--check").exit_code == 1
    assert run("generate", str(model), "-o", str(out)).exit_code == 0
    assert not (out / "atlantis.yaml").exists()
    assert "atlantis.yaml" not in load_manifest(out).files
    assert run("generate", str(model), "-o", str(out), "--check").exit_code == 0
    # The flag wins over the setting, both ways.
    assert run("generate", str(model), "-o", str(out), "--atlantis").exit_code == 0
    assert (out / "atlantis.yaml").is_file()
    (model / ".treeform.yaml").unlink()
    assert run("generate", str(model), "-o", str(out), "--no-atlantis").exit_code == 0
    assert not (out / "atlantis.yaml").exists()


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ("atlantis: yes please\n", ".treeform.yaml:1:11: atlantis: must be true, false or"),
        ("atlantis: {enabld: false}\n", ".treeform.yaml:1:12: atlantis.enabld: unknown setting"),
        ("atlantis: {outputPath: ../up}\n", ".treeform.yaml:1:24: atlantis.outputPath: must be"),
        ("atlantic: false\n", ".treeform.yaml:1:1: atlantic: unknown setting 'atlantic'"),
    ],
)
def test_bad_settings_are_located_errors(model: Path, settings: str, expected: str) -> None:
    (model / ".treeform.yaml").write_text(settings)
    result = run("validate", str(model))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{model}/{expected}"), result.stderr


def test_generate_only_leaves_the_other_clusters_alone(model: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run("generate", str(model), "-o", str(out)).exit_code == 0
    manifest = load_manifest(out).files
    search = out / "aws/prod/search/terraform/node_groups.tf"
    before = search.read_text()

    # Both clusters change; only payments is generated.
    (model / "aws/prod/payments.yaml").write_text(
        "network: {cidr: 10.1.0.0/16}\nnodePools:\n  general: {maxSize: 7}\n"
    )
    (model / "aws/prod/search.yaml").write_text(
        "network: {cidr: 10.2.0.0/16}\nregion: us-west-2\nnodePools:\n  general: {maxSize: 9}\n"
    )
    result = run("generate", str(model), "-o", str(out), "--only", "aws/prod/pay*")
    assert result.exit_code == 0, result.output
    assert result.output.endswith("1 cluster, 0 created, 2 updated, 0 removed, 10 unchanged\n")
    assert "max_size     = 7" in (out / "aws/prod/payments/terraform/node_groups.tf").read_text()
    assert search.read_text() == before
    after = load_manifest(out).files
    assert set(after) == set(manifest)
    assert (
        after["aws/prod/search/terraform/node_groups.tf"]
        == (manifest["aws/prod/search/terraform/node_groups.tf"])
    )
    assert [p["name"] for p in yaml.safe_load((out / "atlantis.yaml").read_text())["projects"]] == [
        "aws/prod",
        "aws/prod/payments",
        "aws/prod/search",
        "eu/dev/web",
    ]
    # --check --only looks at the selection only.
    assert run("generate", str(model), "-o", str(out), "--check", "--only", "aws/prod/payments")
    assert (
        run("generate", str(model), "-o", str(out), "--check", "--only", "aws/prod/payments")
    ).exit_code == 0
    assert run("generate", str(model), "-o", str(out), "--check").exit_code == 1


def test_only_removes_a_gone_cluster_it_names_and_no_other(model: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run("generate", str(model), "-o", str(out))
    (model / "eu/dev/web.yaml").unlink()
    (model / "aws/prod/search.yaml").unlink()
    assert run("generate", str(model), "-o", str(out), "--only", "eu/*").exit_code == 0
    assert not (out / "eu/dev/web").exists()
    assert (out / "aws/prod/search/terraform/main.tf").exists()
    names = [p["name"] for p in yaml.safe_load((out / "atlantis.yaml").read_text())["projects"]]
    assert "eu/dev/web" not in names and "aws/prod/search" in names


def test_only_that_matches_nothing_is_a_usage_error(model: Path, tmp_path: Path) -> None:
    for command in ("validate", "generate", "diff"):
        args = [command, str(model)] + (
            [] if command == "validate" else ["-o", str(tmp_path / "out")]
        )
        result = run(*args, "--only", "gcp/*")
        assert result.exit_code == 2, command
        assert "--only 'gcp/*' matches no cluster; clusters: aws/prod, " in result.stderr


def test_an_unchanged_file_is_kept_and_a_changed_input_renders_it_again(
    model: Path, tmp_path: Path
) -> None:
    """A generate keeps atlantis.yaml when what it is made from (modules, clusters,
    settings) is as the last run recorded, and renders it again when any of that changes."""
    out = tmp_path / "out"
    assert run("generate", str(model), "-o", str(out)).exit_code == 0
    first = (out / "atlantis.yaml").read_text()
    assert "0 updated" in run("generate", str(model), "-o", str(out)).stdout
    (model / ".treeform.yaml").write_text("atlantis:\n  outputPath: infra/generated\n")
    assert run("generate", str(model), "-o", str(out)).exit_code == 0
    assert (out / "atlantis.yaml").read_text() == generate_files(model)["atlantis.yaml"] != first
    (model / "eu/dev/api.yaml").write_text("network: {cidr: 10.4.0.0/16}\n")
    assert run("generate", str(model), "-o", str(out)).exit_code == 0
    assert "infra/generated/eu/dev/api/terraform" in (out / "atlantis.yaml").read_text()
    # Edited by hand: the inputs are the same, but the file is not as treeform wrote it.
    edited = (out / "atlantis.yaml").read_text() + "# mine\n"
    (out / "atlantis.yaml").write_text(edited)
    result = run("generate", str(model), "-o", str(out))
    assert result.exit_code == 1 and "atlantis.yaml: edited by hand" in result.stderr
    assert (out / "atlantis.yaml").read_text() == edited
