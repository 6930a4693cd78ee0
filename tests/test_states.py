"""One remote state per cluster: backends inherited from `_defaults.yaml` give every cluster a
key, prefix or workspace of its own, and two clusters that would still share one are an
error naming both files."""

from __future__ import annotations

from pathlib import Path

import hcl2
import pytest
from click.testing import CliRunner
from helpers import terraform_problems, write_files, write_tree
from treeform.cli import cli
from treeform.errors import ModelError
from treeform.pipeline import generate_files, load_clusters
from treeform.providers.common import state_address
from treeform.runner import write_generated

BASE = """
    cloud: aws
    engine: eks
    region: us-east-1
    kubernetesVersion: "1.33"
    nodePools:
      general: {machineType: m6i.large, minSize: 1, maxSize: 3}
    """

BACKENDS = {
    "s3": "backend: {type: s3, bucket: org-state, keyPrefix: clusters}",
    "gcs": "backend: {type: gcs, bucket: org-state}",
    "azurerm": (
        "backend: {type: azurerm, resourceGroupName: rg, storageAccountName: orgstate, "
        "containerName: tfstate}"
    ),
    "cloud": "backend: {type: cloud, organization: example-org}",
}


def tree(backend: str, **extra: str) -> dict[str, str]:
    files = {
        "_defaults.yaml": BASE + backend + "\n",
        "aws/prod/payments.yaml": "network: {cidr: 10.1.0.0/16}\n",
        "aws/prod/search.yaml": "network: {cidr: 10.2.0.0/16}\n",
        "aws/dev/payments.yaml": "network: {cidr: 10.3.0.0/16}\n",
        "aws/dev/_defaults.yaml": "region: eu-west-1\n",
    }
    files.update(extra)
    return files


def errors_of(root: Path) -> list[str]:
    with pytest.raises(ModelError) as caught:
        load_clusters(root, "model")
    return [str(i) for i in caught.value.issues]


@pytest.mark.parametrize("kind", sorted(BACKENDS))
def test_inherited_backends_give_every_cluster_a_state_of_its_own(
    kind: str, tmp_path: Path
) -> None:
    root = write_tree(tmp_path / "model", tree(BACKENDS[kind]))
    clusters = load_clusters(root)
    addresses = [state_address(c) for c in clusters]
    assert len(set(addresses)) == len(clusters) == 3
    for cluster, address in zip(clusters, addresses, strict=True):
        assert address is not None
        assert cluster.id in address or cluster.id.replace("/", "-") in address
    out = write_files(tmp_path / "out", generate_files(root))
    for cluster in clusters:
        module = out / cluster.id / "terraform"
        assert terraform_problems(module) == []
        parsed = hcl2.loads((module / "versions.tf").read_text())["terraform"][0]
        if kind == "cloud":
            (cloud,) = parsed["cloud"]
            assert cloud["organization"] == '"example-org"'
            (workspaces,) = cloud["workspaces"]
            assert workspaces["name"] == f'"{cluster.id.replace("/", "-")}"'
            assert "backend" not in parsed
        else:
            (backend,) = parsed["backend"]
            assert list(backend) == [f'"{kind}"']


def test_s3_keys_are_per_cluster_encrypted_and_locked(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "model", tree(BACKENDS["s3"]))
    files = generate_files(root)
    keys = set()
    for cid in ("aws/prod/payments", "aws/prod/search", "aws/dev/payments"):
        parsed = hcl2.loads(files[f"{cid}/terraform/versions.tf"])
        s3 = parsed["terraform"][0]["backend"][0]['"s3"']
        assert s3["key"] == f'"clusters/{cid}/terraform.tfstate"'
        assert s3["encrypt"] is True and s3["use_lockfile"] is True
        keys.add(s3["key"])
    assert len(keys) == 3


def test_two_clusters_on_one_s3_key_are_an_error_naming_both(tmp_path: Path) -> None:
    # `prod/web` with keyPrefix clusters/aws lands where `aws/prod/web` with clusters does.
    root = write_tree(
        tmp_path / "model",
        {
            "_defaults.yaml": BASE + BACKENDS["s3"] + "\n",
            "aws/prod/web.yaml": "network: {cidr: 10.1.0.0/16}\n",
            "prod/_defaults.yaml": "backend: {keyPrefix: clusters/aws}\n",
            "prod/web.yaml": "network: {cidr: 10.2.0.0/16}\n",
        },
    )
    (error,) = errors_of(root)
    column = (root / "prod/_defaults.yaml").read_text().index("clusters/aws") + 1
    assert error.startswith(f"model/prod/_defaults.yaml:1:{column}: backend.keyPrefix: ")
    assert "model/prod/web.yaml" in error and "model/aws/prod/web.yaml" in error
    assert "s3://org-state/clusters/aws/prod/web/terraform.tfstate" in error


