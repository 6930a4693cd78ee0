"""ACK: models like the held-out ones (managed with two pools, one spot and tainted;
serverless), judged by the provider-schema oracle, Terraform itself and checkov, and the
located errors of models ACK cannot run."""

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
    backend: {type: oss, bucket: tf-state, keyPrefix: clusters}
"""

MANAGED = """
    cloud: alibaba
    engine: ack
    region: cn-hangzhou
    zones: [cn-hangzhou-h, cn-hangzhou-i, cn-hangzhou-j]
    network: {cidr: 10.30.0.0/16}
    nodePools:
      general:
        machineType: ecs.g7.large
        minSize: 2
        maxSize: 6
        diskSizeGb: 120
        labels: {workload: general}
      spot:
        machineType: ecs.c7.xlarge
        minSize: 0
        maxSize: 10
        spot: true
        zones: [cn-hangzhou-h, cn-hangzhou-i]
        taints: [{key: dedicated, value: batch, effect: NoSchedule}]
"""

SERVERLESS = """
    cloud: alibaba
    engine: ack
    region: cn-shanghai
    zones: [cn-shanghai-l, cn-shanghai-m]
    ack: {type: serverless}
    apiServer: {public: true}
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
        tmp_path_factory.mktemp("ack"),
        {"_defaults.yaml": DEFAULTS, "shop.yaml": MANAGED, "events.yaml": SERVERLESS},
    )
    return render_tree(root)


