"""Which engines honour which model fields: one table, one rule.

`CAPABILITIES` names every field of `schemas/cluster.schema.json` (a dotted path; `*` any
mapping key, `[]` every item of a list) and, for every engine, whether the engine honours
it or refuses it, and why. A field set on an engine that refuses it is an error at the
field, naming the engine, never a silently dropped value; tests/test_capabilities.py fails
for a schema field an engine neither honours nor refuses, and proves each "honoured" by
rendering. The engines then check only the meaning of the fields they take (ranges, what
else a field needs); whether they take a field at all, and which values where only some,
is here. `treeform` writes docs/capabilities.md from this table.

kOps is one engine on three clouds, so its keys are `kops:aws`, `kops:gcp`, `kops:azure`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from treeform.errors import Issue
from treeform.model import Cluster
from treeform.providers import machines
from treeform.providers.aws.eks_facts import IMAGES as EKS_IMAGES
from treeform.providers.azure.aks import OS_SKUS as AKS_IMAGES
from treeform.providers.common import engine_name
from treeform.providers.gcp.gke import DISK_TYPES as GKE_DISK_TYPES
from treeform.providers.gcp.gke import IMAGE_TYPES as GKE_IMAGES
from treeform.providers.kops import IMAGES as KOPS_IMAGES
from treeform.versions import POLICIES
from treeform.yamlload import FieldPath

#: Every engine, by the key the table uses: the engine's name, or `engine:cloud` for an
#: engine on several clouds. tests/test_capabilities.py holds it to the providers' engines.
ENGINES: tuple[str, ...] = (
    "eks",
    "kops:aws",
    "kops:gcp",
    "kops:azure",
    "gke",
    "aks",
    "doks",
    "ack",
    "tke",
    "cce",
    "iks",
    "oke",
)
KOPS = ("kops:aws", "kops:gcp", "kops:azure")
#: The cloud of each engine key (cloud settings belong to the engines of their cloud).
CLOUD_OF = {
    "eks": "aws",
    "kops:aws": "aws",
    "kops:gcp": "gcp",
    "kops:azure": "azure",
    "gke": "gcp",
    "aks": "azure",
    "doks": "digitalocean",
    "ack": "alibaba",
    "tke": "tencent",
    "cce": "huawei",
    "iks": "ibm",
    "oke": "oracle",
}


def engine_key(cluster: Cluster) -> str:
    """The cluster's engine as the table names it."""
    key = f"{cluster.engine}:{cluster.cloud}"
    return key if key in CLOUD_OF else cluster.engine


@dataclass(frozen=True)
class Honoured:
    """The engine writes the field into its output (or, with `no_output`, keeps the
    field's promise without a line of its own)."""

    #: Only these values: with `what`, the table refuses the others ("EKS has no node image
    #: 'x'; it takes al2023, bottlerocket"); without, the engine's validate does, and the
    #: tests hold the engine to this list.
    values: tuple[Any, ...] = ()
    what: str = ""
    #: For the docs: a condition, or the rule the engine checks itself.
    note: str = ""
    #: Why the field changes no output on this engine (what it does instead).
    no_output: str = ""


@dataclass(frozen=True)
class Refused:
    """The engine cannot express the field: setting it is an error at the field."""

    #: The whole message; "" for "engine E does not take F (honoured by: ...)".
    why: str = ""
    #: Refused only at these values (`spot: true`); () refuses every value.
    values: tuple[Any, ...] = ()
    #: An empty list passes (it asks for nothing).
    empty_ok: bool = False
    #: The error at the mapping key (a block of settings).
    key: bool = False
    #: Refused only where the cluster's own file sets it: from a _defaults.yaml it is meant
    #: for the other engines' clusters below it, and passes.
    own_file: bool = False
    #: The engine's validate refuses it, since the rule needs more than this table says (a
    #: condition on other fields); names where. The tests hold the engine to it.
    by_engine: str = ""


Capability = Honoured | Refused

HONOURED = Honoured()


def _keys(names: Iterable[str]) -> list[str]:
    """Engine keys; `kops` stands for kOps on every cloud."""
    out: list[str] = []
    for name in names:
        out.extend(KOPS if name == "kops" else (name,))
    return out


def every(exceptions: Mapping[str, Capability] | None = None) -> dict[str, Capability]:
    """Every engine honours the field, but for `exceptions` (engine key -> capability)."""
    row: dict[str, Capability] = dict.fromkeys(ENGINES, HONOURED)
    for name, cap in (exceptions or {}).items():
        row.update(dict.fromkeys(_keys([name]), cap))
    return row


def only(
    takers: Iterable[str] | Mapping[str, Capability],
    why: Mapping[str, str | Refused] | None = None,
) -> dict[str, Capability]:
    """Only `takers` honour the field; every other engine refuses it (with `why`'s message
    where it has one, else "does not take ... (honoured by: ...)")."""
    given = takers if isinstance(takers, Mapping) else dict.fromkeys(takers, HONOURED)
    row: dict[str, Capability] = {}
    for name, cap in given.items():
        row.update(dict.fromkeys(_keys([name]), cap))
    reasons: dict[str, Refused] = {}
    for name, reason in (why or {}).items():
        for key in _keys([name]):
            reasons[key] = reason if isinstance(reason, Refused) else Refused(reason)
    for key in ENGINES:
        row.setdefault(key, reasons.get(key, Refused()))
    return row


