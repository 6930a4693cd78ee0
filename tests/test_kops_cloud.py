"""kOps by composition: one `KopsEngine` per cloud, composed with the cloud's `KopsCloud`
part; a cloud that lacks a feature says so in its type, never with an empty string; the
manifest entry point `kops_documents` gives exactly the manifest `render` writes."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import write_tree
from test_engine_kops import AWS_DEFAULTS, GCE, HA_PRIVATE, ORG_DEFAULTS
from treeform.errors import Issue
from treeform.model import Cluster
from treeform.pipeline import load_clusters
from treeform.providers import PROVIDERS
from treeform.providers.kops import Group, Subnet
from treeform.providers.kops_cloud import DeferredManifest, KopsCloud, KopsFacts
from treeform.providers.kops_documents import MANIFEST, kops_documents
from treeform.providers.kops_engine import KopsEngine
from treeform.render import Renderer

KOPS_CLOUDS = sorted(name for name, p in PROVIDERS.items() if "kops" in p.engines)


def _engine(cloud: str) -> KopsEngine:
    engine = PROVIDERS[cloud].engines["kops"]
    assert isinstance(engine, KopsEngine)
    return engine


def _values(value: Any, path: str) -> list[tuple[str, Any]]:
    """Every leaf of a fact record, by its path (dataclasses and mappings walked)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = []
        for f in dataclasses.fields(value):
            out.extend(_values(getattr(value, f.name), f"{path}.{f.name}"))
        return out
    if isinstance(value, dict):
        out = []
        for key, item in value.items():
            out.extend(_values(item, f"{path}[{key!r}]"))
        return out
    return [(path, value)]


def test_the_kops_clouds_are_aws_gcp_and_azure() -> None:
    assert KOPS_CLOUDS == ["aws", "azure", "gcp"]


@pytest.mark.parametrize("cloud", KOPS_CLOUDS)
def test_each_engine_is_one_class_composed_with_its_cloud(cloud: str) -> None:
    engine = _engine(cloud)
    assert type(engine) is KopsEngine  # composed, not subclassed
    assert isinstance(engine.cloud.facts, KopsFacts)
    assert engine.addons == tuple(engine.facts.addon_fields)
    # Every answer of the protocol is there, with the protocol's parameters.
    for name, member in inspect.getmembers(KopsCloud, inspect.isfunction):
        if name.startswith("_"):
            continue
        mine = getattr(engine.cloud, name)
        wanted = list(inspect.signature(member).parameters)[1:]
        assert list(inspect.signature(mine).parameters) == wanted, (cloud, name)


@pytest.mark.parametrize("cloud", KOPS_CLOUDS)
def test_no_fact_is_an_empty_string(cloud: str) -> None:
    empty = [p for p, v in _values(_engine(cloud).facts, "facts") if v == ""]
    assert empty == []


def test_only_aws_defers_its_manifest() -> None:
    deferred = [c for c in KOPS_CLOUDS if isinstance(_engine(c).cloud, DeferredManifest)]
    assert deferred == ["aws"]


def test_what_a_cloud_lacks_is_none_in_its_facts() -> None:
    facts = {c: _engine(c).facts for c in KOPS_CLOUDS}
    assert facts["azure"].machines.catalog is None
    assert facts["aws"].machines.catalog is not None
    assert [c for c, f in facts.items() if f.discovery is not None] == ["aws"]
    assert [c for c, f in facts.items() if f.load_balancer_class is not None] == ["aws"]


SHARED_VPC_AWS = """
    region: us-east-1
    zones: [us-east-1a, us-east-1b, us-east-1c]
    kops: {sharedVpc: true}
    """


@pytest.mark.parametrize(("model", "manifest"), [(HA_PRIVATE, True), (SHARED_VPC_AWS, False)])
def test_kops_documents_is_the_manifest_render_writes(
    tmp_path: Path, model: str, manifest: bool
) -> None:
    root = write_tree(
        tmp_path,
        {"_defaults.yaml": ORG_DEFAULTS + AWS_DEFAULTS, "aws/c.yaml": model},
    )
    [cluster] = load_clusters(root, str(root))
    engine = _engine("aws")
    files = engine.render(cluster, Renderer())
    documents = kops_documents(engine, cluster)
    assert documents == {k: v for k, v in files.items() if not k.startswith("terraform/")}
    # A shared VPC that Terraform creates waits for its ids: no manifest yet.
    assert (MANIFEST in documents) is manifest


class _Regional:
    """A cloud of one regional subnet and nothing else: what a new cloud has to write."""

    def __init__(self, facts: KopsFacts) -> None:
        self.facts = facts

    def kops_zone(self, cluster: Cluster, zone: str) -> str:
        return zone

    def labels_of(self, tags: Mapping[str, str]) -> dict[str, str]:
        return dict(tags)

    def subnets(self, kops: KopsEngine, cluster: Cluster) -> list[Subnet]:
        return [Subnet(cluster.region, "Public", region=cluster.region, cidr="10.0.0.0/20")]

    def cluster_fields(self, kops: KopsEngine, cluster: Cluster) -> dict[str, Any]:
        return {"cloudConfig": {"regional": True}}

    def group_fields(self, kops: KopsEngine, cluster: Cluster, group: Group) -> dict[str, Any]:
        return {"zones": list(group.zones)}

    def issues(self, kops: KopsEngine, cluster: Cluster) -> Iterator[Issue]:
        return iter(())

    def terraform_context(self, kops: KopsEngine, cluster: Cluster) -> dict[str, Any]:
        return {}


def test_a_new_cloud_is_one_kops_cloud(tmp_path: Path) -> None:
    """Composed with a cloud of its own, the one engine builds its documents: the facts and
    the cloud's fields land in them, the shared parts stay."""
    root = write_tree(tmp_path, {"gcp/c.yaml": GCE})
    [cluster] = load_clusters(root, str(root))
    facts = dataclasses.replace(
        _engine("gcp").facts, provider="regional", load_balancer_class="Regional"
    )
    engine = KopsEngine(cloud=_Regional(facts))
    assert list(engine.validate(cluster)) == []
    docs = list(yaml.safe_load_all(kops_documents(engine, cluster)[MANIFEST]))
    spec = docs[0]["spec"]
    assert spec["cloudProvider"] == "regional"
    assert spec["cloudConfig"] == {"regional": True}
    assert spec["api"] == {"loadBalancer": {"class": "Regional", "type": "Public"}}
    assert spec["subnets"] == [
        {"cidr": "10.0.0.0/20", "name": "us-central1", "region": "us-central1", "type": "Public"}
    ]
    groups = {d["metadata"]["name"]: d["spec"] for d in docs[1:]}
    assert groups["nodes"]["subnets"] == ["us-central1"]  # a regional subnet serves every zone
    assert groups["nodes"]["zones"] == list(cluster.node_pools["nodes"].zones)
