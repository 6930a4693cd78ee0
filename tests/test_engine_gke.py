"""GKE standard and Autopilot: models like the held-out ones, judged by the provider-schema
oracle, Terraform itself and checkov, and read back as HCL to check what they express."""

from __future__ import annotations

import ipaddress
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
from treeform.pipeline import load_clusters

GKE_CHECKS = [
    *(f"CKV_GCP_{n}" for n in (1, 7, 8, 9, 10, 12, 13, 23, 25, 61, 64, 68, 69, 70, 71, 72)),
    "CKV2_GCP_1",
    "CKV2_GCP_12",
    "CKV2_GCP_18",
    "CKV_GCP_65",
]

DEFAULTS = """
    cloud: gcp
    engine: gke
    kubernetesVersion: "1.33"
    gcp:
      project: shop-platform-prod
    backend:
      type: gcs
      bucket: shop-tf-state
    tags:
      team: shop
      Cost Center: R&D
"""

#: GKE standard: private, three zones, a spot pool with a taint.
STANDARD = """
    region: us-central1
    zones: [us-central1-a, us-central1-b, us-central1-c]
    highAvailability: true
    network:
      cidr: 10.10.0.0/16
      topology: private
    apiServer:
      public: false
    nodePools:
      system:
        machineType: e2-standard-4
        minSize: 3
        maxSize: 6
        diskSizeGb: 100
        labels: {role: system}
      spot:
        machineType: n2-standard-8
        minSize: 0
        maxSize: 10
        spot: true
        labels: {lifecycle: spot}
        taints:
          - {key: cloud.google.com/gke-spot, value: "true", effect: NoSchedule}
"""

AUTOPILOT = """
    region: europe-west4
    highAvailability: true
    network:
      cidr: 10.20.0.0/16
    apiServer:
      public: true
      allowedCidrs: [198.51.100.0/24]
    gke:
      autopilot: true
"""


def unquote(value: Any) -> Any:
    """python-hcl2 8.x keeps the quotes of string values; take them off, recursively."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, list):
        return [unquote(v) for v in value]
    if isinstance(value, dict):
        return {unquote(k): unquote(v) for k, v in value.items() if k != "__is_block__"}
    return value


def resources(files: dict[str, str], cluster_id: str) -> dict[str, dict[str, Any]]:
    """{type: {name: body}} of every resource of a cluster's Terraform."""
    found: dict[str, dict[str, Any]] = {}
    for path, text in files.items():
        if path.startswith(f"{cluster_id}/terraform/") and path.endswith(".tf"):
            for block in hcl2.loads(text).get("resource", []):
                for rtype, named in unquote(block).items():
                    found.setdefault(rtype, {}).update(named)
    return found


def render(tmp_path: Path, files: dict[str, str]) -> dict[str, str]:
    return render_tree(write_tree(tmp_path / "model", files))


def issues(tmp_path: Path, files: dict[str, str]) -> list[str]:
    root = write_tree(tmp_path / "model", files)
    return issues_of(lambda: load_clusters(root, "model"))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = write_tree(
        tmp_path_factory.mktemp("gke"),
        {
            "gcp/_defaults.yaml": DEFAULTS,
            "gcp/prod/shop.yaml": STANDARD,
            "gcp/prod/edge.yaml": AUTOPILOT,
        },
    )
    return render_tree(root)


