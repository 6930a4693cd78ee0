"""The cache of clusters found valid: `validate` does not read a cluster again while its
bytes, the defaults above it and treeform itself are as they were when a run found it valid;
everything else about validation is unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import write_files, write_tree
from treeform.errors import ModelError
from treeform.runner import check_model, write_generated
from treeform.tree import Tree

BASE = """
    cloud: aws
    engine: eks
    region: us-east-1
    kubernetesVersion: "1.33"
    backend: {type: s3, bucket: org-state, keyPrefix: clusters}
    nodePools:
      general: {machineType: m6i.large, minSize: 1, maxSize: 3}
    """

MODEL = {
    "_defaults.yaml": BASE,
    "prod/_defaults.yaml": "tags: {env: prod}\n",
    "prod/web.yaml": "network: {cidr: 10.1.0.0/16}\n",
    "prod/api.yaml": "network: {cidr: 10.2.0.0/16}\n",
    "dev/web.yaml": "network: {cidr: 10.3.0.0/16}\n",
}


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the cluster files read (parsed) from here on."""
    seen: list[str] = []
    original = Tree.load

    def load(self: Tree, cluster_file: Any, source: bytes | None = None) -> Any:
        seen.append(cluster_file.id)
        return original(self, cluster_file, source)

    monkeypatch.setattr(Tree, "load", load)
    return seen


def test_a_second_validate_reads_only_what_changed(tmp_path: Path, loads: list[str]) -> None:
    root = write_tree(tmp_path / "model", MODEL)
    ids = check_model(root, jobs=1)
    assert sorted(loads) == sorted(ids) == ["dev/web", "prod/api", "prod/web"]
    loads.clear()
    assert check_model(root, jobs=1) == ids
    assert loads == []
    write_files(root, {"dev/web.yaml": "network: {cidr: 10.4.0.0/16}\n"})
    assert check_model(root, jobs=1) == ids
    assert loads == ["dev/web"]
    # Defaults above clusters are part of what they were found valid with.
    loads.clear()
    write_files(root, {"prod/_defaults.yaml": "tags: {env: production}\n"})
    assert check_model(root, jobs=1) == ids
    assert sorted(loads) == ["prod/api", "prod/web"]


def test_an_invalid_cluster_is_reported_every_time(tmp_path: Path, loads: list[str]) -> None:
    root = write_tree(
        tmp_path / "model",
        {**MODEL, "dev/web.yaml": "nodePools: {general: {minSize: 5, maxSize: 1}}\n"},
    )
    for _ in range(2):
        with pytest.raises(ModelError, match=r"dev/web\.yaml"):
            check_model(root, jobs=1)
    assert loads.count("dev/web") == 2


def test_a_new_cluster_sharing_a_state_names_the_unread_one(
    tmp_path: Path, loads: list[str]
) -> None:
    root = write_tree(
        tmp_path / "model", {**MODEL, "prod/_defaults.yaml": "backend: {keyPrefix: clusters/aws}\n"}
    )
    check_model(root, "model", jobs=1)
    loads.clear()
    # `aws/prod/web` under keyPrefix clusters lands where `prod/web` under clusters/aws does;
    # the later id, prod/web, is the one named, though this run did not need to read it.
    write_files(root, {"aws/prod/web.yaml": "network: {cidr: 10.9.0.0/16}\n"})
    with pytest.raises(ModelError) as caught:
        check_model(root, "model", jobs=1)
    (issue,) = caught.value.issues
    column = (root / "prod/_defaults.yaml").read_text().index("clusters/aws") + 1
    assert str(issue).startswith(f"model/prod/_defaults.yaml:1:{column}: backend.keyPrefix: ")
    assert "model/aws/prod/web.yaml" in str(issue)
    assert loads == ["aws/prod/web", "prod/web"]  # read again only to point at it


def test_generate_leaves_validate_nothing_to_read(tmp_path: Path, loads: list[str]) -> None:
    root = write_tree(tmp_path / "model", MODEL)
    write_generated(root, tmp_path / "out", jobs=1)
    loads.clear()
    assert check_model(root, jobs=2) == ["dev/web", "prod/api", "prod/web"]
    assert loads == []


def test_the_cache_can_be_turned_off(
    tmp_path: Path, loads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TREEFORM_CACHE_DIR", "")
    root = write_tree(tmp_path / "model", MODEL)
    check_model(root, jobs=1)
    check_model(root, jobs=1)
    assert len(loads) == 6
