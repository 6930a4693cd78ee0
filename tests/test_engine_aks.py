"""The AKS engine: models like the held-out ones (three zones, two pools, virtual nodes),
judged by Terraform, the provider-schema oracle and checkov, and its semantic rules."""

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
    terraform_problems,
    write_files,
    write_tree,
)

CHECKS = [f"CKV_AZURE_{n}" for n in (4, 5, 7, 8, 116, 141, 143, 171, 227)]

DEFAULTS = """
cloud: azure
engine: aks
region: westeurope
kubernetesVersion: "1.34"
azure:
  subscriptionId: 00000000-0000-0000-0000-000000000000
backend:
  type: azurerm
  resourceGroupName: rg-state
  storageAccountName: ststate
  containerName: tfstate
"""

SHOP = """
zones: ["1", "2", "3"]
highAvailability: true
network:
  cidr: 10.30.0.0/16
aks:
  virtualNodes: true
nodePools:
  general:
    machineType: Standard_D4s_v5
    minSize: 3
    maxSize: 6
    labels: {workload: general}
  batch:
    machineType: Standard_D8s_v5
    minSize: 0
    maxSize: 20
    spot: true
    zones: ["1", "2"]
    labels: {workload: batch}
    taints: [{key: dedicated, value: batch, effect: NoSchedule}]
tags: {team: shop}
"""


