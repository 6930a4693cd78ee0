"""`treeform import eksctl`: a model file (engine `eks`, `eks.eksctl: true`) from an eksctl
`ClusterConfig`: metadata, zones, VPC and endpoints, managed node groups to node pools,
addons, Fargate profiles, cluster-admin access entries, the account of the secrets key.

The model has no eksctl escape hatch: whatever of the input the generated ClusterConfig
does not say the same way (and is not one of the documented defaults below) is an error
at the input's FILE:LINE, field by field.
"""

from __future__ import annotations

import re
from typing import Any

from treeform.errors import Issue, ModelError
from treeform.importers.common import (
    MISSING,
    OWNED_COMMON,
    Allowed,
    Source,
    check_document,
    listed,
    mapping,
)
from treeform.providers.aws.eks_facts import IMAGES, NOT_EKS_ADDONS, POD_IDENTITIES
from treeform.providers.aws.eksctl import ADMIN_POLICY
from treeform.providers.base import CLUSTER_TAG

TOOL = "eksctl"
OUTPUT = "eksctl/cluster.yaml"
API_VERSIONS = {"ClusterConfig": ("eksctl.io/v1alpha5",)}
OWNED = (*OWNED_COMMON, "eks")
DROPPABLE: tuple[tuple[str, ...], ...] = (
    ("apiServer", "allowedCidrs"),
    ("nodePools", "*", "labels"),
    ("nodePools", "*", "taints"),
    ("tags",),
    ("addons",),
    ("eks", "adminRoleArns"),
    ("eks", "fargateProfiles"),
    ("eks", "supportType"),
    ("nodePools", "*", "image"),
    ("nodePools", "*", "diskType"),
    ("nodePools", "*", "machineTypes"),
)

#: eksctl's defaults for a managed node group (pkg/apis/eksctl.io/v1alpha5/defaults.go).
DEFAULT_INSTANCE_TYPE = "m5.large"
DEFAULT_CAPACITY = 2
DEFAULT_VOLUME_GB = 80
_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_KMS = re.compile(r"arn:aws(?:-cn|-us-gov)?:kms:[^:]+:(\d{12}):")


def _absent_or(value: Any) -> Any:
    return lambda theirs, ours: theirs is MISSING and ours == value


def _absent(theirs: Any, ours: Any) -> bool:
    return theirs is MISSING


def _named_only(theirs: Any, ours: Any) -> bool:
    return ours is MISSING  # said again by the field treeform writes instead


NG = ("managedNodeGroups", "*")
#: The tag treeform adds with the cluster's id, and its spelling before 2026-12-01 (a
#: ClusterConfig treeform wrote then): both are treeform's, neither a tag of the model.
CLUSTER_TAGS = (CLUSTER_TAG, "treeform/cluster")

#: What to add to the report of a field the model cannot express, by the field's path.
HINTS = {
    ("nodeGroups",): "treeform writes managed node groups only (managedNodeGroups)",
    ("managedNodeGroups", "*", "instanceTypes"): "one machine type per pool today",
    ("cloudWatch", "clusterLogging", "enableTypes"): "treeform logs every type",
}

