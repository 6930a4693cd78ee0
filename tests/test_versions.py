"""Upgrades and versions (issue 13): every node pool follows its control plane, a pool may be
held back within its engine's skew rule, one minor at a time against the last generate,
and version tables that warn instead of refusing a minor newer than they know."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from helpers import ROOT, issues_of, render_tree, write_tree
from treeform.cli import cli
from treeform.pipeline import load_clusters

EXAMPLES = ROOT / "examples"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _model(tmp_path: Path, cluster: str, version: str) -> tuple[Path, Path]:
    """The examples' files that make `cluster` (its file and the defaults above it), with
    the cluster's kubernetesVersion set in its own file."""
    model = tmp_path / "model"
    rel = Path(cluster + ".yaml")
    for parent in [Path(), *reversed(rel.parents[:-1])]:
        defaults = EXAMPLES / parent / "_defaults.yaml"
        if defaults.exists():
            (model / parent).mkdir(parents=True, exist_ok=True)
            shutil.copy(defaults, model / parent / "_defaults.yaml")
    (model / rel).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(EXAMPLES / rel, model / rel)
    set_version(model, cluster, version)
    return model, model / rel


def set_version(model: Path, cluster: str, version: str) -> None:
    path = model / f"{cluster}.yaml"
    text = re.sub(r"(?m)^kubernetesVersion: .*\n", "", path.read_text(encoding="utf-8"))
    path.write_text(text + f'kubernetesVersion: "{version}"\n', encoding="utf-8")