@pytest.fixture(scope="module")
def module_dirs(rendered: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = write_files(tmp_path_factory.mktemp("gke-out"), rendered)
    return {cid: out / cid / "terraform" for cid in ("gcp/prod/shop", "gcp/prod/edge")}


@pytest.mark.parametrize("cluster_id", ["gcp/prod/shop", "gcp/prod/edge"])
def test_oracle_terraform_and_fmt_are_clean(module_dirs: dict, cluster_id: str) -> None:
    module = module_dirs[cluster_id]
    assert oracle_findings([module]) == ""
    assert terraform_problems(module) == []


@pytest.mark.parametrize("cluster_id", ["gcp/prod/shop", "gcp/prod/edge"])
def test_checkov_checks_pass(module_dirs: dict, cluster_id: str) -> None:
    assert checkov_failures(module_dirs[cluster_id], GKE_CHECKS) == []


def test_checkov_would_see_a_weakened_cluster(module_dirs: dict, tmp_path: Path) -> None:
    """The checkov run is not vacuous: the same module with shielded nodes, auto-repair and
    the metadata server taken out fails exactly those checks."""
    module = module_dirs["gcp/prod/shop"]
    weak = tmp_path / "weak"
    weak.mkdir()
    for tf in module.glob("*.tf"):
        text = tf.read_text()
        text = text.replace("enable_shielded_nodes       = true", "enable_shielded_nodes = false")
        text = text.replace("auto_repair  = true", "auto_repair = false")
        text = text.replace('mode = "GKE_METADATA"', 'mode = "GCE_METADATA"')
        (weak / tf.name).write_text(text)
    failed = {check for check, _ in checkov_failures(weak, GKE_CHECKS)}
    assert {"CKV_GCP_9", "CKV_GCP_69", "CKV_GCP_71"} <= failed


def test_standard_cluster_is_regional_private_and_hardened(rendered: dict[str, str]) -> None:
    res = resources(rendered, "gcp/prod/shop")
    cluster = res["google_container_cluster"]["this"]
    assert cluster["location"] == "us-central1"
    assert sorted(cluster["node_locations"]) == ["us-central1-a", "us-central1-b", "us-central1-c"]
    assert cluster["remove_default_node_pool"] is True
    assert cluster["initial_node_count"] == 1
    assert "enable_autopilot" not in cluster
    assert cluster["private_cluster_config"] == [
        {"enable_private_nodes": True, "enable_private_endpoint": True}
    ]
    assert cluster["release_channel"] == [{"channel": "REGULAR"}]
    assert cluster["min_master_version"] == "1.33"
    assert cluster["datapath_provider"] == "ADVANCED_DATAPATH"
    assert cluster["enable_intranode_visibility"] is True
    assert cluster["deletion_protection"] is True
    assert cluster["workload_identity_config"] == [
        {"workload_pool": "${local.project}.svc.id.goog"}
    ]
    assert cluster["binary_authorization"] == [
        {"evaluation_mode": "PROJECT_SINGLETON_POLICY_ENFORCE"}
    ]
    node_config = cluster["node_config"][0]
    assert node_config["workload_metadata_config"] == [{"mode": "GKE_METADATA"}]
    assert node_config["service_account"] == "${google_service_account.nodes.email}"


def test_standard_pools_express_zones_autoscaling_spot_labels_and_taints(
    rendered: dict[str, str],
) -> None:
    pools = resources(rendered, "gcp/prod/shop")["google_container_node_pool"]
    assert set(pools) == {"system", "spot"}
    spot, system = pools["spot"], pools["system"]
    for pool in (spot, system):
        assert sorted(pool["node_locations"]) == [
            "us-central1-a",
            "us-central1-b",
            "us-central1-c",
        ]
        assert pool["management"] == [{"auto_repair": True, "auto_upgrade": True}]
        shielded = pool["node_config"][0]["shielded_instance_config"]
        assert shielded == [{"enable_secure_boot": True, "enable_integrity_monitoring": True}]
        assert pool["node_config"][0]["service_account"] == "${google_service_account.nodes.email}"
    # The model's sizes are totals; GKE's per-zone min/max would triple them.
    assert spot["autoscaling"][0]["total_min_node_count"] == 0
    assert spot["autoscaling"][0]["total_max_node_count"] == 10
    assert "min_node_count" not in spot["autoscaling"][0]
    assert system["autoscaling"][0]["total_min_node_count"] == 3
    assert system["autoscaling"][0]["total_max_node_count"] == 6
    assert system["initial_node_count"] == 1  # three nodes, one per zone
    assert spot["node_config"][0]["spot"] is True
    assert "spot" not in system["node_config"][0]
    assert spot["node_config"][0]["labels"] == {"lifecycle": "spot"}
    assert system["node_config"][0]["labels"] == {"role": "system"}
    assert system["node_config"][0]["disk_size_gb"] == 100
    assert spot["node_config"][0]["taint"] == [
        {"key": "cloud.google.com/gke-spot", "value": "true", "effect": "NO_SCHEDULE"}
    ]
    assert system["node_config"][0]["machine_type"] == "e2-standard-4"


def test_network_secondary_ranges_nat_and_least_privilege_account(
    rendered: dict[str, str],
) -> None:
    res = resources(rendered, "gcp/prod/shop")
    subnet = res["google_compute_subnetwork"]["nodes"]
    assert subnet["ip_cidr_range"] == "10.10.0.0/19"
    assert subnet["private_ip_google_access"] is True
    ranges = {r["range_name"]: r["ip_cidr_range"] for r in subnet["secondary_ip_range"]}
    assert ranges == {"pods": "10.10.128.0/17", "services": "10.10.32.0/19"}
    all_ranges = [
        ipaddress.ip_network(subnet["ip_cidr_range"]),
        *map(ipaddress.ip_network, ranges.values()),
    ]
    assert all(not a.overlaps(b) for i, a in enumerate(all_ranges) for b in all_ranges[i + 1 :])
    assert res["google_compute_network"]["this"]["auto_create_subnetworks"] is False
    assert "this" in res["google_compute_router_nat"]
    account = res["google_service_account"]["nodes"]
    assert 6 <= len(account["account_id"]) <= 30
    roles = res["google_project_iam_member"]["nodes"]["for_each"]
    assert "roles/logging.logWriter" in roles and "roles/artifactregistry.reader" in roles
    assert "roles/editor" not in roles


def test_labels_and_gcs_backend(rendered: dict[str, str]) -> None:
    main = hcl2.loads(rendered["gcp/prod/shop/terraform/main.tf"])
    labels = unquote(main["locals"][0]["labels"])
    assert labels["team"] == "shop"
    assert labels["cost_center"] == "r_d"
    versions = unquote(hcl2.loads(rendered["gcp/prod/shop/terraform/versions.tf"]))
    backend = versions["terraform"][0]["backend"][0]["gcs"]
    assert backend == {"bucket": "shop-tf-state", "prefix": "gcp/prod/shop"}
    google = versions["terraform"][0]["required_providers"][0]["google"]
    assert google["source"] == "hashicorp/google" and google["version"].startswith("~> 7")


def test_autopilot_is_regional_without_node_pools(rendered: dict[str, str]) -> None:
    res = resources(rendered, "gcp/prod/edge")
    cluster = res["google_container_cluster"]["this"]
    assert cluster["enable_autopilot"] is True
    assert cluster["location"] == "europe-west4"
    assert "google_container_node_pool" not in res
    assert "remove_default_node_pool" not in cluster
    assert "node_config" not in cluster
    assert "gcp/prod/edge/terraform/node_pools.tf" not in rendered
    defaults = cluster["cluster_autoscaling"][0]["auto_provisioning_defaults"][0]
    assert defaults["service_account"] == "${google_service_account.nodes.email}"
    authorized = cluster["master_authorized_networks_config"][0]
    assert authorized["cidr_blocks"][0]["cidr_block"] == "198.51.100.0/24"
    assert cluster["private_cluster_config"] == [
        {"enable_private_nodes": True, "enable_private_endpoint": False}
    ]


def test_autopilot_with_node_pools_is_an_error_naming_them(tmp_path: Path) -> None:
    found = issues(
        tmp_path,
        {
            "gcp/_defaults.yaml": DEFAULTS
            + """
    nodePools:
      general: {machineType: e2-standard-4, minSize: 1, maxSize: 3}
      gpu: {machineType: g2-standard-4, minSize: 0, maxSize: 2}
""",
            "gcp/edge.yaml": AUTOPILOT,
        },
    )
    assert len(found) == 1
    assert found[0].startswith("model/gcp/_defaults.yaml:")
    location, field, message = found[0].split(": ", 2)
    assert location.count(":") == 2  # FILE:LINE:COLUMN
    assert field == "nodePools"
    assert "Autopilot" in message and "general" in message and "gpu" in message


def test_zonal_cluster_when_not_highly_available(tmp_path: Path) -> None:
    model = STANDARD.replace("highAvailability: true", "highAvailability: false")
    res = resources(
        render(tmp_path, {"gcp/_defaults.yaml": DEFAULTS, "gcp/dev/shop.yaml": model}),
        "gcp/dev/shop",
    )
    cluster = res["google_container_cluster"]["this"]
    assert cluster["location"] == "us-central1-a"
    # A zonal cluster lists only its other zones; the pools still span all three.
    assert sorted(cluster["node_locations"]) == ["us-central1-b", "us-central1-c"]
    assert len(res["google_container_node_pool"]["spot"]["node_locations"]) == 3


def test_zonal_cluster_without_zones_runs_in_one_zone(tmp_path: Path) -> None:
    model = """
        region: europe-west1
        nodePools:
          general: {machineType: e2-medium, minSize: 1, maxSize: 2}
    """
    res = resources(
        render(tmp_path, {"gcp/_defaults.yaml": DEFAULTS, "gcp/dev/tiny.yaml": model}),
        "gcp/dev/tiny",
    )
    cluster = res["google_container_cluster"]["this"]
    assert cluster["location"] == "europe-west1-b"
    assert "node_locations" not in cluster
    assert res["google_container_node_pool"]["general"]["node_locations"] == ["europe-west1-b"]


def test_given_pod_and_service_ranges_and_public_topology(tmp_path: Path) -> None:
    model = """
        region: us-east1
        network:
          cidr: 10.30.0.0/20
          podCidr: 100.64.0.0/14
          serviceCidr: 100.68.0.0/20
          topology: public
          cni: calico
        apiServer: {public: true}
        nodePools:
          general: {machineType: e2-standard-2, minSize: 1, maxSize: 3}
    """
    res = resources(
        render(tmp_path, {"gcp/_defaults.yaml": DEFAULTS, "gcp/pub.yaml": model}), "gcp/pub"
    )
    subnet = res["google_compute_subnetwork"]["nodes"]
    ranges = {r["range_name"]: r["ip_cidr_range"] for r in subnet["secondary_ip_range"]}
    assert ranges == {"pods": "100.64.0.0/14", "services": "100.68.0.0/20"}
    assert "google_compute_router_nat" not in res
    cluster = res["google_container_cluster"]["this"]
    assert cluster["private_cluster_config"][0]["enable_private_nodes"] is False
    # Public without allowedCidrs: open, as the model asks.
    assert "master_authorized_networks_config" not in cluster
    assert cluster["network_policy"] == [{"enabled": True, "provider": "CALICO"}]
    assert cluster["datapath_provider"] == "LEGACY_DATAPATH"


def test_project_becomes_a_variable_when_the_model_has_none(tmp_path: Path) -> None:
    defaults = DEFAULTS.replace("    gcp:\n      project: shop-platform-prod\n", "")
    files = render(tmp_path, {"gcp/_defaults.yaml": defaults, "gcp/a.yaml": AUTOPILOT})
    variables = unquote(hcl2.loads(files["gcp/a/terraform/variables.tf"]))
    assert "gcp_project" in variables["variable"][0]
    assert "var.gcp_project" in files["gcp/a/terraform/main.tf"]


def test_node_service_accounts_differ_for_clusters_of_one_name(tmp_path: Path) -> None:
    name = "a" * 40
    files = render(
        tmp_path,
        {
            "gcp/_defaults.yaml": DEFAULTS + f"    name: {name}\n",
            "gcp/us/one.yaml": AUTOPILOT,
            "gcp/eu/one.yaml": AUTOPILOT,
        },
    )
    ids = {
        resources(files, cid)["google_service_account"]["nodes"]["account_id"]
        for cid in ("gcp/us/one", "gcp/eu/one")
    }
    assert len(ids) == 2
    assert all(6 <= len(i) <= 30 and i[0].isalpha() for i in ids)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (("machineType: e2-standard-4", "machineType: m6i.large"), "machineType", "Compute Engine"),
        (("cidr: 10.10.0.0/16", "cidr: 10.10.0.0/23"), "network.cidr", "pods range"),
        (('kubernetesVersion: "1.33"', 'kubernetesVersion: "1.25"'), "kubernetesVersion", "1.25"),
        (("us-central1-c]", "us-east1-b]"), "zones[2]", "not in region"),
        (("topology: private", "topology: private\n      cni: flannel"), "network.cni", "flannel"),
    ],
)
def test_invalid_models_name_the_field(
    tmp_path: Path, change: tuple[str, str], field: str, words: str
) -> None:
    model = STANDARD.replace(*change)
    defaults = DEFAULTS.replace(*change)
    found = issues(tmp_path, {"gcp/_defaults.yaml": defaults, "gcp/prod/shop.yaml": model})
    matching = [i for i in found if f": {field}" in i or f".{field}:" in i]
    assert matching, found
    assert words in matching[0]
    assert matching[0].startswith(
        "model/gcp/_defaults.yaml:" if field == "kubernetesVersion" else "model/gcp/prod/shop.yaml:"
    )