def _name(key: str) -> str:
    return key.split(":")[0]


def _foreign(block: str, owners: Iterable[str], kind: str) -> dict[str, Capability]:
    """The settings block of an engine or a cloud: its own engines take it; written in
    another cluster's own file it would do nothing, an error there."""
    owned = _keys(owners)
    row: dict[str, Capability] = dict.fromkeys(owned, HONOURED)
    for key in ENGINES:
        if key in owned:
            continue
        own = _name(key) if kind == "engine" else CLOUD_OF[key]
        row[key] = Refused(
            f"settings of the {kind} {block}, but this cluster's {kind} is {own}: they would "
            f"do nothing; remove them (a _defaults.yaml may set them for the {block} "
            "clusters below it)",
            key=True,
            own_file=True,
        )
    return row


_EMPTY = Honoured(no_output="no settings yet: the block has no fields")


def _engine_block(engine: str, *, empty: bool = False) -> dict[str, Capability]:
    row = _foreign(engine, [engine], "engine")
    return {**row, engine: _EMPTY} if empty else row


def _cloud_block(cloud: str, *, empty: bool = False) -> dict[str, Capability]:
    owners = [k for k in ENGINES if CLOUD_OF[k] == cloud]
    row = _foreign(cloud, owners, "cloud")
    return {**row, **dict.fromkeys(owners, _EMPTY)} if empty else row


def _kops_only(field: str, *, key: bool = False) -> dict[str, Capability]:
    """A field only kOps is told."""
    return only(
        ["kops"],
        {
            e: Refused(
                f"engine {e} reads an existing network's ranges from the cloud; remove {field}"
            )
            if not key
            else Refused(f"kOps settings of a pool; engine {e} does not read them", key=True)
            for e in ENGINES
            if e not in KOPS
        },
    )


def _owned(engine: str, *fields: str) -> dict[str, dict[str, Capability]]:
    """Rows of fields of an engine's settings block: that engine's alone."""
    return {f"{engine}.{field}": only([engine]) for field in fields}


def _pool_versions() -> dict[str, Capability]:
    """nodePools.<p>.kubernetesVersion: the engines with a skew rule (versions.POLICIES)."""
    row: dict[str, Capability] = {}
    for key in ENGINES:
        policy = POLICIES.get(_name(key))
        if policy is not None and policy.pool_skew is not None:
            row[key] = Honoured(note=policy.rule)
        else:
            why = policy.rule if policy is not None else "the engine has no per-pool version"
            row[key] = Refused(f"{_name(key)} cannot hold a node pool back: {why}")
    return row


#: What the engines of kOps check themselves, by cloud.
_ONE_ZONE = Honoured(
    no_output="a DigitalOcean region is one zone, named as the region: zones can only name it"
)
_KOPS_GCE = "GceKops.issues (providers/gcp/kops.py)"
_KOPS_AZURE = "AzureKops.issues (providers/azure/kops.py)"

_IMAGE_REFUSED = {
    "doks": "DOKS nodes run DigitalOcean's one node image; remove image",
    "ack": (
        "ACK pools boot Alibaba Cloud Linux 3 (AliyunLinux3, or AliyunLinux3Arm64 on Arm64 "
        "families), chosen by treeform; remove image"
    ),
    "tke": "TKE node pools boot TKE's default image in treeform; remove image",
    "cce": "CCE node pools boot CCE's default OS in treeform; remove image",
    "iks": "IKS workers run the operating system IKS gives the cluster's version; remove image",
    "oke": (
        "OKE takes node images by OCID, one per architecture, in var.node_image_ids; remove image"
    ),
}
_DISK_TYPE_REFUSED = {
    "doks": "DOKS node disks come with the Droplet size (local SSD); remove diskType",
    "ack": "ACK system disks are ESSD (cloud_essd) in treeform; remove diskType",
    "tke": (
        "TKE system disks are Premium Cloud Disks (CLOUD_PREMIUM) in treeform; remove diskType"
    ),
    "cce": "CCE node disks are General Purpose SSD (GPSSD) in treeform; remove diskType",
    "iks": "IKS worker boot disks come with the flavor; remove diskType",
    "oke": "OKE boot volumes have one type (their performance is set in VPUs); remove diskType",
}
_ONE_TYPE = Honoured(note="one type per pool: a list of several is refused (machine_type_issues)")
_ADDONS = (
    "the engine's addons (one it runs by itself needs no output; another is refused, naming "
    "the known ones)"
)
_CNI_BY_ENGINE = "the engine's validate refuses the others, naming them"
_HA_MANAGED = "the control plane is the cloud's, highly available without a setting"


def _cni(*values: str, note: str = "") -> Honoured:
    return Honoured(values=("default", *values), note=note or _CNI_BY_ENGINE)


