"""kOps's facts, shared by every cloud it runs on: its versions, its names and tables, the
records of a subnet and an instance group, and kOps's subnet carving.

The engine is composed of parts: `kops_engine.py` (`KopsEngine`, the model's kOps settings
and instance groups), `kops_documents.py` (the Cluster and InstanceGroup documents, built as
Python data), `kops_rules.py` (kOps's own rules, generic like its
`pkg/apis/kops/validation`) and `kops_cloud.py` (the `KopsCloud` protocol that
`aws/kops.py`, `gcp/kops.py` and `azure/kops.py` satisfy with what differs).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from treeform.model import NodePool
from treeform.yamlload import FieldPath

API_VERSION = "kops.k8s.io/v1alpha2"

#: The Kubernetes patch release kOps recommends for each minor version: the
#: `recommendedVersion` of kOps's `channels/stable` (kubernetes/kops commit 268927e,
#: 2026-08-22; the channel file last changed 2026-07-30). kOps 1.37 supports 1.32 and
#: later (`OldestSupportedKubernetesVersion`). A model that names a patch version gets
#: exactly that patch.
KUBERNETES_PATCHES = {
    "1.32": "1.32.13",
    "1.33": "1.33.13",
    "1.34": "1.34.10",
    "1.35": "1.35.7",
    "1.36": "1.36.3",
}
VERSIONS_TAKEN = "2026-08-22"

#: kOps's default range for pods and services (`kops create cluster`).
NON_MASQUERADE_CIDR = "100.64.0.0/10"

#: etcd clusters kOps creates, with the resource requests `kops create cluster` writes.
ETCD_CLUSTERS = (("main", "200m"), ("events", "100m"))

#: Model CNI name (as `kops create cluster --networking` names it) -> kOps
#: `spec.networking` block, for every cloud; clouds add their own (`setupNetworking` in
#: upup/pkg/fi/cloudup/new_cluster.go). `default` is what `kops create cluster` chooses
#: today (cilium, kube-proxy replaced). `cni` is bring-your-own: kOps installs none.
CNI_COMMON: dict[str, dict[str, Any]] = {
    "cilium": {"cilium": {"enableNodePort": True}},
    "calico": {"calico": {}},
    "cni": {"cni": {}},
    "flannel": {"flannel": {"backend": "vxlan"}},
    "kindnet": {"kindnet": {}},
    "kube-router": {"kuberouter": {}},
    "kubenet": {"kubenet": {}},
}
#: What `kops create cluster` chooses for the model's `network.cni: default`.
DEFAULT_CNI = "cilium"
#: CNIs that replace kube-proxy: kOps requires `kubeProxy.enabled: false` with them
#: (validation.go: cilium's NodePort, kube-router).
CNI_WITHOUT_KUBE_PROXY = {"cilium", "cilium-eni", "kube-router"}
#: CNIs whose pods take addresses from the network's own subnets (no pod overlay).
CNI_VPC_NATIVE = {"amazonvpc", "cilium-eni"}

#: kOps's root-volume defaults when the model names no size (pkg/model/defaults/volumes.go):
#: nodes 128 GB, control planes 64 GB, bastions 32 GB. treeform leaves `rootVolumeSize`
#: out so that kOps applies them.
KOPS_ROOT_VOLUME_GB = {"Node": 128, "ControlPlane": 64, "Bastion": 32}

#: `kops.roles` keys by instance-group role, and `rootVolume` fields -> InstanceGroup fields.
ROLE_KEYS = {"ControlPlane": "controlPlane", "Bastion": "bastion", "Node": "node"}
ROOT_VOLUME_FIELDS = {
    "sizeGb": "rootVolumeSize",
    "type": "rootVolumeType",
    "iops": "rootVolumeIops",
    "throughput": "rootVolumeThroughput",
    "encrypted": "rootVolumeEncryption",
}
#: `kops.etcd` fields -> etcd member fields (`kops create cluster --etcd-storage-type`,
#: `--encrypt-etcd-storage`).
ETCD_MEMBER_FIELDS = {
    "volumeType": "volumeType",
    "volumeSizeGb": "volumeSize",
    "volumeIops": "volumeIops",
    "volumeThroughput": "volumeThroughput",
    "encrypted": "encryptedVolume",
    "kmsKeyId": "kmsKeyId",
}

#: Cloud labels kOps reserves (pkg/apis/kops/validation/cluster.go validateCloudLabels).
RESERVED_LABELS = ("Name", "KubernetesCluster")
RESERVED_LABEL_PREFIXES = ("kubernetes.io/cluster/", "k8s.io/role/", "kops.k8s.io/")

#: Model addon -> the kOps cluster-spec field that turns it on. kOps runs these itself.
ADDONS_COMMON: dict[str, tuple[str, ...]] = {
    "cert-manager": ("certManager",),
    "cluster-autoscaler": ("clusterAutoscaler",),
    "metrics-server": ("metricsServer",),
    "node-problem-detector": ("nodeProblemDetector",),
    "snapshot-controller": ("snapshotController",),
}
#: Addons that kOps runs only with cert-manager (kOps validation: metricsServer.insecure,
#: snapshotController, awsLoadBalancerController); cert-manager is then turned on too.
NEEDS_CERT_MANAGER = {"metrics-server", "snapshot-controller", "aws-load-balancer-controller"}

CONTROL_PLANE_PREFIX = "control-plane-"
BASTION_GROUP = "bastions"
CLUSTER_LABEL = "kops.k8s.io/cluster"
GROUP_LABEL = "kops.k8s.io/instancegroup"

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")

#: Node images (nodePools.<p>.image) kOps can pick by itself: Ubuntu, its channel's image,
#: which kOps chooses for each instance group's architecture when `image` is absent.
IMAGES = ("ubuntu",)


def kops_kubernetes_version(version: str) -> str:
    """`1.33` -> `v1.33.13` (the channel's patch); `1.33.2` -> `v1.33.2`."""
    parts = version.split(".")
    if len(parts) >= 3:
        return "v" + version
    return "v" + KUBERNETES_PATCHES.get(version, version + ".0")


def reserved_label_problem(key: str) -> str | None:
    """kOps's rule for cloud labels (`validateCloudLabels`), or None when `key` is free."""
    if key in RESERVED_LABELS:
        return f"{key!r} is a reserved label and cannot be used as a custom label"
    for prefix in RESERVED_LABEL_PREFIXES:
        if key.startswith(prefix):
            return f"{prefix!r} is a reserved label prefix and cannot be used as a custom label"
    return None


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`over` merged into `base`: mappings key by key, anything else replaces (lists too)."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def dns_subdomain_problem(name: str) -> str | None:
    """Why `name` is not a DNS-1123 subdomain (as kOps checks cluster names), or None."""
    if len(name) > 253:
        return "must be at most 253 characters"
    for label in name.split("."):
        if not _DNS_LABEL.match(label) or len(label) > 63:
            return (
                f"label {label!r} must be 1-63 lowercase letters, digits and '-', "
                "starting and ending with a letter or digit"
            )
    return None


@dataclass(frozen=True)
class Subnet:
    """One entry of `spec.subnets`."""

    name: str
    type: str  # Public | Private | Utility | DualStack
    zone: str | None = None
    region: str | None = None
    cidr: str | None = None
    id: str | None = None
    ipv6_cidr: str | None = None

    def doc(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.cidr is not None:
            out["cidr"] = self.cidr
        if self.id is not None:
            out["id"] = self.id
        if self.ipv6_cidr is not None:
            out["ipv6CIDR"] = self.ipv6_cidr
        out["name"] = self.name
        if self.region is not None:
            out["region"] = self.region
        out["type"] = self.type
        if self.zone is not None:
            out["zone"] = self.zone
        return out


class CarveError(ValueError):
    pass


def _split(net: ipaddress.IPv4Network, count: int) -> list[ipaddress.IPv4Network]:
    """kOps's SplitInto1/2/4/8: the smallest power-of-two split with `count` pieces."""
    for bits in range(4):
        if count <= 1 << bits:
            if net.prefixlen + bits > 32:
                break
            return list(net.subnets(prefixlen_diff=bits))
    if count > 8:
        raise CarveError(f"{net} cannot be split for {count} subnets (kOps splits in at most 8)")
    raise CarveError(f"{net} is too small to split in {count}")


def carve_kops_subnets(cidr: str, zones: tuple[str, ...], private: bool) -> list[Subnet]:
    """Subnets per zone, carved as `kops create cluster` carves them (see `_carve_kops`)."""
    return list(_carve_kops(cidr, tuple(zones), private))


@lru_cache(maxsize=1024)  # many clusters share a network range and zones
def _carve_kops(cidr: str, zones: tuple[str, ...], private: bool) -> tuple[Subnet, ...]:
    """Subnets per zone, carved as `kops create cluster` carves them (`assignCIDRsToSubnets`).

    One node subnet per zone (Public or Private, named after the zone), and for a private
    topology one Utility subnet per zone (`utility-<zone>`, for load balancers and NAT
    gateways). The network range is split into the smallest power of two (1, 2, 4 or 8)
    that holds every node subnet plus one more slot when there are Utility subnets; node
    subnets take the slots in zone order after that first slot, and the first slot is cut
    in eight for the Utility subnets. A /16 with three private zones gives /18 node
    subnets at .64, .128 and .192 and /21 Utility subnets at .0, .8 and .16.
    """
    net = ipaddress.IPv4Network(cidr)
    ordered = sorted(zones)
    node_type = "Private" if private else "Public"
    slots = _split(net, len(ordered) + (1 if private else 0))
    out: list[Subnet] = []
    utility: list[Subnet] = []
    if private:
        little = list(slots[0].subnets(prefixlen_diff=3))
        slots = slots[1:]
        utility = [
            Subnet(f"utility-{z}", "Utility", zone=z, cidr=str(little[i]))
            for i, z in enumerate(ordered)
        ]
    for i, zone in enumerate(ordered):
        out.append(Subnet(zone, node_type, zone=zone, cidr=str(slots[i])))
    by_zone = {s.zone: s for s in out}
    util_by_zone = {s.zone: s for s in utility}
    # The spec lists them in the model's zone order, node subnets first, as kOps does.
    return tuple(
        [by_zone[z] for z in zones] + [util_by_zone[z] for z in zones if z in util_by_zone]
    )


def carve_kops_ipv6_subnets(cidr: str, zones: tuple[str, ...], private: bool) -> list[Subnet]:
    """Subnets of `kops create cluster --ipv6` (`setupTopology`, `assignCIDRsToSubnets`).

    Public: the IPv4 carving, each subnet also given an IPv6 /64 of the VPC's range. Private:
    per zone an IPv6-only Private subnet (the nodes), a `dualstack-<zone>` subnet (control
    planes, bastion) and a Utility subnet; the range is split as kOps splits it (the
    IPv6-only subnets count but take no slot), Utility subnets in the first slot cut in
    eight, dual-stack subnets in the next slots in zone order. Every subnet gets
    `ipv6CIDR: /64#<n>`, n its place in the spec.
    """
    if not private:
        out = carve_kops_subnets(cidr, zones, False)
    else:
        net = ipaddress.IPv4Network(cidr)
        count = 2 * len(zones) + 1
        pieces = 1 if count <= 1 else 2 if count <= 2 else 4 if count <= 4 else 8
        if len(zones) + 1 > pieces or net.prefixlen + pieces.bit_length() - 1 > 32:
            raise CarveError(f"{net} cannot hold the IPv6 layout of {len(zones)} zones")
        slots = list(net.subnets(prefixlen_diff=pieces.bit_length() - 1))
        little = list(slots[0].subnets(prefixlen_diff=3))
        ordered = sorted(zones)
        dual = {z: str(slots[1 + i]) for i, z in enumerate(ordered)}
        util = {z: str(little[i]) for i, z in enumerate(ordered)}
        out = (
            [Subnet(z, "Private", zone=z) for z in zones]
            + [Subnet(f"dualstack-{z}", "DualStack", zone=z, cidr=dual[z]) for z in zones]
            + [Subnet(f"utility-{z}", "Utility", zone=z, cidr=util[z]) for z in zones]
        )
    return [
        Subnet(s.name, s.type, s.zone, s.region, s.cidr, s.id, f"/64#{i:x}")
        for i, s in enumerate(out)
    ]


def sort_keys(value: Any) -> Any:
    """Mappings with their keys in alphabetical order, as kOps writes its documents."""
    if isinstance(value, Mapping):
        return {k: sort_keys(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [sort_keys(v) for v in value]
    return value


def trim_common_prefix(names: list[str]) -> list[str]:
    """etcd member names from control-plane group names, as `kops create cluster` makes them
    (`trimCommonPrefix`): the prefix they share is cut a character at a time while the first
    name is longer than one, and a name that then starts with a digit gets `etcd-`."""
    out = [n.removeprefix(CONTROL_PLANE_PREFIX).removeprefix("master-") for n in names]
    while out and len(out[0]) > 1:
        prefix = out[0][:1]
        if not all(n.startswith(prefix) for n in out):
            break
        out = [n[1:] for n in out]
    return ["etcd-" + n if n[:1].isdigit() else n for n in out]


@dataclass(frozen=True)
class Group:
    """An InstanceGroup before it becomes a document, with the model field it comes from."""

    name: str
    role: str  # ControlPlane | Node | Bastion
    zones: tuple[str, ...]
    machine_type: str
    min_size: int
    max_size: int
    source: FieldPath
    pool: NodePool | None = None
    #: The model's raw `nodePools.<p>.kops.spec`, merged into the document last.
    overlay: Mapping[str, Any] | None = None


#: The etcd member fields of a cloud whose etcd volumes `kops create cluster` encrypts.
ETCD_ENCRYPTED: Mapping[str, Any] = {"encryptedVolume": True}


def sorted_labels(tags: Mapping[str, str]) -> dict[str, str]:
    """Model tags as cloud labels where the cloud takes them as they are (AWS, Azure)."""
    return dict(sorted(tags.items()))
