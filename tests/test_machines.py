"""Machines (issue 14): architecture, accelerators and disks from the machine type, node
images, disk types and several machine types per pool, on every engine; the output judged
by the provider-schema, kOps and eksctl oracles and by Terraform itself."""

from __future__ import annotations

import json
import textwrap
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
import jsonschema
import pytest
import yaml
from helpers import (
    ORACLES,
    issues_of,
    kops_findings,
    oracle_findings,
    render_tree,
    terraform_dirs,
    terraform_problems,
    write_files,
    write_tree,
)
from treeform.pipeline import load_clusters
from treeform.providers import machines

# --- the tables --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "arch", "accelerator"),
    [
        ("m6i.large", "x86_64", None),
        ("m7i-flex.large", "x86_64", None),
        ("t3.micro", "x86_64", None),
        ("m7g.large", "arm64", None),
        ("c7gn.xlarge", "arm64", None),
        ("t4g.medium", "arm64", None),
        ("a1.metal", "arm64", None),
        ("is4gen.xlarge", "arm64", None),
        ("g5.xlarge", "x86_64", "nvidia"),
        ("p5.48xlarge", "x86_64", "nvidia"),
        ("p6-b200.48xlarge", "x86_64", "nvidia"),
        ("g5g.xlarge", "arm64", "nvidia"),
        ("inf2.xlarge", "x86_64", "neuron"),
        ("trn1.32xlarge", "x86_64", "neuron"),
        ("g4ad.xlarge", "x86_64", "amd-gpu"),
    ],
)
def test_ec2_families(name: str, arch: str, accelerator: str | None) -> None:
    machine = machines.AWS.machine(name)
    assert isinstance(machine, machines.Machine), machine
    assert (machine.arch, machine.accelerator) == (arch, accelerator)
    assert machine.disks[0] == "gp3"


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("m6i", "is not an EC2 instance type"),
        ("m6i.huge", "is not an EC2 instance type"),
        ("zz9.large", "not in treeform's table of EC2 families"),
        ("mac2.metal", "not in treeform's table of EC2 families"),
    ],
)
def test_ec2_unknown(name: str, why: str) -> None:
    found = machines.AWS.machine(name)
    assert isinstance(found, str) and why in found


@pytest.mark.parametrize(
    ("name", "arch", "gpu", "count", "disks"),
    [
        ("e2-standard-4", "x86_64", None, 0, ("pd-balanced", "pd-standard", "pd-ssd")),
        ("custom-4-8192", "x86_64", None, 0, ("pd-balanced", "pd-standard", "pd-ssd")),
        ("t2a-standard-4", "arm64", None, 0, ("pd-balanced", "pd-standard", "pd-ssd")),
        ("c3-standard-4-lssd", "x86_64", None, 0, ("pd-balanced", "pd-ssd", "hyperdisk-balanced")),
        ("n4-standard-4", "x86_64", None, 0, ("hyperdisk-balanced",)),
        ("c4-standard-8", "x86_64", None, 0, ("hyperdisk-balanced",)),
        ("c4a-standard-4", "arm64", None, 0, ("hyperdisk-balanced",)),
        ("g2-standard-8", "x86_64", "nvidia-l4", 1, ("pd-balanced", "pd-ssd")),
        ("g2-standard-24", "x86_64", "nvidia-l4", 2, ("pd-balanced", "pd-ssd")),
        ("g2-standard-96", "x86_64", "nvidia-l4", 8, ("pd-balanced", "pd-ssd")),
        (
            "a2-highgpu-4g",
            "x86_64",
            "nvidia-tesla-a100",
            4,
            ("pd-balanced", "pd-standard", "pd-ssd"),
        ),
        (
            "a2-megagpu-16g",
            "x86_64",
            "nvidia-tesla-a100",
            16,
            ("pd-balanced", "pd-standard", "pd-ssd"),
        ),
        (
            "a2-ultragpu-1g",
            "x86_64",
            "nvidia-a100-80gb",
            1,
            ("pd-balanced", "pd-standard", "pd-ssd"),
        ),
        (
            "a3-highgpu-8g",
            "x86_64",
            "nvidia-h100-80gb",
            8,
            ("pd-balanced", "pd-ssd", "hyperdisk-balanced"),
        ),
        (
            "a3-megagpu-8g",
            "x86_64",
            "nvidia-h100-mega-80gb",
            8,
            ("pd-balanced", "pd-ssd", "hyperdisk-balanced"),
        ),
        ("a3-ultragpu-8g", "x86_64", "nvidia-h200-141gb", 8, ("hyperdisk-balanced",)),
        ("a4-highgpu-8g", "x86_64", "nvidia-b200", 8, ("hyperdisk-balanced",)),
        ("a4x-highgpu-4g", "arm64", "nvidia-gb200", 4, ("hyperdisk-balanced",)),
        ("g4-standard-48", "x86_64", "nvidia-rtx-pro-6000", 1, ("hyperdisk-balanced",)),
    ],
)
def test_gce_families(
    name: str, arch: str, gpu: str | None, count: int, disks: tuple[str, ...]
) -> None:
    machine = machines.GCP.machine(name)
    assert isinstance(machine, machines.Machine), machine
    assert (machine.arch, machine.accelerator_type, machine.accelerator_count) == (arch, gpu, count)
    assert machine.disks == disks


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("g2-standard-6", "is not a G2 machine type"),
        ("a2-highgpu-3g", "is not a A2 machine type"),
        ("zz9-standard-4", "not in treeform's table of Compute Engine families"),
        ("ct5lp-hightpu-4t", "is a TPU machine type"),
    ],
)
def test_gce_unknown(name: str, why: str) -> None:
    found = machines.GCP.machine(name)
    assert isinstance(found, str) and why in found