def hold_back(cluster_file: Path, pool: str, version: str) -> None:
    """Set `nodePools.<pool>.kubernetesVersion` in a cluster file."""
    data = yaml.safe_load(cluster_file.read_text(encoding="utf-8"))
    data.setdefault("nodePools", {}).setdefault(pool, {})["kubernetesVersion"] = version
    cluster_file.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def snapshot(out: Path) -> dict[str, str]:
    return {
        p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


def text(out: Path, cluster: str, name: str) -> str:
    return (out / cluster / name).read_text(encoding="utf-8")


# -- every engine: generate at one version, then one minor higher into the same output -----

#: (engine, example cluster, version, the next step the cloud allows)
STEPS = [
    ("eks", "aws/prod/payments", "1.34", "1.35"),
    ("aks", "azure/prod/shop", "1.34", "1.35"),
    ("gke", "gcp/prod/payments", "1.35", "1.36"),
    ("oke", "oracle/prod/orders", "1.33", "1.34"),
    ("tke", "tencent/prod/games", "1.32", "1.34"),  # TKE offers even minors only
    ("kops", "aws/kops/platform", "1.34", "1.35"),
    ("doks", "digitalocean/dev/blog", "1.34", "1.35"),
    ("ack", "alibaba/prod/shop", "1.35", "1.36"),
    ("iks", "ibm/prod/analytics", "1.34", "1.35"),
    ("cce", "huawei/prod/storefront", "1.32", "1.33"),
]


def _pool_follows(engine: str, out: Path, cluster: str, new: str) -> None:
    """What, in each engine's output, makes every node pool follow the control plane."""
    tf = out / cluster / "terraform"

    def read(name: str) -> str:
        return (tf / name).read_text(encoding="utf-8")

    if engine == "eks":
        groups = read("node_groups.tf")
        assert (
            groups.count('resource "aws_eks_node_group"')
            == groups.count("version = aws_eks_cluster.this.version")
            > 0
        )
        assert "release_version" not in groups  # EKS picks the AMI release for the version
        assert f'version  = "{new}"' in read("cluster.tf")
    elif engine == "aks":
        cluster_tf = read("cluster.tf")
        assert f'kubernetes_version  = "{new}"' in cluster_tf
        assert re.search(rf'orchestrator_version += "{re.escape(new)}"', cluster_tf)
        pools = read("node_pools.tf")
        assert (
            pools.count("azurerm_kubernetes_cluster_node_pool")
            == len(
                re.findall(
                    r"orchestrator_version += azurerm_kubernetes_cluster\.this\.kubernetes_version",
                    pools,
                )
            )
            > 0
        )
    elif engine == "gke":
        assert f'min_master_version  = "{new}"' in read("cluster.tf")
        pools = read("node_pools.tf")
        # Pools in a release channel auto-upgrade after the control plane; a `version`
        # would fight auto-upgrade.
        assert "release_channel" in read("cluster.tf")
        assert pools.count("auto_upgrade = true") == pools.count("google_container_node_pool")
        assert not re.search(r"(?m)^  version ", pools)
    elif engine == "oke":
        assert f'kubernetes_version = "v{new}.1"' in read("cluster.tf")
        pools = read("node_pools.tf")
        assert pools.count("oci_containerengine_node_pool") == pools.count(
            "kubernetes_version = oci_containerengine_cluster.this.kubernetes_version"
        )
        assert pools.count("is_node_cycling_enabled = true") == pools.count(
            "oci_containerengine_node_pool"
        )
    elif engine == "tke":
        cluster_tf = read("cluster.tf")
        assert re.search(rf'cluster_version += "{re.escape(new)}\.\d+"', cluster_tf)
        assert re.search(r"upgrade_instances_follow_cluster += true", cluster_tf)
    elif engine == "kops":
        manifest = text(out, cluster, "kops/cluster.yaml")
        assert f"kubernetesVersion: v{new}." in manifest
        # Instance groups run the Cluster's version: none carries a version of its own.
        assert manifest.count("kubernetesVersion") == 1
    elif engine == "doks":
        assert f'version_prefix = "{new}."' in read("main.tf")
    elif engine == "ack":
        assert f'"{new}."' in read("main.tf")
        pools = read("node_pools.tf")
        assert pools.count("auto_upgrade_kubelet = true") == pools.count(
            "alicloud_cs_kubernetes_node_pool"
        )
    elif engine == "iks":
        cluster_tf = read("cluster.tf")
        assert re.search(rf'kube_version += "{re.escape(new)}"', cluster_tf)
        assert re.search(r"update_all_workers += true", cluster_tf)
    elif engine == "cce":
        assert f'cluster_version        = "v{new}"' in read("cluster.tf")
    else:  # pragma: no cover
        raise AssertionError(engine)


@pytest.mark.parametrize(("engine", "cluster", "old", "new"), STEPS, ids=[s[0] for s in STEPS])
def test_one_minor_higher_upgrades_every_pool(
    tmp_path: Path, engine: str, cluster: str, old: str, new: str
) -> None:
    model, _ = _model(tmp_path, cluster, old)
    out = tmp_path / "out"
    first = run("generate", str(model), "-o", str(out))
    assert first.exit_code == 0, first.output
    set_version(model, cluster, new)
    second = run("generate", str(model), "-o", str(out))
    assert second.exit_code == 0, second.output
    record = json.loads(text(out, cluster, ".treeform-model.json"))
    assert record["model"]["kubernetesVersion"] == new
    _pool_follows(engine, out, cluster, new)
    if engine == "cce":
        # The provider does not upgrade CCE through cluster_version: said, not hidden.
        assert f"kubernetesVersion: warning: {old} -> {new}:" in second.stderr
        assert "huaweicloud_cce_cluster_upgrade" in second.stderr


@pytest.mark.parametrize(
    ("cluster", "old", "jump", "step"),
    [
        ("aws/prod/payments", "1.33", "1.35", "1.34"),
        ("azure/prod/shop", "1.34", "1.36", "1.35"),
        ("gcp/prod/payments", "1.33", "1.35", "1.34"),
    ],
    ids=["eks", "aks", "gke"],
)
@pytest.mark.parametrize("force", [False, True], ids=["plain", "force"])
def test_two_minors_at_once_are_refused_and_nothing_is_written(
    tmp_path: Path, cluster: str, old: str, jump: str, step: str, force: bool
) -> None:
    model, cluster_file = _model(tmp_path, cluster, old)
    if cluster.startswith("azure"):
        # 1.33 is LTS-only on AKS: start from 1.34.
        pass
    out = tmp_path / "out"
    assert run("generate", str(model), "-o", str(out)).exit_code == 0
    before = snapshot(out)
    set_version(model, cluster, jump)
    result = run("generate", str(model), "-o", str(out), *(["--force"] if force else []))
    assert result.exit_code == 1
    (line,) = [x for x in result.stderr.splitlines() if "kubernetesVersion" in x]
    assert line.startswith(f"{cluster_file}:")
    assert f"kubernetesVersion: {old} -> {jump} skips a minor version" in line
    assert f"the next allowed step is {step}" in line
    assert snapshot(out) == before
    # --check and diff say the same, and write nothing either.
    assert run("generate", str(model), "-o", str(out), "--check").exit_code == 1
    assert run("diff", str(model), "-o", str(out)).exit_code == 1
    assert snapshot(out) == before


def test_a_downgrade_is_refused_at_the_version(tmp_path: Path) -> None:
    model, cluster_file = _model(tmp_path, "aws/prod/payments", "1.35")
    out = tmp_path / "out"
    assert run("generate", str(model), "-o", str(out)).exit_code == 0
    before = snapshot(out)
    set_version(model, "aws/prod/payments", "1.34")
    result = run("generate", str(model), "-o", str(out))
    assert result.exit_code == 1
    assert (
        f"{cluster_file}:" in result.stderr
        and "kubernetesVersion: 1.35 -> 1.34 is a downgrade, which eks refuses" in result.stderr
        and "stay at 1.35 or upgrade to 1.36" in result.stderr
    )
    assert snapshot(out) == before


def test_a_held_back_pool_cannot_go_down(tmp_path: Path) -> None:
    model, cluster_file = _model(tmp_path, "aws/prod/ledger", "1.35")
    out = tmp_path / "out"
    assert run("generate", str(model), "-o", str(out)).exit_code == 0
    pools = json.loads(text(out, "aws/prod/ledger", ".treeform-model.json"))["model"]["nodePools"]
    pool = sorted(pools)[0]
    hold_back(cluster_file, pool, "1.34")
    result = run("generate", str(model), "-o", str(out))
    assert result.exit_code == 1
    assert f"nodePools.{pool}.kubernetesVersion: node pool {pool} would go from 1.35 down" in (
        result.stderr
    )


def test_a_cluster_new_to_the_output_starts_anywhere(tmp_path: Path) -> None:
    model, _ = _model(tmp_path, "aws/prod/payments", "1.32")
    out = tmp_path / "out"
    assert run("generate", str(model), "-o", str(out)).exit_code == 0
    # Another cluster id in the same output: new, so any offered version.
    (model / "aws/prod/payments.yaml").rename(model / "aws/prod/billing.yaml")
    set_version(model, "aws/prod/billing", "1.36")
    result = run("generate", str(model), "-o", str(out))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    "record",
    [b"{not json", b"[]", b'{"model": {"kubernetesVersion": 1.33}}', b"\xff\xfe" * 10, b"{}"],
    ids=["broken", "list", "number", "binary", "empty"],
)
def test_an_unreadable_record_is_a_warning_not_a_traceback(tmp_path: Path, record: bytes) -> None:
    model, _ = _model(tmp_path, "aws/prod/payments", "1.33")
    out = tmp_path / "out"
    assert run("generate", str(model), "-o", str(out)).exit_code == 0
    (out / "aws/prod/payments/.treeform-model.json").write_bytes(record)
    set_version(model, "aws/prod/payments", "1.35")
    # The record was edited by hand: only --force overwrites it, and the rule is not checked.
    result = run("generate", str(model), "-o", str(out), "--force")
    assert result.exit_code == 0, result.output
    assert "warning: edited since treeform wrote it or unreadable" in result.stderr
    assert "one-minor-at-a-time rule is not checked" in result.stderr