@pytest.fixture(scope="module")
def rendered_dir(rendered: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_files(tmp_path_factory.mktemp("ack-out"), rendered)


def test_terraform_loads_and_is_fmt_clean(rendered_dir: Path) -> None:
    modules = terraform_dirs(rendered_dir)
    assert len(modules) == 2
    problems = [p for m in modules for p in terraform_problems(m)]
    assert not problems, "\n".join(problems)


def test_provider_schema_oracle_is_clean(rendered_dir: Path) -> None:
    findings = oracle_findings(terraform_dirs(rendered_dir))
    assert not findings, findings


def test_checkov_node_pools_auto_repair(rendered_dir: Path) -> None:
    assert checkov_failures(rendered_dir / "shop" / "terraform", ["CKV_ALI_31"]) == []


def test_managed_ha_is_ack_pro_over_three_zones(rendered: dict[str, str]) -> None:
    res = resources(rendered, "shop")
    cluster = res["alicloud_cs_managed_kubernetes"]["this"]
    assert cluster["cluster_spec"] == "ack.pro.small"
    assert cluster["slb_internet_enabled"] is False
    assert cluster["new_nat_gateway"] is True
    assert cluster["enable_rrsa"] is True
    # Terway (the default CNI): pod vSwitches, no pod CIDR.
    assert "pod_cidr" not in cluster
    assert "pod_vswitch_ids" in cluster
    assert cluster["addons"][0]["name"] == "terway-eniip"
    vswitches = res["alicloud_vswitch"]
    assert set(vswitches) == {"nodes", "pods"}
    main = hcl2.loads(rendered["shop/terraform/main.tf"])["locals"][0]
    assert set(_unquote(main["zones"])) == {"cn-hangzhou-h", "cn-hangzhou-i", "cn-hangzhou-j"}


def test_pools_sizes_zones_spot_and_taint(rendered: dict[str, str]) -> None:
    pools = resources(rendered, "shop")["alicloud_cs_kubernetes_node_pool"]
    assert set(pools) == {"general", "spot"}
    general, spot = pools["general"], pools["spot"]
    assert general["instance_types"] == ["ecs.g7.large"]
    assert general["scaling_config"][0]["min_size"] == 2
    assert general["scaling_config"][0]["max_size"] == 6
    assert general["system_disk_size"] == 120
    assert general["system_disk_encrypted"] is True
    assert general["labels"] == [{"key": "workload", "value": "general"}]
    assert "spot_strategy" not in general
    assert spot["spot_strategy"] == "SpotAsPriceGo"
    assert spot["scaling_config"][0]["max_size"] == 10
    assert spot["taints"] == [{"key": "dedicated", "value": "batch", "effect": "NoSchedule"}]
    assert "cn-hangzhou-j" not in spot["vswitch_ids"]
    assert "cn-hangzhou-h" in spot["vswitch_ids"]


def test_fixed_pool_uses_desired_size(tmp_path: Path) -> None:
    model = MANAGED.replace("maxSize: 6", "maxSize: 2")
    root = write_tree(tmp_path, {"_defaults.yaml": DEFAULTS, "shop.yaml": model})
    general = resources(render_tree(root), "shop")["alicloud_cs_kubernetes_node_pool"]["general"]
    assert "scaling_config" not in general
    assert general["desired_size"] == "2"


def test_without_ha_is_ack_basic_with_flannel(tmp_path: Path) -> None:
    model = (
        MANAGED + "    highAvailability: false\n    network: {cidr: 10.30.0.0/16, cni: flannel}\n"
    )
    model = model.replace("    network: {cidr: 10.30.0.0/16}\n", "", 1)
    root = write_tree(tmp_path, {"_defaults.yaml": DEFAULTS, "shop.yaml": model})
    cluster = resources(render_tree(root), "shop")["alicloud_cs_managed_kubernetes"]["this"]
    assert cluster["cluster_spec"] == "ack.standard"
    assert cluster["pod_cidr"] == "172.20.0.0/16"
    assert "enable_rrsa" not in cluster
    assert cluster["addons"][0]["name"] == "flannel"


def test_serverless_has_no_node_pools(rendered: dict[str, str]) -> None:
    res = resources(rendered, "events")
    assert "alicloud_cs_kubernetes_node_pool" not in res
    assert "alicloud_cs_managed_kubernetes" not in res
    cluster = res["alicloud_cs_serverless_kubernetes"]["this"]
    assert cluster["cluster_spec"] == "ack.pro.small"
    assert cluster["endpoint_public_access_enabled"] is True
    data = hcl2.loads(rendered["events/terraform/main.tf"])["data"][0]
    version = _unquote(data)["alicloud_cs_kubernetes_version"]["this"]
    assert version["profile"] == "Serverless"


def test_oss_backend_and_no_credentials(rendered: dict[str, str]) -> None:
    versions = rendered["shop/terraform/versions.tf"]
    backend = _unquote(hcl2.loads(versions)["terraform"][0]["backend"][0])["oss"]
    assert backend["bucket"] == "tf-state"
    assert backend["prefix"] == "clusters/shop"
    assert backend["region"] == "cn-hangzhou"
    providers = hcl2.loads(versions)["terraform"][0]["required_providers"][0]
    assert _unquote(providers["alicloud"]["source"]) == "aliyun/alicloud"
    text = "".join(t for p, t in rendered.items() if p.startswith("shop/"))
    assert "access_key" not in text and "secret_key" not in text


def _errors(tmp_path: Path, files: dict[str, str]) -> list[str]:
    root = write_tree(tmp_path, files)
    return issues_of(lambda: load_clusters(root, str(root)))


def test_serverless_with_pools_is_an_error_naming_them(tmp_path: Path) -> None:
    model = SERVERLESS + (
        "    nodePools:\n      general: {machineType: ecs.g7.large, minSize: 1, maxSize: 2}\n"
    )
    errors = _errors(tmp_path, {"_defaults.yaml": DEFAULTS, "events.yaml": model})
    assert len(errors) == 1
    assert errors[0].startswith(f"{tmp_path / 'events.yaml'}:8:3: nodePools.general: ")
    assert "'general'" in errors[0] and "ECI" in errors[0]


def test_dedicated_is_an_error_saying_what_to_use(tmp_path: Path) -> None:
    files = {
        "_defaults.yaml": DEFAULTS + "    ack: {type: dedicated}\n",
        "shop.yaml": MANAGED,
    }
    errors = _errors(tmp_path, files)
    assert len(errors) == 1
    assert errors[0].startswith(f"{tmp_path / '_defaults.yaml'}:5:13: ack.type: ")
    assert "2024-08-21" in errors[0] and "type: managed" in errors[0]


def test_semantic_rules(tmp_path: Path) -> None:
    model = (
        MANAGED.replace("cn-hangzhou-j]", "cn-hangzhou-z]", 1)
        .replace("ecs.c7.xlarge", "c7.xlarge")
        .replace('kubernetesVersion: "1.34"', "")
        + '    kubernetesVersion: "1.29"\n    tags: {"acs:team": shop}\n'
    )
    errors = _errors(tmp_path, {"_defaults.yaml": DEFAULTS, "shop.yaml": model})
    text = "\n".join(errors)
    assert "zones[2]: zone 'cn-hangzhou-z' is not in region cn-hangzhou" in text
    assert "nodePools.spot.machineType: 'c7.xlarge' is not an ECS instance type" in text
    assert "kubernetesVersion: ack does not offer Kubernetes 1.29" in text
    assert "tags.acs:team: tag keys starting with 'aliyun' or 'acs:' are reserved" in text


def test_terway_with_pod_cidr_is_an_error(tmp_path: Path) -> None:
    model = MANAGED.replace("{cidr: 10.30.0.0/16}", "{cidr: 10.30.0.0/16, podCidr: 172.20.0.0/16}")
    errors = _errors(tmp_path, {"_defaults.yaml": DEFAULTS, "shop.yaml": model})
    assert len(errors) == 1 and "network.podCidr: with Terway" in errors[0]
