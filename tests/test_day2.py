"""The day-2 fields of issue 18 (addons with versions and settings, maxPods, prefix
delegation, the EKS upgrade policy and deletion protection, extra security groups and
control-plane subnets, customer-managed keys, maintenance windows, access): a held-out model
on EKS, GKE, AKS and DOKS renders them as the providers take them, passes the provider-schema
oracle, Terraform loading and checkov, and an engine that cannot honour a field refuses it
at the field, naming the engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml
from helpers import (
    checkov_failures,
    hcl_unquote,
    issues_of,
    oracle_findings,
    render_tree,
    terraform_dirs,
    terraform_problems,
    write_files,
    write_tree,
)
from test_engine_aks import SECURITY_CHECKS as AKS_CHECKS
from test_engine_eks import ISSUE_CHECKS as EKS_CHECKS
from test_engine_eks import REVIEW_CHECKS as EKS_REVIEW_CHECKS
from test_engine_eks import eksctl_validator
from test_engine_gke import GKE_CHECKS
from treeform.capabilities import HONOURED_BY
from treeform.model import Maintenance
from treeform.providers.windows import utc_window

KMS_ARN = "arn:aws:kms:us-east-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab"
GCP_KEY = "projects/acme-kms/locations/europe-west1/keyRings/gke/cryptoKeys/secrets"
VAULT_KEY = "https://acme-kv.vault.azure.net/keys/aks/0123456789abcdef0123456789abcdef"
VAULT_ID = "/subscriptions/0000/resourceGroups/rg-kv/providers/Microsoft.KeyVault/vaults/acme-kv"
ENTRA_GROUP = "11111111-2222-3333-4444-555555555555"

HELD_OUT = {
    "_defaults.yaml": """
        tags: {owner: platform}
        maintenance:
          day: saturday
          start: "22:00"
          hours: 12
          timeZone: "+01:00"
          exclusions:
            - {name: year-end, start: "2026-12-20T00:00:00+01:00", end: "2027-01-03T00:00:00Z"}
        """,
    "aws/payments.yaml": """
        cloud: aws
        engine: eks
        region: us-east-1
        kubernetesVersion: "1.34"
        maintenance: null
        aws: {accountId: "210987654321"}
        network:
          existing:
            networkId: vpc-0abc
            subnetIds: [subnet-n1, subnet-n2]
            controlPlaneSubnetIds: [subnet-c1, subnet-c2]
        nodePools:
          general: {machineType: m7i.large, minSize: 2, maxSize: 6, maxPods: 58}
          batch: {machineType: m7i.4xlarge, minSize: 0, maxSize: 4}
        addons:
          - name: vpc-cni
            configuration: {env: {AWS_VPC_K8S_CNI_EXTERNALSNAT: "true"}}
          - {name: coredns, version: v1.11.4-eksbuild.2}
          - kube-proxy
        encryption: {secretsKey: "KMS_ARN"}
        access:
          - {principal: "arn:aws:iam::210987654321:role/dev", role: edit, namespaces: [web, api]}
          - {principal: "arn:aws:iam::210987654321:role/dev", role: view}
          - {principal: "arn:aws:iam::210987654321:role/sre", role: cluster-admin}
        autoprovisioning: {enabled: true}
        eks:
          eksctl: true
          prefixDelegation: true
          securityGroupIds: [sg-0123456789abcdef0]
        """.replace("KMS_ARN", KMS_ARN),
    "gcp/web.yaml": """
        cloud: gcp
        engine: gke
        region: europe-west1
        kubernetesVersion: "1.34"
        gcp: {project: acme-prod}
        nodePools:
          general: {machineType: e2-standard-4, minSize: 1, maxSize: 6, maxPods: 32}
        encryption: {secretsKey: GCP_KEY}
        access:
          - {principal: "group:dev@example.com", role: edit}
          - {principal: "group:sre@example.com", role: cluster-admin}
        autoprovisioning: {enabled: true, cpu: 64, memoryGb: 256}
        """.replace("GCP_KEY", GCP_KEY),
    "azure/shop.yaml": """
        cloud: azure
        engine: aks
        region: westeurope
        kubernetesVersion: "1.34"
        azure: {subscriptionId: "00000000-0000-0000-0000-000000000000"}
        nodePools:
          system: {machineType: Standard_D4s_v5, minSize: 1, maxSize: 3, maxPods: 60}
          user: {machineType: Standard_D4s_v5, minSize: 1, maxSize: 3, maxPods: 30}
        encryption: {secretsKey: "VAULT_KEY"}
        access:
          - {principal: "ENTRA_GROUP", role: edit, namespaces: [web, api]}
          - {principal: "ENTRA_GROUP", role: view}
        aks: {keyVaultId: VAULT_ID}
        """.replace("VAULT_KEY", VAULT_KEY)
    .replace("ENTRA_GROUP", ENTRA_GROUP)
    .replace("VAULT_ID", VAULT_ID),
    "do/blog.yaml": """
        cloud: digitalocean
        engine: doks
        region: nyc1
        kubernetesVersion: "1.34"
        nodePools:
          general: {machineType: s-2vcpu-4gb, minSize: 1, maxSize: 3}
        maintenance:
          {day: monday, start: "01:30", timeZone: "+02:00", hours: null, exclusions: null}
        """,
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path]:
    root = tmp_path_factory.mktemp("day2")
    files = render_tree(write_tree(root / "model", HELD_OUT))
    return files, write_files(root / "out", files)


def _plain(value: Any) -> Any:
    """python-hcl2 8.x keeps quotes on labels and strings: take them off."""
    if isinstance(value, dict):
        return {
            (hcl_unquote(k) if k.startswith('"') else k): _plain(v)
            for k, v in value.items()
            if k not in ("__start_line__", "__end_line__", "__is_block__", "__comments__")
        }
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str) and value.startswith('"') and value.endswith('"'):
        return value[1:-1] if "${" in value else hcl_unquote(value)
    return value


def _hcl(text: str) -> Any:
    return _plain(hcl2.loads(text))


def test_held_out_modules_pass_the_oracle_terraform_and_checkov(
    rendered: tuple[dict[str, str], Path],
) -> None:
    _, out = rendered
    dirs = terraform_dirs(out)
    assert len(dirs) == 4
    assert oracle_findings(dirs) == ""
    for module in dirs:
        assert terraform_problems(module) == []
    assert checkov_failures(out / "aws/payments/terraform", EKS_CHECKS + EKS_REVIEW_CHECKS) == []
    assert checkov_failures(out / "gcp/web/terraform", GKE_CHECKS) == []
    assert checkov_failures(out / "azure/shop/terraform", AKS_CHECKS) == []


def test_eks_addons_follow_the_cluster_unless_pinned(rendered) -> None:
    files, _ = rendered
    text = files["aws/payments/terraform/addons.tf"]
    doc = _hcl(text)
    data = {k: v for d in doc["data"] for k, v in d["aws_eks_addon_version"].items()}
    # The pinned coredns has no lookup; the others take the newest for the cluster's minor.
    assert set(data) == {"vpc_cni", "kube_proxy", "eks_pod_identity_agent"}
    for lookup in data.values():
        assert lookup["kubernetes_version"] == "${aws_eks_cluster.this.version}"
        assert lookup["most_recent"] is True
    addons = {k: v for r in doc["resource"] for k, v in r["aws_eks_addon"].items()}
    assert addons["coredns"]["addon_version"] == "v1.11.4-eksbuild.2"
    assert addons["vpc_cni"]["addon_version"] == "${data.aws_eks_addon_version.vpc_cni.version}"
    # configuration_values: the model's settings and prefix delegation's, as JSON.
    assert "configuration_values = jsonencode({" in text
    assert 'ENABLE_PREFIX_DELEGATION = "true"' in text
    assert 'AWS_VPC_K8S_CNI_EXTERNALSNAT = "true"' in text
    assert "configuration_values" not in json.dumps(addons["coredns"])


def test_eks_max_pods_reach_the_kubelet_through_nodeconfig(rendered) -> None:
    files, _ = rendered
    doc = _hcl(files["aws/payments/terraform/node_groups.tf"])
    templates = {k: v for r in doc["resource"] for k, v in r.get("aws_launch_template", {}).items()}
    pods = {}
    for name, lt in templates.items():
        literal = lt["user_data"].removeprefix('${base64encode("').removesuffix('")}')
        text = literal.encode().decode("unicode_escape")
        part = text.split("Content-Type: application/node.eks.aws\n\n", 1)[1].split("\n--//")[0]
        node_config = yaml.safe_load(part)
        assert node_config["kind"] == "NodeConfig"
        pods[name] = node_config["spec"]["kubelet"]["config"]["maxPods"]
    # The pool's own maxPods; prefix delegation's 110 where the pool names none.
    assert pods == {"general": 58, "batch": 110}


def test_eks_cluster_settings(rendered) -> None:
    files, _ = rendered
    cluster = _hcl(files["aws/payments/terraform/cluster.tf"])["resource"]
    eks = next(r["aws_eks_cluster"]["this"] for r in cluster if "aws_eks_cluster" in r)
    assert eks["upgrade_policy"] == [{"support_type": "STANDARD"}]
    assert "deletion_protection" not in eks
    vpc = eks["vpc_config"][0]
    assert vpc["subnet_ids"] == ["subnet-c1", "subnet-c2"]
    assert vpc["security_group_ids"] == ["sg-0123456789abcdef0"]
    # The model's key and no key of treeform's own.
    assert eks["encryption_config"][0]["provider"][0]["key_arn"] == "${local.kms_key_arn}"
    module = "".join(v for k, v in files.items() if k.startswith("aws/payments/terraform/"))
    assert 'resource "aws_kms_key"' not in module
    assert KMS_ARN in files["aws/payments/terraform/main.tf"]
    node_groups = files["aws/payments/terraform/node_groups.tf"]
    assert "local.existing_subnet_ids" in node_groups  # nodes keep subnetIds


def test_eks_access_entries_and_scopes(rendered) -> None:
    files, _ = rendered
    doc = _hcl(files["aws/payments/terraform/identity.tf"])
    access = next(b["access"] for b in doc["locals"] if "access" in b)
    dev_edit = access["arn:aws:iam::210987654321:role/dev edit"]
    assert dev_edit["policy"] == "AmazonEKSEditPolicy"
    assert dev_edit["scope"] == "namespace"
    assert dev_edit["namespaces"] == ["web", "api"]
    assert access["arn:aws:iam::210987654321:role/dev view"]["scope"] == "cluster"
    assert access["arn:aws:iam::210987654321:role/sre cluster-admin"]["policy"] == (
        "AmazonEKSClusterAdminPolicy"
    )


def test_eksctl_says_the_same(rendered) -> None:
    files, _ = rendered
    doc = yaml.safe_load(files["aws/payments/eksctl/cluster.yaml"])
    assert list(eksctl_validator().iter_errors(doc)) == []
    assert doc["autoModeConfig"] == {"enabled": True}
    assert doc["upgradePolicy"] == {"supportType": "STANDARD"}
    assert doc["secretsEncryption"] == {"keyARN": KMS_ARN}
    assert doc["vpc"]["controlPlaneSubnetIDs"] == ["subnet-c1", "subnet-c2"]
    assert doc["vpc"]["controlPlaneSecurityGroupIDs"] == ["sg-0123456789abcdef0"]
    addons = {a["name"]: a for a in doc["addons"]}
    assert addons["coredns"]["version"] == "v1.11.4-eksbuild.2"
    assert addons["kube-proxy"]["version"] == "latest"
    assert json.loads(addons["vpc-cni"]["configurationValues"])["env"] == {
        "ENABLE_PREFIX_DELEGATION": "true",
        "WARM_PREFIX_TARGET": "1",
        "AWS_VPC_K8S_CNI_EXTERNALSNAT": "true",
    }
    groups = {g["name"]: g for g in doc["managedNodeGroups"]}
    assert groups["general"]["maxPodsPerNode"] == 58
    assert groups["batch"]["maxPodsPerNode"] == 110
    entries = {e["principalARN"]: e for e in doc["accessConfig"]["accessEntries"]}
    dev = entries["arn:aws:iam::210987654321:role/dev"]["accessPolicies"]
    assert dev[0]["accessScope"] == {"type": "namespace", "namespaces": ["web", "api"]}


def test_gke_fields(rendered) -> None:
    files, _ = rendered
    cluster = _hcl(files["gcp/web/terraform/cluster.tf"])["resource"][0]["google_container_cluster"]
    gke = cluster["this"]
    assert gke["database_encryption"] == [{"state": "ENCRYPTED", "key_name": GCP_KEY}]
    policy = gke["maintenance_policy"][0]
    # Saturday 22:00 at +01:00 is Saturday 21:00 UTC; twelve hours.
    assert policy["recurring_window"] == [
        {
            "start_time": "2025-01-11T21:00:00Z",
            "end_time": "2025-01-12T09:00:00Z",
            "recurrence": "FREQ=WEEKLY;BYDAY=SA",
        }
    ]
    assert policy["maintenance_exclusion"] == [
        {
            "exclusion_name": "year-end",
            "start_time": "2026-12-19T23:00:00Z",
            "end_time": "2027-01-03T00:00:00Z",
        }
    ]
    assert "max_pods_per_node = 32" in files["gcp/web/terraform/node_pools.tf"]
    iam = files["gcp/web/terraform/iam.tf"]
    assert 'role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"' in iam
    assert "container-engine-robot.iam.gserviceaccount.com" in iam
    resources = {k: v for r in _hcl(iam)["resource"] for k, v in r.items()}
    members = resources["google_project_iam_member"]["access"]["for_each"]
    assert members["group:dev@example.com edit"] == {
        "member": "group:dev@example.com",
        "role": "roles/container.developer",
    }
    assert members["group:sre@example.com cluster-admin"]["role"] == "roles/container.admin"


def test_aks_fields(rendered) -> None:
    files, _ = rendered
    text = files["azure/shop/terraform/cluster.tf"]
    aks = _hcl(text)["resource"][0]["azurerm_kubernetes_cluster"]["this"]
    assert aks["key_management_service"] == [
        {"key_vault_key_id": VAULT_KEY, "key_vault_network_access": "Public"}
    ]
    for block in ("maintenance_window_auto_upgrade", "maintenance_window_node_os"):
        window = aks[block][0]
        assert window["day_of_week"] == "Saturday"
        assert window["start_time"] == "22:00"
        assert window["utc_offset"] == "+01:00"
        assert window["duration"] == 12
        assert window["not_allowed"] == [
            {"start": "2026-12-19T23:00:00Z", "end": "2027-01-03T00:00:00Z"}
        ]
    assert aks["default_node_pool"][0]["max_pods"] == 60
    assert "max_pods                    = 30" in files["azure/shop/terraform/node_pools.tf"]
    identity = files["azure/shop/terraform/identity.tf"]
    assert 'role_definition_name = "Key Vault Crypto User"' in identity
    assert VAULT_ID in identity
    assert f'"{ENTRA_GROUP} edit web"' in identity
    assert 'scope = "/namespaces/web"' in identity.replace("  ", " ").replace("  ", " ")
    assert '"Azure Kubernetes Service Cluster User Role"' in identity


def test_doks_window_moves_to_utc(rendered) -> None:
    files, _ = rendered
    text = files["do/blog/terraform/cluster.tf"]
    # Monday 01:30 at +02:00 is Sunday 23:30 UTC.
    assert 'day        = "sunday"' in text
    assert 'start_time = "23:30"' in text


def test_utc_window_crosses_days_both_ways() -> None:
    late = utc_window(Maintenance("sunday", "23:00", 4, "-05:00", ()))
    assert (late.weekday, late.start.strftime("%H:%M")) == ("monday", "04:00")
    early = utc_window(Maintenance("monday", "00:30", 4, "+05:30", ()))
    assert (early.weekday, early.start.strftime("%H:%M")) == ("sunday", "19:00")
    daily = utc_window(Maintenance("daily", "03:00", 4, "+00:00", ()))
    assert daily.weekday is None


# --- refusals -------------------------------------------------------------------------------

BASE = {
    "eks": "cloud: aws\nengine: eks\nregion: us-east-1\nkubernetesVersion: '1.34'\n"
    "nodePools: {general: {machineType: m6i.large, minSize: 1, maxSize: 3}}\n",
    "gke": "cloud: gcp\nengine: gke\nregion: europe-west1\nkubernetesVersion: '1.34'\n"
    "nodePools: {general: {machineType: e2-standard-4, minSize: 1, maxSize: 3}}\n",
    "aks": "cloud: azure\nengine: aks\nregion: westeurope\nkubernetesVersion: '1.34'\n"
    "nodePools: {system: {machineType: Standard_D4s_v5, minSize: 1, maxSize: 3}}\n",
    "doks": "cloud: digitalocean\nengine: doks\nregion: nyc1\nkubernetesVersion: '1.34'\n"
    "nodePools: {general: {machineType: s-2vcpu-4gb, minSize: 1, maxSize: 3}}\n",
    "oke": "cloud: oracle\nengine: oke\nregion: eu-frankfurt-1\nkubernetesVersion: '1.33'\n"
    "nodePools: {general: {machineType: VM.Standard.E5.Flex, minSize: 1, maxSize: 3}}\n",
}


def _refusals(root: Path) -> list[str]:
    """`path: message` of every issue of an invalid model."""
    return [line.split(": ", 1)[1] for line in issues_of(lambda: render_tree(root))]


def _issues(tmp_path: Path, engine: str, extra: str) -> list[str]:
    return _refusals(write_tree(tmp_path, {"c.yaml": BASE[engine] + extra}))


def test_eks_refuses_maintenance_naming_eks(tmp_path: Path) -> None:
    found = _issues(tmp_path, "eks", "maintenance: {day: sunday, start: '02:00'}\n")
    assert found == [
        "maintenance: EKS has no maintenance windows: AWS patches the control plane when it "
        "chooses, and node groups change only when their version does; remove maintenance"
    ]


@pytest.mark.parametrize(
    ("engine", "extra", "path"),
    [
        ("gke", "addons: [{name: metrics-server, version: '1.0'}]\n", "addons[0].version"),
        ("aks", "addons: [{name: keda, configuration: {a: 1}}]\n", "addons[0].configuration"),
        ("doks", "nodePools: {general: {maxPods: 40}}\n", "nodePools.general.maxPods"),
        ("doks", "access: [{principal: x, role: view}]\n", "access"),
        ("doks", "encryption: {secretsKey: k}\n", "encryption"),
        ("oke", "maintenance: {day: sunday, start: '02:00'}\n", "maintenance"),
        (
            "gke",
            "access: [{principal: 'group:a@b.io', role: view, namespaces: [x]}]\n",
            "access[0].namespaces",
        ),
    ],
)
def test_an_engine_refuses_what_it_cannot_honour(
    tmp_path: Path, engine: str, extra: str, path: str
) -> None:
    text = BASE[engine]
    if extra.startswith("nodePools"):
        text = text.replace("maxSize: 3}", "maxSize: 3, maxPods: 40}")
        extra = ""
    every = _refusals(write_tree(tmp_path, {"c.yaml": text + extra}))
    found = [i for i in every if i.startswith(path + ": ")]
    assert len(found) == 1, every
    assert f"engine {engine} " in found[0] or engine.upper() in found[0]


def test_every_refusal_comes_from_the_one_table() -> None:
    # Each row names real engines; every engine the row leaves out refuses the field.
    engines = {"eks", "gke", "aks", "doks", "kops", "ack", "tke", "cce", "iks", "oke"}
    for field, takers in HONOURED_BY.items():
        assert takers <= engines, field


def test_eks_rules(tmp_path: Path) -> None:
    found = _issues(
        tmp_path,
        "eks",
        "addons:\n"
        "  - {name: cluster-autoscaler, version: v1}\n"
        "  - {name: coredns, configuration: {replicaCount: .inf}}\n"
        "encryption: {secretsKey: 'arn:aws:kms:eu-west-1:123456789012:key/abc'}\n"
        "access:\n"
        "  - {principal: 'not-an-arn', role: view}\n"
        "  - {principal: 'arn:aws:iam::123456789012:role/a', role: admin, namespaces: [x]}\n"
        "  - {principal: 'arn:aws:iam::123456789012:role/a', role: admin, namespaces: [y]}\n"
        "  - {principal: 'arn:aws:iam::123456789012:role/b', role: cluster-admin,"
        " namespaces: [z]}\n"
        "eks: {prefixDelegation: true, eksctl: true, deletionProtection: true}\n",
    )
    joined = "\n".join(found)
    assert "addons[0].version: cluster-autoscaler is not an EKS add-on" in joined
    assert "addons[1].configuration.replicaCount: inf has no JSON form" in joined
    assert "encryption.secretsKey: the key is in eu-west-1" in joined
    assert "access[0].principal: is not an IAM role or user ARN" in joined
    assert "access[2].role: arn:aws:iam::123456789012:role/a has role admin twice" in joined
    assert "access[3].namespaces: cluster-admin is the whole cluster" in joined
    assert "eks.prefixDelegation: prefix delegation is a setting of the vpc-cni add-on" in joined
    assert "eks.deletionProtection: eksctl's ClusterConfig has no deletion protection" in joined


def test_gke_aks_doks_rules(tmp_path: Path) -> None:
    gke = _issues(
        tmp_path / "g",
        "gke",
        "maintenance: {day: sunday, start: '02:00', hours: 6, exclusions: "
        "[{name: long, start: '2026-01-01T00:00:00Z', end: '2026-03-01T00:00:00Z'}]}\n"
        "encryption: {secretsKey: projects/acme-kms/locations/us-east1/keyRings/r/cryptoKeys/k}\n"
        "access: [{principal: 'group:a@example.com', role: admin}, {principal: bob, role: view}]\n",
    )
    joined = "\n".join(gke)
    assert "maintenance.hours: GKE needs 48 hours of maintenance in 32 days" in joined
    assert (
        "maintenance.exclusions[0].end: a GKE maintenance exclusion lasts 30 days at most" in joined
    )
    assert "encryption.secretsKey: the key ring is in us-east1" in joined
    assert "access[0].role: GKE IAM has no namespace-admin role" in joined
    assert "access[1].principal: is not an IAM member" in joined
    aks = _refusals(
        write_tree(
            tmp_path / "a",
            {
                "c.yaml": BASE["aks"].replace("maxSize: 3}", "maxSize: 3, maxPods: 20}")
                + "encryption: {secretsKey: 'https://kv.vault.azure.net/keys/k'}\n"
                "access: [{principal: Bob, role: view}]\n"
            },
        )
    )
    joined = "\n".join(aks)
    assert "encryption.secretsKey: is not a Key Vault key id with its version" in joined
    assert "encryption.secretsKey: AKS's identity needs Key Vault Crypto User" in joined
    assert "access[0].principal: is not an Entra object id" in joined
    assert (
        "nodePools.system.maxPods: AKS takes at least 30 pods a node on the system pool" in joined
    )
    doks = _issues(
        tmp_path / "d",
        "doks",
        "maintenance: {day: daily, start: '02:00', hours: 6, exclusions: "
        "[{name: x, start: '2026-02-31T00:00:00Z', end: '2026-03-01T00:00:00Z'}]}\n",
    )
    joined = "\n".join(doks)
    assert "maintenance.day: DOKS has one weekly window" in joined
    assert "maintenance.hours: DOKS maintenance windows last 4 hours" in joined
    assert "maintenance.exclusions: engine doks does not take maintenance.exclusions" in joined
    assert "maintenance.exclusions[0].start: 2026-02-31T00:00:00Z is not a calendar date" in joined


def test_eks_support_type_defaults_to_standard_where_eks_takes_it(tmp_path: Path) -> None:
    base = BASE["eks"]
    current = render_tree(write_tree(tmp_path / "a", {"c.yaml": base}))
    assert 'support_type = "STANDARD"' in current["c/terraform/cluster.tf"]
    old = base.replace("'1.34'", "'1.33'")
    past = render_tree(write_tree(tmp_path / "b", {"c.yaml": old}))
    assert 'support_type = "EXTENDED"' in past["c/terraform/cluster.tf"]
    refused = _refusals(
        write_tree(tmp_path / "c", {"c.yaml": old + "eks: {supportType: STANDARD}\n"})
    )
    assert refused == [
        "eks.supportType: Kubernetes 1.33 is past EKS standard support (as of 2026-12-01); EKS "
        "takes only EXTENDED for it: upgrade the cluster, or set EXTENDED"
    ]


# --- the Terraform escape hatch -------------------------------------------------------------

EXTRA_OUTPUT = 'output "org" {\n  value = "acme"\n}\n'
EXTRA_FILTER = (
    'resource "aws_cloudwatch_log_metric_filter" "errors" {\n'
    '  name           = "errors"\n'
    '  pattern        = "ERROR"\n'
    "  log_group_name = aws_cloudwatch_log_group.eks.name\n"
    "\n"
    "  metric_transformation {\n"
    '    name      = "errors"\n'
    '    namespace = "acme"\n'
    '    value     = "1"\n'
    "  }\n"
    "}\n"
)


def _escape_tree(root: Path, extra: dict[str, str]) -> Path:
    files: dict[str, str | bytes] = {
        "aws/prod/pay.yaml": BASE["eks"],
        "aws/prod/ledger.yaml": BASE["eks"],
        "aws/dev/box.yaml": BASE["eks"],
    }
    files.update({k: v.encode() for k, v in extra.items()})  # bytes: written as they are
    return write_tree(root, files)


def test_extra_terraform_lands_in_its_modules_unchanged(tmp_path: Path) -> None:
    crlf = EXTRA_OUTPUT.replace("\n", "\r\n")  # unchanged means unchanged: no fmt, no newlines
    root = _escape_tree(
        tmp_path / "model",
        {
            "aws/prod/_defaults.org.tf": crlf,
            "aws/prod/pay.alarms.tf": EXTRA_FILTER,
            "_defaults.org.tf": "# replaced below aws/prod by aws/prod/_defaults.org.tf\n",
        },
    )
    files = render_tree(root)
    assert files["aws/prod/pay/terraform/alarms.tf"] == EXTRA_FILTER
    assert files["aws/prod/pay/terraform/org.tf"] == crlf
    assert files["aws/prod/ledger/terraform/org.tf"] == crlf
    assert "aws/prod/ledger/terraform/alarms.tf" not in files
    assert files["aws/dev/box/terraform/org.tf"].startswith("# replaced below")
    # The module still loads in Terraform, with the extra resource in it.
    out = write_files(tmp_path / "out", {k: v for k, v in files.items() if "/pay/" in k})
    module = out / "aws/prod/pay/terraform"
    (module / "org.tf").write_text(EXTRA_OUTPUT)  # terraform fmt wants LF; loading does not
    assert terraform_problems(module) == []
    assert oracle_findings([module]) == ""


def test_extra_terraform_names_are_checked(tmp_path: Path) -> None:
    from click.testing import CliRunner
    from treeform.cli import cli

    root = _escape_tree(
        tmp_path,
        {
            "aws/prod/pay.main.tf": EXTRA_OUTPUT,
            "aws/prod/_defaults.versions.tf": EXTRA_OUTPUT,
            "aws/prod/nobody.x.tf": EXTRA_OUTPUT,
            "aws/prod/main.tf": EXTRA_OUTPUT,
        },
    )
    (root / "aws/dev/box.bin.tf").write_bytes(b"\xff\xfe")
    result = CliRunner().invoke(cli, ["validate", str(root)], catch_exceptions=False)
    assert result.exit_code == 1
    text = result.stderr
    # Every problem at once: the names of the tree, and collisions found by rendering.
    assert (
        f"{root}/aws/prod/pay.main.tf:1:1: would replace the generated terraform/main.tf of "
        f"cluster aws/prod/pay ({root}/aws/prod/pay.main.tf goes into its module as main.tf)"
    ) in text
    # A defaults file collides in every module below it, each named.
    assert text.count("would replace the generated terraform/versions.tf") == 2
    assert "nobody.x.tf:1:1: no cluster 'aws/prod/nobody' beside this Terraform file" in text
    assert "aws/prod/main.tf:1:1: a Terraform file in the model is named CLUSTER.NAME.tf" in text
    assert "aws/dev/box.bin.tf:1:1: the file is not UTF-8" in text


def test_extra_terraform_is_part_of_the_fingerprint_and_the_review(tmp_path: Path) -> None:
    from click.testing import CliRunner
    from treeform.cli import cli

    root = _escape_tree(tmp_path / "model", {"aws/prod/pay.alarms.tf": EXTRA_FILTER})
    out = tmp_path / "out"
    runner = CliRunner()
    first = runner.invoke(cli, ["generate", str(root), "-o", str(out)], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    again = runner.invoke(cli, ["generate", str(root), "-o", str(out)], catch_exceptions=False)
    assert "0 updated" in again.output
    (root / "aws/prod/pay.alarms.tf").write_text(EXTRA_FILTER.replace("ERROR", "FATAL"))
    review = runner.invoke(
        cli,
        ["diff", str(root), "-o", str(out), "--format", "markdown"],
        catch_exceptions=False,
    )
    assert "`terraform/alarms.tf` | changed | +1 -1" in review.output
    assert '+  pattern        = "FATAL"' in review.output
    changed = runner.invoke(cli, ["generate", str(root), "-o", str(out)], catch_exceptions=False)
    assert "1 updated" in changed.output
    assert 'pattern        = "FATAL"' in (out / "aws/prod/pay/terraform/alarms.tf").read_text()


def test_eks_auto_mode(rendered) -> None:
    files, _ = rendered
    cluster = _hcl(files["aws/payments/terraform/cluster.tf"])["resource"]
    eks = next(r["aws_eks_cluster"]["this"] for r in cluster if "aws_eks_cluster" in r)
    assert eks["compute_config"] == [
        {
            "enabled": True,
            "node_pools": ["general-purpose", "system"],
            "node_role_arn": "${aws_iam_role.auto_node.arn}",
        }
    ]
    assert eks["storage_config"] == [{"block_storage": [{"enabled": True}]}]
    assert eks["kubernetes_network_config"] == [{"elastic_load_balancing": [{"enabled": True}]}]
    iam = files["aws/payments/terraform/iam.tf"]
    for policy in (
        "AmazonEKSComputePolicy",
        "AmazonEKSBlockStoragePolicy",
        "AmazonEKSLoadBalancingPolicy",
        "AmazonEKSNetworkingPolicy",
        "AmazonEKSWorkerNodeMinimalPolicy",
        "AmazonEC2ContainerRegistryPullOnly",
    ):
        assert f'"{policy}"' in iam, policy


def test_gke_node_auto_provisioning(rendered) -> None:
    files, _ = rendered
    cluster = _hcl(files["gcp/web/terraform/cluster.tf"])["resource"][0]["google_container_cluster"]
    autoscaling = cluster["this"]["cluster_autoscaling"][0]
    assert autoscaling["enabled"] is True
    assert autoscaling["resource_limits"] == [
        {"resource_type": "cpu", "maximum": 64},
        {"resource_type": "memory", "maximum": 256},
    ]
    defaults = autoscaling["auto_provisioning_defaults"][0]
    assert defaults["service_account"] == "${google_service_account.nodes.email}"


def test_autoprovisioning_rules(tmp_path: Path) -> None:
    eks = _issues(tmp_path / "e", "eks", "autoprovisioning: {enabled: true, cpu: 8}\n")
    assert eks == [
        "autoprovisioning.cpu: EKS Auto Mode's built-in node pools (general-purpose, system) "
        "take no limits; remove it (a NodePool of your own, applied in the cluster, can set "
        "limits)"
    ]
    gke = _issues(tmp_path / "g", "gke", "autoprovisioning: {enabled: true, cpu: 8}\n")
    assert gke == [
        "autoprovisioning: GKE node auto-provisioning needs resource limits: set memoryGb"
    ]
    aks = _issues(tmp_path / "a", "aks", "autoprovisioning: {enabled: true}\n")
    assert aks == [
        "autoprovisioning: AKS node auto-provisioning (node_provisioning_profile) is not in the "
        "azurerm provider treeform targets (4.55); use node pools with the cluster autoscaler"
    ]


# --- enterprise networking ------------------------------------------------------------------

AKS_ENTERPRISE = """
cloud: azure
engine: aks
region: westeurope
kubernetesVersion: "1.34"
network:
  existing:
    networkId: SUB/rg-net/providers/Microsoft.Network/virtualNetworks/hub
    subnetIds:
      - SUB/rg-net/providers/Microsoft.Network/virtualNetworks/hub/subnets/aks