# -- the skew rules: nodePools.<p>.kubernetesVersion -----------------------------------------

EKS = """
    cloud: aws
    engine: eks
    region: us-east-1
    kubernetesVersion: "{control}"
    nodePools:
      general: {{machineType: m6i.large, minSize: 1, maxSize: 3}}
      legacy: {{machineType: m6i.large, minSize: 1, maxSize: 3, kubernetesVersion: "{pool}"}}
"""


def test_a_patch_of_the_control_planes_minor_is_not_newer(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "m", {"shop.yaml": EKS.format(control="1.36", pool="1.36.2")})
    assert 'version = "1.36"' in render_tree(root)["shop/terraform/node_groups.tf"]


def test_eks_holds_a_pool_back_up_to_three_minors(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "m", {"shop.yaml": EKS.format(control="1.36", pool="1.33")})
    groups = render_tree(root)["shop/terraform/node_groups.tf"]
    assert 'version = "1.33"' in groups
    assert "version = aws_eks_cluster.this.version" in groups  # the other pool follows


@pytest.mark.parametrize(
    ("control", "pool", "wants"),
    [
        (
            "1.36",
            "1.32",
            "is 4 minor versions older than the control plane's 1.36; EKS nodes "
            "may be up to 3 minor versions older than the control plane, never newer",
        ),
        ("1.34", "1.35", "node pool version 1.35 is newer than the control plane's 1.34"),
        ("1.34", "1.34.9", "node pool version 1.34.9 is newer"),
    ],
    ids=["beyond-skew", "newer", "newer-patch"],
)
def test_eks_skew_rule_at_the_field(tmp_path: Path, control: str, pool: str, wants: str) -> None:
    if pool == "1.34.9":
        control = "1.34.2"
    root = write_tree(tmp_path / "m", {"shop.yaml": EKS.format(control=control, pool=pool)})
    (issue,) = issues_of(lambda: load_clusters(root, str(root)))
    assert "shop.yaml:7:" in issue
    assert "nodePools.legacy.kubernetesVersion: " in issue
    assert wants in issue


