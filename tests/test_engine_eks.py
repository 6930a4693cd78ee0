"""The EKS engine: secure by default (checkov), identity, Fargate, addons, existing networks,
and the eksctl ClusterConfig of the same model."""

from __future__ import annotations

import json
import re
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
    ROOT,
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

#: The checks the issue names: logging, private endpoint, secrets encryption, supported
#: version, IMDSv2 with hop limit 1, no public node IPs.
ISSUE_CHECKS = [
    "CKV_AWS_37",
    "CKV_AWS_38",
    "CKV_AWS_39",
    "CKV_AWS_58",
    "CKV_AWS_100",
    "CKV_AWS_339",
    "CKV_AWS_79",
    "CKV_AWS_341",
    "CKV_AWS_88",
]
#: What a security reviewer looks at besides: flow logs, the default security group, the
#: KMS key (rotation, policy) and the log groups (encryption, a year's retention), IAM.
REVIEW_CHECKS = [
    "CKV2_AWS_11",
    "CKV2_AWS_12",
    "CKV_AWS_7",
    "CKV_AWS_109",
    "CKV_AWS_111",
    "CKV_AWS_356",
    "CKV_AWS_158",
    "CKV_AWS_338",
    "CKV_AWS_66",
    "CKV_AWS_274",
    "CKV_AWS_290",
    "CKV_AWS_355",
    "CKV_AWS_130",
]

#: The held-out model of the issue: private API, a spot pool with a taint, pools and tags
#: inherited from two levels of defaults, eksctl on.
HELD_OUT = {
    "_defaults.yaml": """
        cloud: aws
        engine: eks
        kubernetesVersion: "1.34"
        highAvailability: true
        aws:
          accountId: "210987654321"
        backend:
          type: s3
          bucket: acme-state
        tags:
          owner: platform
        nodePools:
          system:
            machineType: m7i.large
            minSize: 2
            maxSize: 4
            labels:
              role: system
        addons: [vpc-cni, coredns, kube-proxy, cluster-autoscaler]
    """,
    "aws/_defaults.yaml": """
        region: eu-central-1
        zones: [eu-central-1a, eu-central-1b, eu-central-1c]
        network:
          topology: private
        apiServer:
          public: false
        tags:
          env: staging
        nodePools:
          system:
            maxSize: 6
    """,
    "aws/orders.yaml": """
        network:
          cidr: 10.60.0.0/16
        nodePools:
          spot:
            machineType: c7i.xlarge
            minSize: 1
            maxSize: 12
            desiredSize: 2
            diskSizeGb: 80
            spot: true
            zones: [eu-central-1b, eu-central-1c]
            labels:
              lifecycle: spot
            taints:
              - key: spot
                value: "true"
                effect: NoSchedule
        tags:
          team: orders
        eks:
          eksctl: true
          adminRoleArns: [arn:aws:iam::210987654321:role/orders-admin]
    """,
}


@cache
def eksctl_validator() -> jsonschema.Draft7Validator:
    schema = json.loads((ORACLES / "eksctl" / "clusterconfig.schema.json").read_text())
    return jsonschema.Draft7Validator(schema)


def eksctl_errors(text: str) -> list[str]:
    doc = yaml.safe_load(text)
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in eksctl_validator().iter_errors(doc)
    ]


