"""TKE: a model like the held-out one (two pools over the zones, one spot and tainted, a
public endpoint for a few CIDRs), judged by the provider-schema oracle, Terraform itself and
checkov, and the located errors of models TKE cannot run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hcl2
import pytest
from helpers import (
    checkov_failures,
    issues_of,
    oracle_findings,
    render_tree,
    terraform_dirs,
    terraform_problems,
    write_files,
    write_tree,
)
from treeform.pipeline import load_clusters

DEFAULTS = """
    kubernetesVersion: "1.34"
    highAvailability: true
    tags: {owner: platform}
    backend: {type: cos, bucket: tf-state-1250000000, keyPrefix: clusters}
"""

GAMES = """
    cloud: tencent
    engine: tke
    region: ap-guangzhou
    zones: [ap-guangzhou-3, ap-guangzhou-4, ap-guangzhou-6]
    network: {cidr: 10.50.0.0/16}
    apiServer: {public: true, allowedCidrs: [203.0.113.0/24, 198.51.100.0/24]}
    tke: {maxPodsPerNode: 32}
    nodePools:
      general:
        machineType: S5.LARGE8
        minSize: 3
        maxSize: 9
        diskSizeGb: 100
        labels: {workload: general}
      sim:
        machineType: SA2.2XLARGE16
        minSize: 0
        maxSize: 12
        spot: true
        zones: [ap-guangzhou-3, ap-guangzhou-4]
        taints: [{key: dedicated, value: sim, effect: NoSchedule}]
"""


def _unquote(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    if isinstance(value, dict):
        return {_unquote(k): _unquote(v) for k, v in value.items() if not k.startswith("__")}
    return value


def resources(files: dict[str, str], cluster_id: str) -> dict[str, dict[str, dict[str, Any]]]:
    """{type: {name: attributes}} of every resource of a cluster's Terraform."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for path, text in files.items():
        if path.startswith(f"{cluster_id}/terraform/") and path.endswith(".tf"):
            for block in hcl2.loads(text).get("resource", []):
                for rtype, named in _unquote(block).items():
                    out.setdefault(rtype, {}).update(named)
    return out


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = write_tree(
        tmp_path_factory.mktemp("tke"), {"_defaults.yaml": DEFAULTS, "games.yaml": GAMES}
    )
    return render_tree(root)