def _one_cni(name: str) -> Honoured:
    return Honoured(
        values=("default", name.lower()),
        note=_CNI_BY_ENGINE,
        no_output=f"the engine runs one CNI, {name}: default is {name.lower()}",
    )


_KOPS_CNIS = ("cilium", "calico", "cni", "flannel", "kindnet", "kube-router", "kubenet")

#: field -> engine key -> capability. Every field of the cluster schema is here (the tests
#: walk the schema); the fields below a refused one need no row of their own for it.
CAPABILITIES: dict[str, dict[str, Capability]] = {
    "name": every(),
    "cloud": every(),
    "engine": every(),
    "region": every(),
    "zones": every({"doks": _ONE_ZONE}),
    "kubernetesVersion": every(),
    "highAvailability": every(
        {
            "tke": Honoured(
                no_output=f"{_HA_MANAGED}; highAvailability asks for subnets in two zones"
            ),
            "iks": Honoured(no_output=f"{_HA_MANAGED} (IBM runs the master across zones)"),
            "oke": Honoured(no_output=f"{_HA_MANAGED} (Oracle runs it across fault domains)"),
        }
    ),
    "network": every(),
    "network.cidr": every(),
    "network.podCidr": every(
        {
            "eks": Refused(
                "EKS with the Amazon VPC CNI gives pods addresses from the VPC subnets; "
                "remove podCidr"
            ),
            "kops:aws": Honoured(note="refused with amazonvpc or cilium-eni (VPC-native pods)"),
            "aks": Honoured(note="refused with aks.virtualNodes (flat Azure CNI)"),
            "ack": Honoured(note="with cni flannel only: refused with Terway and serverless"),
            "tke": Honoured(note="with cni globalrouter only: refused with VPC-CNI"),
            "cce": Honoured(note="refused with cni eni (CCE Turbo)"),
            "oke": Honoured(note="refused with cni vcn-native"),
        }
    ),
    "network.serviceCidr": every(),
    "network.topology": every(
        {
            "doks": Honoured(
                no_output="DOKS nodes always have public addresses, behind the firewall DOKS "
                "manages (docs/engines/doks.md)"
            ),
            "cce": Refused(
                "CCE node pools give nodes no public addresses; use topology private "
                "(nodes reach the internet through a NAT gateway)",
                values=("public",),
            ),
            "iks": Refused(
                "IKS VPC workers have private addresses only; use topology private "
                "(egress through a public gateway per zone)",
                values=("public",),
            ),
        }
    ),
    "network.cni": {
        "eks": _one_cni("AmazonVPC"),
        "kops:aws": _cni(*_KOPS_CNIS, "amazonvpc", "cilium-eni"),
        "kops:gcp": _cni(*_KOPS_CNIS, "gce"),
        "kops:azure": _cni(*_KOPS_CNIS),
        "gke": _cni("cilium", "calico", note=f"{_CNI_BY_ENGINE}; Autopilot: not calico"),
        "aks": _cni(
            "azure", "calico", "cilium", note=f"{_CNI_BY_ENGINE}; virtual nodes: not cilium"
        ),
        "doks": _one_cni("Cilium"),
        "ack": _cni("terway", "flannel", note=f"{_CNI_BY_ENGINE}; serverless: default or terway"),
        "tke": _cni("globalrouter", "vpc-cni"),
        "cce": _cni("vpc-router", "overlay_l2", "eni"),
        "iks": _one_cni("Calico"),
        "oke": _cni("flannel", "vcn-native"),
    },
    "network.existing": every(),
    "network.existing.networkId": every(
        {"eks": Honoured(note="the Terraform finds the VPC from the subnets; eksctl's vpc.id")}
    ),
    "network.existing.subnetIds": every(),
    "network.existing.controlPlaneSubnetIds": only(["eks"]),
    "network.existing.cidr": _kops_only("network.existing.cidr"),
    "network.existing.additionalCidrs": {
        **_kops_only("network.existing.additionalCidrs"),
        "kops:gcp": Refused(
            "GCE networks have no range of their own (kOps forbids networkCIDR and "
            "additionalNetworkCIDRs on GCE)",
            by_engine=_KOPS_GCE,
        ),
        "kops:azure": Refused(
            "treeform gives kOps on Azure the virtual network's one range (networkCIDR) "
            "and writes no additionalNetworkCIDRs there (kOps documents them for AWS VPCs); "
            "remove additionalCidrs"
        ),
    },
    "apiServer": every(),
    "apiServer.public": every(
        {
            "doks": Honoured(
                no_output="DOKS has no private endpoint: the endpoint is public either way "
                "(allowedCidrs close it)"
            )
        }
    ),
    "apiServer.allowedCidrs": every(
        {
            "cce": Refused(
                "CCE has no Terraform setting that limits who reaches the API server's EIP; "
                "remove allowedCidrs (or keep the API server private)",
                empty_ok=True,
            ),
            "iks": Refused(
                "IKS limits who reaches the master with context-based restrictions, which "
                "treeform does not write; remove allowedCidrs",
                empty_ok=True,
            ),
            "ack": Honoured(
                note="refused with apiServer.public: true (AckEngine.validate): ACK's "
                "Terraform cannot restrict the public endpoint (a CLB access list outside "
                "the cluster)",
                no_output="with a private endpoint there is no public one to restrict",
            ),
            "aks": Honoured(note="with apiServer.public: true only (the engine refuses them else)"),
        }
    ),
    "nodePools": every(
        {
            "gke": Honoured(note="refused with gke.autopilot (Autopilot has no node pools)"),
            "ack": Honoured(note="refused with ack.type: serverless (pods run on ECI)"),
        }
    ),
    "nodePools.*": every(),
    "nodePools.*.machineType": every(),
    "nodePools.*.minSize": every(),
    "nodePools.*.maxSize": every(),
    "nodePools.*.desiredSize": every(
        {
            **dict.fromkeys(
                ("doks", "ack"),
                Honoured(
                    no_output="written for a fixed pool (minSize = maxSize, which it must "
                    "equal); an autoscaled pool gets no desired size: the autoscaler starts it",
                ),
            ),
            "kops": Honoured(
                no_output="kOps has no desired size: an instance group starts at minSize (a "
                "desiredSize other than minSize is refused)",
            ),
        }
    ),
    "nodePools.*.diskSizeGb": every(
        {
            "doks": Refused(
                "a DOKS node's disk comes with its Droplet size; remove diskSizeGb and "
                "choose the size"
            ),
            "iks": Refused(
                "IKS worker boot disks come with the flavor (ibm_container_vpc_worker_pool has "
                "no size for them); remove diskSizeGb"
            ),
        }
    ),
    "nodePools.*.spot": every(
        {
            "doks": Refused("DigitalOcean has no spot Droplets; remove spot: true", values=(True,)),
            "iks": Refused("IKS on VPC has no spot or preemptible workers", values=(True,)),
            "kops:azure": Refused(
                "kOps's Azure instance groups have no spot priority",
                values=(True,),
                by_engine=_KOPS_AZURE,
            ),
            "aks": Honoured(note="not on the system pool (aks.systemPool)"),
        }
    ),
    "nodePools.*.kubernetesVersion": _pool_versions(),
    "nodePools.*.zones": every(
        {
            "eks": Honoured(note="refused with network.existing (node groups use every subnet)"),
            "doks": _ONE_ZONE,
        }
    ),
    "nodePools.*.labels": every(),
    "nodePools.*.labels.*": every(),
    "nodePools.*.taints": every(
        {"aks": Honoured(note="the system pool takes CriticalAddonsOnly=true:NoSchedule only")}
    ),
    "nodePools.*.taints[].key": every(),
    "nodePools.*.taints[].value": every(),
    "nodePools.*.taints[].effect": every(),
    "nodePools.*.maxPods": only(["eks", "aks", "gke"]),
    "nodePools.*.machineTypes": every(
        dict.fromkeys(
            ("kops:gcp", "kops:azure", "gke", "aks", "doks", "tke", "cce", "iks", "oke"), _ONE_TYPE
        )
    ),
    "nodePools.*.image": only(
        {
            "eks": Honoured(values=tuple(EKS_IMAGES), what="node image"),
            "kops": Honoured(
                values=tuple(KOPS_IMAGES),
                what="node image",
                no_output="kOps takes its channel's Ubuntu, the default: the one value",
            ),
            "gke": Honoured(values=tuple(GKE_IMAGES), what="node image"),
            "aks": Honoured(values=tuple(AKS_IMAGES), what="node image"),
        },
        _IMAGE_REFUSED,
    ),
    "nodePools.*.diskType": only(
        {
            "eks": Honoured(values=machines.EBS_ROOT_TYPES, what="root volume type"),
            "kops": Honoured(note="the machine family's disks (machines.py); kOps checks them"),
            "gke": Honoured(values=tuple(GKE_DISK_TYPES), what="boot disk type"),
            "aks": Honoured(values=machines.AKS_OS_DISKS, what="OS disk type"),
        },
        _DISK_TYPE_REFUSED,
    ),
    "nodePools.*.kops": _kops_only("nodePools.<pool>.kops", key=True),
    "nodePools.*.kops.spec": only(["kops"]),
    "nodePools.*.kops.cloudLabels": only(["kops"]),
    "nodePools.*.kops.cloudLabels.*": only(["kops"]),
    "addons": every(
        {
            **{e: Honoured(note=_ADDONS) for e in ENGINES},
            "tke": Honoured(
                note=_ADDONS,
                no_output="TKE runs the addons it takes (cluster-autoscaler, metrics-server) "
                "itself",
            ),
        }
    ),
    "addons[].name": every(),
    "addons[].version": only(["eks"]),
    "addons[].configuration": only(["eks"]),
    "tags": every(),
    "tags.*": every(),
    "backend": every(
        {
            "kops": Honoured(
                note="the backend of the Terraform kOps needs, where treeform writes one"
            )
        }
    ),
    **{
        f"backend.{k}": every()
        for k in (
            "type",
            "bucket",
            "region",
            "keyPrefix",
            "endpoint",
            "resourceGroupName",
            "storageAccountName",
            "containerName",
            "organization",
            "path",
        )
    },
    # The settings of each cloud, for the engines of that cloud.
    "aws": _cloud_block("aws"),
    "aws.accountId": only(["eks", "kops:aws"]),
    "gcp": _cloud_block("gcp"),
    "gcp.project": only(["gke", "kops:gcp"]),
    "gcp.networkProject": only(["gke"]),
    "azure": _cloud_block("azure"),
    "azure.subscriptionId": only(["aks", "kops:azure"]),
    "azure.resourceGroup": only(["aks", "kops:azure"]),
    "azure.tenantId": only(
        ["kops:azure"],
        {
            "aks": Refused(
                "AKS's Terraform takes the tenant of the Azure login "
                "(azurerm_client_config); azure.tenantId is for kOps on Azure: remove it (a "
                "_defaults.yaml may set it for the kops clusters below it)",
                own_file=True,
            )
        },
    ),
    "digitalocean": _cloud_block("digitalocean", empty=True),
    "alibaba": _cloud_block("alibaba"),
    "alibaba.resourceGroupId": only(["ack"]),
    "tencent": _cloud_block("tencent"),
    "tencent.projectId": only(["tke"]),
    "huawei": _cloud_block("huawei", empty=True),
    "ibm": _cloud_block("ibm"),
    "ibm.resourceGroupId": only(["iks"]),
    "oracle": _cloud_block("oracle", empty=True),
    # The settings of each engine, for that engine (docs/engines/<engine>.md).
    "eks": _engine_block("eks"),
    **_owned(
        "eks",
        "eksctl",
        "adminRoleArns",
        "fargateProfiles",
        "fargateProfiles[].name",
        "fargateProfiles[].selectors",
        "fargateProfiles[].selectors[].namespace",
        "fargateProfiles[].selectors[].labels",
        "fargateProfiles[].selectors[].labels.*",
        "supportType",
        "deletionProtection",
        "securityGroupIds",
        "prefixDelegation",
        "autoprovisioning",
    ),
    "kops": _engine_block("kops"),
    **_owned(
        "kops",
        "stateStore",
        "stateStoreExternal",
        "dnsZone",
        "bastion",
        "bastionMachineType",
        "sharedVpcIds.networkId",
        "sharedVpcIds.subnetIds",
        "sharedVpcIds.subnetIds.*",
        "controlPlaneMachineType",
        "image",
        "channel",
        "nonMasqueradeCidr",
        "sshAccess",
        "controlPlaneCount",
        "apiLoadBalancer",
        "roles",
        *(
            f"roles.{role}{leaf}"
            for role in ("controlPlane", "bastion", "node")
            for leaf in (
                "",
                ".image",
                ".rootVolume",
                ".rootVolume.sizeGb",
                ".rootVolume.type",
                ".rootVolume.iops",
                ".rootVolume.throughput",
                ".rootVolume.encrypted",
            )
        ),
        "etcd",
        *(
            f"etcd.{k}"
            for k in (
                "volumeType",
                "volumeSizeGb",
                "volumeIops",
                "volumeThroughput",
                "encrypted",
                "kmsKeyId",
                "events",
            )
        ),
        "clusterSpec",
    ),
    "kops.dnsType": only(
        {
            "kops:aws": HONOURED,
            "kops:gcp": HONOURED,
            "kops:azure": Honoured(
                values=("None",),
                note="AzureKops.issues refuses others",
                no_output="kOps on Azure publishes no DNS: None, the default, is its one value",
            ),
        }
    ),
    "kops.sharedVpc": only(
        ["kops:aws", "kops:gcp"],
        {
            "kops:azure": Refused(
                "kops.sharedVpc is not offered on Azure yet; network.existing is",
                values=(True,),
                by_engine=_KOPS_AZURE,
            )
        },
    ),
    "kops.sharedVpcIds": only(
        ["kops:aws"],
        {
            "kops:gcp": Refused(
                "GCE networks are named, not numbered: kops.sharedVpc needs no ids on GCP",
                by_engine=_KOPS_GCE,
            ),
            "kops:azure": Refused(
                "kops.sharedVpc is not offered on Azure yet, nor its ids; remove kops.sharedVpcIds"
            ),
        },
    ),
    "kops.apiLoadBalancer.class": only(
        ["kops:aws"],
        {
            "kops:gcp": Refused(
                "kOps takes a load balancer class on AWS only", by_engine=_KOPS_GCE
            ),
            "kops:azure": Refused(
                "kOps on Azure reaches the API through its own load balancer",
                by_engine=_KOPS_AZURE,
            ),
        },
    ),
    "kops.apiLoadBalancer.dnsOnly": only(
        ["kops:aws", "kops:gcp"],
        {
            "kops:azure": Refused(
                "kOps on Azure reaches the API through its own load balancer",
                by_engine=_KOPS_AZURE,
            )
        },
    ),
    "kops.discoveryStore": only(
        ["kops:aws", "kops:gcp"],
        {
            "kops:azure": Refused(
                "kops.discoveryStore is not offered by kOps on Azure", by_engine=_KOPS_AZURE
            )
        },
    ),
    "kops.egress": only(
        {
            "kops:aws": HONOURED,
            "kops:gcp": Honoured(values=("External",), note="Cloud NAT, or External"),
        },
        {
            "kops:azure": Refused(
                "kops.egress is not offered by kOps on Azure", by_engine=_KOPS_AZURE
            )
        },
    ),
    "kops.ipv6": only(
        ["kops:aws"],
        {
            e: Refused(
                "kOps makes IPv6 clusters on AWS only",
                values=(True,),
                by_engine="setting_issues (providers/kops_rules.py)",
            )
            for e in ("kops:gcp", "kops:azure")
        },
    ),
    "gke": _engine_block("gke"),
    **_owned(
        "gke",
        "autopilot",
        "releaseChannel",
        "deletionProtection",
        "binaryAuthorization",
        "rbacSecurityGroup",
        "dnsEndpoint",
    ),
    "aks": _engine_block("aks"),
    **_owned(
        "aks",
        "virtualNodes",
        "systemPool",
        "adminGroupObjectIds",
        "spotEvictionPolicy",
        "spotMaxPrice",
        "automaticUpgradeChannel",
        "diskEncryptionSetId",
        "systemPoolCriticalAddonsOnly",
        "keyVaultId",
        "outboundType",
        "privateDnsZoneId",
        "acrIds",
        "autoscalerProfile",
        *(
            f"autoscalerProfile.{k}"
            for k in (
                "expander",
                "balanceSimilarNodeGroups",
                "scanInterval",
                "scaleDownUnneeded",
                "scaleDownUnready",
                "scaleDownDelayAfterAdd",
                "scaleDownDelayAfterDelete",
                "scaleDownDelayAfterFailure",
                "scaleDownUtilizationThreshold",
                "maxGracefulTerminationSec",
                "maxNodeProvisioningTime",
                "newPodScaleUpDelay",
                "emptyBulkDeleteMax",
                "maxUnreadyNodes",
                "maxUnreadyPercentage",
                "skipNodesWithLocalStorage",
                "skipNodesWithSystemPods",
            )
        ),
    ),
    "doks": _engine_block("doks"),
    **_owned("doks", "maintenanceDay", "maintenanceStartTime", "registryIntegration"),
    "ack": _engine_block("ack"),
    **_owned("ack", "type", "secretsKmsKeyId", "deletionProtection"),
    "tke": _engine_block("tke"),
    **_owned("tke", "maxPodsPerNode", "spotMaxPrice", "deletionProtection"),
    "cce": _engine_block("cce"),
    **_owned("cce", "clusterSize"),
    "iks": _engine_block("iks", empty=True),
    "oke": _engine_block("oke"),
    **_owned(
        "oke",
        "compartmentId",
        "nodeShapes",
        "nodeShapes.*",
        "nodeShapes.*.ocpus",
        "nodeShapes.*.memoryGb",
    ),
    # The day-2 fields.
    "maintenance": only(
        ["gke", "aks", "doks"],
        {
            "eks": "EKS has no maintenance windows: AWS patches the control plane when it "
            "chooses, and node groups change only when their version does; remove maintenance"
        },
    ),
    **{f"maintenance.{k}": only(["gke", "aks", "doks"]) for k in ("day", "start", "timeZone")},
    "maintenance.hours": only(
        {
            "gke": HONOURED,
            "aks": HONOURED,
            "doks": Honoured(
                values=(4,),
                note="DOKS windows last 4 hours: the engine refuses others",
                no_output="the one length DOKS has",
            ),
        }
    ),
    **{f"maintenance.exclusions{k}": only(["gke", "aks"]) for k in ("", "[].start", "[].end")},
    "maintenance.exclusions[].name": only(
        {
            "gke": HONOURED,
            "aks": Honoured(
                no_output="AKS's not_allowed windows have no name: only start and end are written"
            ),
        }
    ),
    "access": only(["eks", "aks", "gke"]),
    "access[].principal": only(["eks", "aks", "gke"]),
    "access[].role": only(["eks", "aks", "gke"]),
    "access[].namespaces": only(
        ["eks", "aks"],
        {
            "gke": "GKE IAM roles hold in every namespace (and every cluster of the project); "
            "namespaces are Kubernetes RBAC, which treeform does not write; remove namespaces"
        },
    ),
    "encryption": only(["eks", "gke", "aks"]),
    "encryption.secretsKey": only(["eks", "gke", "aks"]),
    "autoprovisioning": only(
        ["eks", "gke"],
        {
            "aks": "AKS node auto-provisioning (node_provisioning_profile) is not in the "
            "azurerm provider treeform targets (4.55); use node pools with the cluster "
            "autoscaler"
        },
    ),
    **{f"autoprovisioning.{k}": only(["eks", "gke"]) for k in ("enabled", "cpu", "memoryGb")},
}


