"""Loading the tree: inheritance, the merge rules and the provenance of every value."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import write_tree
from treeform.errors import ModelError
from treeform.tree import load_model

BASE = {
    "_defaults.yaml": """
        cloud: aws
        engine: eks
        tags: {owner: platform, env: base}
        nodePools:
          general: {machineType: m6i.large, minSize: 1, maxSize: 3, labels: {a: "1"}}
        addons: [vpc-cni, coredns]
        """,
    "aws/_defaults.yaml": """
        region: us-east-1
        tags: {env: aws}
        """,
    "aws/prod/_defaults.yaml": """
        nodePools:
          general: {maxSize: 10}
        addons: [kube-proxy]
        """,
    "aws/prod/payments.yaml": """
        kubernetesVersion: "1.33"
        tags:
          owner: null
        nodePools:
          general:
            labels: {b: "2"}
        """,
}


def load_one(tmp_path: Path, files: dict[str, str], cluster_id: str = "aws/prod/payments"):
    clusters = {c.id: c for c in load_model(write_tree(tmp_path, files), "m")}
    return clusters[cluster_id]


def test_maps_merge_deeply_and_deeper_files_win(tmp_path: Path) -> None:
    c = load_one(tmp_path, BASE)
    assert c.data["region"] == "us-east-1"
    assert c.data["nodePools"]["general"] == {
        "machineType": "m6i.large",
        "minSize": 1,
        "maxSize": 10,
        "labels": {"a": "1", "b": "2"},
    }


def test_lists_replace_and_null_removes(tmp_path: Path) -> None:
    c = load_one(tmp_path, BASE)
    assert c.data["addons"] == ["kube-proxy"]
    assert c.data["tags"] == {"env": "aws"}


def test_name_defaults_to_the_file_stem_and_id_is_the_path(tmp_path: Path) -> None:
    c = load_one(tmp_path, BASE)
    assert c.id == "aws/prod/payments"
    assert c.data["name"] == "payments"


def test_provenance_names_the_file_that_set_each_value(tmp_path: Path) -> None:
    c = load_one(tmp_path, BASE)
    where = c.provenance.where
    assert str(where(("nodePools", "general", "maxSize"))) == "m/aws/prod/_defaults.yaml:2:22"
    assert str(where(("nodePools", "general", "minSize"))).startswith("m/_defaults.yaml:5:")
    assert str(where(("tags", "env"))) == "m/aws/_defaults.yaml:2:13"
    assert str(where(("region",))) == "m/aws/_defaults.yaml:1:9"
    assert where(("addons", 0)).file == "m/aws/prod/_defaults.yaml"
    # A removed value leaves no provenance behind; its parent mapping is located instead.
    assert where(("tags", "owner")) == where(("tags",))
    assert ("tags", "owner") not in c.provenance.values


def test_hidden_files_and_other_extensions_are_ignored(tmp_path: Path) -> None:
    files = {**BASE, ".hidden/x.yaml": "cloud: [", "README.md": "# hi", "aws/.swp.yaml": "["}
    ids = [c.id for c in load_model(write_tree(tmp_path, files))]
    assert ids == ["aws/prod/payments"]


def test_yml_and_yaml_with_the_same_id_is_an_error(tmp_path: Path) -> None:
    files = {**BASE, "aws/prod/payments.yml": "region: us-east-2\n"}
    with pytest.raises(ModelError) as err:
        load_model(write_tree(tmp_path, files), "m")
    assert "two files define cluster 'aws/prod/payments'" in str(err.value)


def test_symlink_inside_the_tree_is_followed_and_outside_is_refused(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "m", BASE)
    (root / "aws/prod/alias.yaml").symlink_to(root / "aws/prod/payments.yaml")
    assert {c.id for c in load_model(root)} == {"aws/prod/payments", "aws/prod/alias"}
    outside = write_tree(tmp_path / "elsewhere", {"x.yaml": "region: us-east-1\n"})
    (root / "aws/evil.yaml").symlink_to(outside / "x.yaml")
    with pytest.raises(ModelError) as err:
        load_model(root, "m")
    assert str(err.value).startswith("m/aws/evil.yaml:1:1: symlink leads outside the model root")


def test_a_broken_defaults_file_is_reported_and_its_clusters_skipped(tmp_path: Path) -> None:
    files = {**BASE, "aws/prod/_defaults.yaml": "nodePools: [\n"}
    with pytest.raises(ModelError) as err:
        load_model(write_tree(tmp_path, files), "m")
    assert [i.location.file for i in err.value.issues] == ["m/aws/prod/_defaults.yaml"]