def test_cluster_and_pool_names_start_with_a_letter(tmp_path: Path) -> None:
    model = STANDARD.replace("  spot:\n", "  9spot:\n")
    found = issues(tmp_path, {"gcp/_defaults.yaml": DEFAULTS, "gcp/1shop.yaml": model})
    assert any(": name: GKE cluster names start with a lowercase letter" in i for i in found)
    assert any(": nodePools.9spot: GKE node pool names" in i for i in found)


def test_existing_network_and_addons(tmp_path: Path) -> None:
    model = """
        region: us-central1
        network:
          podCidr: 10.100.0.0/16
          existing:
            networkId: projects/shared-vpc/global/networks/main
            subnetIds: [projects/shared-vpc/regions/us-central1/subnetworks/gke]
        addons: [metrics-server, vertical-pod-autoscaler, filestore-csi-driver]
        nodePools:
          general: {machineType: e2-standard-2, minSize: 1, maxSize: 3}
    """
    files = render(tmp_path, {"gcp/_defaults.yaml": DEFAULTS, "gcp/shared.yaml": model})
    res = resources(files, "gcp/shared")
    assert "google_compute_network" not in res and "google_compute_subnetwork" not in res
    cluster = res["google_container_cluster"]["this"]
    assert cluster["network"] == "projects/shared-vpc/global/networks/main"
    assert cluster["subnetwork"] == "projects/shared-vpc/regions/us-central1/subnetworks/gke"
    assert cluster["ip_allocation_policy"][0]["cluster_ipv4_cidr_block"] == "10.100.0.0/16"
    assert cluster["vertical_pod_autoscaling"] == [{"enabled": True}]
    assert cluster["addons_config"][0]["gcp_filestore_csi_driver_config"] == [{"enabled": True}]
    module = write_files(tmp_path / "out", files) / "gcp/shared/terraform"
    assert oracle_findings([module]) == ""
    assert terraform_problems(module) == []