def capability(
    field: str, key: str, table: Mapping[str, Mapping[str, Capability]] | None = None
) -> Capability | None:
    """What the table says of `field` on the engine `key`: its own row, or the refusal of
    a field above it (whose fields need no rows of their own); None: nothing."""
    rows = CAPABILITIES if table is None else table
    for above in _ancestors(field):
        cap = rows.get(above, {}).get(key)
        if isinstance(cap, Refused) and not cap.values:
            return cap
    return rows.get(field, {}).get(key)


def _ancestors(field: str) -> Iterator[str]:
    """`a.b[].c` -> `a`, `a.b`, `a.b[]`... as rows name them: `a`, `a.b`."""
    parts = field.split(".")
    for i in range(1, len(parts)):
        head = ".".join(parts[:i])
        yield head
        if head.endswith("[]"):
            yield head[:-2]
    last = parts[-1]
    if last.endswith("[]"):
        yield ".".join([*parts[:-1], last[:-2]])


def honoured_by(field: str) -> frozenset[str]:
    """The engine names (kops for any kOps) that honour `field`."""
    return frozenset(
        _name(k) for k, cap in CAPABILITIES.get(field, {}).items() if isinstance(cap, Honoured)
    )


#: The engines that honour each field, by engine name (`treeform new` offers the day-2
#: fields an engine takes).
HONOURED_BY: dict[str, frozenset[str]] = {f: honoured_by(f) for f in CAPABILITIES}