AKS = """
    cloud: azure
    engine: aks
    region: westeurope
    kubernetesVersion: "1.36"
    azure: {{subscriptionId: 00000000-0000-0000-0000-000000000000}}
    {channel}
    nodePools:
      system: {{machineType: Standard_D4s_v5, minSize: 1, maxSize: 3}}
      legacy: {{machineType: Standard_D4s_v5, minSize: 1, maxSize: 3, kubernetesVersion: "{pool}"}}
"""


def test_aks_holds_a_pool_back_two_minors_with_the_node_image_channel(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "m",
        {
            "shop.yaml": AKS.format(
                channel="aks: {automaticUpgradeChannel: node-image}", pool="1.34"
            )
        },
    )
    pools = render_tree(root)["shop/terraform/node_pools.tf"]
    assert re.search(r'orchestrator_version += "1.34"', pools)
    root = write_tree(
        tmp_path / "n",
        {
            "shop.yaml": AKS.format(
                channel="aks: {automaticUpgradeChannel: node-image}", pool="1.33"
            )
        },
    )
    (issue,) = issues_of(lambda: load_clusters(root, str(root)))
    assert "nodePools.legacy.kubernetesVersion: node pool version 1.33 is 3 minor versions" in issue
    assert "AKS node pools must be within 2 minor versions of the control plane" in issue


def test_aks_refuses_a_held_back_pool_on_a_channel_that_upgrades_it(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "m", {"shop.yaml": AKS.format(channel="", pool="1.35")})
    (issue,) = issues_of(lambda: load_clusters(root, str(root)))
    assert "nodePools.legacy.kubernetesVersion: aks upgrades every node pool" in issue
    assert "channel 'patch'" in issue and "node-image" in issue