@pytest.mark.parametrize(
    ("name", "arch", "accelerator", "ephemeral"),
    [
        ("Standard_D4s_v5", "x86_64", None, False),
        ("Standard_D4ds_v5", "x86_64", None, True),
        ("Standard_DS2_v2", "x86_64", None, True),
        ("Standard_E8-4ds_v5", "x86_64", None, True),
        ("Standard_B2s", "x86_64", None, True),
        ("Standard_D4ps_v5", "arm64", None, False),
        ("Standard_D4pds_v6", "arm64", None, True),
        ("Standard_E4pds_v5", "arm64", None, True),
        ("Standard_NC4as_T4_v3", "x86_64", "nvidia", True),
        ("Standard_NC24ads_A100_v4", "x86_64", "nvidia", True),
        ("Standard_ND96isr_H100_v5", "x86_64", "nvidia", False),
        ("Standard_NV36ads_A10_v5", "x86_64", "nvidia", True),
        ("Standard_NV4as_v4", "x86_64", "amd-gpu", True),
        ("Standard_NG8ads_V620_v1", "x86_64", "amd-gpu", True),
        ("Standard_NCC40ads_H100_v5", "x86_64", "nvidia", True),
        ("Standard_B2pts_v2", "arm64", None, True),
    ],
)
def test_azure_families(name: str, arch: str, accelerator: str | None, ephemeral: bool) -> None:
    machine = machines.AZURE.machine(name)
    assert isinstance(machine, machines.Machine), machine
    assert (machine.arch, machine.accelerator) == (arch, accelerator)
    assert ("Ephemeral" in machine.disks) is ephemeral


@pytest.mark.parametrize(
    ("name", "arch", "accelerator"),
    [
        ("VM.Standard.E4.Flex", "x86_64", None),
        ("VM.Standard2.4", "x86_64", None),
        ("VM.Standard.A1.Flex", "arm64", None),
        ("VM.Standard.A2.Flex", "arm64", None),
        ("BM.Standard.A1.160", "arm64", None),
        ("VM.GPU.A10.1", "x86_64", "nvidia"),
        ("BM.GPU4.8", "x86_64", "nvidia"),
        ("BM.GPU.GB200.4", "arm64", "nvidia"),
        ("BM.GPU.MI300X.8", "x86_64", "amd-gpu"),
    ],
)
def test_oci_shapes(name: str, arch: str, accelerator: str | None) -> None:
    machine = machines.ORACLE.machine(name)
    assert isinstance(machine, machines.Machine), machine
    assert (machine.arch, machine.accelerator) == (arch, accelerator)


def test_other_clouds_arm_families() -> None:
    assert machines.ecs_arch("ecs.g8y.large") == machines.ecs_arch("ecs.c6r.large") == "arm64"
    assert machines.ecs_arch("ecs.g7.large") == "x86_64"
    assert machines.cvm_arch("SR1.MEDIUM4") == "arm64"
    assert machines.cvm_arch("S5.MEDIUM4") == "x86_64"
    assert machines.huawei_arch("kc1.large.2") == "arm64"
    assert machines.huawei_arch("c7.large.2") == "x86_64"
    do = machines.DIGITALOCEAN.machine("gpu-h100x1-80gb")
    assert isinstance(do, machines.Machine) and do.accelerator == "nvidia"


# --- rendering ---------------------------------------------------------------------------


def render(tmp_path: Path, tree: dict[str, str]) -> dict[str, str]:
    return render_tree(write_tree(tmp_path / "model", tree))


def errors_of(tmp_path: Path, tree: dict[str, str]) -> list[str]:
    root = write_tree(tmp_path / "model", tree)
    return issues_of(lambda: load_clusters(root, "model"))