def _paths(data: Any, pattern: tuple[str, ...], at: FieldPath = ()) -> Iterator[FieldPath]:
    """The paths in `data` that a split pattern names."""
    if not pattern:
        yield at
        return
    head, rest = pattern[0], pattern[1:]
    items = head.endswith("[]")
    key = head[:-2] if items else head
    if not isinstance(data, dict):
        return
    keys = [k for k in data if isinstance(k, str)] if key == "*" else [key]
    for k in keys:
        if k not in data or data[k] is None:
            continue
        value = data[k]
        if items:
            if isinstance(value, list):
                for i, item in enumerate(value):
                    yield from _paths(item, rest, (*at, k, i))
        else:
            yield from _paths(value, rest, (*at, k))


def _value(data: Any, path: FieldPath) -> Any:
    for part in path:
        data = data[part]
    return data


def _takers(field: str) -> str:
    names = sorted(honoured_by(field))
    return ", ".join(names) or "no engine yet"


@cache
def _checks(key: str) -> tuple[tuple[str, tuple[str, ...], Honoured | Refused], ...]:
    """The table's rows an engine's clusters are checked against, in the table's order:
    its refused fields (not those inside a field refused whole: they need no errors of
    their own, nor those its validate refuses) and its honoured fields with a value list.
    Worked out once per engine: the table is fixed, and walking all of it for every
    cluster cost more than the rest of validation."""
    refused: list[str] = []
    checks: list[tuple[str, tuple[str, ...], Honoured | Refused]] = []
    for field, row in CAPABILITIES.items():
        cap = row.get(key)
        if cap is None or any(field.startswith((f + ".", f + "[].")) for f in refused):
            continue
        if isinstance(cap, Refused) and not cap.values:
            refused.append(field)
        if isinstance(cap, Refused) and cap.by_engine:
            continue  # the engine's validate refuses it (the rule needs more than the table)
        if isinstance(cap, Honoured) and not cap.what:
            continue
        checks.append((field, tuple(field.split(".")), cap))
    return tuple(checks)