#: The documented differences between an eksctl ClusterConfig and what treeform generates
#: from its import. Everything else that differs is an error.
ALLOWED = (
    *(
        Allowed(
            "ClusterConfig",
            ("metadata", "tags", tag),
            "ignored",
            "treeform tags everything it makes with the cluster's id (the id of the import)",
        )
        for tag in CLUSTER_TAGS
    ),
    Allowed(
        "ClusterConfig",
        ("availabilityZones",),
        "added",
        "eksctl picks zones itself when the input names none; treeform names the region's "
        "first three",
    ),
    Allowed(
        "ClusterConfig",
        ("vpc", "cidr"),
        "alias",
        "eksctl's default VPC range",
        _absent_or("192.168.0.0/16"),
    ),
    Allowed(
        "ClusterConfig",
        ("vpc", "nat", "gateway"),
        "alias",
        "eksctl's default NAT gateway is Single",
        _absent_or("Single"),
    ),
    Allowed(
        "ClusterConfig",
        ("metadata", "version"),
        "added",
        "eksctl picks its default version when the input names none; treeform writes the "
        "model's (from the _defaults.yaml above the cluster)",
    ),
    Allowed(
        "ClusterConfig",
        ("vpc", "nat", "gateway"),
        "alias",
        "with every node group in public subnets treeform makes no NAT gateway (eksctl's "
        "default Single one would serve nothing)",
        _absent_or("Disable"),
    ),
    Allowed(
        "ClusterConfig",
        ("vpc", "controlPlaneOnPrivateSubnets"),
        "added",
        "treeform puts the control plane's interfaces in the private subnets, as its "
        "Terraform does",
    ),
    Allowed(
        "ClusterConfig",
        ("vpc", "clusterEndpoints", "privateAccess"),
        "added",
        "treeform's secure default: the private endpoint is always on",
    ),
    Allowed(
        "ClusterConfig",
        ("vpc", "clusterEndpoints", "publicAccess"),
        "alias",
        "eksctl's default: the public endpoint is on",
        _absent_or(True),
    ),
    Allowed(
        "ClusterConfig",
        ("vpc", "publicAccessCIDRs"),
        "alias",
        "eksctl's default: a public endpoint is open to 0.0.0.0/0",
        _absent_or(["0.0.0.0/0"]),
    ),
    Allowed(
        "ClusterConfig",
        ("upgradePolicy", "supportType"),
        "added",
        "treeform names the support type: STANDARD while the version has it (EKS's own "
        "default moves a cluster to the costlier EXTENDED support when standard ends)",
    ),
    Allowed(
        "ClusterConfig",
        ("accessConfig", "authenticationMode"),
        "added",
        "treeform grants access with access entries only (API); eksctl's default also reads "
        "the aws-auth ConfigMap",
    ),
    Allowed(
        "ClusterConfig",
        ("accessConfig", "bootstrapClusterCreatorAdminPermissions"),
        "alias",
        "eksctl's default: whoever creates the cluster is its admin",
        _absent_or(True),
    ),
    Allowed(
        "ClusterConfig",
        ("iam", "withOIDC"),
        "added",
        "treeform turns on the cluster's OIDC provider (IAM roles for service accounts)",
    ),
    Allowed(
        "ClusterConfig",
        ("iam", "podIdentityAssociations"),
        "added",
        "treeform gives the addons it runs their own Pod Identity roles",
    ),
    Allowed(
        "ClusterConfig",
        ("addons", "*", "version"),
        "alias",
        "eksctl's default: the addon's default version for the cluster's; treeform writes `latest`",
        _absent_or("latest"),
    ),
    Allowed(
        "ClusterConfig",
        ("addons", "*", "resolveConflicts"),
        "added",
        "treeform's addons overwrite conflicting settings",
    ),
    Allowed(
        "ClusterConfig",
        ("addons", "*", "podIdentityAssociations"),
        "added",
        "treeform gives the addons it runs their own Pod Identity roles",
    ),
    Allowed(
        "ClusterConfig",
        ("secretsEncryption",),
        "added",
        "treeform's secure default: secrets encrypted with the key its Terraform creates "
        "(alias/eks/NAME)",
    ),
    Allowed(
        "ClusterConfig",
        ("secretsEncryption", "keyARN"),
        "added",
        "treeform's secure default: secrets encrypted with the key its Terraform creates "
        "(alias/eks/NAME)",
    ),
    Allowed(
        "ClusterConfig",
        ("cloudWatch", "clusterLogging", "enableTypes"),
        "added",
        "treeform's secure default: every control-plane log type",
    ),
    Allowed(
        "ClusterConfig",
        ("cloudWatch", "clusterLogging", "logRetentionInDays"),
        "added",
        "treeform keeps control-plane logs as its Terraform does",
    ),
    Allowed(
        "ClusterConfig",
        (*NG, "instanceType"),
        "alias",
        "eksctl reads `instanceType: X` as `instanceTypes: [X]`; treeform writes the list",
        _named_only,
    ),
    Allowed(
        "ClusterConfig",
        (*NG, "instanceTypes"),
        "alias",
        "eksctl reads `instanceType: X` as `instanceTypes: [X]`; treeform writes the list "
        "(eksctl's default type is m5.large)",
        _absent,
    ),
    Allowed(
        "ClusterConfig",
        (*NG, "amiFamily"),
        "alias",
        "eksctl's default AMI family for new node groups",
        _absent_or("AmazonLinux2023"),
    ),
    Allowed(
        "ClusterConfig", (*NG, "spot"), "alias", "eksctl's default: on demand", _absent_or(False)
    ),
    Allowed(
        "ClusterConfig",
        (*NG, "desiredCapacity"),
        "alias",
        "eksctl's default desired capacity is 2; treeform writes it",
        _absent,
    ),
    Allowed(
        "ClusterConfig",
        (*NG, "minSize"),
        "alias",
        "eksctl's default minSize is the desired capacity; treeform writes it",
        _absent,
    ),
    Allowed(
        "ClusterConfig",
        (*NG, "maxSize"),
        "alias",
        "eksctl's default maxSize is the desired capacity; treeform writes it",
        _absent,
    ),
    Allowed(
        "ClusterConfig",
        (*NG, "volumeSize"),
        "alias",
        "eksctl's default volume: 80 GiB",
        _absent_or(DEFAULT_VOLUME_GB),
    ),
    Allowed(
        "ClusterConfig",
        (*NG, "volumeType"),
        "alias",
        "eksctl's default volume type",
        _absent_or("gp3"),
    ),
    Allowed(
        "ClusterConfig",
        (*NG, "volumeEncrypted"),
        "added",
        "treeform's secure default: encrypted volumes",
    ),
    Allowed(
        "ClusterConfig", (*NG, "disableIMDSv1"), "added", "treeform's secure default: IMDSv2 only"
    ),
    Allowed(
        "ClusterConfig",
        (*NG, "disablePodIMDS"),
        "added",
        "treeform's secure default: pods cannot reach the node's metadata (its role)",
    ),
    Allowed(
        "ClusterConfig",
        (*NG, "privateNetworking"),
        "alias",
        "eksctl's default: public subnets",
        _absent_or(False),
    ),
    Allowed(
        "ClusterConfig",
        (*NG, "updateConfig", "maxUnavailable"),
        "alias",
        "eksctl's default: one node at a time",
        _absent_or(1),
    ),
    Allowed(
        "ClusterConfig",
        (*NG, "availabilityZones"),
        "added",
        "treeform names a pool's zones (the cluster's when the input names none)",
    ),
)


