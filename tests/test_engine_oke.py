"""Oracle OKE: held-out-like models rendered, judged by Terraform and the provider schema
oracle, and read back."""

from __future__ import annotations

import textwrap
from pathlib import Path

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
from test_engine_cce import resources

COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaa2exampleexample"

DEFAULTS = f"""
    cloud: oracle
    engine: oke
    region: us-ashburn-1
    kubernetesVersion: "1.33"
    oke:
      compartmentId: {COMPARTMENT}
"""

FLEX = textwrap.dedent("""
    highAvailability: true
    network:
      cidr: 10.40.0.0/16
      podCidr: 10.244.0.0/16
      serviceCidr: 10.96.0.0/16
    apiServer:
      public: true
      allowedCidrs: [198.51.100.0/24]
    nodePools:
      general:
        machineType: VM.Standard.E4.Flex
        minSize: 2
        maxSize: 6
        diskSizeGb: 100
        labels: {workload: general}
      fixed:
        machineType: VM.Standard2.4
        minSize: 1
        maxSize: 1
        spot: true
        zones: [IAD-AD-2]
        taints: [{key: dedicated, value: fixed, effect: NoExecute}]
    oke:
      nodeShapes:
        general: {ocpus: 4, memoryGb: 64}
    addons: [cluster-autoscaler]
""")


def render(tmp_path: Path, cluster: str, defaults: str = DEFAULTS) -> dict[str, str]:
    root = write_tree(tmp_path / "model", {"_defaults.yaml": defaults, "iad/orders.yaml": cluster})
    return render_tree(root)


def errors(tmp_path: Path, cluster: str, defaults: str = DEFAULTS) -> list[str]:
    return issues_of(lambda: render(tmp_path, cluster, defaults))


def test_cluster_is_enhanced_with_the_asked_endpoint_and_ranges(tmp_path: Path) -> None:
    res = resources(render(tmp_path, FLEX), "iad/orders/terraform/")
    cluster = res[("oci_containerengine_cluster", "this")]
    assert cluster["type"] == "ENHANCED_CLUSTER"
    assert cluster["kubernetes_version"] == "v1.33.1"
    assert cluster["compartment_id"] == "${local.compartment_id}"
    assert cluster["endpoint_config"][0]["is_public_ip_enabled"] is True
    network = cluster["options"][0]["kubernetes_network_config"][0]
    assert network == {"pods_cidr": "10.244.0.0/16", "services_cidr": "10.96.0.0/16"}
    # The endpoint's rules are in its network security group; its subnet's list has none.
    assert cluster["endpoint_config"][0]["nsg_ids"] == ["${oci_core_network_security_group.api.id}"]
    assert "ingress_security_rules" not in res[("oci_core_security_list", "api")]
    clients = res[("oci_core_network_security_group_security_rule", "api_clients")]
    assert clients["for_each"] == '${toset(["10.40.0.0/16", "198.51.100.0/24"])}'
    assert clients["tcp_options"][0]["destination_port_range"] == [{"min": 6443, "max": 6443}]
    workers = res[("oci_core_network_security_group_security_rule", "api_from_workers")]
    assert (workers["direction"], workers["source"]) == ("INGRESS", "10.40.0.0/17")
    assert workers["tcp_options"][0]["destination_port_range"] == [{"min": 12250, "max": 12250}]
    rules = [b for (t, _), b in res.items() if t == "oci_core_network_security_group_security_rule"]
    assert all(r["network_security_group_id"].endswith("api.id}") for r in rules)
    assert {r["direction"] for r in rules} == {"INGRESS", "EGRESS"}


def test_endpoint_network_security_group_passes_checkov(tmp_path: Path) -> None:
    """CKV2_OCI_3: the endpoint has a network security group, for public and private
    endpoints alike; with network.existing the user's network governs, and the skip says so."""
    for public in ("true", "false"):
        model = FLEX.replace("public: true", f"public: {public}")
        if public == "false":
            model = model.replace("allowedCidrs: [198.51.100.0/24]", "allowedCidrs: []")
        out = write_files(tmp_path / public, render(tmp_path / f"m{public}", model))
        module = out / "iad" / "orders" / "terraform"
        assert checkov_failures(module, ["CKV2_OCI_3", "CKV_OCI_21", "CKV2_OCI_2"]) == []
    existing = FLEX.replace(
        "cidr: 10.40.0.0/16",
        "cidr: 10.40.0.0/16\n  existing: {networkId: ocid1.vcn.oc1.iad.aaaa, "
        "subnetIds: [ocid1.subnet.oc1.iad.api, ocid1.subnet.oc1.iad.w, ocid1.subnet.oc1.iad.lb]}",
    )
    files = render(tmp_path / "existing", existing)
    cluster_tf = files["iad/orders/terraform/cluster.tf"]
    assert "# checkov:skip=CKV2_OCI_3: the network is the user's (network.existing)" in cluster_tf
    assert "nsg_ids" not in cluster_tf


