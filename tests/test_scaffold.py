"""`treeform new`: a commented cluster file that validates as it is, inherits what the tree's
`_defaults.yaml` files set, and points editors at the schema; shell completion of ids."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner, Result
from helpers import ROOT, write_tree
from treeform.cli import cli
from treeform.fileschema import file_schema
from treeform.pipeline import load_clusters
from treeform.providers.aws.eks import EKS
from treeform.validate import cluster_schema
from treeform.yamlload import load_yaml


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)


def test_a_new_cluster_in_an_empty_tree_is_complete_and_valid(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    result = run("new", "prod/orders", "--cloud", "aws", "--engine", "eks", str(model))
    assert result.exit_code == 0, result.output
    text = (model / "prod/orders.yaml").read_text()
    first = text.splitlines()[0]
    assert first == "# yaml-language-server: $schema=../.treeform/model-file.schema.json"
    schema = json.loads((model / ".treeform/model-file.schema.json").read_text())
    assert schema == file_schema()  # the schema of a file, not of a merged cluster
    data = load_yaml(text.encode(), "orders.yaml").data
    jsonschema.Draft202012Validator(schema).validate(data)
    jsonschema.Draft202012Validator(cluster_schema()).validate({**data, "name": "orders"})
    (cluster,) = load_clusters(model)
    assert (cluster.id, cluster.cloud, cluster.engine) == ("prod/orders", "aws", "eks")
    assert cluster.kubernetes_version == EKS.versions[-1]  # the newest the engine offers
    assert "general" in cluster.node_pools
    assert "# backend:" in text and "# addons: []  # eks knows: " in text


def test_fields_set_above_are_inherited_not_repeated(tmp_path: Path) -> None:
    model = tmp_path / "model"
    for rel in ("_defaults.yaml", "aws/_defaults.yaml", "aws/prod/_defaults.yaml"):
        (model / rel).parent.mkdir(parents=True, exist_ok=True)
        (model / rel).write_text((ROOT / "examples" / rel).read_text())
    result = run("new", "aws/prod/orders", "--cloud", "aws", "--engine", "eks", str(model))
    assert result.exit_code == 0, result.output
    text = (model / "aws/prod/orders.yaml").read_text()
    assert "# region: inherited from aws/prod/_defaults.yaml\n# region: us-east-1" in text
    assert "# nodePools: inherited from aws/_defaults.yaml\n" in text
    assert "\nregion:" not in text and "\nnodePools:" not in text
    effective = {c.id: c for c in load_clusters(model)}["aws/prod/orders"]
    sibling = {c.id: c for c in load_clusters(ROOT / "examples")}["aws/prod/payments"]
    assert effective.region == "us-east-1"
    assert effective.kubernetes_version == sibling.kubernetes_version


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x/Orders", "--cloud", "aws", "--engine", "eks"], "a DNS label"),
        (["../x", "--cloud", "aws", "--engine", "eks"], "is not a cluster id"),
        (["x", "--cloud", "mars", "--engine", "eks"], "unknown cloud 'mars'; known: alibaba"),
        (["x", "--cloud", "aws", "--engine", "gke"], "engine 'gke' does not run on aws"),
    ],
)
def test_wrong_arguments_are_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    result = run("new", *args, str(tmp_path))
    assert result.exit_code == 2
    assert message in result.stderr


def test_a_missing_model_root_is_created(tmp_path: Path) -> None:
    model = tmp_path / "new" / "clusters"
    result = run("new", "dev/sandbox", "--cloud", "gcp", "--engine", "gke", str(model))
    assert result.exit_code == 0, result.output
    assert f"created the model root {model}/" in result.output
    assert (model / "dev/sandbox.yaml").is_file()
    assert (model / ".treeform/model-file.schema.json").is_file()
    (cluster,) = load_clusters(model)
    assert cluster.engine == "gke"


def test_a_model_root_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "clusters").write_text("")
    result = run("new", "x", "--cloud", "aws", "--engine", "eks", str(tmp_path / "clusters"))
    assert result.exit_code == 2 and "is a file" in result.stderr


def test_an_existing_cluster_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("name: x\n")
    result = run("new", "x", "--cloud", "aws", "--engine", "eks", str(tmp_path))
    assert result.exit_code == 1 and "exists already" in result.stderr
    assert (tmp_path / "x.yaml").read_text() == "name: x\n"


def test_a_schema_url_can_be_named(tmp_path: Path) -> None:
    url = "https://example.org/treeform/cluster.schema.json"
    run("new", "x", "--cloud", "aws", "--engine", "eks", str(tmp_path), "--schema", url)
    assert (tmp_path / "x.yaml").read_text().startswith(f"# yaml-language-server: $schema={url}\n")
    assert not (tmp_path / ".treeform").exists()


def test_shell_completion_offers_cluster_ids(tmp_path: Path) -> None:
    model = write_tree(
        tmp_path / "m",
        {"aws/prod/payments.yaml": "cloud: aws\n", "aws/dev/sandbox.yaml": "cloud: aws\n"},
    )
    env = {
        "_TREEFORM_COMPLETE": "bash_complete",
        "COMP_WORDS": f"treeform explain {model} aws/p",
        "COMP_CWORD": "3",
    }
    result = CliRunner().invoke(cli, [], prog_name="treeform", env=env)
    assert "plain,aws/prod/payments" in result.output
    assert "sandbox" not in result.output