@pytest.fixture(scope="module")
def rendered_dir(rendered: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_files(tmp_path_factory.mktemp("tke-out"), rendered)


def test_terraform_loads_and_is_fmt_clean(rendered_dir: Path) -> None:
    modules = terraform_dirs(rendered_dir)
    assert len(modules) == 1
    problems = [p for m in modules for p in terraform_problems(m)]
    assert not problems, "\n".join(problems)


def test_provider_schema_oracle_is_clean(rendered_dir: Path) -> None:
    findings = oracle_findings(terraform_dirs(rendered_dir))
    assert not findings, findings


def test_checkov_log_agent(rendered_dir: Path) -> None:
    assert checkov_failures(rendered_dir / "games" / "terraform", ["CKV_TC_6"]) == []


def test_managed_cluster(rendered: dict[str, str]) -> None:
    cluster = resources(rendered, "games")["tencentcloud_kubernetes_cluster"]["this"]
    assert cluster["cluster_deploy_type"] == "MANAGED_CLUSTER"
    assert cluster["cluster_version"] == "1.34.1"
    assert cluster["network_type"] == "GR"
    assert cluster["cluster_cidr"] == "172.20.0.0/16"
    assert cluster["cluster_max_pod_num"] == 32
    assert cluster["container_runtime"] == "containerd"


def test_subnets_per_zone_and_nat(rendered: dict[str, str]) -> None:
    res = resources(rendered, "games")
    main = _unquote(hcl2.loads(rendered["games/terraform/main.tf"])["locals"][0])
    assert set(main["zones"]) == {"ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6"}
    assert set(res["tencentcloud_subnet"]) == {"nodes"}
    assert res["tencentcloud_route_table_entry"]["nat"]["next_type"] == "NAT"


def test_endpoint_public_for_allowed_cidrs_after_pools(rendered: dict[str, str]) -> None:
    res = resources(rendered, "games")
    endpoint = res["tencentcloud_kubernetes_cluster_endpoint"]["this"]
    assert endpoint["cluster_internet"] is True
    assert endpoint["cluster_intranet"] is True
    assert set(endpoint["depends_on"]) == {
        "${tencentcloud_kubernetes_node_pool.general}",
        "${tencentcloud_kubernetes_node_pool.sim}",
    }
    rules = res["tencentcloud_security_group_rule_set"]["api"]["ingress"]
    assert [(r["cidr_block"], r["port"]) for r in rules] == [
        ("203.0.113.0/24", "443"),
        ("198.51.100.0/24", "443"),
    ]


def test_pools_sizes_zones_spot_and_taint(rendered: dict[str, str]) -> None:
    pools = resources(rendered, "games")["tencentcloud_kubernetes_node_pool"]
    assert set(pools) == {"general", "sim"}
    general, sim = pools["general"], pools["sim"]
    assert (general["min_size"], general["max_size"]) == (3, 9)
    assert general["labels"] == {"workload": "general"}
    config = general["auto_scaling_config"][0]
    assert config["instance_type"] == "S5.LARGE8"
    assert config["system_disk_size"] == 100
    assert "instance_charge_type" not in config
    assert (sim["min_size"], sim["max_size"]) == (0, 12)
    assert sim["auto_scaling_config"][0]["instance_charge_type"] == "SPOTPAID"
    assert sim["auto_scaling_config"][0]["spot_max_price"] == "${var.spot_max_price}"
    assert sim["taints"] == [{"key": "dedicated", "value": "sim", "effect": "NoSchedule"}]
    assert "ap-guangzhou-6" not in sim["subnet_ids"]
    assert "ap-guangzhou-6" in general["subnet_ids"]
    assert 'variable "spot_max_price"' in rendered["games/terraform/variables.tf"]


def test_cos_backend_and_no_credentials(rendered: dict[str, str]) -> None:
    versions = hcl2.loads(rendered["games/terraform/versions.tf"])["terraform"][0]
    backend = _unquote(versions["backend"][0])["cos"]
    assert backend["bucket"] == "tf-state-1250000000"
    assert backend["prefix"] == "clusters/games"
    assert backend["region"] == "ap-guangzhou"
    source = _unquote(versions["required_providers"][0]["tencentcloud"]["source"])
    assert source == "tencentcloudstack/tencentcloud"
    text = "".join(t for p, t in rendered.items() if p.startswith("games/"))
    assert "secret_id" not in text and "secret_key" not in text


def test_vpc_cni_uses_pod_subnets(tmp_path: Path) -> None:
    model = GAMES.replace("{cidr: 10.50.0.0/16}", "{cidr: 10.50.0.0/16, cni: vpc-cni}")
    root = write_tree(tmp_path, {"_defaults.yaml": DEFAULTS, "games.yaml": model})
    res = resources(render_tree(root), "games")
    cluster = res["tencentcloud_kubernetes_cluster"]["this"]
    assert cluster["network_type"] == "VPC-CNI"
    assert cluster["service_cidr"] == "172.21.0.0/20"
    assert "cluster_cidr" not in cluster
    assert set(res["tencentcloud_subnet"]) == {"nodes", "pods"}


def _errors(tmp_path: Path, files: dict[str, str]) -> list[str]:
    root = write_tree(tmp_path, files)
    return issues_of(lambda: load_clusters(root, str(root)))


def test_semantic_rules_located(tmp_path: Path) -> None:
    model = (
        GAMES.replace("ap-guangzhou-6]", "ap-guangzhou-9]", 1)
        .replace("S5.LARGE8", "s5.large")
        .replace("      sim:", "      simulation-pool-for-matches:")
        + "    tags: {qcloud-team: games}\n"
    )
    files = {"_defaults.yaml": DEFAULTS.replace('"1.34"', '"1.33"'), "games.yaml": model}
    errors = _errors(tmp_path, files)
    text = "\n".join(errors)
    games, defaults = tmp_path / "games.yaml", tmp_path / "_defaults.yaml"
    assert f"{defaults}:1:20: kubernetesVersion: tke does not offer Kubernetes 1.33" in text
    assert f"{games}:4:41: zones[2]: zone 'ap-guangzhou-9' is not in region" in text
    assert f"{games}:10:18: nodePools.general.machineType: 's5.large' is not a CVM" in text
    assert f"{games}:15:3: nodePools.simulation-pool-for-matches: TKE node pool names" in text
    assert "tags.qcloud-team: tag keys starting with 'qcloud'" in text


def test_pod_cidr_must_be_private_and_off_the_vpc(tmp_path: Path) -> None:
    model = GAMES.replace("{cidr: 10.50.0.0/16}", "{cidr: 10.50.0.0/16, podCidr: 10.50.0.0/16}")
    errors = _errors(tmp_path, {"_defaults.yaml": DEFAULTS, "games.yaml": model})
    assert any("network.podCidr:" in e and "overlap" in e for e in errors)
    model = GAMES.replace("{cidr: 10.50.0.0/16}", "{cidr: 10.50.0.0/16, podCidr: 100.64.0.0/16}")
    errors = _errors(tmp_path / "b", {"_defaults.yaml": DEFAULTS, "games.yaml": model})
    assert errors == [
        f"{tmp_path / 'b' / 'games.yaml'}:5:40: network.podCidr: TKE takes podCidr only inside "
        "10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16; 100.64.0.0/16 is not"
    ]