def test_existing_network_takes_one_subnet_and_unknown_addons_are_named(tmp_path: Path) -> None:
    model = """
        region: us-central1
        network:
          existing: {networkId: main, subnetIds: [a, b]}
        addons: [aws-ebs-csi-driver]
        nodePools:
          general: {machineType: e2-standard-2, minSize: 1, maxSize: 3}
    """
    found = issues(tmp_path, {"gcp/_defaults.yaml": DEFAULTS, "gcp/shared.yaml": model})
    assert any(": network.existing.subnetIds: " in i and "exactly one" in i for i in found)
    assert any(": addons[0]: " in i and "node-local-dns" in i for i in found)


def test_autopilot_addons(tmp_path: Path) -> None:
    model = AUTOPILOT + "    addons: [node-local-dns, vertical-pod-autoscaler, backup-agent]\n"
    files = render(tmp_path, {"gcp/_defaults.yaml": DEFAULTS, "gcp/ap.yaml": model})
    cluster = resources(files, "gcp/ap")["google_container_cluster"]["this"]
    assert cluster["addons_config"] == [{"gke_backup_agent_config": [{"enabled": True}]}]
    assert cluster["vertical_pod_autoscaling"] == [{"enabled": True}]
    module = write_files(tmp_path / "out", files) / "gcp/ap/terraform"
    assert oracle_findings([module]) == ""
    assert terraform_problems(module) == []


