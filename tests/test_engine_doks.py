"""The DOKS engine: a model like the held-out one (an autoscaled pool), judged by Terraform and
the provider-schema oracle, and its semantic rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hcl2
import pytest
from helpers import (
    issues_of,
    oracle_findings,
    render_tree,
    terraform_problems,
    write_files,
    write_tree,
)
from treeform.providers.digitalocean.doks import VERSION_SLUGS

DEFAULTS = """
cloud: digitalocean
engine: doks
region: nyc1
kubernetesVersion: "1.34"
backend:
  type: s3
  bucket: org-state
  region: us-east-1
  endpoint: https://nyc3.digitaloceanspaces.com
"""

BLOG = """
highAvailability: true
network:
  cidr: 10.60.0.0/16
apiServer:
  public: true
  allowedCidrs: [203.0.113.0/24]
nodePools:
  base:
    machineType: s-2vcpu-4gb
    minSize: 2
    maxSize: 2
  web:
    machineType: s-4vcpu-8gb
    minSize: 1
    maxSize: 6
    labels: {workload: web}
    taints: [{key: dedicated, value: web, effect: NoSchedule}]
tags: {team: blog}
"""


def _unquote(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    if isinstance(value, dict):
        return {_unquote(k): _unquote(v) for k, v in value.items()}
    return value


def parsed(files: dict[str, str], path: str) -> dict[str, Any]:
    result: dict[str, Any] = _unquote(hcl2.loads(files[path]))
    return result


def resources(files: dict[str, str]) -> dict[tuple[str, str], dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for path in files:
        if path.endswith(".tf"):
            for block in parsed(files, path).get("resource", []):
                for rtype, named in block.items():
                    for name, body in named.items():
                        found[(rtype, name)] = body
    return found


def render(tmp_path: Path, cluster: str) -> dict[str, str]:
    root = write_tree(tmp_path / "model", {"_defaults.yaml": DEFAULTS, "blog.yaml": cluster})
    return render_tree(root)


def errors(tmp_path: Path, cluster: str) -> list[str]:
    root = write_tree(tmp_path / "model", {"_defaults.yaml": DEFAULTS, "blog.yaml": cluster})
    return issues_of(lambda: render_tree(root))


@pytest.fixture
def blog(tmp_path: Path) -> dict[str, str]:
    return render(tmp_path, BLOG)


def test_module_loads_in_terraform_and_passes_the_oracle(
    blog: dict[str, str], tmp_path: Path
) -> None:
    module = write_files(tmp_path / "out", blog) / "blog" / "terraform"
    assert terraform_problems(module) == []
    assert oracle_findings([module]) == ""


def test_cluster_has_ha_vpc_upgrades_and_the_first_pool_inline(blog: dict[str, str]) -> None:
    found = resources(blog)
    cluster = found[("digitalocean_kubernetes_cluster", "this")]
    assert cluster["ha"] is True
    assert cluster["region"] == "${local.region}"
    assert cluster["vpc_uuid"] == "${digitalocean_vpc.this.id}"
    assert found[("digitalocean_vpc", "this")]["ip_range"] == "10.60.0.0/16"
    assert cluster["auto_upgrade"] is True and cluster["surge_upgrade"] is True
    assert cluster["maintenance_policy"][0] == {
        "day": "sunday",
        "start_time": "04:00",
        "__is_block__": True,
    }
    inline = cluster["node_pool"][0]
    assert (inline["name"], inline["size"], inline["node_count"]) == ("base", "s-2vcpu-4gb", 2)
    assert "auto_scale" not in inline
    firewall = cluster["control_plane_firewall"][0]
    assert firewall["enabled"] is True
    assert firewall["allowed_addresses"] == ["203.0.113.0/24"]
    assert parsed(blog, "blog/terraform/main.tf")["locals"][0]["tags"] == [
        "team:blog",
        "treeform-cluster:blog",
    ]


def test_version_follows_the_latest_patch_of_the_minor(blog: dict[str, str]) -> None:
    cluster = resources(blog)[("digitalocean_kubernetes_cluster", "this")]
    assert cluster["version"] == "${data.digitalocean_kubernetes_versions.this.latest_version}"
    data = parsed(blog, "blog/terraform/main.tf")["data"][0]
    assert data["digitalocean_kubernetes_versions"]["this"]["version_prefix"] == "1.34."


def test_autoscaled_pool_has_bounds_labels_and_taints(blog: dict[str, str]) -> None:
    pool = resources(blog)[("digitalocean_kubernetes_node_pool", "web")]
    assert pool["cluster_id"] == "${digitalocean_kubernetes_cluster.this.id}"
    assert pool["size"] == "s-4vcpu-8gb"
    assert pool["auto_scale"] is True
    assert (pool["min_nodes"], pool["max_nodes"]) == (1, 6)
    assert "node_count" not in pool  # the autoscaler owns it
    assert pool["labels"] == {"workload": "web"}
    taint = pool["taint"][0]
    assert (taint["key"], taint["value"], taint["effect"]) == ("dedicated", "web", "NoSchedule")


def test_state_goes_to_spaces_and_the_token_never_to_the_output(blog: dict[str, str]) -> None:
    backend = parsed(blog, "blog/terraform/versions.tf")["terraform"][0]["backend"][0]["s3"]
    assert backend["key"] == "blog/terraform.tfstate"
    assert backend["endpoints"] == {"s3": "https://nyc3.digitaloceanspaces.com"}
    assert backend["skip_credentials_validation"] is True
    assert backend["skip_requesting_account_id"] is True
    variables = parsed(blog, "blog/terraform/variables.tf")["variable"][0]
    assert variables["digitalocean_token"]["sensitive"] is True
    provider = parsed(blog, "blog/terraform/providers.tf")["provider"][0]["digitalocean"]
    assert provider["token"] == "${var.digitalocean_token}"


def test_pinned_patch_uses_the_table_slug_without_auto_upgrade(tmp_path: Path) -> None:
    slug = VERSION_SLUGS["1.34"]
    patch = slug.split("-")[0]
    files = render(
        tmp_path,
        f'kubernetesVersion: "{patch}"\n'
        "nodePools: {base: {machineType: s-2vcpu-4gb, minSize: 1, maxSize: 1}}\n",
    )
    cluster = resources(files)[("digitalocean_kubernetes_cluster", "this")]
    assert cluster["version"] == slug
    assert cluster["auto_upgrade"] is False
    assert cluster["ha"] is False
    assert "data" not in parsed(files, "blog/terraform/main.tf")


def test_semantic_rules_are_located_errors(tmp_path: Path) -> None:
    found = errors(
        tmp_path,
        """
        zones: [nyc1-a]
        network: {cidr: 10.244.0.0/16}
        nodePools:
          base: {machineType: m6i.large, minSize: 0, maxSize: 3, spot: true, diskSizeGb: 80}
          tiny: {machineType: s-1vcpu-1gb, minSize: 1, maxSize: 1}
        """,
    )
    blog = str(tmp_path / "model" / "blog.yaml")
    assert found == [
        f"{blog}:1:9: zones[0]: zone 'nyc1-a' is not in region nyc1 (its zones: nyc1)",
        f"{blog}:2:17: network.cidr: 10.244.0.0/16 overlaps 10.244.0.0/16, which "
        "DigitalOcean keeps for the default pod range; choose another network.cidr",
        f"{blog}:4:23: nodePools.base.machineType: 'm6i.large' is not a DigitalOcean "
        "Droplet size; DOKS takes slugs like s-2vcpu-4gb",
        f"{blog}:4:43: nodePools.base.minSize: DOKS autoscaled pools keep at least one node; "
        "minSize must be 1 or more",
        f"{blog}:4:64: nodePools.base.spot: DigitalOcean has no spot Droplets; remove spot: true",
        f"{blog}:4:82: nodePools.base.diskSizeGb: a DOKS node's disk comes with its Droplet "
        "size; remove diskSizeGb and choose the size",
        f"{blog}:5:23: nodePools.tiny.machineType: 's-1vcpu-1gb' is too small for DOKS nodes "
        "(2 GB of memory at least, e.g. s-1vcpu-2gb)",
    ]


def test_a_patch_doks_does_not_offer_is_an_error(tmp_path: Path) -> None:
    found = errors(
        tmp_path,
        'kubernetesVersion: "1.34.0"\n'
        "nodePools: {base: {machineType: s-2vcpu-4gb, minSize: 1, maxSize: 1}}\n",
    )
    assert len(found) == 1
    assert "blog.yaml:1:20: kubernetesVersion: DOKS offers Kubernetes 1.34 as " in found[0]
    assert VERSION_SLUGS["1.34"] in found[0]


def test_tags_that_cannot_become_digitalocean_tags(tmp_path: Path) -> None:
    found = errors(
        tmp_path,
        "tags: {cost center: '4711'}\n"
        "nodePools: {base: {machineType: s-2vcpu-4gb, minSize: 1, maxSize: 1}}\n",
    )
    assert len(found) == 1
    assert "tags.cost center: tag cost center: 4711 becomes the DigitalOcean tag" in found[0]
