"""The seams every engine plugs into: its output targets (one registry), treeform's one
cluster tag (`Provider.cluster_tags`, counted by the tag limits), the pool keys all engines
share (`pools.pool_context`) with the one taint formatter, and each engine's example data
for `treeform new`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import ROOT, write_tree
from treeform.cli import cli
from treeform.errors import ModelError
from treeform.model import NodePool, Taint
from treeform.pipeline import load_clusters
from treeform.providers import PROVIDERS
from treeform.providers.base import CLUSTER_TAG, Engine
from treeform.providers.kops_engine import KopsEngine
from treeform.providers.pools import (
    API_CONSTANTS,
    EKSCTL,
    KUBELET,
    KUBERNETES,
    pool_context,
    taints,
)
from treeform.providers.targets import TARGETS, EngineTarget, render_cluster
from treeform.providers.terraform import TerraformEngine
from treeform.render import Renderer

EXAMPLES = load_clusters(ROOT / "examples")
ENGINES = [
    pytest.param(engine, id=f"{cloud}/{name}")
    for cloud, provider in PROVIDERS.items()
    for name, engine in provider.engines.items()
]
MANAGED = [p for p in ENGINES if isinstance(p.values[0], TerraformEngine)]


def _example_of(engine: Engine):
    found = [c for c in EXAMPLES if PROVIDERS[c.cloud].engines[c.engine] is engine]
    assert found, f"examples/ has no cluster of {engine.name}"
    return found


@pytest.mark.parametrize("engine", ENGINES)
def test_every_target_an_engine_names_is_registered_and_rendered_by_it(engine: Engine) -> None:
    assert engine.targets, engine.name
    assert len(set(engine.targets)) == len(engine.targets)
    for name in engine.targets:
        target = TARGETS[name]  # a KeyError names the unregistered target
        if isinstance(target, EngineTarget):
            assert callable(getattr(engine, target.method, None)), (engine.name, name)
        elif name == "kops":
            assert isinstance(engine, KopsEngine), engine.name
    if isinstance(engine, TerraformEngine):
        assert engine.targets[0] == "terraform"
        assert (ROOT / "templates" / engine.template_dir).is_dir(), engine.template_dir


def test_a_target_the_engine_cannot_render_is_an_error_not_an_empty_output() -> None:
    eks = PROVIDERS["aws"].engines["eks"]
    oke = PROVIDERS["oracle"].engines["oke"]
    (cluster,) = [c for c in EXAMPLES if c.engine == "oke"][:1]
    with pytest.raises(TypeError, match="names target kubernetes"):
        TARGETS["kubernetes"].render(oke, cluster, Renderer())
    with pytest.raises(TypeError, match="names target kops"):
        TARGETS["kops"].render(eks, cluster, Renderer())


def test_two_targets_never_write_one_path(monkeypatch: pytest.MonkeyPatch) -> None:
    eks = PROVIDERS["aws"].engines["eks"]
    (cluster,) = [c for c in _example_of(eks) if c.settings.get("eksctl")][:1]
    monkeypatch.setattr(
        eks, "kubernetes_manifests", lambda cluster, renderer: {"eksctl/cluster.yaml": "x"}
    )
    with pytest.raises(ValueError, match=r"target eksctl of eks rewrites eksctl/cluster\.yaml"):
        render_cluster(eks, cluster, Renderer())


def test_eksctl_is_a_target_the_cluster_asks_for() -> None:
    eks = PROVIDERS["aws"].engines["eks"]
    clusters = _example_of(eks)
    asked = [c for c in clusters if c.settings.get("eksctl")]
    silent = [c for c in clusters if not c.settings.get("eksctl")]
    assert asked and silent
    for cluster in asked:
        files = render_cluster(eks, cluster, Renderer())
        assert "eksctl/cluster.yaml" in files
        assert next(iter(files)).startswith("terraform/")  # the engine's order of targets
    for cluster in silent:
        assert "eksctl/cluster.yaml" not in render_cluster(eks, cluster, Renderer())


@pytest.mark.parametrize("provider", list(PROVIDERS.values()), ids=list(PROVIDERS))
def test_every_cloud_adds_the_one_cluster_tag(provider) -> None:
    clusters = [c for c in EXAMPLES if c.cloud == provider.name]
    assert clusters, provider.name
    for cluster in clusters:
        tags = provider.cluster_tags(cluster)
        assert CLUSTER_TAG in tags
        assert "treeform/cluster" not in tags  # the spelling of AWS, Alibaba, Tencent before
        assert tags[CLUSTER_TAG]
        # The model's own tags (converted where the cloud must), and treeform's one more.
        assert cluster.tags and len(tags) == len(cluster.tags) + 1


@pytest.mark.parametrize("engine", ENGINES)
def test_every_engine_tags_its_terraform_with_the_cluster_tag(engine: Engine) -> None:
    for cluster in _example_of(engine):
        files = render_cluster(engine, cluster, Renderer())
        terraform = "".join(t for p, t in files.items() if p.startswith("terraform/"))
        if not terraform:
            continue  # kOps with an external state and network: nothing to make first
        assert CLUSTER_TAG in terraform, cluster.id
        assert "treeform/cluster" not in "".join(files.values()), cluster.id


@pytest.mark.parametrize(
    ("cloud", "engine", "region", "zones", "limit"),
    [
        ("aws", "eks", "us-east-1", ["us-east-1a", "us-east-1b"], 50),
        ("alibaba", "ack", "cn-hangzhou", ["cn-hangzhou-b", "cn-hangzhou-g"], 20),
        ("tencent", "tke", "ap-guangzhou", ["ap-guangzhou-3", "ap-guangzhou-4"], 50),
        ("azure", "aks", "eastus", ["1", "2"], 50),
    ],
)
def test_tag_limits_count_treeforms_own_tag(
    tmp_path: Path, cloud: str, engine: str, region: str, zones: list[str], limit: int
) -> None:
    def tree(count: int) -> Path:
        tags = "".join(f"  t{i}: v\n" for i in range(count))
        return write_tree(
            tmp_path / str(count),
            {
                "c.yaml": f"cloud: {cloud}\nengine: {engine}\nregion: {region}\n"
                f"zones: {zones}\nkubernetesVersion: '1.35'\ntags:\n{tags}",
            },
        )

    def tag_issues(root: Path) -> list[str]:
        try:
            load_clusters(root)
        except ModelError as error:
            return [i.message for i in error.issues if i.path == "tags"]
        return []

    assert tag_issues(tree(limit - 1)) == []
    (message,) = tag_issues(tree(limit))
    assert f"at most {limit} tags" in message


def _pool(**changes) -> NodePool:
    fields = {
        "name": "gpu-a",
        "machine_type": "m6i.large",
        "min_size": 1,
        "max_size": 3,
        "desired_size": 2,
        "disk_size_gb": 80,
        "spot": True,
        "zones": ("z1", "z2"),
        "labels": {"team": "ml"},
        "taints": (Taint("dedicated", "gpu", "NoSchedule"), Taint("spare", "", "NoExecute")),
        "machine_types": ("m6i.large",),
    }
    return NodePool(**{**fields, **changes})


def test_one_taint_formatter_spells_each_cloud_from_data() -> None:
    pool = _pool()
    assert taints(pool, KUBERNETES) == [
        {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"},
        {"key": "spare", "value": "", "effect": "NoExecute"},
    ]
    assert taints(pool, API_CONSTANTS) == [
        {"key": "dedicated", "value": "gpu", "effect": "NO_SCHEDULE"},
        {"key": "spare", "value": "", "effect": "NO_EXECUTE"},
    ]
    assert taints(pool, KUBELET) == ["dedicated=gpu:NoSchedule", "spare:NoExecute"]
    assert taints(pool, EKSCTL) == [
        {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"},
        {"key": "spare", "effect": "NoExecute"},
    ]


def test_pool_context_holds_the_model_pool() -> None:
    ctx = pool_context(_pool(), taint_style=KUBELET)
    assert ctx["tf_id"] == "gpu_a"
    assert (ctx["min_size"], ctx["desired_size"], ctx["max_size"]) == (1, 2, 3)
    assert ctx["autoscale"] is True
    assert pool_context(_pool(min_size=3, desired_size=3))["autoscale"] is False
    assert ctx["zones"] == ["z1", "z2"] and ctx["spot"] is True
    assert ctx["taints"] == ["dedicated=gpu:NoSchedule", "spare:NoExecute"]


SHARED_POOL_KEYS = set(pool_context(_pool()))


@pytest.mark.parametrize("engine", MANAGED)
def test_every_managed_engine_gives_its_templates_the_shared_pool_keys(
    engine: TerraformEngine,
) -> None:
    seen = 0
    for cluster in _example_of(engine):
        context = engine.context(cluster)
        pools = [*context.get("pools", []), *filter(None, [context.get("default_pool")])]
        for pool in pools:
            assert SHARED_POOL_KEYS <= set(pool), (cluster.id, SHARED_POOL_KEYS - set(pool))
            seen += 1
    assert seen, engine.name


@pytest.mark.parametrize("engine", ENGINES)
def test_treeform_new_starts_from_the_engines_example(tmp_path: Path, engine: Engine) -> None:
    cloud = next(c for c, p in PROVIDERS.items() if engine in p.engines.values())
    assert engine.example.region in PROVIDERS[cloud].regions
    # `new` checks what it wrote (kOps, OKE, ... then need settings only the user knows).
    result = CliRunner().invoke(
        cli,
        ["new", "c", "--cloud", cloud, "--engine", engine.name, str(tmp_path)],
        catch_exceptions=False,
    )
    text = (tmp_path / "c.yaml").read_text()
    assert f"region: {engine.example.region}" in text
    assert f"machineType: {engine.example.machine_type}" in text
    wrong = [
        line
        for line in result.output.splitlines()
        if ": region:" in line or ": zones:" in line or "machineType:" in line
    ]
    assert wrong == [], result.output


CLOUDS = sorted(PROVIDERS)
#: Imports inside a function that are there for speed, not to dodge a cycle.
LAZY_FOR_SPEED = {
    ("kops.py", "treeform.providers.kops_crd"),
    ("kops_rules.py", "treeform.providers.kops_crd"),
}


def test_no_provider_module_imports_around_a_cycle() -> None:
    """Engines and clouds import what they use at the top: no engine imports its cloud's
    package (which imports the engine), none imports inside a function to dodge a cycle
    (eks.py used to import eksctl.py in render, AKS and DOKS their packages' tag helpers)."""
    found = []
    for path in sorted((ROOT / "generator" / "providers").rglob("*.py")):
        rel = path.relative_to(ROOT / "generator" / "providers").as_posix()
        tree = ast.parse(path.read_text())
        lazy = {
            id(node)
            for fn in ast.walk(tree)
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
            for node in ast.walk(fn)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom | ast.Import):
                continue
            module = node.module if isinstance(node, ast.ImportFrom) else None
            names = [f"{module}.{a.name}" if module else a.name for a in node.names]
            for name in names:
                if rel != "__init__.py" and name in {f"treeform.providers.{c}" for c in CLOUDS}:
                    found.append(f"{rel}: imports the package {name}")
                elif id(node) in lazy and name.startswith("treeform."):
                    if (rel, module or name) not in LAZY_FOR_SPEED:
                        found.append(f"{rel}:{node.lineno}: imports {name} inside a function")
    assert found == []