def resources(files: dict[str, str], prefix: str) -> dict[tuple[str, str], dict[str, Any]]:
    """{(type, name): body} of every resource and data source under a cluster's terraform/."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for path, text in files.items():
        if not (path.startswith(prefix + "/terraform/") and path.endswith(".tf")):
            continue
        doc = hcl2.loads(text)
        for kind, tag in (("resource", ""), ("data", "data.")):
            for block in doc.get(kind, []):
                for rtype, named in block.items():
                    for name, body in named.items():
                        out[(tag + rtype.strip('"'), name.strip('"'))] = body
    return out


def unquote(value: Any) -> Any:
    if isinstance(value, str) and value.startswith('"') and value.endswith('"'):
        return json.loads(value)
    if isinstance(value, list):
        return [unquote(v) for v in value]
    if isinstance(value, dict):
        return {unquote(k): unquote(v) for k, v in value.items() if k != "__is_block__"}
    return value


def render(tmp_path: Path, tree: dict[str, str]) -> dict[str, str]:
    return render_tree(write_tree(tmp_path / "model", tree))


def module_dir(tmp_path: Path, files: dict[str, str], cluster_id: str) -> Path:
    out = write_files(tmp_path / "out", files)
    return out / cluster_id / "terraform"


def errors_of(tmp_path: Path, tree: dict[str, str]) -> list[str]:
    root = write_tree(tmp_path / "model", tree)
    return issues_of(lambda: load_clusters(root, "model"))


#: A small valid cluster; tests append YAML to it.
BASE = textwrap.dedent(
    """\
    cloud: aws
    engine: eks
    region: us-east-1
    kubernetesVersion: "1.35"
    aws:
      accountId: "123456789012"
    nodePools:
      general:
        machineType: m6i.large
        minSize: 1
        maxSize: 3
    """
)


# --- the held-out model ------------------------------------------------------------------


@pytest.fixture(scope="module")
def held_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path]:
    tmp = tmp_path_factory.mktemp("held-out")
    files = render(tmp, HELD_OUT)
    return files, module_dir(tmp, files, "aws/orders")


def test_held_out_writes_terraform_and_eksctl(held_out: tuple[dict[str, str], Path]) -> None:
    files, _ = held_out
    assert "aws/orders/eksctl/cluster.yaml" in files
    assert "aws/orders/terraform/cluster.tf" in files


def test_held_out_passes_the_oracle_and_terraform(held_out: tuple[dict[str, str], Path]) -> None:
    _, module = held_out
    assert oracle_findings([module]) == ""
    assert terraform_problems(module) == []


def test_held_out_passes_the_issue_checks(held_out: tuple[dict[str, str], Path]) -> None:
    _, module = held_out
    assert checkov_failures(module, ISSUE_CHECKS) == []


def test_held_out_passes_a_security_review(held_out: tuple[dict[str, str], Path]) -> None:
    _, module = held_out
    assert checkov_failures(module, REVIEW_CHECKS) == []


def test_held_out_node_groups(held_out: tuple[dict[str, str], Path]) -> None:
    files, _ = held_out
    res = resources(files, "aws/orders")
    groups = {n: unquote(b) for (t, n), b in res.items() if t == "aws_eks_node_group"}
    assert sorted(groups) == ["spot", "system"]

    spot, system = groups["spot"], groups["system"]
    assert spot["capacity_type"] == "SPOT"
    assert system["capacity_type"] == "ON_DEMAND"
    assert spot["instance_types"] == ["c7i.xlarge"]
    assert system["instance_types"] == ["m7i.large"]  # inherited from the root defaults
    assert spot["scaling_config"] == [{"desired_size": 2, "min_size": 1, "max_size": 12}]
    # maxSize 6 from aws/_defaults.yaml over the root's 4; desired defaults to minSize.
    assert system["scaling_config"] == [{"desired_size": 2, "min_size": 2, "max_size": 6}]
    assert spot["labels"] == {"lifecycle": "spot"}
    assert system["labels"] == {"role": "system"}
    assert spot["taint"] == [{"key": "spot", "value": "true", "effect": "NO_SCHEDULE"}]
    assert "taint" not in system
    assert '"eu-central-1b", "eu-central-1c"' in spot["subnet_ids"]

    template = unquote(res[("aws_launch_template", "spot")])
    assert template["block_device_mappings"][0]["ebs"][0]["volume_size"] == 80
    assert template["metadata_options"] == [
        {
            "http_endpoint": "enabled",
            "http_tokens": "required",
            "http_put_response_hop_limit": 1,
        }
    ]


def test_held_out_is_private_and_tagged(held_out: tuple[dict[str, str], Path]) -> None:
    files, _ = held_out
    res = resources(files, "aws/orders")
    vpc_config = unquote(res[("aws_eks_cluster", "this")])["vpc_config"][0]
    assert vpc_config["endpoint_public_access"] is False
    assert vpc_config["endpoint_private_access"] is True
    assert "public_access_cidrs" not in vpc_config
    provider = hcl2.loads(files["aws/orders/terraform/providers.tf"])["provider"][0]['"aws"']
    tags = unquote(provider["default_tags"][0]["tags"])
    assert tags == {
        "env": "staging",
        "owner": "platform",
        "team": "orders",
        "treeform-cluster": "aws/orders",
    }


def test_held_out_eksctl_is_schema_valid_with_the_same_node_groups(
    held_out: tuple[dict[str, str], Path],
) -> None:
    files, _ = held_out
    text = files["aws/orders/eksctl/cluster.yaml"]
    assert eksctl_errors(text) == []
    doc = yaml.safe_load(text)
    assert doc["metadata"] == {
        "name": "orders",
        "region": "eu-central-1",
        "version": "1.34",
        "tags": {
            "env": "staging",
            "owner": "platform",
            "team": "orders",
            "treeform-cluster": "aws/orders",
        },
    }
    groups = {g["name"]: g for g in doc["managedNodeGroups"]}
    res = resources(files, "aws/orders")
    tf_groups = {n: unquote(b) for (t, n), b in res.items() if t == "aws_eks_node_group"}
    assert sorted(groups) == sorted(tf_groups)
    for name, group in groups.items():
        tf = tf_groups[name]
        scaling = tf["scaling_config"][0]
        assert group["instanceTypes"] == tf["instance_types"]
        assert group["spot"] == (tf["capacity_type"] == "SPOT")
        assert (group["minSize"], group["maxSize"], group["desiredCapacity"]) == (
            scaling["min_size"],
            scaling["max_size"],
            scaling["desired_size"],
        )
        assert group.get("labels", {}) == tf.get("labels", {})
        assert group["privateNetworking"] is True
        assert group["disableIMDSv1"] is True
        assert group["disablePodIMDS"] is True
    assert groups["spot"]["taints"] == [{"key": "spot", "value": "true", "effect": "NoSchedule"}]
    assert groups["spot"]["availabilityZones"] == ["eu-central-1b", "eu-central-1c"]
    assert groups["spot"]["volumeSize"] == 80
    assert "taints" not in groups["system"]
    assert doc["vpc"]["clusterEndpoints"] == {"privateAccess": True, "publicAccess": False}
    assert doc["vpc"]["cidr"] == "10.60.0.0/16"
    assert doc["iam"]["withOIDC"] is True
    assert doc["cloudWatch"]["clusterLogging"]["enableTypes"] == [
        "api",
        "audit",
        "authenticator",
        "controllerManager",
        "scheduler",
    ]
    assert doc["secretsEncryption"]["keyARN"] == (
        "arn:aws:kms:eu-central-1:210987654321:alias/eks/orders"
    )
    assert doc["accessConfig"]["accessEntries"][0]["principalARN"] == (
        "arn:aws:iam::210987654321:role/orders-admin"
    )


# --- examples ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path]:
    files = render_tree(ROOT / "examples")
    return files, write_files(tmp_path_factory.mktemp("examples"), files)


def test_examples_pass_the_issue_and_review_checks(
    examples: tuple[dict[str, str], Path],
) -> None:
    _, out = examples
    modules = [m for m in terraform_dirs(out) if (m / "node_groups.tf").exists()]
    assert modules
    failures = {str(m): checkov_failures(m, ISSUE_CHECKS + REVIEW_CHECKS) for m in modules}
    assert failures == {str(m): [] for m in modules}


def test_examples_include_a_schema_valid_eksctl_config(
    examples: tuple[dict[str, str], Path],
) -> None:
    files, _ = examples
    configs = {p: t for p, t in files.items() if p.endswith("/eksctl/cluster.yaml")}
    assert configs, "no example cluster sets eks.eksctl: true"
    assert {p: eksctl_errors(t) for p, t in configs.items()} == {p: [] for p in configs}


# --- the public endpoint: checkov's own skip comments ------------------------------------


@pytest.mark.parametrize("cidrs", [True, False])
def test_a_public_api_is_skipped_on_the_cluster_only(tmp_path: Path, cidrs: bool) -> None:
    api = "apiServer:\n  public: true\n" + ("  allowedCidrs: [198.51.100.0/24]\n" if cidrs else "")
    files = render(tmp_path, {"c.yaml": BASE + api})
    module = module_dir(tmp_path, files, "c")
    assert checkov_failures(module, ISSUE_CHECKS) == []
    cluster_tf = files["c/terraform/cluster.tf"]
    block = cluster_tf[cluster_tf.index('resource "aws_eks_cluster"') :]
    assert "checkov:skip=CKV_AWS_39" in block
    assert ("checkov:skip=CKV_AWS_38" in block) is not cidrs
    # Without the skips, checkov flags what the model asked for: the skips are not idle.
    bare = re.sub(r"\n *# checkov:skip=CKV_AWS_3[89]:[^\n]*", "", cluster_tf)
    (module / "cluster.tf").write_text(bare, encoding="utf-8")
    failed = {c for c, _ in checkov_failures(module, ["CKV_AWS_38", "CKV_AWS_39"])}
    assert failed == ({"CKV_AWS_39"} if cidrs else {"CKV_AWS_38", "CKV_AWS_39"})


# --- identity ----------------------------------------------------------------------------


def test_pod_identity_for_addons_and_the_cni_policy_off_the_node_role(tmp_path: Path) -> None:
    files = render(
        tmp_path,
        {"c.yaml": BASE + "addons: [vpc-cni, aws-ebs-csi-driver, cluster-autoscaler]\n"},
    )
    res = resources(files, "c")
    associations = {
        n: unquote(b) for (t, n), b in res.items() if t == "aws_eks_pod_identity_association"
    }
    assert {n: (a["namespace"], a["service_account"]) for n, a in associations.items()} == {
        "vpc_cni": ("kube-system", "aws-node"),
        "aws_ebs_csi_driver": ("kube-system", "ebs-csi-controller-sa"),
        "cluster_autoscaler": ("kube-system", "cluster-autoscaler"),
    }
    addons = {unquote(b)["addon_name"] for (t, _), b in res.items() if t == "aws_eks_addon"}
    # cluster-autoscaler is no EKS add-on; the Pod Identity agent comes with the associations.
    assert addons == {"vpc-cni", "aws-ebs-csi-driver", "eks-pod-identity-agent"}
    node_policies = unquote(res[("aws_iam_role_policy_attachment", "node")])["for_each"]
    assert "AmazonEKS_CNI_Policy" not in node_policies
    cni = unquote(res[("aws_iam_role_policy_attachment", "vpc_cni")])["for_each"]
    assert "AmazonEKS_CNI_Policy" in cni
    trust = unquote(res[("data.aws_iam_policy_document", "cluster_autoscaler_assume")])
    conditions = {c["variable"]: c["values"] for c in trust["statement"][0]["condition"]}
    assert conditions["aws:RequestTag/kubernetes-service-account"] == ["cluster-autoscaler"]
    policy = unquote(res[("data.aws_iam_policy_document", "cluster_autoscaler")])
    writes = [s for s in policy["statement"] if "autoscaling:SetDesiredCapacity" in s["actions"]]
    assert writes and all("condition" in s for s in writes)
    module = module_dir(tmp_path, files, "c")
    assert oracle_findings([module]) == ""
    assert terraform_problems(module) == []
    assert checkov_failures(module, ISSUE_CHECKS + REVIEW_CHECKS) == []


def test_without_the_vpc_cni_addon_the_node_role_keeps_the_cni_policy(tmp_path: Path) -> None:
    files = render(tmp_path, {"c.yaml": BASE + "addons: [coredns]\n"})
    res = resources(files, "c")
    assert "AmazonEKS_CNI_Policy" in res[("aws_iam_role_policy_attachment", "node")]["for_each"]
    assert not [k for k in res if k[0] == "aws_eks_pod_identity_association"]


def test_access_entries_for_admin_roles(tmp_path: Path) -> None:
    roles = ["arn:aws:iam::123456789012:role/a", "arn:aws:iam::123456789012:role/b"]
    files = render(
        tmp_path,
        {"c.yaml": BASE + f"eks:\n  adminRoleArns: {json.dumps(roles)}\n"},
    )
    text = files["c/terraform/identity.tf"]
    assert json.dumps(roles).replace('","', '", "') in text
    res = resources(files, "c")
    cluster = unquote(res[("aws_eks_cluster", "this")])
    assert cluster["access_config"] == [
        {"authentication_mode": "API", "bootstrap_cluster_creator_admin_permissions": False}
    ]
    policy = unquote(res[("aws_eks_access_policy_association", "admin")])
    assert policy["policy_arn"].endswith(
        ":eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    )
    assert policy["access_scope"] == [{"type": "cluster"}]
    assert ("data.aws_iam_session_context", "current") not in res
    oidc = unquote(res[("aws_iam_openid_connect_provider", "eks")])
    assert oidc["client_id_list"] == ["sts.amazonaws.com"]


def test_without_admin_roles_the_applier_is_admin(tmp_path: Path) -> None:
    res = resources(render(tmp_path, {"c.yaml": BASE}), "c")
    assert ("data.aws_iam_session_context", "current") in res
    entry = res[("aws_eks_access_entry", "admin")]
    assert "issuer_arn" in entry["principal_arn"]


# --- Fargate -----------------------------------------------------------------------------

FARGATE = """
eks:
  eksctl: true
  fargateProfiles:
    - name: serverless
      selectors:
        - namespace: jobs
          labels: {compute: fargate}
        - namespace: kube-system