nodePools:
  system: {machineType: Standard_D4s_v5, minSize: 1, maxSize: 3}
aks:
  outboundType: userDefinedRouting
  privateDnsZoneId: SUB/rg-dns/providers/Microsoft.Network/privateDnsZones/ZONE
  acrIds: [SUB/rg-acr/providers/Microsoft.ContainerRegistry/registries/acme]
  autoscalerProfile:
    expander: least-waste
    scaleDownUnneeded: 5m
    scaleDownUtilizationThreshold: "0.6"
    maxUnreadyNodes: 2
""".replace("SUB", "/subscriptions/0000/resourceGroups").replace(
    "ZONE", "privatelink.westeurope.azmk8s.io"
)

GKE_SHARED_VPC = """
cloud: gcp
engine: gke
region: europe-west1
kubernetesVersion: "1.34"
gcp: {project: acme-prod, networkProject: acme-host}
network:
  podCidr: 10.100.0.0/16
  serviceCidr: 10.101.0.0/20
  existing:
    networkId: projects/acme-host/global/networks/shared
    subnetIds: [projects/acme-host/regions/europe-west1/subnetworks/gke]
nodePools:
  general: {machineType: e2-standard-4, minSize: 1, maxSize: 3}
gke: {dnsEndpoint: true}
"""


def test_aks_and_gke_enterprise_networking(tmp_path: Path) -> None:
    files = render_tree(
        write_tree(tmp_path / "model", {"shop.yaml": AKS_ENTERPRISE, "web.yaml": GKE_SHARED_VPC})
    )
    out = write_files(tmp_path / "out", files)
    dirs = terraform_dirs(out)
    assert oracle_findings(dirs) == ""
    for module in dirs:
        assert terraform_problems(module) == []
    assert checkov_failures(out / "shop/terraform", AKS_CHECKS) == []
    assert checkov_failures(out / "web/terraform", GKE_CHECKS) == []
    aks = _hcl(files["shop/terraform/cluster.tf"])["resource"][0]["azurerm_kubernetes_cluster"]
    this = aks["this"]
    assert this["network_profile"][0]["outbound_type"] == "userDefinedRouting"
    assert this["private_dns_zone_id"].endswith("/privatelink.westeurope.azmk8s.io")
    assert this["auto_scaler_profile"] == [
        {
            "expander": "least-waste",
            "max_unready_nodes": 2,
            "scale_down_unneeded": "5m",
            "scale_down_utilization_threshold": "0.6",
        }
    ]
    identity = files["shop/terraform/identity.tf"]
    assert 'role_definition_name             = "AcrPull"' in identity
    assert "kubelet_identity[0].object_id" in identity
    assert '"Private DNS Zone Contributor"' in identity
    gke = _hcl(files["web/terraform/cluster.tf"])["resource"][0]["google_container_cluster"]
    assert gke["this"]["control_plane_endpoints_config"] == [
        {"dns_endpoint_config": [{"allow_external_traffic": True}]}
    ]
    iam = files["web/terraform/iam.tf"]
    assert 'role       = "roles/compute.networkUser"' in iam
    assert 'role    = "roles/container.hostServiceAgentUser"' in iam
    assert 'project = "acme-host"' in iam


def test_enterprise_networking_rules(tmp_path: Path) -> None:
    aks = _issues(tmp_path / "a", "aks", "aks: {outboundType: userDefinedRouting}\n")
    assert aks == [
        "aks.outboundType: userDefinedRouting sends egress through the route table of your "
        "subnet (to a firewall); the network treeform creates has none: use network.existing"
    ]
    pub = _issues(
        tmp_path / "p",
        "aks",
        "apiServer: {public: true}\naks: {privateDnsZoneId: /subscriptions/0/resourceGroups/r/"
        "providers/Microsoft.Network/privateDnsZones/z}\n",
    )
    assert pub == [
        "aks.privateDnsZoneId: a private DNS zone is for a private API server; "
        "apiServer.public is true"
    ]
    gke = _issues(
        tmp_path / "g",
        "gke",
        "gcp: {networkProject: acme-host}\nnetwork:\n  existing: {networkId: shared, "
        "subnetIds: [gke]}\n",
    )
    assert gke == [
        "network.existing.networkId: in a Shared VPC this names the host project's resource: "
        "projects/acme-host/global/networks/NAME",
        "network.existing.subnetIds[0]: in a Shared VPC this names the host project's "
        "resource: projects/acme-host/regions/europe-west1/subnetworks/NAME",
    ]


def test_eks_karpenter(tmp_path: Path) -> None:
    model = (
        BASE["eks"]
        + "addons: [vpc-cni]\n"
        + "autoprovisioning: {enabled: true, cpu: 100, memoryGb: 400}\n"
        + "eks: {autoprovisioning: karpenter}\n"
    )
    files = render_tree(write_tree(tmp_path / "model", {"c.yaml": model}))
    out = write_files(tmp_path / "out", files)
    module = out / "c/terraform"
    assert oracle_findings([module]) == ""
    assert terraform_problems(module) == []
    assert checkov_failures(module, EKS_CHECKS + EKS_REVIEW_CHECKS + ["CKV_AWS_27"]) == []
    doc = _hcl(files["c/terraform/karpenter.tf"])
    resources = {}
    for block in doc["resource"]:
        for kind, named in block.items():
            resources.setdefault(kind, {}).update(named)
    assert resources["aws_sqs_queue"]["karpenter"]["sqs_managed_sse_enabled"] is True
    assert resources["aws_eks_access_entry"]["karpenter_node"]["type"] == "EC2_LINUX"
    association = resources["aws_eks_pod_identity_association"]["karpenter"]
    assert (association["namespace"], association["service_account"]) == (
        "kube-system",
        "karpenter",
    )
    events = next(b["karpenter_events"] for b in doc["locals"] if "karpenter_events" in b)
    assert set(events) == {"health", "spot", "rebalance", "state"}
    # Auto Mode stays off, and the Pod Identity agent comes with Karpenter.
    assert "compute_config" not in files["c/terraform/cluster.tf"]
    assert 'resource "aws_eks_addon" "eks_pod_identity_agent"' in files["c/terraform/addons.tf"]
    manifests = list(yaml.safe_load_all(files["c/karpenter/nodepool.yaml"]))
    assert [m["kind"] for m in manifests] == ["EC2NodeClass", "NodePool"]
    assert manifests[0]["spec"]["role"] == "c-karpenter-node"
    assert manifests[1]["spec"]["limits"] == {"cpu": 100, "memory": "400Gi"}


def test_karpenter_rules(tmp_path: Path) -> None:
    found = _issues(tmp_path / "a", "eks", "eks: {autoprovisioning: karpenter}\n")
    assert found == [
        "eks.autoprovisioning: says how autoprovisioning provisions nodes; set "
        "autoprovisioning.enabled too"
    ]
    found = _issues(
        tmp_path / "b",
        "eks",
        "autoprovisioning: {enabled: true}\neks: {autoprovisioning: karpenter, eksctl: true}\n"
        "aws: {accountId: '123456789012'}\n",
    )
    assert found == [
        "eks.autoprovisioning: eksctl's ClusterConfig sets up Karpenter by installing it, which "
        "the Terraform leaves to you; use Karpenter without eks.eksctl, or auto-mode"
    ]