def test_another_bucket_is_another_state(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "model",
        {
            "_defaults.yaml": BASE + BACKENDS["s3"] + "\n",
            "aws/prod/web.yaml": "network: {cidr: 10.1.0.0/16}\n",
            "prod/_defaults.yaml": "backend: {keyPrefix: clusters/aws, bucket: other}\n",
            "prod/web.yaml": "network: {cidr: 10.2.0.0/16}\n",
        },
    )
    assert len(load_clusters(root)) == 2


def test_colliding_hcp_workspaces_are_an_error_at_the_cluster_file(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "model",
        {
            "_defaults.yaml": BASE + BACKENDS["cloud"] + "\n",
            "aws/prod-web.yaml": "network: {cidr: 10.1.0.0/16}\n",
            "aws-prod/web.yaml": "network: {cidr: 10.2.0.0/16}\n",
        },
    )
    (error,) = errors_of(root)
    # Sorted by id: aws-prod/web comes first, so aws/prod-web is the one reported.
    assert error.startswith("model/aws/prod-web.yaml:1:1: backend: ")
    assert "model/aws-prod/web.yaml" in error
    assert "app.terraform.io/example-org/aws-prod-web" in error


@pytest.mark.parametrize("kind", ["gcs", "azurerm"])
def test_shared_gcs_prefix_or_azure_key_is_an_error(kind: str, tmp_path: Path) -> None:
    backend = BACKENDS[kind].replace("}", ", keyPrefix: team}")
    root = write_tree(
        tmp_path / "model",
        {
            "_defaults.yaml": BASE + backend + "\n",
            "a/b.yaml": "network: {cidr: 10.1.0.0/16}\n",
            "b.yaml": "network: {cidr: 10.2.0.0/16}\nbackend: {keyPrefix: team/a}\n",
        },
    )
    (error,) = errors_of(root)
    assert "model/b.yaml" in error and "model/a/b.yaml" in error


def test_local_states_never_collide(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "model",
        tree("backend: {type: local, path: /var/state}", **{"x/y.yaml": "name: y2\n"}),
    )
    clusters = load_clusters(root)
    assert {state_address(c) for c in clusters} == {None}


def test_the_state_rule_is_reported_by_validate_with_exit_1(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "model",
        {
            "_defaults.yaml": BASE + BACKENDS["cloud"] + "\n",
            "a/b-c.yaml": "network: {cidr: 10.1.0.0/16}\n",
            "a-b/c.yaml": "network: {cidr: 10.2.0.0/16}\n",
        },
    )
    result = CliRunner().invoke(cli, ["validate", str(root)], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr.endswith("1 error\n")
    assert "would share its Terraform state" in result.stderr


def test_a_reused_cluster_is_still_named_at_its_backend_setting(tmp_path: Path) -> None:
    """A generate does not read a cluster whose files are unchanged; when a new cluster then
    shares its state, the error still points at the setting in the unchanged one's files."""
    files = {
        "_defaults.yaml": BASE + BACKENDS["s3"] + "\n",
        "prod/_defaults.yaml": "backend: {keyPrefix: clusters/aws}\n",
        "prod/web.yaml": "network: {cidr: 10.2.0.0/16}\n",
    }
    root = write_tree(tmp_path / "model", files)
    out = tmp_path / "out"
    assert write_generated(root, out, "model").rendered == 1
    write_files(root, {"aws/prod/web.yaml": "network: {cidr: 10.1.0.0/16}\n"})
    with pytest.raises(ModelError) as caught:
        write_generated(root, out, "model")
    assert [str(i) for i in caught.value.issues] == errors_of(root)
    column = (root / "prod/_defaults.yaml").read_text().index("clusters/aws") + 1
    assert str(caught.value.issues[0]).startswith(
        f"model/prod/_defaults.yaml:1:{column}: backend.keyPrefix: "
    )