"""


def test_fargate_profiles_in_private_subnets(tmp_path: Path) -> None:
    files = render(tmp_path, {"c.yaml": BASE + FARGATE})
    res = resources(files, "c")
    profile = unquote(res[("aws_eks_fargate_profile", "serverless")])
    assert profile["fargate_profile_name"] == "serverless"
    assert profile["subnet_ids"] == "${values(local.node_subnets)}"
    assert profile["selector"] == [
        {"namespace": "jobs", "labels": {"compute": "fargate"}},
        {"namespace": "kube-system"},
    ]
    assert "aws_subnet.private" in files["c/terraform/cluster.tf"]
    role = unquote(res[("aws_iam_role_policy_attachment", "fargate")])
    assert role["policy_arn"].endswith("AmazonEKSFargatePodExecutionRolePolicy")
    module = module_dir(tmp_path, files, "c")
    assert oracle_findings([module]) == ""
    assert terraform_problems(module) == []
    doc = yaml.safe_load(files["c/eksctl/cluster.yaml"])
    assert eksctl_errors(files["c/eksctl/cluster.yaml"]) == []
    assert doc["fargateProfiles"] == [
        {
            "name": "serverless",
            "selectors": [
                {"namespace": "jobs", "labels": {"compute": "fargate"}},
                {"namespace": "kube-system"},
            ],
        }
    ]


def test_fargate_on_a_public_topology_is_an_error(tmp_path: Path) -> None:
    tree = {
        "_defaults.yaml": "network:\n  topology: public\n",
        "c.yaml": BASE + FARGATE,
    }
    errors = errors_of(tmp_path, tree)
    assert len(errors) == 1
    assert re.match(
        r"model/c\.yaml:\d+:\d+: eks\.fargateProfiles: Fargate runs pods in private", errors[0]
    )


# --- existing networks -------------------------------------------------------------------

EXISTING = """
network:
  existing:
    networkId: vpc-0123456789abcdef0
    subnetIds: [subnet-aaa, subnet-bbb, subnet-ccc]