def _unquote(value: Any) -> Any:
    """python-hcl2 8.x keeps the quotes of strings and keys; drop them to compare."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    if isinstance(value, dict):
        return {_unquote(k): _unquote(v) for k, v in value.items()}
    return value


def resources(files: dict[str, str], prefix: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Every resource of a cluster's module, by (type, name)."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for path, text in files.items():
        if path.startswith(prefix) and path.endswith(".tf"):
            for block in _unquote(hcl2.loads(text)).get("resource", []):
                for rtype, named in block.items():
                    for name, body in named.items():
                        found[(rtype, name)] = body
    return found


def render(tmp_path: Path, cluster: str, defaults: str = DEFAULTS) -> dict[str, str]:
    root = write_tree(tmp_path / "model", {"_defaults.yaml": defaults, "shop.yaml": cluster})
    return render_tree(root)


def errors(tmp_path: Path, files: dict[str, str]) -> list[str]:
    root = write_tree(tmp_path / "model", files)
    return issues_of(lambda: render_tree(root))


@pytest.fixture
def shop(tmp_path: Path) -> dict[str, str]:
    return render(tmp_path, SHOP)


def test_module_loads_in_terraform_passes_the_oracle_and_checkov(
    shop: dict[str, str], tmp_path: Path
) -> None:
    module = write_files(tmp_path / "out", shop) / "shop" / "terraform"
    assert terraform_problems(module) == []
    assert oracle_findings([module]) == ""
    assert checkov_failures(module, CHECKS) == []


def test_cluster_is_private_zonal_and_secured(shop: dict[str, str]) -> None:
    cluster = resources(shop, "shop/")[("azurerm_kubernetes_cluster", "this")]
    assert cluster["sku_tier"] == "Standard"  # highAvailability
    assert cluster["private_cluster_enabled"] is True
    assert "api_server_access_profile" not in cluster
    assert cluster["local_account_disabled"] is True
    assert cluster["oidc_issuer_enabled"] is True
    assert cluster["workload_identity_enabled"] is True
    assert cluster["azure_policy_enabled"] is True
    assert cluster["automatic_upgrade_channel"] == "patch"
    assert cluster["kubernetes_version"] == "1.34"
    assert cluster["identity"][0]["type"] == "UserAssigned"
    assert cluster["azure_active_directory_role_based_access_control"][0]["azure_rbac_enabled"]
    assert cluster["key_vault_secrets_provider"][0]["secret_rotation_enabled"] is True
    assert "log_analytics_workspace_id" in cluster["oms_agent"][0]
    system = cluster["default_node_pool"][0]
    assert system["name"] == "general"  # the first pool in the model
    assert system["zones"] == ["1", "2", "3"]
    assert (system["min_count"], system["max_count"]) == (3, 6)
    assert system["auto_scaling_enabled"] is True
    assert system["host_encryption_enabled"] is True
    assert system["node_public_ip_enabled"] is False
    assert system["node_labels"] == {"workload": "general"}


def test_virtual_nodes_get_a_delegated_subnet_and_flat_azure_cni(shop: dict[str, str]) -> None:
    found = resources(shop, "shop/")
    cluster = found[("azurerm_kubernetes_cluster", "this")]
    assert cluster["aci_connector_linux"][0]["subnet_name"] == (
        "${azurerm_subnet.virtual_nodes.name}"
    )
    subnet = found[("azurerm_subnet", "virtual_nodes")]
    delegation = subnet["delegation"][0]["service_delegation"][0]
    assert delegation["name"] == "Microsoft.ContainerInstance/containerGroups"
    assert subnet["address_prefixes"] == ["10.30.128.0/19"]
    assert found[("azurerm_subnet", "nodes")]["address_prefixes"] == ["10.30.0.0/17"]
    network = cluster["network_profile"][0]
    assert network["network_plugin"] == "azure"
    assert "network_plugin_mode" not in network  # ACI pods need VNet addresses
    assert network["network_policy"] == "calico"
    assert network["outbound_type"] == "userAssignedNATGateway"
    assert ("azurerm_role_assignment", "virtual_nodes") in found


def test_second_pool_is_spot_with_labels_taints_and_zones(shop: dict[str, str]) -> None:
    pool = resources(shop, "shop/")[("azurerm_kubernetes_cluster_node_pool", "batch")]
    assert pool["mode"] == "User"
    assert pool["priority"] == "Spot"
    assert pool["eviction_policy"] == "Delete"
    assert pool["zones"] == ["1", "2"]
    assert (pool["min_count"], pool["max_count"]) == (0, 20)
    assert pool["node_labels"]["workload"] == "batch"
    assert pool["node_labels"]["kubernetes.azure.com/scalesetpriority"] == "spot"
    assert "dedicated=batch:NoSchedule" in pool["node_taints"]
    assert "kubernetes.azure.com/scalesetpriority=spot:NoSchedule" in pool["node_taints"]
    assert pool["host_encryption_enabled"] is True
    assert pool["node_public_ip_enabled"] is False


def test_public_api_with_allowed_cidrs_overlay_and_no_ha(tmp_path: Path) -> None:
    cluster_yaml = """
    zones: ["1", "2"]
    highAvailability: false
    network: {cidr: 10.40.0.0/16, podCidr: 100.64.0.0/16, cni: cilium}
    apiServer: {public: true, allowedCidrs: [203.0.113.0/24]}
    aks: {systemPool: sys, spotMaxPrice: 0.05}
    nodePools:
      apps: {machineType: Standard_D4s_v5, minSize: 2, maxSize: 2, spot: true}
      sys: {machineType: Standard_D2s_v5, minSize: 1, maxSize: 3}
    """
    files = render(tmp_path, cluster_yaml)
    module = write_files(tmp_path / "out", files) / "shop" / "terraform"
    assert terraform_problems(module) == []
    assert oracle_findings([module]) == ""
    assert checkov_failures(module, CHECKS) == []
    found = resources(files, "shop/")
    cluster = found[("azurerm_kubernetes_cluster", "this")]
    assert cluster["sku_tier"] == "Free"
    assert cluster["private_cluster_enabled"] is False
    ranges = cluster["api_server_access_profile"][0]["authorized_ip_ranges"]
    assert "203.0.113.0/24" in ranges and "azurerm_public_ip.nat.ip_address" in ranges
    network = cluster["network_profile"][0]
    assert network["network_plugin_mode"] == "overlay"
    assert network["pod_cidr"] == "100.64.0.0/16"
    assert (network["network_policy"], network["network_data_plane"]) == ("cilium", "cilium")
    assert cluster["default_node_pool"][0]["name"] == "sys"
    apps = found[("azurerm_kubernetes_cluster_node_pool", "apps")]
    assert apps["auto_scaling_enabled"] is False and apps["node_count"] == 2
    assert apps["spot_max_price"] == 0.05
    assert "checkov:skip=CKV_AZURE_115" in files["shop/terraform/cluster.tf"]


def test_pinned_patch_keeps_the_version_and_upgrades_node_images(tmp_path: Path) -> None:
    files = render(
        tmp_path,
        'kubernetesVersion: "1.34.2"\n'
        "nodePools: {sys: {machineType: Standard_D2s_v5, minSize: 1, maxSize: 1}}\n",
    )
    cluster = resources(files, "shop/")[("azurerm_kubernetes_cluster", "this")]
    assert cluster["kubernetes_version"] == "1.34.2"
    assert cluster["automatic_upgrade_channel"] == "node-image"


def test_spot_system_pool_is_an_error_at_the_file_that_set_it(tmp_path: Path) -> None:
    found = errors(
        tmp_path,
        {
            "_defaults.yaml": DEFAULTS + "nodePools:\n  system:\n    machineType: Standard_D4s_v5\n"
            "    minSize: 1\n    maxSize: 3\n    spot: true\n",
            "shop.yaml": "zones: ['1', '2', '3']\n",
        },
    )
    assert len(found) == 1
    assert found[0].startswith(str(tmp_path / "model" / "_defaults.yaml") + ":17:11:")
    assert "nodePools.system.spot: 'system' is the system pool" in found[0]


def test_semantic_rules_are_located_errors(tmp_path: Path) -> None:
    found = errors(
        tmp_path,
        {
            "_defaults.yaml": DEFAULTS,
            "shop.yaml": """
            zones: ["1", "4"]
            network: {cni: cilium}
            apiServer: {allowedCidrs: [203.0.113.0/24]}
            aks: {virtualNodes: true}
            nodePools:
              general-purpose: {machineType: m6i.large, minSize: 1, maxSize: 3}
            """,
        },
    )
    shop = str(tmp_path / "model" / "shop.yaml")
    text = "\n".join(found)
    assert f"{shop}:1:14: zones[1]: zone '4' is not in region westeurope" in text
    assert f"{shop}:2:16: network.cni: virtual nodes need flat Azure CNI" in text
    assert f"{shop}:3:27: apiServer.allowedCidrs: an AKS private cluster" in text
    assert f"{shop}:6:3: nodePools.general-purpose: AKS node pool names are 1-12" in text
    assert "(try 'generalpurpo')" in text
    assert f"{shop}:6:34: nodePools.general-purpose.machineType: 'm6i.large' is not" in text


def test_zoneless_region_cannot_be_highly_available(tmp_path: Path) -> None:
    found = errors(
        tmp_path,
        {
            "_defaults.yaml": DEFAULTS,
            "shop.yaml": """
            region: westus
            highAvailability: true
            nodePools: {sys: {machineType: Standard_D2s_v5, minSize: 1, maxSize: 3}}
            """,
        },
    )
    assert found == [
        f"{tmp_path / 'model' / 'shop.yaml'}:1:9: region: highAvailability needs "
        "at least 2 zones for aks, region westus has no availability zones"
    ]


def test_unknown_version_and_azure_tag_rules(tmp_path: Path) -> None:
    found = errors(
        tmp_path,
        {
            "_defaults.yaml": DEFAULTS,
            "shop.yaml": """
            kubernetesVersion: "1.20"
            tags: {"a/b": x, Team: a, team: b}
            nodePools: {sys: {machineType: Standard_D2s_v5, minSize: 1, maxSize: 3}}
            """,
        },
    )
    text = "\n".join(found)
    assert "kubernetesVersion: aks does not offer Kubernetes 1.20" in text
    assert "tags.a/b: tag 'a/b': Azure tag names cannot contain" in text
    assert "Azure tag names ignore case" in text


# --- security defaults (checkov as the yardstick) ---------------------------------------------

SECURITY_CHECKS = [
    "CKV2_AZURE_31",
    "CKV_AZURE_117",
    "CKV_AZURE_168",
    "CKV_AZURE_226",
    "CKV_AZURE_232",
]


def skip_reason(text: str, check: str) -> str:
    """The reason of a `# checkov:skip=CHECK: reason` line ('' when there is none)."""
    for line in text.splitlines():
        marker = f"# checkov:skip={check}:"
        if marker in line:
            return line.split(marker, 1)[1].strip()
    return ""


def test_shop_passes_the_security_checks_or_says_why_not(
    shop: dict[str, str], tmp_path: Path
) -> None:
    module = write_files(tmp_path / "out", shop) / "shop" / "terraform"
    assert checkov_failures(module, SECURITY_CHECKS) == []
    cluster_tf = shop["shop/terraform/cluster.tf"]
    assert "VM size" in skip_reason(cluster_tf, "CKV_AZURE_226")
    assert "aks.diskEncryptionSetId" in skip_reason(cluster_tf, "CKV_AZURE_117")
    # The only other pool is Spot and tainted: the system pool must keep running workloads.
    assert "no other on-demand pool" in skip_reason(cluster_tf, "CKV_AZURE_232")
    cluster = resources(shop, "shop/")[("azurerm_kubernetes_cluster", "this")]
    assert "only_critical_addons_enabled" not in cluster["default_node_pool"][0]


def test_both_subnets_get_the_network_security_group(shop: dict[str, str]) -> None:
    found = resources(shop, "shop/")
    for subnet in ("nodes", "virtual_nodes"):
        association = found[("azurerm_subnet_network_security_group_association", subnet)]
        assert association["subnet_id"] == f"${{azurerm_subnet.{subnet}.id}}"
        assert association["network_security_group_id"] == (
            "${azurerm_network_security_group.this.id}"
        )
    # Flat Azure CNI: pods are VNet addresses, which Azure's default rules already admit.
    assert "security_rule" not in found[("azurerm_network_security_group", "this")]
    cluster = found[("azurerm_kubernetes_cluster", "this")]
    assert "${azurerm_subnet_network_security_group_association.nodes}" in cluster["depends_on"]
    # Flat Azure CNI pods per node: 50 (CKV_AZURE_168), on every pool.
    assert cluster["default_node_pool"][0]["max_pods"] == 50
    assert found[("azurerm_kubernetes_cluster_node_pool", "batch")]["max_pods"] == 50


DES_ID = (
    "/subscriptions/0000/resourceGroups/rg-keys/providers/Microsoft.Compute/"
    "diskEncryptionSets/des-aks"
)


def test_overlay_nsg_admits_pod_traffic_and_workload_pool_frees_the_system_pool(
    tmp_path: Path,
) -> None:
    cluster_yaml = f"""
    zones: ["1", "2", "3"]
    network: {{cidr: 10.50.0.0/16, podCidr: 100.64.0.0/16}}
    aks: {{diskEncryptionSetId: {DES_ID}}}
    nodePools:
      system: {{machineType: Standard_D4s_v5, minSize: 3, maxSize: 3}}
      apps: {{machineType: Standard_D8s_v5, minSize: 2, maxSize: 10}}
      batch: {{machineType: Standard_D8s_v5, minSize: 0, maxSize: 5, spot: true}}
    """
    files = render(tmp_path, cluster_yaml)
    module = write_files(tmp_path / "out", files) / "shop" / "terraform"
    assert terraform_problems(module) == []
    assert oracle_findings([module]) == ""
    assert checkov_failures(module, SECURITY_CHECKS) == []
    found = resources(files, "shop/")
    cluster = found[("azurerm_kubernetes_cluster", "this")]
    system = cluster["default_node_pool"][0]
    assert system["only_critical_addons_enabled"] is True  # "apps" runs the workloads
    assert system["max_pods"] == 250  # Azure CNI overlay's own default, stated
    assert cluster["disk_encryption_set_id"] == DES_ID
    reader = found[("azurerm_role_assignment", "disk_encryption_set")]
    assert reader["role_definition_name"] == "Reader"
    assert reader["scope"] == cluster["disk_encryption_set_id"]
    assert "CKV_AZURE_117" not in files["shop/terraform/cluster.tf"]
    assert "CKV_AZURE_232" not in files["shop/terraform/cluster.tf"]
    rules = {
        r["name"]: r for r in found[("azurerm_network_security_group", "this")]["security_rule"]
    }
    assert set(rules) == {"AllowClusterInbound", "AllowClusterOutbound"}
    for rule in rules.values():
        assert rule["access"] == "Allow"
        assert rule["source_address_prefixes"] == ["10.50.0.0/17", "100.64.0.0/16"]
        assert rule["destination_address_prefixes"] == ["10.50.0.0/17", "100.64.0.0/16"]
    assert "virtual_nodes" not in {n for (t, n) in found if t.startswith("azurerm_subnet")}


def test_system_pool_setting_wins_and_contradictions_are_located(tmp_path: Path) -> None:
    cluster_yaml = """
    zones: ["1", "2"]
    aks: {systemPoolCriticalAddonsOnly: false}
    nodePools:
      system: {machineType: Standard_D4s_v5, minSize: 1, maxSize: 3}
      apps: {machineType: Standard_D4s_v5, minSize: 1, maxSize: 3}
    """
    files = render(tmp_path, cluster_yaml)
    cluster_tf = files["shop/terraform/cluster.tf"]
    assert skip_reason(cluster_tf, "CKV_AZURE_232") == (
        "the model sets aks.systemPoolCriticalAddonsOnly: false"
    )
    tainted = cluster_yaml.replace(
        "system: {machineType: Standard_D4s_v5, minSize: 1, maxSize: 3}",
        "system: {machineType: Standard_D4s_v5, minSize: 1, maxSize: 3, "
        "taints: [{key: CriticalAddonsOnly, value: 'true', effect: NoSchedule}]}",
    )
    found = errors(tmp_path / "t", {"_defaults.yaml": DEFAULTS, "shop.yaml": tainted})
    assert any(
        "/shop.yaml:2:" in i and ": aks.systemPoolCriticalAddonsOnly: " in i for i in found
    ), found
    bad_des = SHOP.replace(
        "virtualNodes: true", "virtualNodes: true\n  diskEncryptionSetId: /subscriptions/x/des"
    )
    found = errors(tmp_path / "d", {"_defaults.yaml": DEFAULTS, "shop.yaml": bad_des})
    des = [i for i in found if ": aks.diskEncryptionSetId: " in i]
    assert any("resource id of a disk encryption set" in i for i in des), found
    assert any("virtual nodes" in i for i in des), found