@pytest.mark.parametrize(
    ("cluster", "engine"),
    [
        ("gcp/prod/payments", "gke"),
        ("digitalocean/dev/blog", "doks"),
        ("tencent/prod/games", "tke"),
        ("alibaba/prod/shop", "ack"),
        ("huawei/prod/storefront", "cce"),
        ("ibm/prod/analytics", "iks"),
        ("aws/kops/platform", "kops"),
    ],
    ids=lambda v: v if "/" not in v else "",
)
def test_engines_without_per_pool_versions_refuse_the_field(
    tmp_path: Path, cluster: str, engine: str
) -> None:
    model, cluster_file = _model(tmp_path, cluster, "1.34" if engine != "cce" else "1.33")
    data = load_clusters(model, str(model))[0]
    pool = sorted(data.node_pools)[0]
    hold_back(cluster_file, pool, "1.32")
    issues = issues_of(lambda: load_clusters(model, str(model)))
    assert any(
        f"nodePools.{pool}.kubernetesVersion: {engine} cannot hold a node pool back: " in i
        for i in issues
    ), issues


# -- tables: a newer minor warns, an older one is an error, the settings extend them -------


def test_a_version_newer_than_the_table_warns_and_passes(tmp_path: Path) -> None:
    model, cluster_file = _model(tmp_path, "aws/prod/payments", "1.37")
    for _ in range(2):  # the validity cache must not hide the warning
        result = run("validate", str(model))
        assert result.exit_code == 0, result.output
        (warning,) = result.stderr.splitlines()
        assert re.match(
            rf"{re.escape(str(cluster_file))}:\d+:\d+: kubernetesVersion: warning: ", warning
        )
        assert "Kubernetes 1.37 is not in treeform's eks table of 2026-12-01" in warning
        assert "the cloud decides" in warning
    out = tmp_path / "out"
    for _ in range(2):  # nor the reuse of unchanged clusters
        result = run("generate", str(model), "-o", str(out))
        assert result.exit_code == 0, result.output
        assert "warning: Kubernetes 1.37 is not in treeform's eks table" in result.stderr


def test_an_ancient_version_is_an_error(tmp_path: Path) -> None:
    model, _ = _model(tmp_path, "aws/prod/payments", "1.20")
    result = run("validate", str(model))
    assert result.exit_code == 1
    assert "kubernetesVersion: eks does not offer Kubernetes 1.20; it offers 1.32" in result.stderr


def test_aks_lts_only_minor_is_an_error_naming_lts(tmp_path: Path) -> None:
    model, _ = _model(tmp_path, "azure/prod/shop", "1.33")
    result = run("validate", str(model))
    assert result.exit_code == 1
    assert "aks runs Kubernetes 1.33 only under long-term support" in result.stderr


def test_the_settings_extend_a_table(tmp_path: Path) -> None:
    model, _ = _model(tmp_path, "aws/prod/payments", "1.37")
    (model / ".treeform.yaml").write_text('versions:\n  eks: ["1.37"]\n', encoding="utf-8")
    result = run("validate", str(model))
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr
    # Without the extension the same tree (and the validity cache) warns again.
    (model / ".treeform.yaml").unlink()
    assert "warning: Kubernetes 1.37" in run("validate", str(model)).stderr


@pytest.mark.parametrize(
    ("settings", "wants"),
    [
        ('versions:\n  eksx: ["1.37"]\n', "2:3: versions.eksx: unknown engine 'eksx'; known: ack"),
        (
            "versions:\n  eks: [1.37]\n",
            '2:9: versions.eks[0]: 1.37 is not a minor version like "1.37" (quote it',
        ),
        ('versions:\n  eks: "1.37"\n', "2:8: versions.eks: must be a non-empty list"),
        ('versions: ["1.37"]\n', "1:11: versions: must be a mapping of engine to minors"),
        ('versions:\n  eks: ["1.37.1"]\n', "2:9: versions.eks[0]: '1.37.1' is not a minor"),
        (
            'versions:\n  eks: ["1.37", "1.30"]\n',
            "2:17: versions.eks[1]: 1.30 is not newer than eks's table (newest 1.36, as of "
            "2026-12-01): only newer minors can be added",
        ),
    ],
    ids=["engine", "number", "scalar", "list", "patch", "retired"],
)
def test_bad_version_settings_are_errors_at_the_setting(
    tmp_path: Path, settings: str, wants: str
) -> None:
    model, _ = _model(tmp_path, "aws/prod/payments", "1.35")
    (model / ".treeform.yaml").write_text(settings, encoding="utf-8")
    result = run("validate", str(model))
    assert result.exit_code == 1
    assert f"{model}/.treeform.yaml:{wants}" in result.stderr, result.stderr