def unhonoured_issues(cluster: Cluster) -> Iterator[Issue]:
    """An issue at every field the cluster's engine refuses, and at every value outside
    the values the table names for it."""
    data = cluster.data
    for field, pattern, cap in _checks(engine_key(cluster)):
        top = pattern[0].removesuffix("[]")
        if top != "*" and data.get(top) is None:
            continue  # the field's top-level block is not in the model: nothing to check
        for path in _paths(data, pattern):
            value = _value(data, path)
            if isinstance(cap, Honoured):
                if value not in cap.values:
                    yield cluster.issue(
                        path,
                        f"{engine_name(cluster)} has no {cap.what} {value!r}; it takes "
                        f"{', '.join(map(str, cap.values))}",
                    )
                continue
            if (cap.values and value not in cap.values) or (cap.empty_ok and value == []):
                continue
            if cap.own_file and cluster.provenance.where(path, key=cap.key).file != cluster.file:
                continue
            message = cap.why or (
                f"engine {cluster.engine} does not take "
                f"{field.replace('.*.', '.<pool>.')} (honoured by: {_takers(field)})"
            )
            yield cluster.issue(path, message, key=cap.key)


def schema_fields(schema: Mapping[str, Any]) -> list[str]:
    """Every field a cluster schema names, as the table names them: properties, the
    values of open mappings (`*`), the fields of list items (`[]`), through `$ref`s and
    `oneOf`/`anyOf`/`allOf`."""
    defs = schema.get("$defs") or {}
    found: dict[str, None] = {}

    def walk(node: Any, at: str, seen: tuple[str, ...]) -> None:
        if not isinstance(node, Mapping):
            return
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            name = ref.rsplit("/", 1)[1]
            if name not in seen:
                walk(defs.get(name), at, (*seen, name))
        for key, child in (node.get("properties") or {}).items():
            path = f"{at}.{key}" if at else key
            found[path] = None
            walk(child, path, seen)
        extra = node.get("additionalProperties")
        if isinstance(extra, Mapping):
            found[f"{at}.*"] = None
            walk(extra, f"{at}.*", seen)
        if isinstance(node.get("items"), Mapping):
            walk(node["items"], f"{at}[]", seen)
        for combined in ("oneOf", "anyOf", "allOf"):
            for choice in node.get(combined) or ():
                walk(choice, at, seen)

    walk(schema, "", ())
    return list(found)