def _has_eks_setting(name: str) -> bool:
    from treeform.validate import cluster_schema

    return name in cluster_schema()["$defs"].get("engine_eks", {}).get("properties", {})


def _pool_fields() -> set[str]:
    """The node-pool fields this treeform's model has (machineTypes, image, diskType)."""
    from treeform.validate import cluster_schema

    return set(cluster_schema()["$defs"].get("nodePool", {}).get("properties", {}))


def _images() -> dict[str, str]:
    """eksctl amiFamily -> the model's image."""
    return {family: image for image, family in IMAGES.items()}


class Extraction:
    """The model read from one eksctl ClusterConfig, and what it could not say."""

    def __init__(self, sources: list[Source]) -> None:
        self.sources = sources
        self.notes: list[Issue] = []
        problems = [
            p for p in (check_document(s, API_VERSIONS, TOOL) for s in sources) if p is not None
        ]
        if problems:
            raise ModelError(problems)
        if len(sources) != 1:
            raise ModelError(
                [
                    sources[1].issue(
                        ("kind",),
                        f"an import reads exactly one ClusterConfig, not {len(sources)}",
                    )
                ]
            )
        self.source = sources[0]

    def all_sources(self) -> list[Source]:
        return [self.source]

    def note(self, path: tuple[str | int, ...], message: str) -> None:
        self.notes.append(self.source.issue(path, message))

    def model(self) -> dict[str, Any]:
        doc: dict[str, Any] = self.source.data
        meta = doc["metadata"]
        model: dict[str, Any] = {"cloud": "aws", "engine": "eks"}
        name = meta["name"]
        if not _LABEL.match(name) or len(name) > 63:
            raise ModelError(
                [self.source.issue(("metadata", "name"), f"{name!r} is not a DNS label")]
            )
        model["name"] = name
        if isinstance(meta.get("region"), str):
            model["region"] = meta["region"]
        version = meta.get("version")
        if isinstance(version, str):
            model["kubernetesVersion"] = version
        elif version is not None:
            self.note(
                ("metadata", "version"),
                f"version {version!r} is not a string; quote it (YAML reads 1.30 as 1.3)",
            )
        tags = meta.get("tags")
        if isinstance(tags, dict):
            mine = {str(k): str(v) for k, v in tags.items() if k not in CLUSTER_TAGS}
            if mine:
                model["tags"] = mine
        zones = doc.get("availabilityZones")
        if isinstance(zones, list) and zones:
            model["zones"] = list(zones)

        vpc = mapping(doc.get("vpc"))
        ngs = [g for g in listed(doc.get("managedNodeGroups")) if isinstance(g, dict)]
        network: dict[str, Any] = {"cidr": vpc.get("cidr", "192.168.0.0/16")}
        private = bool(ngs) and all(g.get("privateNetworking") is True for g in ngs)
        network["topology"] = "private" if private else "public"
        nat = mapping(vpc.get("nat"))
        model["highAvailability"] = nat.get("gateway") == "HighlyAvailable"
        if isinstance(vpc.get("id"), str):
            subnets = mapping(vpc.get("subnets"))
            if not ngs and set(subnets) == {"private"}:
                private = True  # only private subnets: nodes would go there
                network["topology"] = "private"
            side = mapping(subnets.get("private" if private else "public"))
            ids = (
                [(v.get("id") if isinstance(v, dict) and "id" in v else k) for k, v in side.items()]
                if isinstance(side, dict)
                else []
            )
            network = {"topology": network["topology"]}
            network["existing"] = {"networkId": vpc["id"], "subnetIds": [str(i) for i in ids]}
        knc = doc.get("kubernetesNetworkConfig")
        if isinstance(knc, dict) and isinstance(knc.get("serviceIPv4CIDR"), str):
            network["serviceCidr"] = knc["serviceIPv4CIDR"]
        model["network"] = network
        endpoints = mapping(vpc.get("clusterEndpoints"))
        api: dict[str, Any] = {"public": endpoints.get("publicAccess", True) is True}
        cidrs = vpc.get("publicAccessCIDRs")
        if isinstance(cidrs, list) and cidrs:
            api["allowedCidrs"] = list(cidrs)
        model["apiServer"] = api

        pools: dict[str, Any] = {}
        for i, g in enumerate(ngs):
            pool = self._pool(i, g)
            if pool is not None:
                pools[g["name"]] = pool
        if pools:
            model["nodePools"] = pools

        addons = [
            a["name"] for a in listed(doc.get("addons")) if isinstance(a, dict) and "name" in a
        ]
        # Addons treeform runs outside EKS's addons (cluster-autoscaler) show as their Pod
        # Identity association.
        for association in listed(mapping(doc.get("iam")).get("podIdentityAssociations")):
            where = (
                mapping(association).get("namespace"),
                mapping(association).get("serviceAccountName"),
            )
            for addon in sorted(NOT_EKS_ADDONS):
                identity = POD_IDENTITIES.get(addon)
                if identity is not None and (identity.namespace, identity.service_account) == where:
                    if addon not in addons:
                        addons.append(addon)
        if addons:
            model["addons"] = addons
        eks: dict[str, Any] = {"eksctl": True}
        profiles = []
        for p in listed(doc.get("fargateProfiles")):
            if isinstance(p, dict) and isinstance(p.get("name"), str):
                selectors = [
                    {
                        "namespace": s.get("namespace"),
                        **({"labels": s["labels"]} if s.get("labels") else {}),
                    }
                    for s in listed(p.get("selectors"))
                    if isinstance(s, dict)
                ]
                profiles.append({"name": p["name"], "selectors": selectors})
        if profiles:
            eks["fargateProfiles"] = profiles
        access = mapping(doc.get("accessConfig"))
        admins = []
        for entry in listed(access.get("accessEntries")):
            if not isinstance(entry, dict):
                continue
            policies = listed(entry.get("accessPolicies"))
            if (
                len(policies) == 1
                and isinstance(policies[0], dict)
                and str(policies[0].get("policyARN", "")).endswith("/" + ADMIN_POLICY)
                and (policies[0].get("accessScope") or {}).get("type") == "cluster"
                and set(entry) <= {"principalARN", "accessPolicies", "type"}
            ):
                admins.append(entry["principalARN"])
        if admins:
            eks["adminRoleArns"] = admins
        support = mapping(doc.get("upgradePolicy")).get("supportType")
        if isinstance(support, str) and _has_eks_setting("supportType"):
            eks["supportType"] = support
        model["eks"] = eks
        key = (
            (doc.get("secretsEncryption") or {}).get("keyARN")
            if isinstance(doc.get("secretsEncryption"), dict)
            else None
        )
        match = _KMS.match(key) if isinstance(key, str) else None
        if match:
            model["aws"] = {"accountId": match.group(1)}
        return model

    def _pool(self, i: int, g: dict[str, Any]) -> dict[str, Any] | None:
        name = g.get("name")
        if not isinstance(name, str) or not _LABEL.match(name) or len(name) > 40:
            self.note(
                ("managedNodeGroups", i, "name"),
                f"node group name {name!r} cannot be a node pool name (a DNS label of at most "
                "40 characters)",
            )
            return None
        fields = _pool_fields()
        types = g.get("instanceTypes")
        machine = g.get("instanceType")
        several: list[str] | None = None
        if isinstance(types, list) and types:
            machine = types[0]
            if len(types) > 1 and "machineTypes" in fields:
                several = [str(t) for t in types]
        if not isinstance(machine, str):
            machine = DEFAULT_INSTANCE_TYPE
        desired = g.get("desiredCapacity", DEFAULT_CAPACITY)
        pool: dict[str, Any] = {
            "machineType": machine,
            "minSize": g.get("minSize", desired),
            "maxSize": g.get("maxSize", desired),
            "desiredSize": desired,
            "diskSizeGb": g.get("volumeSize", DEFAULT_VOLUME_GB),
        }
        if several is not None:
            del pool["machineType"]
            pool["machineTypes"] = several
        if g.get("spot") is True:
            pool["spot"] = True
        image = _images().get(str(g.get("amiFamily")))
        if image is not None and "image" in fields:
            pool["image"] = image
        if isinstance(g.get("volumeType"), str) and "diskType" in fields:
            pool["diskType"] = g["volumeType"]
        if isinstance(g.get("availabilityZones"), list):
            pool["zones"] = list(g["availabilityZones"])
        if isinstance(g.get("labels"), dict) and g["labels"]:
            pool["labels"] = {str(k): str(v) for k, v in g["labels"].items()}
        taints = g.get("taints")
        if isinstance(taints, list) and taints:
            pool["taints"] = [
                {k: t[k] for k in ("key", "value", "effect") if k in t}
                for t in taints
                if isinstance(t, dict)
            ]
        return pool