# --- security defaults (checkov as the yardstick) ---------------------------------------------


def test_network_denies_and_logs_what_gke_does_not_allow(rendered: dict[str, str]) -> None:
    """CKV2_GCP_18: the network has a firewall rule of its own. GKE writes the rules the
    cluster needs at priority 1000; this one sits just above the implied deny-all (65535),
    so it blocks nothing that was open, and makes the denials visible in the logs."""
    for cluster_id in ("gcp/prod/shop", "gcp/prod/edge"):
        res = resources(rendered, cluster_id)
        deny = res["google_compute_firewall"]["deny_ingress"]
        assert deny["network"] == "${google_compute_network.this.id}"
        assert (deny["direction"], deny["priority"]) == ("INGRESS", 65534)
        assert deny["source_ranges"] == ["0.0.0.0/0"]
        assert [b["protocol"] for b in deny["deny"]] == ["all"]
        assert "allow" not in deny
        assert deny["log_config"][0]["metadata"] == "EXCLUDE_ALL_METADATA"
        assert list(res["google_compute_firewall"]) == ["deny_ingress"]


def test_rbac_google_group_is_written_or_the_skip_says_why(tmp_path: Path) -> None:
    """CKV_GCP_65: with gke.rbacSecurityGroup the cluster takes Google Groups for RBAC and
    the check passes; without it the cluster carries the skip and its reason."""
    model = STANDARD + "    gke: {rbacSecurityGroup: gke-security-groups@shop.example.com}\n"
    files = render(tmp_path, {"gcp/_defaults.yaml": DEFAULTS, "gcp/shop.yaml": model})
    cluster = resources(files, "gcp/shop")["google_container_cluster"]["this"]
    assert cluster["authenticator_groups_config"] == [
        {"security_group": "gke-security-groups@shop.example.com"}
    ]
    cluster_tf = files["gcp/shop/terraform/cluster.tf"]
    assert "CKV_GCP_65" not in cluster_tf
    module = write_files(tmp_path / "out", files) / "gcp/shop/terraform"
    assert oracle_findings([module]) == ""
    assert checkov_failures(module, ["CKV_GCP_65", "CKV2_GCP_18"]) == []

    plain = render(tmp_path / "plain", {"gcp/_defaults.yaml": DEFAULTS, "gcp/shop.yaml": STANDARD})
    plain_tf = plain["gcp/shop/terraform/cluster.tf"]
    assert (
        "# checkov:skip=CKV_GCP_65: Google Groups for RBAC needs the organization's "
        "gke-security-groups@DOMAIN Google Workspace group (gke.rbacSecurityGroup)"
    ) in plain_tf
    assert "authenticator_groups_config" not in plain_tf


def test_rbac_group_must_be_gke_security_groups(tmp_path: Path) -> None:
    model = STANDARD + "    gke: {rbacSecurityGroup: admins@shop.example.com}\n"
    found = issues(tmp_path, {"gcp/_defaults.yaml": DEFAULTS, "gcp/shop.yaml": model})
    assert any(
        "/gcp/shop.yaml:" in i
        and ": gke.rbacSecurityGroup: " in i
        and "gke-security-groups@YOUR-DOMAIN" in i
        for i in found
    ), found