def coverage_gaps(
    fields: Iterable[str],
    table: Mapping[str, Mapping[str, Capability]] | None = None,
    engines: Iterable[str] = ENGINES,
) -> list[tuple[str, str]]:
    """(field, engine) for each field an engine neither honours nor refuses: a field that
    would be dropped silently. The fields below a refused one are covered by it."""
    keys = tuple(engines)
    return [(f, key) for f in fields for key in keys if capability(f, key, table) is None]


#: The columns of the docs page, as engine pages name them.
_COLUMN = {k: k.replace("kops:", "kops ") for k in ENGINES}


def _cell(cap: Capability | None) -> str:
    if isinstance(cap, Refused):
        return "some" if cap.values or cap.empty_ok else "no"
    if cap is None:
        return "?"
    if cap.values:
        return "some"
    return "yes*" if cap.note or cap.no_output else "yes"


def _why(field: str, cap: Capability) -> str:
    if isinstance(cap, Refused):
        at = f" at {', '.join(json.dumps(v) for v in cap.values)}" if cap.values else ""
        text = cap.why or f"does not take it (honoured by: {_takers(field)})"
        by = f" (checked by {cap.by_engine})" if cap.by_engine else ""
        return f"refused{at}: {text}{by}"
    parts = []
    if cap.values:
        parts.append("takes " + ", ".join(map(str, cap.values)))
    if cap.note:
        parts.append(cap.note)
    if cap.no_output:
        parts.append(f"no output: {cap.no_output}")
    return "; ".join(parts)