eks:
  eksctl: true
"""


def test_existing_network_creates_no_vpc(tmp_path: Path) -> None:
    files = render(tmp_path, {"c.yaml": BASE + EXISTING})
    res = resources(files, "c")
    assert not [k for k in res if k[0] in ("aws_vpc", "aws_subnet", "aws_nat_gateway")]
    assert "aws_flow_log" not in {k[0] for k in res}
    assert '["subnet-aaa", "subnet-bbb", "subnet-ccc"]' in files["c/terraform/cluster.tf"]
    group = unquote(res[("aws_eks_node_group", "general")])
    assert group["subnet_ids"] == "${local.existing_subnet_ids}"
    module = module_dir(tmp_path, files, "c")
    assert oracle_findings([module]) == ""
    assert terraform_problems(module) == []
    assert checkov_failures(module, ISSUE_CHECKS) == []
    doc = yaml.safe_load(files["c/eksctl/cluster.yaml"])
    assert eksctl_errors(files["c/eksctl/cluster.yaml"]) == []
    assert doc["vpc"]["id"] == "vpc-0123456789abcdef0"
    assert sorted(doc["vpc"]["subnets"]["private"]) == ["subnet-aaa", "subnet-bbb", "subnet-ccc"]
    assert "availabilityZones" not in doc


def test_existing_network_needs_a_subnet_per_zone(tmp_path: Path) -> None:
    body = BASE + (
        "zones: [us-east-1a, us-east-1b, us-east-1c]\n"
        "network:\n  existing:\n    networkId: vpc-1\n    subnetIds: [subnet-a, subnet-b]\n"
    )
    errors = errors_of(tmp_path, {"c.yaml": body})
    assert len(errors) == 1
    assert re.match(
        r"model/c\.yaml:\d+:\d+: network\.existing\.subnetIds: EKS needs at least 3 subnets",
        errors[0],
    )


def test_existing_network_needs_two_subnets(tmp_path: Path) -> None:
    body = BASE + "network:\n  existing:\n    networkId: vpc-1\n    subnetIds: [s-1]\n"
    errors = errors_of(tmp_path, {"c.yaml": body})
    assert any("network.existing.subnetIds: EKS needs at least 2 subnets" in e for e in errors)


def test_existing_network_with_pool_zones_is_an_error(tmp_path: Path) -> None:
    tree = {
        "_defaults.yaml": "nodePools:\n  general:\n    zones: [us-east-1a]\n",
        "c.yaml": BASE + EXISTING,
    }
    errors = errors_of(tmp_path, tree)
    assert len(errors) == 1
    assert re.match(r"model/_defaults\.yaml:3:\d+: nodePools\.general\.zones: ", errors[0])


# --- validation --------------------------------------------------------------------------


def test_unknown_addon_lists_the_known_ones(tmp_path: Path) -> None:
    errors = errors_of(tmp_path, {"c.yaml": BASE + "addons: [coredns, karpenter]\n"})
    assert len(errors) == 1
    assert re.match(
        r"model/c\.yaml:\d+:\d+: addons\[1\]: eks cannot run addon 'karpenter'", errors[0]
    )
    for known in ("cluster-autoscaler", "vpc-cni", "aws-ebs-csi-driver", "metrics-server"):
        assert known in errors[0]


def test_a_version_past_extended_support_is_an_error(tmp_path: Path) -> None:
    body = BASE.replace('"1.35"', '"1.31"')
    errors = errors_of(tmp_path, {"c.yaml": body})
    assert len(errors) == 1
    assert "kubernetesVersion: eks does not offer Kubernetes 1.31" in errors[0]


def test_eksctl_needs_the_account(tmp_path: Path) -> None:
    body = BASE.replace('aws:\n  accountId: "123456789012"\n', "")
    errors = errors_of(tmp_path, {"c.yaml": body + "eks:\n  eksctl: true\n"})
    assert len(errors) == 1
    assert re.match(r"model/c\.yaml:\d+:\d+: eks\.eksctl: .*aws\.accountId", errors[0])


def test_fargate_profile_names_are_unique(tmp_path: Path) -> None:
    body = BASE + (
        "eks:\n  fargateProfiles:\n"
        "    - {name: a, selectors: [{namespace: x}]}\n"
        "    - {name: a, selectors: [{namespace: y}]}\n"
    )
    errors = errors_of(tmp_path, {"c.yaml": body})
    assert len(errors) == 1
    assert "eks.fargateProfiles[1].name: Fargate profile 'a' is named twice" in errors[0]


def test_admin_role_arns_must_be_role_arns(tmp_path: Path) -> None:
    body = BASE + "eks:\n  adminRoleArns: [arn:aws:iam::123456789012:user/bob]\n"
    errors = errors_of(tmp_path, {"c.yaml": body})
    assert len(errors) == 1
    assert "eks.adminRoleArns[0]" in errors[0]


def test_a_public_topology_eksctl_config_is_schema_valid(tmp_path: Path) -> None:
    body = BASE + (
        "highAvailability: false\n"
        "network:\n  topology: public\n"
        "apiServer:\n  public: true\n"
        "addons: [vpc-cni, aws-efs-csi-driver, cluster-autoscaler, metrics-server]\n"
        "eks:\n  eksctl: true\n"
    )
    files = render(tmp_path, {"c.yaml": body})
    text = files["c/eksctl/cluster.yaml"]
    assert eksctl_errors(text) == []
    doc = yaml.safe_load(text)
    assert doc["vpc"]["nat"] == {"gateway": "Disable"}
    assert doc["vpc"]["publicAccessCIDRs"] == ["0.0.0.0/0"]
    assert doc["managedNodeGroups"][0]["privateNetworking"] is False
    assert doc["accessConfig"]["bootstrapClusterCreatorAdminPermissions"] is True
    module = module_dir(tmp_path, files, "c")
    assert checkov_failures(module, ISSUE_CHECKS + REVIEW_CHECKS) == []
    public_subnets = files["c/terraform/network.tf"].split('resource "aws_subnet" "public"')[1]
    assert "checkov:skip=CKV_AWS_130" in public_subnets.split("\n}\n")[0]