def test_private_api_endpoint(tmp_path: Path) -> None:
    model = FLEX.replace("public: true", "public: false")
    res = resources(render(tmp_path, model), "iad/orders/terraform/")
    cluster = res[("oci_containerengine_cluster", "this")]
    assert cluster["endpoint_config"][0]["is_public_ip_enabled"] is False
    assert res[("oci_core_subnet", "api")]["prohibit_public_ip_on_vnic"] is True


def test_node_pools_shapes_placement_and_labels(tmp_path: Path) -> None:
    res = resources(render(tmp_path, FLEX), "iad/orders/terraform/")
    general = res[("oci_containerengine_node_pool", "general")]
    assert general["node_shape"] == "VM.Standard.E4.Flex"
    assert general["node_shape_config"] == [{"ocpus": 4, "memory_in_gbs": 64}]
    details = general["node_config_details"][0]
    assert details["size"] == 2
    ads = [p["availability_domain"] for p in details["placement_configs"]]
    assert ads == [
        '${local.ads["IAD-AD-1"]}',
        '${local.ads["IAD-AD-2"]}',
        '${local.ads["IAD-AD-3"]}',
    ]
    # Images by architecture: an x86 shape boots the x86_64 image.
    assert general["node_source_details"][0]["image_id"] == '${var.node_image_ids["x86_64"]}'
    assert general["initial_node_labels"] == [{"key": "workload", "value": "general"}]
    fixed = res[("oci_containerengine_node_pool", "fixed")]
    assert "node_shape_config" not in fixed
    placement = fixed["node_config_details"][0]["placement_configs"]
    assert [p["availability_domain"] for p in placement] == ['${local.ads["IAD-AD-2"]}']
    assert placement[0]["preemptible_node_config"][0]["preemption_action"][0]["type"] == "TERMINATE"
    assert "--register-with-taints=dedicated=fixed:NoExecute" in str(fixed["node_metadata"])
    autoscaler = res[("oci_containerengine_addon", "cluster_autoscaler")]
    assert autoscaler["addon_name"] == "ClusterAutoscaler"
    assert "2:6:${oci_containerengine_node_pool.general.id}" in str(autoscaler["configurations"])
    assert "fixed" not in str(autoscaler["configurations"])


def test_flex_default_shape_config(tmp_path: Path) -> None:
    model = FLEX.replace(
        "    oke:\n      nodeShapes:\n        general: {ocpus: 4, memoryGb: 64}\n", ""
    )
    model = model.replace("oke:\n  nodeShapes:\n    general: {ocpus: 4, memoryGb: 64}\n", "")
    res = resources(render(tmp_path, model), "iad/orders/terraform/")
    shape = res[("oci_containerengine_node_pool", "general")]["node_shape_config"]
    assert shape == [{"ocpus": 2, "memory_in_gbs": 16}]


def test_output_loads_in_terraform_and_passes_the_oracle(tmp_path: Path) -> None:
    out = write_files(tmp_path / "out", render(tmp_path, FLEX))
    modules = terraform_dirs(out)
    assert modules
    assert [p for m in modules for p in terraform_problems(m)] == []
    assert oracle_findings(modules) == ""


def test_missing_compartment_is_a_located_error(tmp_path: Path) -> None:
    defaults = DEFAULTS.replace(f"    oke:\n      compartmentId: {COMPARTMENT}\n", "")
    found = errors(tmp_path, FLEX, defaults)
    hits = [e for e in found if "oke.compartmentId:" in e]
    assert hits, found
    assert hits[0].split(":")[0].endswith("iad/orders.yaml")
    without_oke = FLEX.replace("oke:\n  nodeShapes:\n    general: {ocpus: 4, memoryGb: 64}\n", "")
    assert "oke:" not in without_oke
    found = errors(tmp_path / "again", without_oke, defaults)
    assert any("oke.compartmentId: OKE needs" in e for e in found), found


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ("VM.Standard2.4", "m6i.large", "nodePools.fixed.machineType", "not an OCI shape"),
        ("zones: [IAD-AD-2]", "zones: [IAD-AD-4]", "nodePools.fixed.zones[0]", "not one of"),
        ("general: {ocpus", "fixed: {ocpus", "oke.nodeShapes.fixed", "only for Flex"),
        ("diskSizeGb: 100", "diskSizeGb: 20", "nodePools.general.diskSizeGb", "at least 50"),
    ],
)
def test_located_errors(tmp_path: Path, old: str, new: str, field: str, message: str) -> None:
    found = errors(tmp_path, FLEX.replace(old, new, 1))
    hits = [e for e in found if f" {field}: " in e and message in e]
    assert hits, found
    assert hits[0].split(":")[0].endswith("iad/orders.yaml")


def test_unknown_availability_domain_for_the_region(tmp_path: Path) -> None:
    found = errors(tmp_path, FLEX + "zones: [IAD-AD-1, PHX-AD-1]\n")
    assert any(" zones[1]: " in e and "not in region us-ashburn-1" in e for e in found), found