def judged(tmp_path: Path, files: dict[str, str]) -> None:
    """Terraform loads every module in fmt form, and the provider schemas accept it."""
    out = write_files(tmp_path / "out", files)
    dirs = terraform_dirs(out)
    assert dirs
    assert [p for d in dirs for p in terraform_problems(d)] == []
    assert oracle_findings(dirs) == ""


def resources(files: dict[str, str], rtype: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for path, text in files.items():
        if path.endswith(".tf"):
            for block in hcl2.loads(text).get("resource", []):
                for kind, named in block.items():
                    if kind.strip('"') == rtype:
                        for name, body in named.items():
                            out[name.strip('"')] = body
    return out


def unquote(value: Any) -> Any:
    if isinstance(value, str) and value.startswith('"') and value.endswith('"'):
        return json.loads(value)
    if isinstance(value, list):
        return [unquote(v) for v in value]
    if isinstance(value, dict):
        return {unquote(k): unquote(v) for k, v in value.items() if k != "__is_block__"}
    return value


def cluster(head: str, pools: str) -> str:
    return (
        textwrap.dedent(head).strip()
        + "\nnodePools:\n"
        + textwrap.indent(textwrap.dedent(pools).strip(), "  ")
        + "\n"
    )


EKS_HEAD = """
    cloud: aws
    engine: eks
    region: us-east-1
    kubernetesVersion: "1.35"
    aws:
      accountId: "123456789012"
    eks:
      eksctl: true
"""

#: The held-out pools of the issue, and the rest of the EKS family rules.
EKS_POOLS = """
    arm:
      machineType: m7g.large
      minSize: 1
      maxSize: 3
    gpu:
      machineType: g5.xlarge
      minSize: 0
      maxSize: 2
    plain:
      machineType: m6i.large
      minSize: 1
      maxSize: 3
    neuron:
      machineType: inf2.xlarge
      minSize: 0
      maxSize: 2
    armgpu:
      machineType: g5g.xlarge
      minSize: 0
      maxSize: 2
    br:
      machineType: c7g.large
      image: bottlerocket
      diskType: gp2
      minSize: 1
      maxSize: 3
    brgpu:
      machineType: g6.xlarge
      image: bottlerocket
      minSize: 0
      maxSize: 2
    spot:
      machineTypes: [c6i.2xlarge, c6a.2xlarge, c7i.2xlarge]
      spot: true
      minSize: 0
      maxSize: 10
"""

EKS_AMI_TYPES = {
    "arm": "AL2023_ARM_64_STANDARD",
    "gpu": "AL2023_x86_64_NVIDIA",
    "plain": "AL2023_x86_64_STANDARD",
    "neuron": "AL2023_x86_64_NEURON",
    "armgpu": "AL2023_ARM_64_NVIDIA",
    "br": "BOTTLEROCKET_ARM_64",
    "brgpu": "BOTTLEROCKET_x86_64_NVIDIA",
    "spot": "AL2023_x86_64_STANDARD",
}


@pytest.fixture(scope="module")
def eks_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("eks")
    return render(root, {"ml.yaml": cluster(EKS_HEAD, EKS_POOLS)})


def test_eks_ami_type_from_the_family(eks_files: dict[str, str]) -> None:
    groups = resources(eks_files, "aws_eks_node_group")
    assert {n: unquote(b["ami_type"]) for n, b in groups.items()} == EKS_AMI_TYPES
    assert unquote(groups["spot"]["instance_types"]) == [
        "c6i.2xlarge",
        "c6a.2xlarge",
        "c7i.2xlarge",
    ]
    assert unquote(groups["arm"]["instance_types"]) == ["m7g.large"]


def test_eks_disks_follow_the_image(eks_files: dict[str, str]) -> None:
    templates = resources(eks_files, "aws_launch_template")

    def volume(name: str) -> tuple[str, str]:
        mapping = unquote(templates[name]["block_device_mappings"][0])
        return mapping["device_name"], mapping["ebs"][0]["volume_type"]

    assert volume("plain") == ("/dev/xvda", "gp3")
    # Bottlerocket keeps images and containers on its data volume.
    assert volume("br") == ("/dev/xvdb", "gp2")
    assert volume("brgpu") == ("/dev/xvdb", "gp3")


def test_eks_eksctl_matches(eks_files: dict[str, str]) -> None:
    doc = yaml.safe_load(eks_files["ml/eksctl/cluster.yaml"])
    groups = {g["name"]: g for g in doc["managedNodeGroups"]}
    assert groups["br"]["amiFamily"] == "Bottlerocket"
    assert groups["br"]["volumeType"] == "gp2"
    assert groups["gpu"]["amiFamily"] == "AmazonLinux2023"
    assert groups["spot"]["instanceTypes"] == ["c6i.2xlarge", "c6a.2xlarge", "c7i.2xlarge"]
    assert eksctl_errors(doc) == []


@cache
def _eksctl_validator() -> jsonschema.Draft7Validator:
    schema = json.loads((ORACLES / "eksctl" / "clusterconfig.schema.json").read_text())
    return jsonschema.Draft7Validator(schema)


def eksctl_errors(doc: Any) -> list[str]:
    return [e.message for e in _eksctl_validator().iter_errors(doc)]


def test_eks_passes_the_oracles(tmp_path: Path, eks_files: dict[str, str]) -> None:
    judged(tmp_path, eks_files)


GKE_HEAD = """
    cloud: gcp
    engine: gke
    region: us-central1
    kubernetesVersion: "1.34"
    gcp:
      project: example-project
"""
GKE_POOLS = """
    gpu:
      machineType: g2-standard-8
      minSize: 0
      maxSize: 2
    hyper:
      machineType: n4-standard-4
      minSize: 1
      maxSize: 3
    arm:
      machineType: c4a-standard-4
      image: ubuntu
      minSize: 1
      maxSize: 3
    tau:
      machineType: t2a-standard-4
      diskType: pd-ssd
      minSize: 1
      maxSize: 3
    a100:
      machineType: a2-highgpu-4g
      minSize: 0
      maxSize: 1
    plain:
      machineType: e2-standard-4
      minSize: 1
      maxSize: 3
"""


@pytest.fixture(scope="module")
def gke_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("gke")
    return render(root, {"ml.yaml": cluster(GKE_HEAD, GKE_POOLS)})


def test_gke_accelerators_disks_images(gke_files: dict[str, str]) -> None:
    pools = {
        n: unquote(b["node_config"][0])
        for n, b in resources(gke_files, "google_container_node_pool").items()
    }
    gpu = pools["gpu"]["guest_accelerator"]
    assert [(a["type"], a["count"]) for a in gpu] == [("nvidia-l4", 1)]
    assert gpu[0]["gpu_driver_installation_config"][0]["gpu_driver_version"] in (
        "DEFAULT",
        "LATEST",
    )
    assert [(a["type"], a["count"]) for a in pools["a100"]["guest_accelerator"]] == [
        ("nvidia-tesla-a100", 4)
    ]
    assert "guest_accelerator" not in pools["plain"]
    assert {n: p["disk_type"] for n, p in pools.items()} == {
        "gpu": "pd-balanced",
        "hyper": "hyperdisk-balanced",
        "arm": "hyperdisk-balanced",
        "tau": "pd-ssd",
        "a100": "pd-balanced",
        "plain": "pd-balanced",
    }
    assert pools["arm"]["image_type"] == "UBUNTU_CONTAINERD"
    assert pools["plain"]["image_type"] == "COS_CONTAINERD"


def test_gke_passes_the_oracles(tmp_path: Path, gke_files: dict[str, str]) -> None:
    judged(tmp_path, gke_files)


AKS_HEAD = """
    cloud: azure
    engine: aks
    region: westeurope
    kubernetesVersion: "1.34"
    azure:
      subscriptionId: 00000000-0000-0000-0000-000000000000
"""
AKS_POOLS = """
    system:
      machineType: Standard_D4s_v5
      minSize: 1
      maxSize: 3
    arm:
      machineType: Standard_D4ps_v5
      image: azurelinux
      minSize: 1
      maxSize: 3
    gpu:
      machineType: Standard_NC4as_T4_v3
      diskType: Ephemeral
      minSize: 0
      maxSize: 2
"""


def test_aks_arm_and_gpu_pools(tmp_path: Path) -> None:
    files = render(tmp_path, {"ml.yaml": cluster(AKS_HEAD, AKS_POOLS)})
    pools = {
        n: unquote(b) for n, b in resources(files, "azurerm_kubernetes_cluster_node_pool").items()
    }
    assert (pools["arm"]["os_sku"], pools["arm"]["os_disk_type"]) == ("AzureLinux", "Managed")
    assert "gpu_driver" not in pools["arm"]
    assert (pools["gpu"]["gpu_driver"], pools["gpu"]["os_sku"]) == ("Install", "Ubuntu")
    assert pools["gpu"]["os_disk_type"] == "Ephemeral"
    system = unquote(resources(files, "azurerm_kubernetes_cluster")["this"]["default_node_pool"][0])
    assert (system["os_sku"], system["os_disk_type"]) == ("Ubuntu", "Managed")
    judged(tmp_path, files)


OKE_HEAD = """
    cloud: oracle
    engine: oke
    region: eu-frankfurt-1
    kubernetesVersion: "1.33"
    oke:
      compartmentId: ocid1.compartment.oc1..aaaa
"""
OKE_POOLS = """
    general:
      machineType: VM.Standard.E4.Flex
      minSize: 1
      maxSize: 3
    arm:
      machineType: VM.Standard.A1.Flex
      minSize: 1
      maxSize: 3
    gpu:
      machineType: VM.GPU.A10.1
      minSize: 0
      maxSize: 2
"""


def test_oke_images_by_architecture(tmp_path: Path) -> None:
    files = render(tmp_path, {"ml.yaml": cluster(OKE_HEAD, OKE_POOLS)})
    pools = resources(files, "oci_containerengine_node_pool")
    images = {n: b["node_source_details"][0]["image_id"] for n, b in pools.items()}
    assert images == {
        "general": '${var.node_image_ids["x86_64"]}',
        "arm": '${var.node_image_ids["aarch64"]}',
        "gpu": '${var.node_image_ids["x86_64-gpu"]}',
    }
    variables = files["ml/terraform/variables.tf"]
    assert '["aarch64", "x86_64", "x86_64-gpu"]' in variables
    judged(tmp_path, files)


KOPS_AWS_HEAD = """
    cloud: aws
    engine: kops
    region: us-east-1
    kubernetesVersion: "1.34"
    kops:
      stateStore: s3://example-kops-state
      dnsZone: example.com
"""
KOPS_GCE_HEAD = """
    cloud: gcp
    engine: kops
    region: us-central1
    kubernetesVersion: "1.34"
    gcp:
      project: example-project
    kops:
      stateStore: gs://example-kops-state
      dnsZone: example.com
"""


def _groups(files: dict[str, str], cluster_id: str) -> dict[str, dict[str, Any]]:
    docs = list(yaml.safe_load_all(files[f"{cluster_id}/kops/cluster.yaml"]))
    return {d["metadata"]["name"]: d["spec"] for d in docs if d["kind"] == "InstanceGroup"}


def test_kops_aws_mixed_instances_and_images(tmp_path: Path) -> None:
    files = render(
        tmp_path,
        {
            "lab.yaml": cluster(
                KOPS_AWS_HEAD,
                """
                spot:
                  machineTypes: [c6i.xlarge, c6a.xlarge]
                  spot: true
                  minSize: 0
                  maxSize: 5
                ondemand:
                  machineTypes: [m7g.large, m6g.large]
                  diskType: gp2
                  minSize: 1
                  maxSize: 3
                """,
            )
        },
    )
    groups = _groups(files, "lab")
    assert groups["spot"]["machineType"] == "c6i.xlarge"
    assert groups["spot"]["mixedInstancesPolicy"]["instances"] == ["c6i.xlarge", "c6a.xlarge"]
    assert groups["ondemand"]["mixedInstancesPolicy"] == {
        "instances": ["m7g.large", "m6g.large"],
        "onDemandAboveBase": 100,
        "onDemandAllocationStrategy": "prioritized",
    }
    assert groups["ondemand"]["rootVolumeType"] == "gp2"
    # kOps's own default (gp3) is left to kOps, as `kops create cluster` leaves it.
    assert "rootVolumeType" not in groups["spot"]
    # No image: kOps picks each group's channel image for its architecture.
    assert all("image" not in g for g in groups.values())
    out = write_files(tmp_path / "out", files)
    assert kops_findings([out / "lab" / "kops" / "cluster.yaml"]) == ""


def test_kops_aws_gpu_drivers(tmp_path: Path) -> None:
    pools = """
        gpu:
          machineType: g5.xlarge
          minSize: 0
          maxSize: 2
        plain:
          machineType: m6i.large
          minSize: 1
          maxSize: 2
    """
    files = render(tmp_path, {"lab.yaml": cluster(KOPS_AWS_HEAD, pools)})
    groups = _groups(files, "lab")
    assert groups["gpu"]["containerd"] == {"nvidiaGPU": {"enabled": True}}
    assert "containerd" not in groups["plain"]
    out = write_files(tmp_path / "out", files)
    assert kops_findings([out / "lab" / "kops" / "cluster.yaml"]) == ""


def test_kops_gce_hyperdisk(tmp_path: Path) -> None:
    files = render(
        tmp_path,
        {
            "lab.yaml": cluster(
                KOPS_GCE_HEAD,
                """
                hyper:
                  machineType: n4-standard-4
                  minSize: 1
                  maxSize: 3
                ssd:
                  machineType: c3-standard-4
                  diskType: pd-ssd
                  minSize: 1
                  maxSize: 3
                plain:
                  machineType: e2-standard-4
                  minSize: 1
                  maxSize: 3
                """,
            )
        },
    )
    groups = _groups(files, "lab")
    assert groups["hyper"]["rootVolumeType"] == "hyperdisk-balanced"
    assert groups["ssd"]["rootVolumeType"] == "pd-ssd"
    # kOps's own default where the family takes it, left to kOps: existing groups keep
    # their disks, and the manifest reads as `kops create cluster` writes it.
    assert "rootVolumeType" not in groups["plain"]
    out = write_files(tmp_path / "out", files)
    assert kops_findings([out / "lab" / "kops" / "cluster.yaml"]) == ""


def test_ack_instance_types_and_arm_image(tmp_path: Path) -> None:
    files = render(
        tmp_path,
        {
            "shop.yaml": cluster(
                """
                cloud: alibaba
                engine: ack
                region: cn-hangzhou
                kubernetesVersion: "1.34"
                """,
                """
                arm:
                  machineType: ecs.g8y.large
                  minSize: 1
                  maxSize: 3
                spot:
                  machineTypes: [ecs.g7.large, ecs.g6.large]
                  spot: true
                  minSize: 0
                  maxSize: 3
                """,
            )
        },
    )
    pools = {n: unquote(b) for n, b in resources(files, "alicloud_cs_kubernetes_node_pool").items()}
    assert pools["arm"]["image_type"] == "AliyunLinux3Arm64"
    assert pools["spot"]["image_type"] == "AliyunLinux3"
    assert pools["spot"]["instance_types"] == ["ecs.g7.large", "ecs.g6.large"]
    judged(tmp_path, files)


# --- errors ------------------------------------------------------------------------------


def _one_pool(head: str, pool: str) -> dict[str, str]:
    return {
        "c.yaml": cluster(
            head,
            "p1:\n"
            + textwrap.indent(textwrap.dedent(pool).strip(), "  ")
            + "\n  minSize: 0\n  maxSize: 2",
        )
    }


DOKS_HEAD = """
    cloud: digitalocean
    engine: doks
    region: nyc1
    kubernetesVersion: "1.34"
"""
ACK_HEAD = """
    cloud: alibaba
    engine: ack
    region: cn-hangzhou
    kubernetesVersion: "1.34"
"""
TKE_HEAD = """
    cloud: tencent
    engine: tke
    region: ap-guangzhou
    kubernetesVersion: "1.32"
"""
CCE_HEAD = """
    cloud: huawei
    engine: cce
    region: cn-north-4
    kubernetesVersion: "1.31"
"""
IKS_HEAD = """
    cloud: ibm
    engine: iks
    region: us-south
    kubernetesVersion: "1.34"
"""


@pytest.mark.parametrize(
    ("head", "pool", "field", "message"),
    [
        # the shared rule: exactly one of machineType and machineTypes
        (
            EKS_HEAD,
            "machineType: m6i.large\nmachineTypes: [m6i.large]",
            "machineTypes",
            "exclude each other",
        ),
        (EKS_HEAD, "spot: true", "machineType", "missing required field (or machineTypes"),
        # EKS: form, family table, one architecture, images, disks
        (EKS_HEAD, "machineType: m6i", "machineType", "is not an EC2 instance type"),
        (
            EKS_HEAD,
            "machineType: zz9.large",
            "machineType",
            "not in treeform's table of EC2 families",
        ),
        (
            EKS_HEAD,
            "machineTypes: [m6i.large, m7g.large]",
            "machineTypes",
            "share one architecture",
        ),
        (EKS_HEAD, "machineTypes: [m6i.large, g5.xlarge]", "machineTypes", "and accelerator"),
        (
            EKS_HEAD,
            "machineTypes: [m6i.large, zz9.large]",
            "machineTypes[1]",
            "not in treeform's table",
        ),
        (
            EKS_HEAD,
            "machineType: m6i.large\nimage: ubuntu",
            "image",
            "EKS has no node image 'ubuntu'; it takes al2023, bottlerocket",
        ),
        (
            EKS_HEAD,
            "machineType: inf2.xlarge\nimage: bottlerocket",
            "image",
            "no Bottlerocket AMI type with Neuron",
        ),
        (EKS_HEAD, "machineType: g4ad.xlarge", "machineType", "no AMI with AMD GPU drivers"),
        (
            EKS_HEAD,
            "machineType: m6i.large\ndiskType: st1",
            "diskType",
            "EKS has no root volume type 'st1'; it takes gp3, gp2",
        ),
        # GKE
        (
            GKE_HEAD,
            "machineType: n4-standard-4\ndiskType: pd-balanced",
            "diskType",
            "n4-standard-4 (N4) cannot attach pd-balanced; it takes hyperdisk-balanced",
        ),
        (
            GKE_HEAD,
            "machineType: g2-standard-8\ndiskType: pd-standard",
            "diskType",
            "it takes pd-balanced, pd-ssd",
        ),
        (
            GKE_HEAD,
            "machineType: e2-standard-4\ndiskType: pd-extreme",
            "diskType",
            "GKE has no boot disk type 'pd-extreme'",
        ),
        (
            GKE_HEAD,
            "machineType: e2-standard-4\nimage: bottlerocket",
            "image",
            "GKE has no node image 'bottlerocket'; it takes cos, ubuntu",
        ),
        (
            GKE_HEAD,
            "machineTypes: [e2-standard-4, e2-standard-8]",
            "machineTypes",
            "GKE takes one machine type per node pool",
        ),
        (GKE_HEAD, "machineType: g2-standard-6", "machineType", "is not a G2 machine type"),
        (GKE_HEAD, "machineType: zz9-standard-4", "machineType", "Compute Engine families"),
        # AKS
        (
            AKS_HEAD,
            "machineType: Standard_D4s_v5\ndiskType: Ephemeral",
            "diskType",
            "no local disk to hold an ephemeral OS disk",
        ),
        (
            AKS_HEAD,
            "machineType: Standard_D4s_v5\ndiskType: Premium_LRS",
            "diskType",
            "AKS has no OS disk type 'Premium_LRS'; it takes Managed, Ephemeral",
        ),
        (
            AKS_HEAD,
            "machineType: Standard_D4s_v5\nimage: cos",
            "image",
            "AKS has no node image 'cos'; it takes ubuntu, azurelinux",
        ),
        (AKS_HEAD, "machineType: Standard_NV4as_v4", "machineType", "NVIDIA sizes only"),
        (
            AKS_HEAD,
            "machineType: Standard_Q4s_v5",
            "machineType",
            "VM family 'Q' is not in treeform's table",
        ),
        (
            AKS_HEAD,
            "machineTypes: [Standard_D4s_v5, Standard_D4as_v5]",
            "machineTypes",
            "AKS takes one machine type per node pool",
        ),
        # OKE
        (OKE_HEAD, "machineType: BM.GPU.MI300X.8", "machineType", "NVIDIA drivers only"),
        (
            OKE_HEAD,
            "machineType: VM.Standard.E4.Flex\nimage: ubuntu",
            "image",
            "OKE takes node images by OCID",
        ),
        (
            OKE_HEAD,
            "machineType: VM.Standard.E4.Flex\ndiskType: ssd",
            "diskType",
            "OKE boot volumes have one type",
        ),
        (
            OKE_HEAD,
            "machineTypes: [VM.Standard.E4.Flex, VM.Standard.E5.Flex]",
            "machineTypes",
            "OKE takes one machine type",
        ),
        # kOps
        (
            KOPS_AWS_HEAD,
            "machineTypes: [m6i.large, m7g.large]",
            "machineTypes",
            "share one architecture",
        ),
        (
            KOPS_AWS_HEAD,
            "machineType: m6i.large\nimage: flatcar",
            "image",
            "kOps has no node image 'flatcar'; it takes ubuntu",
        ),
        (
            KOPS_AWS_HEAD,
            "machineType: m6i.large\ndiskType: st1",
            "diskType",
            "m6i.large cannot boot from st1; kOps on AWS takes gp3, gp2",
        ),
        (KOPS_AWS_HEAD, "machineType: inf2.xlarge", "machineType", "NVIDIA GPUs on AWS only"),
        (KOPS_GCE_HEAD, "machineType: g2-standard-8", "machineType", "NVIDIA GPUs on AWS only"),
        (
            KOPS_GCE_HEAD,
            "machineTypes: [e2-standard-4, e2-standard-8]",
            "machineTypes",
            "kOps takes one machine type per node pool",
        ),
        (
            KOPS_GCE_HEAD,
            "machineType: n4-standard-4\ndiskType: pd-standard",
            "diskType",
            "kOps on GCE takes hyperdisk-balanced",
        ),
        # the other engines
        (
            DOKS_HEAD,
            "machineType: s-2vcpu-4gb\nimage: ubuntu",
            "image",
            "DOKS nodes run DigitalOcean's one node image",
        ),
        (
            DOKS_HEAD,
            "machineType: s-2vcpu-4gb\ndiskType: ssd",
            "diskType",
            "DOKS node disks come with the Droplet size",
        ),
        (
            DOKS_HEAD,
            "machineTypes: [s-2vcpu-4gb, s-4vcpu-8gb]",
            "machineTypes",
            "DOKS takes one machine type",
        ),
        (
            ACK_HEAD,
            "machineTypes: [ecs.g7.large, ecs.g8y.large]",
            "machineTypes",
            "mix x86_64 and arm64",
        ),
        (
            ACK_HEAD,
            "machineType: ecs.g7.large\nimage: ubuntu",
            "image",
            "ACK pools boot Alibaba Cloud Linux 3",
        ),
        (
            ACK_HEAD,
            "machineType: ecs.g7.large\ndiskType: cloud_ssd",
            "diskType",
            "ACK system disks are ESSD",
        ),
        (TKE_HEAD, "machineType: SR1.MEDIUM4", "machineType", "Arm64 pools are not supported yet"),
        (
            TKE_HEAD,
            "machineTypes: [S5.MEDIUM4, S5.LARGE8]",
            "machineTypes",
            "TKE takes one machine type",
        ),
        (
            TKE_HEAD,
            "machineType: S5.MEDIUM4\nimage: ubuntu",
            "image",
            "TKE node pools boot TKE's default image",
        ),
        (CCE_HEAD, "machineType: kc1.large.2", "machineType", "Arm64 pools are not supported yet"),
        (
            CCE_HEAD,
            "machineType: c7.large.2\ndiskType: SSD",
            "diskType",
            "CCE node disks are General Purpose SSD",
        ),
        (
            IKS_HEAD,
            "machineType: bx2.4x16\nimage: ubuntu",
            "image",
            "IKS workers run the operating system",
        ),
        (
            IKS_HEAD,
            "machineTypes: [bx2.4x16, bx2.8x32]",
            "machineTypes",
            "IKS takes one machine type",
        ),
    ],
)
def test_machine_errors(tmp_path: Path, head: str, pool: str, field: str, message: str) -> None:
    errors = errors_of(tmp_path, _one_pool(head, pool))
    wanted = f"nodePools.p1.{field}: "
    assert any(wanted in e and message in e for e in errors), errors


def test_kops_image_for_two_architectures(tmp_path: Path) -> None:
    tree = {
        "c.yaml": cluster(
            KOPS_AWS_HEAD.replace(
                "dnsZone: example.com", "dnsZone: example.com\n      image: ami-0123456789abcdef0"
            ),
            """
            arm:
              machineType: m7g.large
              minSize: 1
              maxSize: 3
            """,
        )
    }
    errors = errors_of(tmp_path, tree)
    assert any("kops.image: one image serves one architecture" in e for e in errors), errors
    assert any("arm: m7g.large (arm64)" in e and "t3.medium (x86_64)" in e for e in errors), errors


def test_kops_gce_arm_needs_an_arm_image(tmp_path: Path) -> None:
    pool = """
        arm:
          machineType: t2a-standard-4
          minSize: 1
          maxSize: 3
    """
    errors = errors_of(tmp_path / "a", {"c.yaml": cluster(KOPS_GCE_HEAD, pool)})
    assert any(
        "nodePools.arm.machineType: t2a-standard-4 (arm64): kOps on GCE gives every group the "
        "amd64 channel image" in e
        for e in errors
    ), errors
    # An arm64 image for every group, the control plane arm64 too: valid, the image written.
    head = KOPS_GCE_HEAD.replace(
        "dnsZone: example.com",
        "dnsZone: example.com\n      image: ubuntu-os-cloud/ubuntu-2404-noble-arm64-v20251001"
        "\n      controlPlaneMachineType: t2a-standard-2",
    )
    files = render(tmp_path / "b", {"c.yaml": cluster(head, pool)})
    groups = _groups(files, "c")
    assert {g["image"] for g in groups.values()} == {
        "ubuntu-os-cloud/ubuntu-2404-noble-arm64-v20251001"
    }
    # With an x86 control plane, one image cannot serve both.
    mixed = head.replace("controlPlaneMachineType: t2a-standard-2", "channel: stable")
    errors = errors_of(tmp_path / "c", {"c.yaml": cluster(mixed, pool)})
    assert any("kops.image: one image serves one architecture" in e for e in errors), errors


@pytest.mark.parametrize(
    ("head", "setting", "value", "message"),
    [
        (KOPS_AWS_HEAD, "controlPlaneMachineType", "t3", "is not an EC2 instance type"),
        (KOPS_AWS_HEAD, "bastionMachineType", "zz9.micro", "not in treeform's table of EC2"),
        (KOPS_GCE_HEAD, "controlPlaneMachineType", "e2.medium", "is not a Compute Engine"),
    ],
)
def test_kops_group_machine_types(
    tmp_path: Path, head: str, setting: str, value: str, message: str
) -> None:
    head = head.replace("dnsZone: example.com", f"dnsZone: example.com\n      {setting}: {value}")
    pool = "p1:\n  machineType: {}\n  minSize: 0\n  maxSize: 2".format(
        "m6i.large" if "aws" in head else "e2-standard-4"
    )
    errors = errors_of(tmp_path, {"c.yaml": cluster(head, pool)})
    assert any(f"kops.{setting}: " in e and message in e for e in errors), errors


def test_inherited_machine_type_replaced_by_a_list(tmp_path: Path) -> None:
    """A cluster replaces an inherited machineType with machineTypes by nulling it."""
    tree = {
        "_defaults.yaml": cluster(
            EKS_HEAD, "p1:\n  machineType: m6i.large\n  minSize: 0\n  maxSize: 2"
        ),
        "c.yaml": (
            "nodePools:\n  p1:\n    machineType: null\n    machineTypes: [m6i.large, m6a.large]\n"
        ),
    }
    files = render(tmp_path, tree)
    group = resources(files, "aws_eks_node_group")["p1"]
    assert unquote(group["instance_types"]) == ["m6i.large", "m6a.large"]