def row_of(field: str, key: str) -> Capability | None:
    return CAPABILITIES.get(field, {}).get(key)


def _shown(field: str) -> str:
    return field.replace("nodePools.*", "nodePools.<pool>").replace(".*", ".<key>")


def capabilities_markdown() -> str:
    """docs/capabilities.md: the table, as a page (tests/test_capabilities.py keeps it
    current; `python -m treeform.capabilities > docs/capabilities.md` writes it)."""
    blocks = {e.split(":")[0] for e in ENGINES} | set(CLOUD_OF.values())
    lines = [
        "# Which engine takes which field",
        "",
        "<!-- Generated from generator/capabilities.py by `python -m treeform.capabilities >",
        "docs/capabilities.md`; edit the table, not this page. -->",
        "",
        "Every field of the model, for every engine: **yes** (honoured), **yes\\*** (honoured,",
        "with a condition or a rule of the engine's below), **some** (some values only: see",
        "below), **no** (an error at the field naming the engine: treeform never drops a field",
        "silently). The settings blocks named after an",
        "engine or a cloud (`eks:`, `aws:`, ...) belong to that engine or cloud's engines; in",
        "another cluster's own file they are an error, inherited from a `_defaults.yaml` they",
        "pass (meant for the clusters below it that use them). Their fields are listed on the",
        "engine pages ([docs/engines/](engines/)).",
        "",
        "| field | " + " | ".join(_COLUMN[k] for k in ENGINES) + " |",
        "|---|" + "---|" * len(ENGINES),
    ]
    notes: list[str] = []
    for field, row in CAPABILITIES.items():
        top = field.split(".")[0].split("[")[0]
        cells = [_cell(capability(field, k)) for k in ENGINES]
        owners = [c for k, c in zip(ENGINES, cells, strict=True) if _cell(row_of(top, k)) != "no"]
        if top in blocks and field != top and set(owners) <= {"yes"}:
            continue  # a block's own fields, plain for its engines: their pages
        lines.append(f"| `{_shown(field)}` | " + " | ".join(cells) + " |")
        said: dict[str, list[str]] = {}
        for key in ENGINES:
            cap = row.get(key)
            if cap is None or capability(field, key) is not cap:
                continue  # said at the refused field above it
            if top in blocks and isinstance(cap, Refused) and cap.own_file:
                continue  # another engine's block: said above the table
            text = _why(field, cap)
            if text:
                said.setdefault(text, []).append(_COLUMN[key])
        for text, keys in said.items():
            notes.append(f"- `{_shown(field)}` ({', '.join(keys)}): {text}")
    lines += ["", "## Why", "", *notes, ""]
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    sys.stdout.write(capabilities_markdown())