# -- the review summary ----------------------------------------------------------------------


def test_review_names_pool_upgrades_and_held_back_pools(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "m", {"shop.yaml": EKS.format(control="1.35", pool="1.34")})
    out = tmp_path / "out"
    assert run("generate", str(root), "-o", str(out)).exit_code == 0
    write_tree(root, {"shop.yaml": EKS.format(control="1.36", pool="1.34")})
    result = run("diff", str(root), "-o", str(out), "--format", "markdown")
    assert result.exit_code == 0, result.output
    assert "- ⬆ Kubernetes **upgrade**: `1.35` → `1.36`" in result.output
    assert "- ⬆ node pool `general` upgrades with the control plane: `1.35` → `1.36`" in (
        result.output
    )
    assert "- ⏸ node pool `legacy` held back at `1.34` (control plane `1.36`)" in result.output


def test_eksctl_cannot_hold_a_pool_back(tmp_path: Path) -> None:
    model = EKS.format(control="1.36", pool="1.35") + "    aws: {accountId: '123456789012'}\n"
    root = write_tree(tmp_path / "m", {"shop.yaml": model + "    eks: {eksctl: true}\n"})
    (issue,) = issues_of(lambda: load_clusters(root, str(root)))
    assert "nodePools.legacy.kubernetesVersion: the eksctl ClusterConfig" in issue


def test_held_back_pools_load_in_terraform_and_pass_the_oracle(tmp_path: Path) -> None:
    from helpers import oracle_findings, terraform_dirs, terraform_problems, write_files

    models = {}
    for cluster, version, pool in (
        ("aws/prod/ledger", "1.36", "1.33"),
        ("oracle/prod/orders", "1.34", "1.32"),
    ):
        model, cluster_file = _model(tmp_path / cluster.replace("/", "-"), cluster, version)
        data = load_clusters(model, str(model))[0]
        hold_back(cluster_file, sorted(data.node_pools)[0], pool)
        models[cluster] = model
    channel = "aks: {automaticUpgradeChannel: node-image}"
    aks = write_tree(tmp_path / "aks", {"shop.yaml": AKS.format(channel=channel, pool="1.35")})
    files: dict[str, str] = {}
    for model in [*models.values(), aks]:
        files.update(render_tree(model))
    assert 'version = "1.33"' in files["aws/prod/ledger/terraform/node_groups.tf"]
    assert 'kubernetes_version = "v1.32.1"' in files["oracle/prod/orders/terraform/node_pools.tf"]
    out = write_files(tmp_path / "out", files)
    dirs = terraform_dirs(out)
    assert [p for d in dirs for p in terraform_problems(d)] == []
    assert oracle_findings(dirs) == ""


def test_tke_steps_to_its_next_release_beyond_the_table(tmp_path: Path) -> None:
    model, _ = _model(tmp_path, "tencent/prod/games", "1.34")
    out = tmp_path / "out"
    assert run("generate", str(model), "-o", str(out)).exit_code == 0
    set_version(model, "tencent/prod/games", "1.36.1")  # TKE's next (even) release
    result = run("generate", str(model), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "warning: Kubernetes 1.36.1 is not in treeform's tke table" in result.stderr
    set_version(model, "tencent/prod/games", "1.40.1")
    result = run("generate", str(model), "-o", str(out))
    assert result.exit_code == 1
    assert "1.36.1 -> 1.40.1 skips a minor version" in result.stderr
    assert "the next allowed step is 1.38" in result.stderr
