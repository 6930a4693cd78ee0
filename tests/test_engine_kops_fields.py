"""kOps as its users run it (issue 16): values that must come from the model (existing
networks, GCE IP aliases, disks, access), kOps's reserved labels, the escape hatches
`kops.clusterSpec` / `nodePools.<p>.kops.spec` checked against the kOps CRDs at FILE:LINE,
and the choices of `kops create cluster` (networking, control-plane count, API)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import (
    ORACLES,
    ROOT,
    checkov_failures,
    kops_findings,
    oracle_findings,
    terraform_problems,
    write_tree,
)
from test_engine_kops import (
    AWS_DEFAULTS,
    DEV_PUBLIC,
    GCE,
    HA_PRIVATE,
    ORG_DEFAULTS,
    _single,
    compare_with_kops,
    docs_of,
    errors_of,
    groups,
    render,
    tf_blocks,
)
from treeform.cli import cli
from treeform.providers.gcp.kops import cluster_suffixed_name
from treeform.providers.kops import trim_common_prefix

#: DEV_PUBLIC without its network and pools, so that a test can give its own.
DEV_BARE = DEV_PUBLIC.replace("    network: {cidr: 10.40.0.0/16, topology: public}\n", "").replace(
    "    nodePools:\n      general: {minSize: 1, maxSize: 2}\n", ""
)
assert "network" not in DEV_BARE and "nodePools" not in DEV_BARE


def aws(extra: str = "", base: str = DEV_BARE) -> dict[str, str]:
    return {
        "_defaults.yaml": ORG_DEFAULTS,
        "aws/_defaults.yaml": AWS_DEFAULTS,
        "aws/c.yaml": base + extra,
    }


def spec_of(tmp_path: Path, files: dict[str, str], cid: str = "aws/c") -> dict:
    out, written = render(tmp_path, files)
    assert kops_findings([written / cid / "kops/cluster.yaml"]) == ""
    return docs_of(out[f"{cid}/kops/cluster.yaml"])


def located(errors: list[str], field: str) -> tuple[str, int, str]:
    for e in errors:
        m = re.match(r"(.+?):(\d+):\d+: (\S+): (.*)", e)
        if m and m[3] == field:
            return m[1], int(m[2]), m[4]
    raise AssertionError(f"no error at {field}: {errors}")


# --- 1. values from the model ---------------------------------------------------------------

EXISTING = """
    network:
      topology: public
      existing: {networkId: vpc-0abc, subnetIds: [subnet-1]}
    """


def test_existing_vpc_without_a_range_lets_kops_read_it(tmp_path: Path) -> None:
    spec = spec_of(tmp_path, aws(EXISTING))[0]["spec"]
    assert spec["networkID"] == "vpc-0abc"
    # Never treeform's default 10.0.0.0/16: kOps reads the VPC's range (cloudup/defaults.go).
    assert "networkCIDR" not in spec
    assert "additionalNetworkCIDRs" not in spec


def test_existing_vpc_range_and_secondary_ranges(tmp_path: Path) -> None:
    model = DEV_PUBLIC.replace(
        "    network: {cidr: 10.40.0.0/16, topology: public}\n",
        "    network:\n"
        "      topology: public\n"
        "      existing:\n"
        "        networkId: vpc-0abc\n"
        "        subnetIds: [subnet-1]\n"
        "        cidr: 172.31.0.0/16\n"
        "        additionalCidrs: [172.32.0.0/16]\n",
    )
    spec = spec_of(tmp_path, aws(base=model))[0]["spec"]
    assert spec["networkCIDR"] == "172.31.0.0/16"
    assert spec["additionalNetworkCIDRs"] == ["172.32.0.0/16"]


def test_existing_vpc_range_given_twice_must_agree(tmp_path: Path) -> None:
    model = DEV_PUBLIC.replace(
        "    network: {cidr: 10.40.0.0/16, topology: public}\n",
        "    network:\n"
        "      cidr: 10.40.0.0/16\n"
        "      topology: public\n"
        "      existing: {networkId: vpc-0abc, subnetIds: [subnet-1], cidr: 172.31.0.0/16}\n",
    )
    errors = errors_of(tmp_path, aws(base=model))
    _, _, message = located(errors, "network.existing.cidr")
    assert "differs from network.cidr 10.40.0.0/16" in message


def test_existing_vpc_private_api_needs_a_range(tmp_path: Path) -> None:
    model = DEV_PUBLIC.replace(
        "    network: {cidr: 10.40.0.0/16, topology: public}\n",
        "    network:\n      topology: public\n"
        "      existing: {networkId: vpc-0abc, subnetIds: [subnet-1]}\n",
    ).replace(
        "apiServer: {public: true, allowedCidrs: [203.0.113.0/24, 198.51.100.7/32]}",
        "apiServer: {public: false}",
    )
    errors = errors_of(tmp_path, aws(base=model))
    _, _, message = located(errors, "network.existing")
    assert "network.existing.cidr or apiServer.allowedCidrs" in message


GCE_ALIASES = GCE.replace(
    "network: {cidr: 10.60.0.0/20, topology: private}",
    "network: {cidr: 10.60.0.0/20, topology: private, cni: gce, "
    "podCidr: 100.100.0.0/16, serviceCidr: 100.64.0.0/16}",
).replace("      bastion: true\n", "")


def test_gce_ip_aliases_keep_the_model_ranges(tmp_path: Path) -> None:
    out, written = render(tmp_path, {"gcp/ha.yaml": GCE_ALIASES})
    assert kops_findings([written / "gcp/ha/kops/cluster.yaml"]) == ""
    spec = docs_of(out["gcp/ha/kops/cluster.yaml"])[0]["spec"]
    # All three set, or kOps allocates all three afresh (performNetworkAssignmentsIPAliases).
    assert spec["networking"] == {"gce": {}}
    assert spec["podCIDR"] == "100.100.0.0/16"
    assert spec["serviceClusterIPRange"] == "100.64.0.0/16"
    assert spec["subnets"][0]["cidr"] == "10.60.0.0/20"
    module = written / "gcp/ha/terraform"
    subnet = tf_blocks(module, "resource")["google_compute_subnetwork.this"]
    ranges = {
        r["range_name"].strip('"'): r["ip_cidr_range"].strip('"')
        for r in subnet["secondary_ip_range"]
    }
    assert ranges == {
        "pods-ha-gce-example-com": "100.100.0.0/16",
        "services-ha-gce-example-com": "100.64.0.0/16",
    }
    assert terraform_problems(module) == []
    assert oracle_findings([module]) == ""


def test_gce_ip_aliases_default_ranges(tmp_path: Path) -> None:
    model = GCE_ALIASES.replace(", podCidr: 100.100.0.0/16, serviceCidr: 100.64.0.0/16", "")
    out, _ = render(tmp_path, {"gcp/ha.yaml": model})
    spec = docs_of(out["gcp/ha/kops/cluster.yaml"])[0]["spec"]
    assert (spec["podCIDR"], spec["serviceClusterIPRange"]) == ("100.96.0.0/11", "100.64.0.0/13")


def test_gce_ip_aliases_existing_subnetwork_needs_its_range(tmp_path: Path) -> None:
    model = GCE_ALIASES.replace("      sharedVpc: true\n", "").replace(
        "network: {cidr: 10.60.0.0/20,",
        "network: {existing: {networkId: shared, subnetIds: [shared-us-central1]},",
    )
    errors = errors_of(tmp_path, {"gcp/ha.yaml": model})
    assert "network.existing.cidr" in located(errors, "network.existing")[2]
    fixed = model.replace(
        "subnetIds: [shared-us-central1]}", "subnetIds: [shared-us-central1], cidr: 10.8.0.0/20}"
    )
    out, _ = render(tmp_path / "ok", {"gcp/ha.yaml": fixed})
    subnet = docs_of(out["gcp/ha/kops/cluster.yaml"])[0]["spec"]["subnets"][0]
    assert (subnet["id"], subnet["cidr"]) == ("shared-us-central1", "10.8.0.0/20")


def test_gce_alias_range_names_are_cut_as_kops_cuts_them() -> None:
    assert cluster_suffixed_name("pods", "a.example.com") == "pods-a-example-com"
    long = "x" * 40 + ".k8s.example.com"
    name = cluster_suffixed_name("services", long)
    assert len(name) == 63
    assert re.fullmatch(r"services-x{40}-k8s-ex-[0-9a-v]{6}", name), name


@pytest.mark.parametrize(
    ("tag", "rule"),
    [
        ("Name", "'Name' is a reserved label"),
        ("KubernetesCluster", "'KubernetesCluster' is a reserved label"),
        ("kubernetes.io/cluster/other", "'kubernetes.io/cluster/' is a reserved label prefix"),
        ("k8s.io/role/master", "'k8s.io/role/' is a reserved label prefix"),
        ("kops.k8s.io/instancegroup", "'kops.k8s.io/' is a reserved label prefix"),
    ],
)
def test_reserved_tags_are_refused_at_the_tag(tmp_path: Path, tag: str, rule: str) -> None:
    errors = errors_of(tmp_path, aws(f"    tags: {{{tag!r}: x}}\n"))
    file, _, message = located(errors, f"tags.{tag}")
    assert file.endswith("aws/c.yaml") and rule in message


def test_reserved_pool_cloud_label(tmp_path: Path) -> None:
    errors = errors_of(
        tmp_path, aws("    nodePools:\n      general: {kops: {cloudLabels: {Name: x}}}\n")
    )
    assert "reserved label" in located(errors, "nodePools.general.kops.cloudLabels.Name")[2]


def test_pool_cloud_labels_over_cluster_tags(tmp_path: Path) -> None:
    pools = "    nodePools:\n      general: {kops: {cloudLabels: {team: batch, cost: b}}}\n"
    docs = spec_of(tmp_path, aws(pools))
    assert docs[0]["spec"]["cloudLabels"] == {"env": "prod", "team": "platform"}
    assert groups(docs)["general"]["spec"]["cloudLabels"] == {
        "cost": "b",
        "env": "prod",
        "team": "batch",
    }


def test_ssh_access_apart_from_the_api(tmp_path: Path) -> None:
    spec = spec_of(tmp_path, aws("    kops: {sshAccess: [192.0.2.0/24]}\n"))[0]["spec"]
    assert spec["kubernetesApiAccess"] == ["203.0.113.0/24", "198.51.100.7/32"]
    assert spec["sshAccess"] == ["192.0.2.0/24"]


def test_bastion_of_a_private_api_needs_ssh_access(tmp_path: Path) -> None:
    files = {
        "_defaults.yaml": ORG_DEFAULTS,
        "aws/_defaults.yaml": AWS_DEFAULTS,
        "aws/c.yaml": HA_PRIVATE.replace(", sshAccess: [203.0.113.0/24]", ""),
    }
    errors = errors_of(tmp_path, files)
    file, _, message = located(errors, "kops.bastion")
    assert file.endswith("aws/c.yaml") and "kops.sshAccess" in message


def test_desired_size_is_refused(tmp_path: Path) -> None:
    model = DEV_PUBLIC.replace(
        "general: {minSize: 1, maxSize: 2}", "general: {minSize: 1, maxSize: 2, desiredSize: 2}"
    )
    errors = errors_of(tmp_path, aws(base=model))
    file, _, message = located(errors, "nodePools.general.desiredSize")
    assert file.endswith("aws/c.yaml") and "kOps has no desired size" in message
    same = DEV_PUBLIC.replace(
        "general: {minSize: 1, maxSize: 2}", "general: {minSize: 1, maxSize: 2, desiredSize: 1}"
    )
    spec_of(tmp_path / "ok", aws(base=same))


def test_kops_disk_defaults_unless_the_model_says(tmp_path: Path) -> None:
    defaults = AWS_DEFAULTS.replace(", diskSizeGb: 80", "")
    files = {
        "_defaults.yaml": ORG_DEFAULTS,
        "aws/_defaults.yaml": defaults,
        "aws/c.yaml": DEV_PUBLIC,
    }
    igs = groups(spec_of(tmp_path, files))
    # kOps then gives 128 GB to nodes, 64 to control planes (pkg/model/defaults/volumes.go).
    assert all("rootVolumeSize" not in g["spec"] for g in igs.values())
    igs = groups(spec_of(tmp_path / "given", aws()))
    assert igs["general"]["spec"]["rootVolumeSize"] == 80


# --- 2. the escape hatch ----------------------------------------------------------------------

HATCH = """
    kops:
      clusterSpec:
        kubelet:
          maxPods: 200
        api:
          loadBalancer:
            idleTimeoutSeconds: 600
        etcdClusters:
        - name: main
          etcdMembers: [{name: a, instanceGroup: control-plane-eu-west-1a, volumeSize: 40}]
        - name: events
          etcdMembers: [{name: a, instanceGroup: control-plane-eu-west-1a}]
    nodePools:
      general:
        kops:
          spec:
            maxPrice: "0.10"
            nodeLabels: {extra: "yes"}
    """


def test_cluster_spec_and_pool_spec_are_merged_last(tmp_path: Path) -> None:
    docs = spec_of(tmp_path, aws(HATCH))
    spec = docs[0]["spec"]
    assert spec["kubelet"] == {"anonymousAuth": False, "maxPods": 200}
    assert spec["api"]["loadBalancer"] == {
        "class": "Network",
        "idleTimeoutSeconds": 600,
        "type": "Public",
    }
    # Lists replace: the model's etcd clusters are the ones written.
    assert spec["etcdClusters"][0]["etcdMembers"][0]["volumeSize"] == 40
    assert "cpuRequest" not in spec["etcdClusters"][0]
    general = groups(docs)["general"]["spec"]
    assert general["maxPrice"] == "0.10"
    assert general["nodeLabels"] == {"extra": "yes", "kops.k8s.io/instancegroup": "general"}
    assert general["machineType"] == "m6i.large"


@pytest.mark.parametrize(
    ("extra", "field", "line", "fragment"),
    [
        (
            "    kops:\n      clusterSpec:\n        kubelett: {maxPods: 1}\n",
            "kops.clusterSpec.kubelett",
            7,
            "did you mean 'kubelet'?",
        ),
        (
            "    kops:\n      clusterSpec:\n        api:\n          loadBalancer:\n"
            "            idleTimeout: 5\n",
            "kops.clusterSpec.api.loadBalancer.idleTimeout",
            9,
            "did you mean 'idleTimeoutSeconds'?",
        ),
        (
            "    kops:\n      clusterSpec:\n        kubelet: {maxPods: many}\n",
            "kops.clusterSpec.kubelet.maxPods",
            7,
            "'many' is not of type 'integer'",
        ),
        (
            "    nodePools:\n      general:\n        kops:\n          spec: {maxSizee: 3}\n",
            "nodePools.general.kops.spec.maxSizee",
            8,
            "did you mean 'maxSize'?",
        ),
    ],
)
def test_escape_hatch_typos_are_located(
    tmp_path: Path, extra: str, field: str, line: int, fragment: str
) -> None:
    files = aws(extra)
    errors = errors_of(tmp_path, files)
    file, at, message = located(errors, field)
    key = field.rsplit(".", 1)[-1]
    lines = files["aws/c.yaml"].lstrip("\n").splitlines()
    assert at == line == 1 + max(i for i, t in enumerate(lines) if key + ":" in t), errors
    assert file.endswith("aws/c.yaml")
    assert fragment in message


def test_escape_hatch_is_in_explain(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "m", aws(HATCH))
    result = CliRunner().invoke(
        cli, ["explain", str(root), "aws/c", "kops.clusterSpec"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert re.search(
        r"kops\.clusterSpec\.kubelet\.maxPods: 200  # .*aws/c\.yaml:\d+", result.output
    )


def test_shipped_crd_schemas_are_the_oracle() -> None:
    for kind in ("cluster", "instancegroup"):
        shipped = (ROOT / "schemas" / f"kops.{kind}.schema.json").read_bytes()
        assert shipped == (ORACLES / "kops" / f"{kind}.schema.json").read_bytes()


# --- 3. choices of `kops create cluster` ---------------------------------------------------------


@pytest.mark.parametrize(
    ("cni", "networking"),
    [
        ("kubenet", {"kubenet": {}}),
        ("calico", {"calico": {}}),
        ("cilium", {"cilium": {"enableNodePort": True}}),
        ("cilium-eni", {"cilium": {"enableNodePort": True, "ipam": "eni"}}),
        ("flannel", {"flannel": {"backend": "vxlan"}}),
        ("kube-router", {"kuberouter": {}}),
        ("amazonvpc", {"amazonvpc": {}}),
        ("cni", {"cni": {}}),
    ],
)
def test_networking_as_kops_names_it(tmp_path: Path, cni: str, networking: dict) -> None:
    model = DEV_PUBLIC.replace("topology: public}", f"topology: public, cni: {cni}}}")
    spec = spec_of(tmp_path, aws(base=model))[0]["spec"]
    assert spec["networking"] == networking
    replaced = cni in {"cilium", "cilium-eni", "kube-router"}
    assert (spec.get("kubeProxy") == {"enabled": False}) is replaced


def test_aws_networking_is_refused_on_gce(tmp_path: Path) -> None:
    model = GCE.replace("topology: private}", "topology: private, cni: cilium-eni}")
    errors = errors_of(tmp_path, {"gcp/ha.yaml": model})
    assert "no CNI 'cilium-eni'" in located(errors, "network.cni")[2]


def test_control_plane_count_apart_from_zones(tmp_path: Path) -> None:
    docs = spec_of(tmp_path, aws("    kops: {controlPlaneCount: 3}\n"))
    names = [n for n, g in groups(docs).items() if g["spec"]["role"] == "ControlPlane"]
    assert names == [f"control-plane-eu-west-1a-{i}" for i in (1, 2, 3)]
    members = [m["name"] for m in docs[0]["spec"]["etcdClusters"][0]["etcdMembers"]]
    assert members == ["etcd-1", "etcd-2", "etcd-3"]


def test_control_plane_names_as_kops_create_cluster() -> None:
    assert trim_common_prefix(["control-plane-us-east-1a"]) == ["a"]
    assert trim_common_prefix(
        ["control-plane-us-east-1a-1", "control-plane-us-east-1b-1", "control-plane-us-east-1a-2"]
    ) == ["a-1", "b-1", "a-2"]


def test_ha_with_one_control_plane_is_refused(tmp_path: Path) -> None:
    model = HA_PRIVATE.replace(
        "kops: {bastion: true,", "kops: {controlPlaneCount: 1, bastion: true,"
    )
    files = {
        "_defaults.yaml": ORG_DEFAULTS,
        "aws/_defaults.yaml": AWS_DEFAULTS,
        "aws/c.yaml": model,
    }
    assert (
        "3 or 5 control planes" in located(errors_of(tmp_path, files), "kops.controlPlaneCount")[2]
    )


def test_api_load_balancer_class_and_dns_only(tmp_path: Path) -> None:
    spec = spec_of(tmp_path, aws("    kops: {apiLoadBalancer: {class: Classic}}\n"))[0]["spec"]
    assert spec["api"] == {"loadBalancer": {"class": "Classic", "type": "Public"}}
    spec = spec_of(tmp_path / "dns", aws("    kops: {apiLoadBalancer: {dnsOnly: true}}\n"))[0][
        "spec"
    ]
    assert spec["api"] == {"dns": {}}
    files = {
        "_defaults.yaml": ORG_DEFAULTS,
        "aws/_defaults.yaml": AWS_DEFAULTS,
        "aws/c.yaml": HA_PRIVATE.replace(
            "kops: {bastion: true,", "kops: {apiLoadBalancer: {dnsOnly: true}, bastion: true,"
        ),
    }
    assert (
        "apiServer.public: true"
        in located(errors_of(tmp_path / "bad", files), "kops.apiLoadBalancer.dnsOnly")[2]
    )


ROLES = """
    kops:
      roles:
        controlPlane:
          image: ami-0123456789abcdef0
          rootVolume: {sizeGb: 80, type: io2, iops: 4000}
        bastion:
          rootVolume: {sizeGb: 20}
        node:
          image: ami-0fedcba9876543210
          rootVolume: {sizeGb: 200, type: gp3, throughput: 250}
      etcd: {volumeType: io2, volumeSizeGb: 40, volumeIops: 3000, events: false}
      discoveryStore: s3://example-oidc/discovery
    nodePools:
      big: {machineType: m6i.xlarge, minSize: 1, maxSize: 2, diskSizeGb: 300}
    """


def test_roles_etcd_and_discovery(tmp_path: Path) -> None:
    docs = spec_of(tmp_path, aws(ROLES))
    spec = docs[0]["spec"]
    igs = groups(docs)
    cp = igs["control-plane-eu-west-1a"]["spec"]
    assert (cp["image"], cp["rootVolumeSize"], cp["rootVolumeType"], cp["rootVolumeIops"]) == (
        "ami-0123456789abcdef0",
        80,
        "io2",
        4000,
    )
    assert cp["rootVolumeEncryption"] is True
    general, big = igs["general"]["spec"], igs["big"]["spec"]
    assert general["image"] == big["image"] == "ami-0fedcba9876543210"
    # The pool's own diskSizeGb wins over the role's size.
    assert (general["rootVolumeSize"], big["rootVolumeSize"]) == (80, 300)
    assert general["rootVolumeThroughput"] == 250
    assert [e["name"] for e in spec["etcdClusters"]] == ["main"]
    member = spec["etcdClusters"][0]["etcdMembers"][0]
    assert member == {
        "encryptedVolume": True,
        "instanceGroup": "control-plane-eu-west-1a",
        "name": "a",
        "volumeIops": 3000,
        "volumeSize": 40,
        "volumeType": "io2",
    }
    assert spec["serviceAccountIssuerDiscovery"] == {
        "discoveryStore": "s3://example-oidc/discovery/c.k8s.example.com",
        "enableAWSOIDCProvider": True,
    }
    assert spec["iam"]["useServiceAccountExternalPermissions"] is True


def test_egress_on_private_subnets(tmp_path: Path) -> None:
    files = {
        "_defaults.yaml": ORG_DEFAULTS,
        "aws/_defaults.yaml": AWS_DEFAULTS,
        "aws/c.yaml": HA_PRIVATE.replace(
            "kops: {bastion: true,", "kops: {egress: nat-0abc12, bastion: true,"
        ),
    }
    spec = spec_of(tmp_path, files)[0]["spec"]
    egress = {s["name"]: s.get("egress") for s in spec["subnets"]}
    assert egress["us-east-1a"] == "nat-0abc12"
    assert egress["utility-us-east-1a"] is None
    errors = errors_of(tmp_path / "pub", aws("    kops: {egress: External}\n", base=DEV_PUBLIC))
    assert "topology: private" in located(errors, "kops.egress")[2]
    model = GCE.replace("      bastion: true\n", "      bastion: true\n      egress: nat-0abc\n")
    errors = errors_of(tmp_path / "gce", {"gcp/ha.yaml": model})
    assert "names an AWS resource" in located(errors, "kops.egress")[2]


# --- 4. kOps on Azure --------------------------------------------------------------------------

AZURE = """
    cloud: azure
    engine: kops
    region: eastus
    kubernetesVersion: "1.34"
    highAvailability: true
    azure:
      subscriptionId: 00000000-0000-0000-0000-000000000001
      tenantId: 00000000-0000-0000-0000-000000000002
    apiServer: {public: true, allowedCidrs: [203.0.113.0/24]}
    network: {cidr: 10.80.0.0/16, topology: private, cni: calico}
    tags: {team: platform}
    backend: {type: local}
    kops:
      stateStore: azureblob://examplekops/state
      stateStoreExternal: true
      dnsZone: azure.example.com
    nodePools:
      general: {machineType: Standard_D4s_v5, minSize: 2, maxSize: 6, diskSizeGb: 100}
    """


def test_azure_manifest(tmp_path: Path) -> None:
    docs = spec_of(tmp_path, {"azure/c.yaml": AZURE}, "azure/c")
    spec = docs[0]["spec"]
    assert spec["cloudProvider"] == "azure"
    assert spec["configBase"] == "azureblob://examplekops/state/c.azure.example.com"
    assert spec["cloudConfig"] == {
        "azure": {
            "adminUser": "kops",
            "subscriptionId": "00000000-0000-0000-0000-000000000001",
            "tenantId": "00000000-0000-0000-0000-000000000002",
        }
    }
    # kOps on Azure: DNS topology None only, so no dnsZone; the API behind a load balancer.
    assert spec["topology"] == {"dns": {"type": "None"}}
    assert "dnsZone" not in spec
    assert spec["api"] == {"loadBalancer": {"type": "Public"}}
    assert spec["subnets"] == [
        {"cidr": "10.80.0.0/16", "name": "eastus", "region": "eastus", "type": "Private"}
    ]
    assert spec["networkCIDR"] == "10.80.0.0/16"
    igs = groups(docs)
    cps = sorted(n for n, g in igs.items() if g["spec"]["role"] == "ControlPlane")
    assert cps == [f"control-plane-eastus-{z}" for z in "123"]
    assert igs["control-plane-eastus-2"]["spec"]["zones"] == ["eastus-2"]
    assert igs["general"]["spec"]["zones"] == ["eastus-1", "eastus-2", "eastus-3"]
    assert igs["general"]["spec"]["subnets"] == ["eastus"]
    members = spec["etcdClusters"][0]["etcdMembers"]
    assert [m["name"] for m in members] == ["etcd-1", "etcd-2", "etcd-3"]


def test_azure_existing_network_and_resource_group(tmp_path: Path) -> None:
    model = AZURE.replace(
        "network: {cidr: 10.80.0.0/16, topology: private, cni: calico}",
        "network: {topology: private, existing: {networkId: vnet-shared, subnetIds: [nodes]}}",
    )
    errors = errors_of(tmp_path, {"azure/c.yaml": model})
    assert "azure.resourceGroup" in located(errors, "network.existing")[2]
    model = model.replace(
        "tenantId: 00000000-0000-0000-0000-000000000002",
        "tenantId: 00000000-0000-0000-0000-000000000002\n      resourceGroup: rg-net",
    )
    spec = spec_of(tmp_path / "ok", {"azure/c.yaml": model}, "azure/c")[0]["spec"]
    assert spec["networkID"] == "vnet-shared"
    assert "networkCIDR" not in spec  # kOps reads the virtual network's range
    assert spec["subnets"] == [{"name": "nodes", "region": "eastus", "type": "Private"}]
    assert spec["cloudConfig"]["azure"]["resourceGroupName"] == "rg-net"


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        (
            ("tenantId: 00000000-0000-0000-0000-000000000002", ""),
            "azure.tenantId",
            "needs azure.tenantId",
        ),
        (
            ("dnsZone: azure.example.com", "dnsZone: azure.example.com\n      dnsType: Public"),
            "kops.dnsType",
            "only DNS topology is None",
        ),
        (
            ("azureblob://examplekops/state", "azureblob://Example_Kops/state"),
            "kops.stateStore",
            "ACCOUNT/CONTAINER",
        ),
        (("diskSizeGb: 100}", "diskSizeGb: 100, spot: true}"), "nodePools.general.spot", "no spot"),
        (
            ("stateStore: azureblob://examplekops/state", "stateStore: s3://examplekops/state"),
            "kops.stateStore",
            "azureblob://",
        ),
        (("cni: calico", "cni: amazonvpc"), "network.cni", "no CNI 'amazonvpc'"),
    ],
)
def test_azure_rules(tmp_path: Path, change: tuple[str, str], field: str, fragment: str) -> None:
    assert change[0] in AZURE
    errors = errors_of(tmp_path, {"azure/c.yaml": AZURE.replace(*change)})
    assert fragment in located(errors, field)[2], errors


def test_azure_state_store_terraform(tmp_path: Path) -> None:
    model = AZURE.replace("      stateStoreExternal: true\n", "")
    out, written = render(tmp_path, {"azure/c.yaml": model})
    module = written / "azure/c/terraform"
    assert terraform_problems(module) == []
    assert oracle_findings([module]) == ""
    resources = tf_blocks(module, "resource")
    account = resources["azurerm_storage_account.state_store"]
    assert account["name"] == '"examplekops"'
    assert account["shared_access_key_enabled"] is False
    assert resources["azurerm_storage_container.state_store"]["name"] == '"state"'
    assert resources["azurerm_resource_group.state_store"]["name"] == '"kops-state-c"'
    assert checkov_failures(module, AZURE_STORE_CHECKS) == []
    # With the store made elsewhere, Terraform has nothing to make.
    out, _ = render(tmp_path / "external", {"azure/c.yaml": AZURE})
    assert not any(p.startswith("azure/c/terraform/") for p in out)


#: checkov's storage-account checks that the state store passes (the others are skipped in
#: the template, each with its reason).
AZURE_STORE_CHECKS = [
    "CKV_AZURE_3",
    "CKV_AZURE_43",
    "CKV_AZURE_44",
    "CKV_AZURE_190",
    "CKV_AZURE_206",
    "CKV_AZURE_244",
    "CKV2_AZURE_38",
    "CKV2_AZURE_40",
    "CKV2_AZURE_41",
    "CKV2_AZURE_47",
    "CKV_AZURE_34",
]


# --- held out: kOps's own `create_cluster` integration tests, written as models ----------------

CREATE = """\
name: {name}
cloud: aws
engine: kops
region: us-east-1
zones: [{zones}]
kubernetesVersion: "1.32.0"
highAvailability: false
network: {{cidr: 172.20.0.0/16, topology: public, cni: {cni}}}
apiServer: {{public: true}}
nodePools:
{pools}
kops:
  stateStore: s3://tests
  dnsZone: example.com
  dnsType: None
  controlPlaneMachineType: m3.medium
{extra}
"""


def _create(name: str, zones: list[str], cni: str, extra: str = "") -> str:
    """A model of `kops create cluster --zones ZONES --networking CNI` (one node group per
    zone, as kOps makes them); `extra` lines go under `kops:`."""
    pools = "\n".join(
        f"  nodes-{z}: {{machineType: t2.medium, minSize: 1, maxSize: 1, zones: [{z}]}}"
        for z in zones
    )
    return CREATE.format(name=name, zones=", ".join(zones), cni=cni, pools=pools, extra=extra)


SAME = (
    "api",
    "authorization",
    "cloudProvider",
    "iam",
    "kubelet",
    "kubernetesApiAccess",
    "kubernetesVersion",
    "networkCIDR",
    "networking",
    "nonMasqueradeCIDR",
    "sshAccess",
    "topology",
)


def test_matches_kops_create_ha_shared_zones(tmp_path: Path) -> None:
    # --control-plane-count 5 over two zones, --networking cni.
    ours = _single(
        tmp_path, _create("ha", ["us-east-1a", "us-east-1b"], "cni", "  controlPlaneCount: 5")
    )
    compare_with_kops(
        ours,
        "create-ha_shared_zones.yaml",
        "us-east-1",
        "us-test-1",
        same=SAME,
        cidrs=True,
        names=True,
        exact_etcd=True,
    )


def test_matches_kops_create_cilium_eni(tmp_path: Path) -> None:
    ours = _single(tmp_path, _create("minimal", ["us-east-1a"], "cilium-eni"))
    compare_with_kops(
        ours,
        "create-cilium-eni.yaml",
        "us-east-1",
        "us-test-1",
        same=(*SAME, "kubeProxy"),
        cidrs=True,
        names=True,
        exact_etcd=True,
    )


def test_matches_kops_create_minimal_irsa(tmp_path: Path) -> None:
    # --discovery-store: memfs:// is kOps's test store; the model takes s3://.
    extra = "  discoveryStore: s3://tests/minimal.example.com/discovery"
    ours = _single(tmp_path, _create("minimal", ["us-east-1a"], "cni", extra))
    compare_with_kops(
        ours.replace(
            "s3://tests/minimal.example.com/discovery",
            "memfs://tests/minimal.example.com/discovery",
        ),
        "create-minimal-irsa.yaml",
        "us-east-1",
        "us-test-1",
        same=(*SAME, "serviceAccountIssuerDiscovery"),
        cidrs=True,
        names=True,
        exact_etcd=True,
    )


def test_matches_kops_create_volume_type(tmp_path: Path) -> None:
    # GCE, --control-plane-volume-size 32 --control-plane-volume-type pd-balanced
    # --node-volume-size 64.
    ours = _single(
        tmp_path,
        """
        name: volume-types
        cloud: gcp
        engine: kops
        region: us-central1
        zones: [us-central1-a]
        kubernetesVersion: "1.32.0"
        highAvailability: false
        gcp: {project: testproject}
        network: {topology: public, cni: cni}
        apiServer: {public: true}
        nodePools:
          nodes-us-central1-a: {machineType: n1-standard-2, minSize: 1, maxSize: 1, diskSizeGb: 64}
        kops:
          stateStore: gs://tests
          dnsZone: example.com
          dnsType: None
          controlPlaneMachineType: n1-standard-1
          roles:
            controlPlane:
              rootVolume: {sizeGb: 32, type: pd-balanced}
        """,
    )
    mine = groups(docs_of(ours))
    real = groups(docs_of((ORACLES / "kops/examples/create-volume_type.yaml").read_text()))
    for name in ("control-plane-us-central1-a", "nodes-us-central1-a"):
        fake = name.replace("us-central1", "us-test1")
        for key in ("rootVolumeSize", "rootVolumeType"):
            assert mine[name]["spec"].get(key) == real[fake]["spec"].get(key), (name, key)


def test_matches_kops_create_ipv6(tmp_path: Path) -> None:
    # --ipv6 --networking calico: IPv6 defaults kOps to a private topology.
    model = (
        _create("ipv6", ["us-east-1a"], "calico", "  ipv6: true")
        .replace('kubernetesVersion: "1.32.0"', 'kubernetesVersion: "1.35.0"')
        .replace("topology: public", "topology: private")
    )
    ours = _single(tmp_path, model)
    compare_with_kops(
        ours,
        "create-ipv6.yaml",
        "us-east-1",
        "us-test-1",
        same=(*SAME, "cloudControllerManager"),
        cidrs=True,
        names=True,
        exact_etcd=True,
    )
    real = docs_of((ORACLES / "kops/examples/create-ipv6.yaml").read_text())[0]["spec"]
    mine = _norm_region(docs_of(ours)[0]["spec"])
    assert mine["subnets"] == real["subnets"]


def _norm_region(value):  # type: ignore[no-untyped-def]
    if isinstance(value, str):
        return value.replace("us-east-1", "us-test-1")
    if isinstance(value, dict):
        return {k: _norm_region(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_norm_region(v) for v in value]
    return value


def test_ipv6_three_zones_and_refusals(tmp_path: Path) -> None:
    zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
    model = _create("v6", zones, "cilium", "  ipv6: true").replace(
        "topology: public", "topology: private"
    )
    docs = docs_of(_single(tmp_path, model))
    subnets = {s["name"]: s for s in docs[0]["spec"]["subnets"]}
    assert [s["ipv6CIDR"] for s in docs[0]["spec"]["subnets"]] == [f"/64#{i:x}" for i in range(9)]
    assert "cidr" not in subnets["us-east-1b"]
    assert subnets["dualstack-us-east-1b"]["cidr"] == "172.20.64.0/19"
    assert subnets["utility-us-east-1c"]["cidr"] == "172.20.8.0/22"
    igs = groups(docs)
    assert igs["control-plane-us-east-1a"]["spec"]["subnets"] == ["dualstack-us-east-1a"]
    assert igs["nodes-us-east-1b"]["spec"]["subnets"] == ["us-east-1b"]
    errors = errors_of(
        tmp_path / "flannel", {"c.yaml": model.replace("cni: cilium", "cni: flannel")}
    )
    assert "with IPv6" in located(errors, "network.cni")[2]
    gce = GCE.replace("      bastion: true\n", "      bastion: true\n      ipv6: true\n")
    errors = errors_of(tmp_path / "gce", {"gcp/ha.yaml": gce})
    assert "AWS only" in located(errors, "kops.ipv6")[2]


def test_kops_fields_are_refused_on_other_engines(tmp_path: Path) -> None:
    model = """
        cloud: aws
        engine: eks
        region: us-east-1
        kubernetesVersion: "1.33"
        aws: {accountId: "123456789012"}
        network:
          existing: {networkId: vpc-1, subnetIds: [subnet-1, subnet-2], cidr: 10.1.0.0/16}
        nodePools:
          general: {machineType: m6i.large, minSize: 1, maxSize: 3, kops: {spec: {maxPrice: "1"}}}
        """
    errors = errors_of(tmp_path, {"c.yaml": model})
    assert "engine eks reads" in located(errors, "network.existing.cidr")[2]
    assert "engine eks does not read them" in located(errors, "nodePools.general.kops")[2]
