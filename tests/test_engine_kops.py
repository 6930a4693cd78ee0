"""Engine kops (AWS and GCE): the manifests pass kOps's own CRD schema, kOps's rules are
checked before output with located errors, the Terraform around kOps loads in Terraform and
passes the provider-schema oracle, and the manifests match real kOps manifests field by field.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml
from click.testing import CliRunner
from helpers import (
    ORACLES,
    ROOT,
    checkov_failures,
    issues_of,
    kops_findings,
    oracle_findings,
    render_tree,
    terraform_dirs,
    terraform_problems,
    write_files,
    write_tree,
)
from treeform.cli import cli
from treeform.providers.kops import KUBERNETES_PATCHES

EXAMPLES = ORACLES / "kops" / "examples"

ORG_DEFAULTS = """
    kubernetesVersion: "1.33"
    backend: {type: s3, bucket: tfstate, region: us-east-1}
    tags: {team: platform, env: prod}
    """

AWS_DEFAULTS = """
    cloud: aws
    engine: kops
    aws: {accountId: "123456789012"}
    kops:
      stateStore: s3://example-kops-state
      dnsZone: k8s.example.com
    nodePools:
      general: {machineType: m6i.large, minSize: 3, maxSize: 9, diskSizeGb: 80}
    """

HA_PRIVATE = """
    region: us-east-1
    zones: [us-east-1a, us-east-1b, us-east-1c]
    highAvailability: true
    network: {cidr: 10.20.0.0/16, topology: private, cni: calico}
    apiServer: {public: false}
    kops: {bastion: true, sshAccess: [203.0.113.0/24]}
    nodePools:
      batch:
        machineType: c6i.xlarge
        minSize: 0
        maxSize: 20
        spot: true
        zones: [us-east-1b]
        labels: {workload: batch}
        taints: [{key: dedicated, value: batch, effect: NoSchedule}]
    """

DEV_PUBLIC = """
    region: eu-west-1
    zones: [eu-west-1a]
    highAvailability: false
    network: {cidr: 10.40.0.0/16, topology: public}
    apiServer: {public: true, allowedCidrs: [203.0.113.0/24, 198.51.100.7/32]}
    nodePools:
      general: {minSize: 1, maxSize: 2}
    """


# Trailing indentation off, so a test can append lines to a model.
ORG_DEFAULTS, AWS_DEFAULTS, HA_PRIVATE, DEV_PUBLIC = (
    t.rstrip(" ") for t in (ORG_DEFAULTS, AWS_DEFAULTS, HA_PRIVATE, DEV_PUBLIC)
)


def docs_of(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d]


def render(tmp_path: Path, files: dict[str, str]) -> tuple[dict[str, str], Path]:
    root = write_tree(tmp_path / "model", files)
    out = render_tree(root)
    return out, write_files(tmp_path / "out", out)


def groups(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == "InstanceGroup"}


def errors_of(tmp_path: Path, files: dict[str, str]) -> list[str]:
    root = write_tree(tmp_path / "bad", files)
    return issues_of(lambda: render_tree(root))


def tf_blocks(module: Path, kind: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for path in sorted(module.glob("*.tf")):
        for block in hcl2.loads(path.read_text()).get(kind, []):
            for rtype, named in block.items():
                for name, body in named.items():
                    found[f"{rtype.strip(chr(34))}.{name.strip(chr(34))}"] = body
    return found


# --- held-out model 1: HA private, calico, bastion, three zones -----------------------------


@pytest.fixture
def ha_private(tmp_path: Path) -> tuple[dict[str, str], Path]:
    return render(
        tmp_path,
        {
            "_defaults.yaml": ORG_DEFAULTS,
            "aws/_defaults.yaml": AWS_DEFAULTS,
            "aws/prod/payments.yaml": HA_PRIVATE,
        },
    )


def test_ha_private_manifest_passes_the_kops_schema(ha_private) -> None:
    _, out = ha_private
    manifest = out / "aws/prod/payments/kops/cluster.yaml"
    assert manifest.exists()
    assert kops_findings([manifest]) == ""


def test_ha_private_control_plane_etcd_subnets_bastion(ha_private) -> None:
    files, _ = ha_private
    docs = docs_of(files["aws/prod/payments/kops/cluster.yaml"])
    cluster = docs[0]
    assert cluster["kind"] == "Cluster"
    assert cluster["metadata"]["name"] == "payments.k8s.example.com"
    spec = cluster["spec"]
    assert spec["configBase"] == "s3://example-kops-state/payments.k8s.example.com"
    assert spec["kubernetesVersion"] == "v" + KUBERNETES_PATCHES["1.33"]
    assert spec["networking"] == {"calico": {}}
    assert spec["api"]["loadBalancer"] == {"class": "Network", "type": "Internal"}
    assert spec["iam"]["legacy"] is False
    assert spec["authorization"] == {"rbac": {}}
    assert spec["cloudLabels"] == {"env": "prod", "team": "platform"}
    assert spec["networkCIDR"] == "10.20.0.0/16"

    igs = groups(docs)
    cps = sorted(n for n, d in igs.items() if d["spec"]["role"] == "ControlPlane")
    assert cps == [f"control-plane-us-east-1{z}" for z in "abc"]
    for name in cps:
        assert igs[name]["spec"]["minSize"] == igs[name]["spec"]["maxSize"] == 1
        assert igs[name]["spec"]["subnets"] == [name.removeprefix("control-plane-")]
    assert [e["name"] for e in spec["etcdClusters"]] == ["main", "events"]
    for etcd in spec["etcdClusters"]:
        assert sorted(m["instanceGroup"] for m in etcd["etcdMembers"]) == cps
        assert [m["name"] for m in etcd["etcdMembers"]] == ["a", "b", "c"]

    subnets = {s["name"]: s for s in spec["subnets"]}
    for z in "abc":
        assert subnets[f"us-east-1{z}"]["type"] == "Private"
        assert subnets[f"utility-us-east-1{z}"]["type"] == "Utility"
    assert {s["type"] for s in spec["subnets"]} == {"Private", "Utility"}

    bastion = igs["bastions"]["spec"]
    assert bastion["role"] == "Bastion"
    assert bastion["minSize"] == bastion["maxSize"] == 1
    assert spec["topology"]["bastion"]["bastionPublicName"] == "bastion.payments.k8s.example.com"

    # A private API without allowedCidrs is reachable from the network only.
    assert spec["kubernetesApiAccess"] == ["10.20.0.0/16"]
    # SSH apart from the API (kops.sshAccess): the bastion is reachable from outside.
    assert spec["sshAccess"] == ["203.0.113.0/24"]

    for name, ig in igs.items():
        assert ig["metadata"]["labels"] == {"kops.k8s.io/cluster": "payments.k8s.example.com"}
        assert ig["spec"]["nodeLabels"]["kops.k8s.io/instancegroup"] == name


def test_ha_private_node_groups_inherit_and_translate(ha_private) -> None:
    files, _ = ha_private
    igs = groups(docs_of(files["aws/prod/payments/kops/cluster.yaml"]))
    general = igs["general"]["spec"]
    # Sizes come from aws/_defaults.yaml.
    assert (general["machineType"], general["minSize"], general["maxSize"]) == ("m6i.large", 3, 9)
    assert general["rootVolumeSize"] == 80
    assert general["subnets"] == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert general["cloudLabels"] == {"env": "prod", "team": "platform"}
    assert "mixedInstancesPolicy" not in general
    batch = igs["batch"]["spec"]
    assert batch["subnets"] == ["us-east-1b"]
    assert batch["taints"] == ["dedicated=batch:NoSchedule"]
    assert batch["nodeLabels"]["workload"] == "batch"
    assert batch["mixedInstancesPolicy"]["instances"] == ["c6i.xlarge"]
    assert batch["mixedInstancesPolicy"]["onDemandAboveBase"] == 0
    assert batch["mixedInstancesPolicy"]["onDemandBase"] == 0


def test_ha_private_terraform_state_store(ha_private, tmp_path: Path) -> None:
    _, out = ha_private
    module = out / "aws/prod/payments/terraform"
    assert terraform_dirs(out) == [module]
    assert terraform_problems(module) == []
    assert oracle_findings([module]) == ""
    resources = tf_blocks(module, "resource")
    assert resources["aws_s3_bucket.state_store"]["bucket"] == '"example-kops-state"'
    versioning = resources["aws_s3_bucket_versioning.state_store"]
    assert versioning["versioning_configuration"][0]["status"] == '"Enabled"'
    block = resources["aws_s3_bucket_public_access_block.state_store"]
    assert all(block[k] is True for k in ("block_public_acls", "restrict_public_buckets"))
    assert "aws_vpc.this" not in resources  # kOps makes its own network by default
    failed = checkov_failures(module, ["CKV_AWS_21", "CKV2_AWS_6", "CKV_AWS_145", "CKV2_AWS_61"])
    assert failed == []


# --- held-out model 2: single-zone public dev cluster, restricted API ------------------------


def test_dev_public_single_zone(tmp_path: Path) -> None:
    files, out = render(
        tmp_path,
        {
            "_defaults.yaml": ORG_DEFAULTS,
            "aws/_defaults.yaml": AWS_DEFAULTS,
            "aws/dev/sandbox.yaml": DEV_PUBLIC,
        },
    )
    manifest = out / "aws/dev/sandbox/kops/cluster.yaml"
    assert kops_findings([manifest]) == ""
    docs = docs_of(files["aws/dev/sandbox/kops/cluster.yaml"])
    spec = docs[0]["spec"]
    assert spec["api"]["loadBalancer"]["type"] == "Public"
    assert spec["kubernetesApiAccess"] == ["203.0.113.0/24", "198.51.100.7/32"]
    assert spec["sshAccess"] == ["203.0.113.0/24", "198.51.100.7/32"]
    assert spec["subnets"] == [
        {"cidr": "10.40.0.0/16", "name": "eu-west-1a", "type": "Public", "zone": "eu-west-1a"}
    ]
    assert spec["networking"] == {"cilium": {"enableNodePort": True}}
    assert spec["kubeProxy"] == {"enabled": False}
    igs = groups(docs)
    assert sorted(igs) == ["control-plane-eu-west-1a", "general"]
    assert [len(e["etcdMembers"]) for e in spec["etcdClusters"]] == [1, 1]
    general = igs["general"]["spec"]
    assert (general["minSize"], general["maxSize"], general["machineType"]) == (1, 2, "m6i.large")
    for ig in igs.values():
        assert ig["metadata"]["labels"]["kops.k8s.io/cluster"] == "sandbox.k8s.example.com"
    module = out / "aws/dev/sandbox/terraform"
    assert terraform_problems(module) == []
    assert oracle_findings([module]) == ""


# --- shared VPC and existing networks --------------------------------------------------------


def test_shared_vpc_terraform_then_ids(tmp_path: Path) -> None:
    model = {
        "_defaults.yaml": ORG_DEFAULTS,
        "aws/_defaults.yaml": AWS_DEFAULTS,
        "aws/prod/shared.yaml": HA_PRIVATE.replace(
            "kops: {bastion: true,", "kops: {sharedVpc: true, bastion: true,"
        ),
    }
    files, out = render(tmp_path / "one", model)
    # Before `terraform apply` there are no ids: Terraform only, no manifest yet.
    assert "aws/prod/shared/kops/cluster.yaml" not in files
    module = out / "aws/prod/shared/terraform"
    assert terraform_problems(module) == []
    assert oracle_findings([module]) == ""
    resources = tf_blocks(module, "resource")
    assert {"aws_vpc.this", "aws_subnet.this", "aws_nat_gateway.this"} <= set(resources)
    main = (module / "main.tf").read_text()
    for name in ("us-east-1a", "utility-us-east-1c"):
        assert f'"{name}" = ' in main
    assert checkov_failures(module, ["CKV2_AWS_12", "CKV_AWS_130"]) == []

    names = ["us-east-1a", "us-east-1b", "us-east-1c"]
    names += [f"utility-{n}" for n in names]
    ids = "{" + ", ".join(f"{n}: subnet-0{i}" for i, n in enumerate(names)) + "}"
    model["aws/prod/shared.yaml"] = HA_PRIVATE.replace(
        "kops: {bastion: true,",
        "kops: {bastion: true, sharedVpc: true, "
        f"sharedVpcIds: {{networkId: vpc-0abc, subnetIds: {ids}}},",
    )
    files, out = render(tmp_path / "two", model)
    spec = docs_of(files["aws/prod/shared/kops/cluster.yaml"])[0]["spec"]
    assert spec["networkID"] == "vpc-0abc"
    assert [s["id"] for s in spec["subnets"]] == [f"subnet-0{i}" for i in range(6)]
    assert kops_findings([out / "aws/prod/shared/kops/cluster.yaml"]) == ""


def test_existing_network_is_referenced_by_id(tmp_path: Path) -> None:
    files, out = render(
        tmp_path,
        {
            "_defaults.yaml": ORG_DEFAULTS,
            "aws/_defaults.yaml": AWS_DEFAULTS,
            "aws/c.yaml": DEV_PUBLIC.replace(
                "cidr: 10.40.0.0/16,", "existing: {networkId: vpc-1, subnetIds: [subnet-9]},"
            )
            + "    kops: {stateStoreExternal: true}\n",
        },
    )
    spec = docs_of(files["aws/c/kops/cluster.yaml"])[0]["spec"]
    assert spec["networkID"] == "vpc-1"
    assert spec["subnets"] == [
        {"id": "subnet-9", "name": "eu-west-1a", "type": "Public", "zone": "eu-west-1a"}
    ]
    # An external state store and no network to make: nothing for Terraform.
    assert not [p for p in files if p.startswith("aws/c/terraform/")]
    assert kops_findings([out / "aws/c/kops/cluster.yaml"]) == ""


# --- kOps's rules, located -------------------------------------------------------------------

LOC = r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<path>[^:]+): "


def one_error(errors: list[str], path: str) -> re.Match[str]:
    found = [m for e in errors if (m := re.match(LOC, e)) and m["path"] == path]
    assert len(found) == 1, errors
    return found[0]


@pytest.mark.parametrize(
    ("cluster_text", "path", "file", "line", "fragment"),
    [
        # A bastion needs a private topology (the topology comes from the cluster file).
        (DEV_PUBLIC + "    kops: {bastion: true}\n", "kops.bastion", "aws/c.yaml", 8, "private"),
        # Four control planes: an even etcd quorum.
        (
            HA_PRIVATE.replace("us-east-1c]", "us-east-1c, us-east-1d]"),
            "zones",
            "aws/c.yaml",
            2,
            "odd number",
        ),
        # A private API needs Private subnets.
        (
            DEV_PUBLIC.replace("public: true,", "public: false,"),
            "apiServer.public",
            "aws/c.yaml",
            5,
            "Internal",
        ),
        # Pods outside kOps's nonMasqueradeCIDR.
        (
            DEV_PUBLIC.replace("topology: public}", "topology: public, podCidr: 172.16.0.0/16}"),
            "network.podCidr",
            "aws/c.yaml",
            4,
            "nonMasqueradeCIDR",
        ),
        # The network inside kOps's pod/service range.
        (
            DEV_PUBLIC.replace("10.40.0.0/16", "100.64.0.0/16"),
            "network.cidr",
            "aws/c.yaml",
            4,
            "overlaps networkCIDR",
        ),
        # A pool whose name is a control-plane group's.
        (
            DEV_PUBLIC + "      control-plane-eu-west-1a: {machineType: t3.large, minSize: 1,"
            " maxSize: 1}\n",
            "nodePools.control-plane-eu-west-1a",
            "aws/c.yaml",
            8,
            "taken",
        ),
        # A GCS state store on AWS (stateStore set in aws/_defaults.yaml).
        (
            DEV_PUBLIC + "    kops: {stateStore: gs://wrong-cloud}\n",
            "kops.stateStore",
            "aws/c.yaml",
            8,
            "s3://",
        ),
    ],
)
def test_kops_rules_are_located(
    tmp_path: Path, cluster_text: str, path: str, file: str, line: int, fragment: str
) -> None:
    errors = errors_of(
        tmp_path,
        {
            "_defaults.yaml": ORG_DEFAULTS,
            "aws/_defaults.yaml": AWS_DEFAULTS,
            "aws/c.yaml": cluster_text,
        },
    )
    m = one_error(errors, path)
    assert m["file"].endswith(file), errors
    assert int(m["line"]) == line, errors
    assert fragment in next(e for e in errors if f" {path}: " in e)


def test_missing_dns_zone_names_the_defaults_file(tmp_path: Path) -> None:
    errors = errors_of(
        tmp_path,
        {
            "_defaults.yaml": ORG_DEFAULTS,
            "aws/_defaults.yaml": AWS_DEFAULTS.replace(
                "dnsZone: k8s.example.com", "bastion: false"
            ),
            "aws/c.yaml": DEV_PUBLIC,
        },
    )
    m = one_error(errors, "kops.dnsZone")
    assert m["file"].endswith("aws/_defaults.yaml")


def test_ha_needs_three_zones(tmp_path: Path) -> None:
    errors = errors_of(
        tmp_path,
        {
            "_defaults.yaml": ORG_DEFAULTS,
            "aws/_defaults.yaml": AWS_DEFAULTS,
            "aws/c.yaml": DEV_PUBLIC.replace("highAvailability: false", "highAvailability: true"),
        },
    )
    assert "at least 3 zones" in str(one_error(errors, "zones").string)


def test_cli_validate_reports_kops_errors(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "m",
        {
            "aws/_defaults.yaml": AWS_DEFAULTS,
            "aws/c.yaml": ORG_DEFAULTS + DEV_PUBLIC + "    kops: {bastion: true}\n",
        },
    )
    result = CliRunner().invoke(cli, ["validate", str(root)], catch_exceptions=False)
    assert result.exit_code == 1
    assert "aws/c.yaml:" in result.output and "kops.bastion" in result.output


# --- kOps on GCE -----------------------------------------------------------------------------

GCE = """
    cloud: gcp
    engine: kops
    region: us-central1
    kubernetesVersion: "1.34.2"
    highAvailability: true
    gcp: {project: example-project}
    network: {cidr: 10.60.0.0/20, topology: private}
    apiServer: {public: true, allowedCidrs: [203.0.113.0/24]}
    tags: {Team: Payments}
    backend: {type: gcs, bucket: tfstate}
    nodePools:
      nodes: {machineType: e2-standard-4, minSize: 2, maxSize: 6, spot: true}
    kops:
      stateStore: gs://example-kops-gce
      dnsZone: gce.example.com
      bastion: true
      sharedVpc: true
    """


def test_gce_manifest_and_terraform(tmp_path: Path) -> None:
    files, out = render(tmp_path, {"gcp/ha.yaml": GCE})
    manifest = out / "gcp/ha/kops/cluster.yaml"
    assert kops_findings([manifest]) == ""
    docs = docs_of(files["gcp/ha/kops/cluster.yaml"])
    spec = docs[0]["spec"]
    assert spec["cloudProvider"] == "gce"
    assert spec["project"] == "example-project"
    assert spec["kubernetesVersion"] == "v1.34.2"
    assert "networkCIDR" not in spec  # kOps forbids it on GCE
    assert spec["subnets"] == [
        {
            "cidr": "10.60.0.0/20",
            "id": "kops-ha",
            "name": "us-central1",
            "region": "us-central1",
            "type": "Private",
        }
    ]
    assert spec["networkID"] == "kops-ha"
    assert "class" not in spec["api"]["loadBalancer"]  # AWS only
    assert spec["cloudLabels"] == {"team": "payments"}  # GCP label rules
    igs = groups(docs)
    for z in "abc":
        cp = igs[f"control-plane-us-central1-{z}"]["spec"]
        assert cp["zones"] == [f"us-central1-{z}"]
        assert cp["subnets"] == ["us-central1"]
        assert cp["machineType"] == "e2-medium"
    assert igs["nodes"]["spec"]["gcpProvisioningModel"] == "SPOT"
    assert igs["nodes"]["spec"]["zones"] == ["us-central1-a", "us-central1-b", "us-central1-c"]
    assert igs["bastions"]["spec"]["role"] == "Bastion"

    module = out / "gcp/ha/terraform"
    assert terraform_problems(module) == []
    assert oracle_findings([module]) == ""
    resources = tf_blocks(module, "resource")
    bucket = resources["google_storage_bucket.state_store"]
    assert bucket["uniform_bucket_level_access"] is True
    assert bucket["versioning"][0]["enabled"] is True
    assert resources["google_compute_subnetwork.this"]["ip_cidr_range"] == '"10.60.0.0/20"'
    assert "google_compute_router_nat.this" in resources
    assert (
        checkov_failures(
            module,
            ["CKV_GCP_29", "CKV_GCP_78", "CKV_GCP_114", "CKV_GCP_26", "CKV2_GCP_18", "CKV2_GCP_12"],
        )
        == []
    )
    # The network kOps shares gets a logged deny-all under kOps's own rules (priority 1000).
    deny = resources["google_compute_firewall.deny_ingress"]
    assert deny["network"] == "${google_compute_network.this.id}"
    assert (deny["direction"], deny["priority"]) == ('"INGRESS"', 65534)
    assert deny["source_ranges"] == ['"0.0.0.0/0"']
    assert [b["protocol"] for b in deny["deny"]] == ['"all"']
    assert "allow" not in deny
    assert deny["log_config"][0]["metadata"] == '"EXCLUDE_ALL_METADATA"'


def test_gce_needs_a_project(tmp_path: Path) -> None:
    errors = errors_of(
        tmp_path, {"gcp/ha.yaml": GCE.replace("gcp: {project: example-project}", "")}
    )
    assert one_error(errors, "gcp.project")


# --- field-by-field against real kOps manifests -----------------------------------------------
#
# Models equivalent to kOps's own integration-test manifests. kOps's tests use the fake
# region us-test-1 (zones us-test-1a..c); the models use a real region and the comparison maps
# zone names back. What must match: cloud provider, API load balancer, networking, topology,
# subnets (names, types, zones, and CIDRs where the manifest was made by `kops create
# cluster`, whose carving we reproduce), etcd clusters and their members, instance-group
# roles, sizes, machine types and subnets, and the cluster label. What may differ, and why:
#   - group names: hand-written inputs name control planes master-<zone>; we write
#     control-plane-<zone> as `kops create cluster` does today;
#   - role: kOps reads `Master` and `ControlPlane` as the same role and writes `Master` back;
#   - etcd member names: `a` (kops create) vs the zone name in hand-written inputs;
#   - what we add on purpose: kubernetesVersion patch, configBase, IMDSv2 and root volume
#     encryption, etcd requests and backups, nodeLabels, cloudLabels, iam/kubelet defaults;
#   - what the inputs carry for their test rigs: creationTimestamp, image, masterPublicName,
#     memfs:// configBase, annotations on cilium.


def _norm(value: Any, region: str, fake: str) -> Any:
    """A value with the real region's name swapped for kOps's test region."""
    if isinstance(value, str):
        return value.replace(region, fake)
    if isinstance(value, dict):
        return {k: _norm(v, region, fake) for k, v in value.items()}
    if isinstance(value, list):
        return [_norm(v, region, fake) for v in value]
    return value


def _role(role: str) -> str:
    return "ControlPlane" if role in ("Master", "ControlPlane") else role


def _ig_view(docs: list[dict[str, Any]], names: bool) -> list[tuple[Any, ...]]:
    out = []
    for d in docs[1:]:
        s = d["spec"]
        role = _role(s["role"])
        out.append(
            (
                role,
                d["metadata"]["name"] if names else "",
                s["minSize"],
                s["maxSize"],
                s["machineType"],
                # Bastion subnets: see the note above.
                tuple(s["subnets"]) if role != "Bastion" else (),
                tuple(s.get("zones", [])),
                d["metadata"]["labels"]["kops.k8s.io/cluster"],
            )
        )
    return sorted(out)


def _subnet_view(spec: dict[str, Any], cidrs: bool) -> list[tuple[str, ...]]:
    keys = ["name", "type", "zone", "region"] + (["cidr"] if cidrs else [])
    return sorted(tuple(str(s.get(k, "")) for k in keys) for s in spec["subnets"])


def compare_with_kops(
    ours: str,
    example: str,
    region: str,
    fake: str,
    *,
    same: tuple[str, ...],
    cidrs: bool = False,
    names: bool = False,
    exact_etcd: bool = False,
) -> None:
    """Compare our manifest with a real kOps manifest: the `same` spec fields exactly, and
    always the name, subnets, etcd membership and instance groups."""
    mine = _norm(docs_of(ours), region, fake)
    real = docs_of((EXAMPLES / example).read_text())
    mspec, rspec = mine[0]["spec"], real[0]["spec"]
    assert mine[0]["metadata"]["name"] == real[0]["metadata"]["name"]
    for key in same:
        assert mspec.get(key) == rspec[key], key
    assert _subnet_view(mspec, cidrs) == _subnet_view(rspec, cidrs)
    assert [e["name"] for e in mspec["etcdClusters"]] == [e["name"] for e in rspec["etcdClusters"]]
    for spec, docs in ((mspec, mine), (rspec, real)):
        cps = {
            d["metadata"]["name"] for d in docs[1:] if _role(d["spec"]["role"]) == "ControlPlane"
        }
        for etcd in spec["etcdClusters"]:
            assert {m["instanceGroup"] for m in etcd["etcdMembers"]} == cps
    assert [len(e["etcdMembers"]) for e in mspec["etcdClusters"]] == [
        len(e["etcdMembers"]) for e in rspec["etcdClusters"]
    ]
    if exact_etcd:
        assert mspec["etcdClusters"] == rspec["etcdClusters"]
    assert _ig_view(mine, names) == _ig_view(real, names)


def _single(tmp_path: Path, text: str) -> str:
    files = render_tree(write_tree(tmp_path / "m", {"c.yaml": text}))
    out = write_files(tmp_path / "out", files)
    manifest = next(p for p in files if p.endswith("kops/cluster.yaml"))
    assert kops_findings([out / manifest]) == ""
    return files[manifest]


def test_matches_kops_ha(tmp_path: Path) -> None:
    ours = _single(
        tmp_path,
        """
        name: ha
        cloud: aws
        engine: kops
        region: us-east-1
        zones: [us-east-1a, us-east-1b, us-east-1c]
        kubernetesVersion: "1.32"
        highAvailability: true
        network: {cidr: 172.20.0.0/16, topology: public}
        apiServer: {public: true, allowedCidrs: [0.0.0.0/0]}
        nodePools:
          nodes: {machineType: t2.medium, minSize: 2, maxSize: 2}
        kops:
          stateStore: s3://tests
          dnsZone: example.com
          controlPlaneMachineType: m3.medium
        """,
    )
    # ha.yaml brings its own CNI (`cni: {}`) and hand-picks /19 CIDRs; it has no API
    # load balancer (`api.dns`). The rest must match.
    compare_with_kops(
        ours,
        "ha.yaml",
        "us-east-1",
        "us-test-1",
        same=(
            "cloudProvider",
            "networkCIDR",
            "nonMasqueradeCIDR",
            "kubernetesApiAccess",
            "sshAccess",
            "topology",
        ),
    )
    # Three public zones in a /16, carved as `kops create cluster` does: the /16 in four,
    # the zones take the first three quarters (no Utility subnets to make room for).
    spec = docs_of(ours)[0]["spec"]
    assert [s["cidr"] for s in spec["subnets"]] == [
        "172.20.0.0/18",
        "172.20.64.0/18",
        "172.20.128.0/18",
    ]


def test_matches_kops_privatecalico(tmp_path: Path) -> None:
    ours = _single(
        tmp_path,
        """
        name: privatecalico
        cloud: aws
        engine: kops
        region: us-east-1
        zones: [us-east-1a]
        kubernetesVersion: "1.32"
        network: {cidr: 172.20.0.0/16, topology: private, cni: calico}
        apiServer: {public: true}
        addons: [aws-ebs-csi-driver]
        nodePools:
          nodes: {machineType: t3.medium, minSize: 2, maxSize: 2}
        kops:
          stateStore: s3://clusters.example.com
          dnsZone: example.com
          bastion: true
        """,
    )
    # Hand-written /19 and /22 CIDRs upstream; ours are kOps's carving (a /17 and a /20).
    compare_with_kops(
        ours,
        "privatecalico.yaml",
        "us-east-1",
        "us-test-1",
        same=(
            "api",
            "cloudConfig",
            "cloudProvider",
            "networking",
            "networkCIDR",
            "nonMasqueradeCIDR",
            "kubernetesApiAccess",
            "sshAccess",
        ),
    )
    spec = docs_of(ours)[0]["spec"]
    assert [s["cidr"] for s in spec["subnets"]] == ["172.20.128.0/17", "172.20.0.0/20"]
    assert spec["iam"]["legacy"] is False


def test_matches_kops_ha_gce(tmp_path: Path) -> None:
    ours = _single(
        tmp_path,
        """
        name: ha-gce
        cloud: gcp
        engine: kops
        region: us-central1
        zones: [us-central1-a, us-central1-b, us-central1-c]
        kubernetesVersion: "1.32"
        highAvailability: true
        network: {topology: public}
        apiServer: {public: true}
        gcp: {project: testproject}
        addons: [cluster-autoscaler]
        backend: {type: gcs, bucket: tfstate}
        nodePools:
          nodes: {machineType: e2-medium, minSize: 2, maxSize: 2}
        kops:
          stateStore: gs://tests
          dnsZone: example.com
        """,
    )
    # Upstream: BYO CNI, `api.dns`, a taint with the made-up effect `c`; no subnet CIDR.
    compare_with_kops(
        ours,
        "ha_gce.yaml",
        "us-central1",
        "us-test1",
        same=(
            "authorization",
            "cloudProvider",
            "clusterAutoscaler",
            "kubelet",
            "kubernetesApiAccess",
            "nonMasqueradeCIDR",
            "project",
            "sshAccess",
            "topology",
        ),
    )


def test_matches_kops_create_minimal(tmp_path: Path) -> None:
    ours = _single(
        tmp_path,
        """
        name: minimal
        cloud: aws
        engine: kops
        region: us-east-1
        zones: [us-east-1a]
        kubernetesVersion: "1.36.0"
        network: {cidr: 172.20.0.0/16, topology: public}
        apiServer: {public: true}
        nodePools:
          nodes-us-east-1a: {machineType: t2.medium, minSize: 1, maxSize: 1}
        kops:
          stateStore: s3://tests
          dnsZone: example.com
          dnsType: None
          controlPlaneMachineType: m3.medium
        """,
    )
    # The exact output of `kops create cluster`: names, CIDRs and etcd must all match.
    compare_with_kops(
        ours,
        "create-minimal-1.36.yaml",
        "us-east-1",
        "us-test-1",
        same=(
            "api",
            "authorization",
            "cloudProvider",
            "iam",
            "kubelet",
            "kubernetesApiAccess",
            "kubernetesVersion",
            "networkCIDR",
            "nonMasqueradeCIDR",
            "sshAccess",
            "topology",
        ),
        cidrs=True,
        names=True,
        exact_etcd=True,
    )
    real_igs = groups(docs_of((EXAMPLES / "create-minimal-1.36.yaml").read_text()))
    mine_igs = groups(_norm(docs_of(ours), "us-east-1", "us-test-1"))
    for name, ig in real_igs.items():
        assert mine_igs[name]["spec"]["nodeLabels"] == ig["spec"]["nodeLabels"]


def test_example_manifests_pass_the_kops_schema(tmp_path: Path) -> None:
    files = render_tree(ROOT / "examples")
    manifests = [p for p in files if p.endswith("kops/cluster.yaml")]
    assert manifests
    out = write_files(tmp_path, files)
    assert kops_findings([out / p for p in manifests]) == ""
