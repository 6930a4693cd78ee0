"""kOps, shared by every cloud it runs on: the Cluster and InstanceGroup documents
(`kops.k8s.io/v1alpha2`) built as Python data, kOps's own validation rules run on them
before anything is written, and kOps's subnet carving.

A cloud's engine (`aws/kops.py`, `gcp/kops.py`) subclasses `KopsEngine` and supplies only
what differs: its subnets, its networking options, its machine defaults, the cloud fields of
the documents and the Terraform that kOps needs around it. Like kOps's own
`pkg/apis/kops/validation`, the rules here are generic and each cloud adds its own.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from treeform.errors import Issue
from treeform.model import Cluster, NodePool
from treeform.providers.common import (
    machine_type_issues,
    pool_machines,
)
from treeform.providers.machines import NVIDIA, X86_64, Catalog, Machine, describe
from treeform.render import Renderer, to_yaml
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


def taint_text(key: str, value: str, effect: str) -> str:
    """A taint in kOps syntax: `key=value:Effect`, or `key:Effect` without a value."""
    return f"{key}={value}:{effect}" if value else f"{key}:{effect}"


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


class KopsEngine:
    """The kOps engine; a cloud subclasses it and fills in the hooks below."""

    name = "kops"
    versions: tuple[str, ...] = tuple(KUBERNETES_PATCHES)
    versions_taken = VERSIONS_TAKEN
    # One control-plane group per zone and an odd etcd quorum: three zones or more.
    ha_min_zones = 3
    addons: tuple[str, ...] = tuple(ADDONS_COMMON)

    # --- what a cloud supplies (no defaults: a cloud that forgets one fails at once) ----
    cloud_provider: str  # spec.cloudProvider: aws | gce | azure
    state_scheme: str  # s3 | gs | azureblob
    default_control_plane_type: str
    default_bastion_type: str
    cnis: Mapping[str, Mapping[str, Any]] = CNI_COMMON
    addon_fields: Mapping[str, tuple[str, ...]] = ADDONS_COMMON
    #: The cloud's machine table, and whether a group takes several types.
    catalog: Catalog | None = None
    several_types = False
    #: Whether kOps asks this cloud for a machine type's architecture to pick the channel
    #: image (kOps's MachineArchitecture knows AWS only; elsewhere every group is amd64).
    detects_architecture = False
    #: Whether kOps installs NVIDIA drivers on this cloud's GPU instances (nvidiaGPU).
    installs_nvidia = False

    #: kOps's own root volume type on this cloud (its `DefaultVolumeType`).
    default_root_volume = ""

    def disk_type(self, cluster: Cluster, pool: NodePool) -> str | None:
        """`rootVolumeType` of a pool's group: the model's; else kOps's own default where the
        family takes it (so existing groups keep their disks), else the family's default."""
        if pool.disk_type or self.catalog is None:
            return pool.disk_type
        found = pool_machines(cluster, self.catalog).get(pool.name) or []
        if not found or not found[0].disks:
            return None
        disks = found[0].disks
        return self.default_root_volume if self.default_root_volume in disks else disks[0]

    #: kOps makes IPv6 clusters on AWS only ("IPv6 support is available only on AWS").
    supports_ipv6 = False

    def subnets(self, cluster: Cluster) -> list[Subnet]:
        raise NotImplementedError

    def network_cidr(self, cluster: Cluster) -> str | None:
        """`spec.networkCIDR`, where the cloud takes one."""
        return cluster.network.cidr

    def network_id(self, cluster: Cluster) -> str | None:
        """`spec.networkID`: the network kOps should use instead of creating one."""
        return None

    def cluster_cloud_fields(self, cluster: Cluster) -> dict[str, Any]:
        return {}

    def group_subnets(self, cluster: Cluster, group: Group, subnets: list[Subnet]) -> list[str]:
        raise NotImplementedError

    def group_cloud_fields(self, cluster: Cluster, group: Group) -> dict[str, Any]:
        return {}

    def cloud_issues(self, cluster: Cluster) -> Iterator[Issue]:
        return iter(())

    def cloud_labels(self, cluster: Cluster) -> dict[str, str]:
        return self.labels_of(cluster.tags)

    def labels_of(self, tags: Mapping[str, str]) -> dict[str, str]:
        """Model tags as this cloud's labels (GCE converts them)."""
        return dict(sorted(tags.items()))

    def terraform(self, cluster: Cluster, renderer: Renderer) -> dict[str, str]:
        raise NotImplementedError

    # --- settings --------------------------------------------------------------------
    def dns_zone(self, cluster: Cluster) -> str:
        return str(cluster.settings.get("dnsZone", "")).rstrip(".")

    def dns_type(self, cluster: Cluster) -> str:
        return str(cluster.settings.get("dnsType", "Public"))

    def cluster_name(self, cluster: Cluster) -> str:
        return f"{cluster.name}.{self.dns_zone(cluster)}"

    def state_store(self, cluster: Cluster) -> str:
        return str(cluster.settings.get("stateStore", "")).rstrip("/")

    def state_bucket(self, cluster: Cluster) -> str:
        rest = self.state_store(cluster).split("://", 1)[-1]
        return rest.split("/", 1)[0]

    def bastion(self, cluster: Cluster) -> bool:
        return bool(cluster.settings.get("bastion", False))

    def shared_vpc(self, cluster: Cluster) -> bool:
        return bool(cluster.settings.get("sharedVpc", False))

    def cni(self, cluster: Cluster) -> str:
        return "cilium" if cluster.network.cni == "default" else cluster.network.cni

    def non_masquerade_cidr(self, cluster: Cluster) -> str:
        return str(cluster.settings.get("nonMasqueradeCidr", NON_MASQUERADE_CIDR))

    def known_network_cidr(self, cluster: Cluster) -> str | None:
        """The network's range as far as the model knows it: `network.existing.cidr` (or an
        explicit `network.cidr`) for an existing network, else the range treeform carves."""
        existing = cluster.network.existing
        if existing is None:
            return cluster.network.cidr
        if existing.cidr is not None:
            return existing.cidr
        return cluster.network.cidr if "cidr" in (cluster.data.get("network") or {}) else None

    def access_cidrs(self, cluster: Cluster) -> list[str]:
        """kubernetesApiAccess: the model's allowed CIDRs; without them, the world for a
        public API (kOps's default) and the network itself for a private one."""
        if cluster.api_server.allowed_cidrs:
            return list(cluster.api_server.allowed_cidrs)
        if cluster.api_server.public:
            return ["0.0.0.0/0", "::/0"]
        known = self.known_network_cidr(cluster)
        return [known] if known else []

    def ssh_access(self, cluster: Cluster) -> list[str]:
        """sshAccess: `kops.sshAccess` when given, else the API's access."""
        if "sshAccess" in cluster.settings:
            return [str(c) for c in cluster.settings["sshAccess"]]
        return self.access_cidrs(cluster)

    def cluster_overlay(self, cluster: Cluster) -> Mapping[str, Any]:
        spec = cluster.settings.get("clusterSpec")
        return spec if isinstance(spec, Mapping) else {}

    def pool_settings(self, cluster: Cluster, pool: str) -> Mapping[str, Any]:
        """`nodePools.<pool>.kops`: the pool's kOps block (schema-checked), or {}."""
        raw = ((cluster.data.get("nodePools") or {}).get(pool) or {}).get("kops")
        return raw if isinstance(raw, Mapping) else {}

    def pool_given(self, cluster: Cluster, pool: str, name: str) -> bool:
        """Whether the model sets `nodePools.<pool>.<name>` (rather than a default)."""
        return name in ((cluster.data.get("nodePools") or {}).get(pool) or {})

    # --- groups ----------------------------------------------------------------------
    def control_plane_zones(self, cluster: Cluster) -> tuple[str, ...]:
        """The zone of each control-plane group, in order: `kops.controlPlaneCount` groups
        round-robin over the zones (`setupControlPlane`); without it, one per zone with
        highAvailability, else one in the first zone."""
        count = cluster.settings.get("controlPlaneCount")
        if isinstance(count, int) and cluster.zones:  # no zones: an unknown region, reported
            return tuple(cluster.zones[i % len(cluster.zones)] for i in range(count))
        return cluster.zones if cluster.high_availability else cluster.zones[:1]

    def kops_zone(self, cluster: Cluster, zone: str) -> str:
        """A model zone as kOps names it (Azure: `<location>-<n>`)."""
        return zone

    def control_plane_names(self, cluster: Cluster) -> list[str]:
        """`control-plane-<zone>`, with `-<n>` when there are more groups than zones."""
        zones = tuple(self.kops_zone(cluster, z) for z in self.control_plane_zones(cluster))
        distinct = len(dict.fromkeys(zones))
        if len(zones) <= distinct:
            return [CONTROL_PLANE_PREFIX + z for z in zones]
        return [f"{CONTROL_PLANE_PREFIX}{z}-{1 + i // distinct}" for i, z in enumerate(zones)]

    def groups(self, cluster: Cluster) -> list[Group]:
        cp_type = str(
            cluster.settings.get("controlPlaneMachineType", self.default_control_plane_type)
        )
        cp_source: FieldPath = (
            ("kops", "controlPlaneMachineType")
            if "controlPlaneMachineType" in cluster.settings
            else ("highAvailability",)
        )
        groups: list[Group] = []
        if self.bastion(cluster):
            groups.append(
                Group(
                    BASTION_GROUP,
                    "Bastion",
                    cluster.zones,
                    str(cluster.settings.get("bastionMachineType", self.default_bastion_type)),
                    1,
                    1,
                    ("kops", "bastion"),
                )
            )
        if "controlPlaneCount" in cluster.settings:
            cp_source = ("kops", "controlPlaneCount")
        for name, zone in zip(
            self.control_plane_names(cluster), self.control_plane_zones(cluster), strict=True
        ):
            groups.append(Group(name, "ControlPlane", (zone,), cp_type, 1, 1, cp_source))
        for pool in cluster.node_pools.values():
            overlay = self.pool_settings(cluster, pool.name).get("spec")
            groups.append(
                Group(
                    pool.name,
                    "Node",
                    pool.zones,
                    pool.machine_type,
                    pool.min_size,
                    pool.max_size,
                    ("nodePools", pool.name),
                    pool,
                    overlay if isinstance(overlay, Mapping) else None,
                )
            )
        return groups

    # --- documents -------------------------------------------------------------------
    def networking(self, cluster: Cluster) -> dict[str, Any]:
        return {k: dict(v) for k, v in self.cnis[self.cni(cluster)].items()}

    def cluster_spec(self, cluster: Cluster, groups: list[Group]) -> dict[str, Any]:
        name = self.cluster_name(cluster)
        cps = [g for g in groups if g.role == "ControlPlane"]
        members = trim_common_prefix([g.name for g in cps])
        spec: dict[str, Any] = {
            "api": self.api(cluster),
            "authorization": {"rbac": {}},
            "channel": str(cluster.settings.get("channel", "stable")),
            "cloudProvider": self.cloud_provider,
            "configBase": f"{self.state_store(cluster)}/{name}",
            "etcdClusters": [
                {
                    "cpuRequest": cpu,
                    "etcdMembers": [
                        self.etcd_member(cluster, g.name, member)
                        for g, member in zip(cps, members, strict=True)
                    ],
                    "manager": {"backupRetentionDays": 90},
                    "memoryRequest": "100Mi",
                    "name": etcd,
                }
                for etcd, cpu in ETCD_CLUSTERS
                if etcd == "main" or self.etcd_settings(cluster).get("events", True)
            ],
            "iam": {"allowContainerRegistry": True, "legacy": False},
            "kubelet": {"anonymousAuth": False},
            "kubernetesApiAccess": self.access_cidrs(cluster),
            "kubernetesVersion": kops_kubernetes_version(cluster.kubernetes_version),
            "networking": self.networking(cluster),
            "nonMasqueradeCIDR": self.non_masquerade_cidr(cluster),
            "sshAccess": self.ssh_access(cluster),
            "subnets": [s.doc() for s in self.subnets(cluster)],
            "topology": {"dns": {"type": self.dns_type(cluster)}},
        }
        if self.dns_type(cluster) != "None":
            spec["dnsZone"] = self.dns_zone(cluster)
            if self.bastion(cluster):
                spec["topology"]["bastion"] = {"bastionPublicName": f"bastion.{name}"}
        network_cidr = self.network_cidr(cluster)
        if network_cidr is not None:
            spec["networkCIDR"] = network_cidr
        additional = self.additional_network_cidrs(cluster)
        if additional:
            spec["additionalNetworkCIDRs"] = additional
        network_id = self.network_id(cluster)
        if network_id is not None:
            spec["networkID"] = network_id
        if cluster.network.pod_cidr:
            spec["podCIDR"] = cluster.network.pod_cidr
        if cluster.network.service_cidr:
            spec["serviceClusterIPRange"] = cluster.network.service_cidr
        if cluster.tags:
            spec["cloudLabels"] = self.cloud_labels(cluster)
        if self.cni(cluster) in CNI_WITHOUT_KUBE_PROXY:
            spec["kubeProxy"] = {"enabled": False}
        addons = set(cluster.addons)
        if addons & NEEDS_CERT_MANAGER:
            addons.add("cert-manager")
        for addon in sorted(addons & set(self.addon_fields)):  # others: an error already
            target = spec
            *parents, leaf = self.addon_fields[addon]
            for part in parents:
                target = target.setdefault(part, {})
            target[leaf] = {"enabled": True}
        discovery = self.discovery_store(cluster)
        if discovery:
            spec["serviceAccountIssuerDiscovery"] = self.discovery(cluster, discovery)
            spec["iam"].update(self.discovery_iam(cluster))
        egress = cluster.settings.get("egress")
        if egress:
            for subnet in spec["subnets"]:
                if subnet["type"] == "Private":
                    subnet["egress"] = str(egress)
        spec.update(self.cluster_cloud_fields(cluster))
        return spec

    def discovery_store(self, cluster: Cluster) -> str:
        """`kops.discoveryStore`: where kOps publishes the OIDC documents (IRSA), or ""."""
        return str(cluster.settings.get("discoveryStore", "")).rstrip("/")

    def discovery(self, cluster: Cluster, store: str) -> dict[str, Any]:
        """`spec.serviceAccountIssuerDiscovery`, as `kops create --discovery-store` writes it:
        the store joined with the cluster name."""
        return {"discoveryStore": f"{store}/{self.cluster_name(cluster)}"}

    def discovery_iam(self, cluster: Cluster) -> dict[str, Any]:
        """What `spec.iam` gains with a discovery store (AWS: roles for service accounts)."""
        return {}

    def additional_network_cidrs(self, cluster: Cluster) -> list[str]:
        """`spec.additionalNetworkCIDRs`, where the cloud takes them."""
        return []

    def api_settings(self, cluster: Cluster) -> Mapping[str, Any]:
        value = cluster.settings.get("apiLoadBalancer")
        return value if isinstance(value, Mapping) else {}

    def api(self, cluster: Cluster) -> dict[str, Any]:
        """`spec.api`: a load balancer, or with `kops.apiLoadBalancer.dnsOnly` DNS records of
        the control planes (`kops create cluster --api-loadbalancer-type ""` on a public
        topology)."""
        if self.api_settings(cluster).get("dnsOnly"):
            return {"dns": {}}
        return {"loadBalancer": self.api_load_balancer(cluster)}

    def api_load_balancer(self, cluster: Cluster) -> dict[str, Any]:
        """`spec.api.loadBalancer`: internal when the model keeps the API server private."""
        return {"type": "Public" if cluster.api_server.public else "Internal"}

    def etcd_settings(self, cluster: Cluster) -> Mapping[str, Any]:
        value = cluster.settings.get("etcd")
        return value if isinstance(value, Mapping) else {}

    def etcd_member(self, cluster: Cluster, group: str, name: str) -> dict[str, Any]:
        member: dict[str, Any] = {"instanceGroup": group, "name": name}
        etcd = self.etcd_settings(cluster)
        for key, target in ETCD_MEMBER_FIELDS.items():
            if key in etcd:
                member[target] = etcd[key]
        return member

    def group_spec(self, cluster: Cluster, group: Group, subnets: list[Subnet]) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "machineType": group.machine_type,
            "maxSize": group.max_size,
            "minSize": group.min_size,
            "role": group.role,
            "subnets": self.group_subnets(cluster, group, subnets),
        }
        labels: dict[str, str] = {}
        if group.pool is not None:
            labels.update(group.pool.labels)
            # Without diskSizeGb kOps's own default applies (KOPS_ROOT_VOLUME_GB).
            if self.pool_given(cluster, group.pool.name, "diskSizeGb"):
                spec["rootVolumeSize"] = group.pool.disk_size_gb
            # Likewise the volume type: written when the model names one, or when the
            # family cannot attach kOps's default (a Hyperdisk-only family, say).
            disk = self.disk_type(cluster, group.pool)
            if disk is not None and (group.pool.disk_type or disk != self.default_root_volume):
                spec["rootVolumeType"] = disk
            if group.pool.taints:
                spec["taints"] = [taint_text(t.key, t.value, t.effect) for t in group.pool.taints]
        labels[GROUP_LABEL] = group.name
        spec["nodeLabels"] = labels
        if group.pool is not None:
            pool_labels = self.pool_settings(cluster, group.pool.name).get("cloudLabels") or {}
            merged = {**cluster.tags, **{str(k): str(v) for k, v in pool_labels.items()}}
            if merged:
                spec["cloudLabels"] = self.labels_of(merged)
        image = cluster.settings.get("image")
        if image:
            spec["image"] = str(image)
        spec.update(self.group_cloud_fields(cluster, group))
        spec.update(self.role_fields(cluster, group))
        return spec

    def role_settings(self, cluster: Cluster, role: str) -> Mapping[str, Any]:
        """`kops.roles.<controlPlane|bastion|node>`, or {}."""
        roles = cluster.settings.get("roles") or {}
        value = roles.get(ROLE_KEYS[role]) if isinstance(roles, Mapping) else None
        return value if isinstance(value, Mapping) else {}

    def role_fields(self, cluster: Cluster, group: Group) -> dict[str, Any]:
        """The image and root volume of every group of a role (`kops.roles`); a pool's own
        diskSizeGb wins over the role's size."""
        role = self.role_settings(cluster, group.role)
        fields: dict[str, Any] = {}
        if "image" in role:
            fields["image"] = str(role["image"])
        volume = role.get("rootVolume") or {}
        pool_size = group.pool is not None and self.pool_given(cluster, group.name, "diskSizeGb")
        for key, target in ROOT_VOLUME_FIELDS.items():
            if key in volume and not (key == "sizeGb" and pool_size):
                fields[target] = volume[key]
        return fields

    def documents(self, cluster: Cluster) -> list[dict[str, Any]]:
        """The Cluster document, then the InstanceGroups (bastion, control plane, nodes)."""
        name = self.cluster_name(cluster)
        groups = self.groups(cluster)
        subnets = self.subnets(cluster)
        # The escape hatches (kops.clusterSpec, nodePools.<p>.kops.spec) are merged last.
        cluster_spec = deep_merge(self.cluster_spec(cluster, groups), self.cluster_overlay(cluster))
        docs: list[dict[str, Any]] = [
            {
                "apiVersion": API_VERSION,
                "kind": "Cluster",
                "metadata": {"name": name},
                "spec": sort_keys(cluster_spec),
            }
        ]
        for group in groups:
            group_spec = deep_merge(self.group_spec(cluster, group, subnets), group.overlay or {})
            docs.append(
                {
                    "apiVersion": API_VERSION,
                    "kind": "InstanceGroup",
                    "metadata": {"labels": {CLUSTER_LABEL: name}, "name": group.name},
                    "spec": sort_keys(group_spec),
                }
            )
        return docs

    def manifest(self, cluster: Cluster) -> str:
        """`kops/cluster.yaml`: the documents separated by `---`, as kOps writes them."""
        return "\n---\n\n".join(to_yaml(doc) for doc in self.documents(cluster))

    def manifest_ready(self, cluster: Cluster) -> bool:
        """Whether the manifest can be written yet (AWS shared VPCs wait for their ids)."""
        return True

    def render(self, cluster: Cluster, renderer: Renderer) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.manifest_ready(cluster):
            out["kops/cluster.yaml"] = self.manifest(cluster)
        for name, text in self.terraform(cluster, renderer).items():
            out[f"terraform/{name}"] = text
        return out

    # --- validation ------------------------------------------------------------------
    def validate(self, cluster: Cluster) -> Iterator[Issue]:
        issues = list(self.setting_issues(cluster))
        issues.extend(self.cloud_issues(cluster))
        issues.extend(self.machine_issues(cluster))
        yield from issues
        # Problems that leave the documents buildable: reported with the CRD check below.
        yield from self.label_issues(cluster)
        yield from self.pool_issues(cluster)
        if issues:
            return
        try:
            self.subnets(cluster)
        except CarveError as exc:
            yield cluster.issue(("network", "cidr"), f"cannot carve the kOps subnets: {exc}")
            return
        docs = self.documents(cluster)
        crd = list(self.overlay_issues(cluster, docs))
        yield from crd
        if not crd:
            yield from kops_rules(self, cluster, docs)

    def overlay_issues(self, cluster: Cluster, docs: list[dict[str, Any]]) -> Iterator[Issue]:
        """The documents an escape hatch was merged into, checked against kOps's CRDs."""
        from treeform.providers.kops_crd import crd_issues  # loads the schemas on first use

        if self.cluster_overlay(cluster):
            yield from crd_issues(
                cluster, docs[0], self.cluster_overlay(cluster), ("kops", "clusterSpec")
            )
        by_name = {g.name: g for g in self.groups(cluster)}
        for doc in docs[1:]:
            group = by_name[doc["metadata"]["name"]]
            if group.overlay and group.pool is not None:
                yield from crd_issues(
                    cluster, doc, group.overlay, ("nodePools", group.pool.name, "kops", "spec")
                )

    def setting_issues(self, cluster: Cluster) -> Iterator[Issue]:
        s = cluster.settings
        store = self.state_store(cluster)
        if not store:
            yield cluster.issue(
                ("kops", "stateStore"),
                f"kops needs kops.stateStore, the {self.state_scheme}:// bucket kOps keeps "
                "its cluster specs in",
            )
        elif not store.startswith(self.state_scheme + "://"):
            yield cluster.issue(
                ("kops", "stateStore"),
                f"kOps on {cluster.cloud} keeps its state in {self.state_scheme}://; "
                f"{store!r} is not one",
            )
        if not self.dns_zone(cluster):
            yield cluster.issue(
                ("kops", "dnsZone"),
                "kops needs kops.dnsZone: the cluster is named <name>.<dnsZone> "
                "(kOps cluster names are DNS names)",
            )
        elif self.dns_zone(cluster).endswith("k8s.local") and self.dns_type(cluster) != "None":
            yield cluster.issue(
                ("kops", "dnsZone"),
                "gossip DNS (.k8s.local) was removed in kOps 1.37; use a hosted zone, or "
                "kops.dnsType: None",
            )
        if self.bastion(cluster) and not cluster.network.private:
            yield cluster.issue(
                ("kops", "bastion"),
                "a kOps bastion needs network.topology: private (with a public topology "
                "every node is reachable already)",
            )
        cni = self.cni(cluster)
        if cni not in self.cnis:
            yield cluster.issue(
                ("network", "cni"),
                f"kOps on {cluster.cloud} has no CNI {cluster.network.cni!r}; known: "
                f"default ({self.cni_default_note()}), {', '.join(sorted(self.cnis))}",
            )
        names = {CONTROL_PLANE_PREFIX + self.kops_zone(cluster, z) for z in cluster.zones}
        names |= {BASTION_GROUP}
        for pool in cluster.node_pools:
            if pool in names or pool.startswith(CONTROL_PLANE_PREFIX):
                yield cluster.issue(
                    ("nodePools", pool),
                    f"node pool name {pool!r} is taken by a kOps control-plane or bastion "
                    "instance group; rename the pool",
                    key=True,
                )
        yield from self.access_issues(cluster)
        yield from self.choice_issues(cluster)
        if s.get("ipv6") and not self.supports_ipv6:
            yield cluster.issue(
                ("kops", "ipv6"), f"kOps makes IPv6 clusters on AWS only, not on {cluster.cloud}"
            )
        if "nonMasqueradeCidr" in s:
            value = str(s["nonMasqueradeCidr"])
            try:
                ipaddress.IPv4Network(value)
            except ValueError as exc:
                yield cluster.issue(
                    ("kops", "nonMasqueradeCidr"), f"{value!r} is not a CIDR block: {exc}"
                )

    def machine_issues(self, cluster: Cluster) -> Iterator[Issue]:
        """Machine types, images and disks; `kops.image` (one image for every group) only
        where every group is of one architecture."""
        if self.catalog is None:
            return
        catalog = self.catalog
        yield from machine_type_issues(
            cluster, catalog.form, catalog.form_text, catalog=catalog, several=self.several_types
        )
        for setting in ("controlPlaneMachineType", "bastionMachineType"):
            value = cluster.settings.get(setting)
            machine = catalog.machine(str(value)) if value is not None else None
            if isinstance(machine, str):
                yield cluster.issue(("kops", setting), machine)
        found = pool_machines(cluster, catalog)
        for name, machines in found.items():
            disk = cluster.node_pools[name].disk_type
            if machines and disk is not None and disk not in machines[0].disks:
                yield cluster.issue(
                    ("nodePools", name, "diskType"),
                    f"{machines[0].name} cannot boot from {disk}; kOps on "
                    f"{self.cloud_provider.upper()} takes {', '.join(machines[0].disks)}",
                )
        for name, machines in found.items():
            accel = machines[0].accelerator if machines else None
            if accel is not None and not (accel == NVIDIA and self.installs_nvidia):
                yield cluster.issue(
                    cluster.node_pools[name].machine_type_path,
                    f"{describe(machines[0])}: kOps installs accelerator drivers for NVIDIA "
                    "GPUs on AWS only (containerd.nvidiaGPU); choose another machine type",
                )
        if not cluster.settings.get("image") and not self.detects_architecture:
            for name, machines in found.items():
                if machines and machines[0].arch != X86_64:
                    yield cluster.issue(
                        cluster.node_pools[name].machine_type_path,
                        f"{describe(machines[0])}: kOps on {self.cloud_provider.upper()} "
                        "gives every group the amd64 channel image (kOps detects the "
                        "architecture on AWS only); an arm64 pool needs kops.image set to an "
                        "arm64 image, with every group arm64 (kops.controlPlaneMachineType too)",
                    )
        if cluster.settings.get("image"):
            archs: dict[str, str] = {}
            for group in self.groups(cluster):
                machine = catalog.machine(group.machine_type)
                if isinstance(machine, Machine):
                    archs.setdefault(machine.arch, f"{group.name}: {describe(machine)}")
            if len(archs) > 1:
                yield cluster.issue(
                    ("kops", "image"),
                    "one image serves one architecture, and these groups differ ("
                    + "; ".join(archs.values())
                    + "); remove kops.image so that kOps picks each group's image from its "
                    "channel",
                )

    def cni_default_note(self) -> str:
        return "cilium"

    def access_issues(self, cluster: Cluster) -> Iterator[Issue]:
        """SSH and API access that would leave what the model asks for unreachable."""
        if (
            self.bastion(cluster)
            and "sshAccess" not in cluster.settings
            and not cluster.api_server.allowed_cidrs
            and not cluster.api_server.public
        ):
            yield cluster.issue(
                ("kops", "bastion"),
                "the bastion would take SSH only from inside the network (a private API "
                "without apiServer.allowedCidrs gives sshAccess the network's range): set "
                "kops.sshAccess to the ranges that may reach it",
            )
        existing = cluster.network.existing
        if existing is not None:
            given = (cluster.data.get("network") or {}).get("cidr")
            if existing.cidr is not None and given is not None and given != existing.cidr:
                yield cluster.issue(
                    ("network", "existing", "cidr"),
                    f"the existing network's range {existing.cidr} differs from network.cidr "
                    f"{given}; give it once (network.existing.cidr)",
                )
            if not self.access_cidrs(cluster):
                yield cluster.issue(
                    ("network", "existing"),
                    "a private API without apiServer.allowedCidrs is open to the network, "
                    "whose range treeform cannot know for an existing network: set "
                    "network.existing.cidr or apiServer.allowedCidrs",
                )

    def label_issues(self, cluster: Cluster) -> Iterator[Issue]:
        """Tags kOps reserves, refused at the tag with kOps's rule."""
        sources: list[tuple[FieldPath, Mapping[str, Any]]] = [(("tags",), cluster.tags)]
        for pool in cluster.node_pools:
            labels = self.pool_settings(cluster, pool).get("cloudLabels") or {}
            sources.append((("nodePools", pool, "kops", "cloudLabels"), labels))
        for path, tags in sources:
            for key in tags:
                for label in self.labels_of({key: str(tags[key])}):
                    problem = reserved_label_problem(label)
                    if problem:
                        yield cluster.issue(
                            (*path, key), f"kOps refuses cloud label {label!r}: {problem}", key=True
                        )

    def pool_issues(self, cluster: Cluster) -> Iterator[Issue]:
        for pool in cluster.node_pools.values():
            if self.pool_given(cluster, pool.name, "desiredSize") and (
                pool.desired_size != pool.min_size
            ):
                yield cluster.issue(
                    ("nodePools", pool.name, "desiredSize"),
                    "kOps has no desired size: an instance group starts at minSize and the "
                    "cluster autoscaler moves it up to maxSize; remove desiredSize or make it "
                    "equal to minSize",
                )

    def choice_issues(self, cluster: Cluster) -> Iterator[Issue]:
        """kops.controlPlaneCount and kops.apiLoadBalancer, as kOps validates them."""
        count = cluster.settings.get("controlPlaneCount")
        if isinstance(count, int) and cluster.high_availability and count < 3:
            yield cluster.issue(
                ("kops", "controlPlaneCount"),
                f"highAvailability needs 3 or 5 control planes; controlPlaneCount is {count}",
            )
        egress = cluster.settings.get("egress")
        if egress and not cluster.network.private:
            yield cluster.issue(
                ("kops", "egress"),
                "kops.egress is the way out of private subnets: it needs network.topology: private",
            )
        if egress and cluster.network.existing is not None:
            yield cluster.issue(
                ("kops", "egress"),
                "an existing network brings its own egress; kOps does not route it",
            )
        store = self.discovery_store(cluster)
        if store and not store.startswith(self.state_scheme + "://"):
            yield cluster.issue(
                ("kops", "discoveryStore"),
                f"kOps on {cluster.cloud} publishes discovery documents to "
                f"{self.state_scheme}://; {store!r} is not one",
            )
        api = self.api_settings(cluster)
        if api.get("dnsOnly"):
            if not cluster.api_server.public:
                yield cluster.issue(
                    ("kops", "apiLoadBalancer", "dnsOnly"),
                    "a DNS-only API publishes the control planes' own addresses: it needs "
                    "apiServer.public: true (a private API needs a load balancer)",
                )
            if self.dns_type(cluster) == "None":
                yield cluster.issue(
                    ("kops", "apiLoadBalancer", "dnsOnly"),
                    "a DNS-only API needs DNS records: kops.dnsType None has none",
                )
            if "class" in api:
                yield cluster.issue(
                    ("kops", "apiLoadBalancer", "class"),
                    "a DNS-only API has no load balancer to give a class",
                )


def _net(cidr: str | None) -> ipaddress.IPv4Network | None:
    if not cidr:
        return None
    try:
        return ipaddress.IPv4Network(cidr)
    except ValueError:
        return None


def kops_rules(engine: KopsEngine, cluster: Cluster, docs: list[dict[str, Any]]) -> Iterator[Issue]:
    """kOps's own rules (`pkg/apis/kops/validation`), run on the documents about to be
    written; each failure is reported at the model field that produced it."""
    spec = docs[0]["spec"]
    groups = {d["metadata"]["name"]: d for d in docs[1:]}
    zones_path: FieldPath = ("zones",) if cluster.zones_given else ("region",)
    ha_path: FieldPath = ("zones",) if cluster.zones_given else ("highAvailability",)

    # metadata.name: a DNS subdomain with a dot (validation.go newValidateCluster).
    name = docs[0]["metadata"]["name"]
    problem = dns_subdomain_problem(name)
    if problem:
        yield cluster.issue(
            ("kops", "dnsZone"), f"cluster name {name!r} is not a valid DNS name: {problem}"
        )
    elif "." not in name:
        yield cluster.issue(("kops", "dnsZone"), f"cluster name {name!r} needs a dot")

    # etcdClusters: members odd and non-empty; every control-plane group in every cluster.
    control_planes = [n for n, d in groups.items() if d["spec"].get("role") == "ControlPlane"]
    for etcd in spec.get("etcdClusters", []):
        members = etcd.get("etcdMembers", [])
        if not members:
            yield cluster.issue(ha_path, f"etcd cluster {etcd['name']!r} has no members")
        elif len(members) % 2 == 0:
            yield cluster.issue(
                ha_path,
                f"kOps needs an odd number of etcd members for quorum; highAvailability puts "
                f"one control plane in each of the {len(members)} zones: use 3 or 5 zones, "
                "or set kops.controlPlaneCount",
            )
        in_etcd = {m.get("instanceGroup") for m in members}
        for cp in control_planes:
            if cp not in in_etcd:
                yield cluster.issue(
                    ha_path, f"control-plane group {cp!r} is not in etcd cluster {etcd['name']!r}"
                )

    # Control-plane groups: minSize = maxSize = 1 (instancegroup.go).
    for cp in control_planes:
        cps = groups[cp]["spec"]
        if cps.get("minSize") != 1 or cps.get("maxSize") != 1:
            yield cluster.issue(ha_path, f"control-plane group {cp!r} must have min=max=1")

    # Subnets: unique names, one region, inside the network, clear of pods and services.
    subnets = [s for s in spec.get("subnets", []) if "name" in s]
    seen: set[str] = set()
    for subnet in subnets:
        if subnet["name"] in seen:
            yield cluster.issue(zones_path, f"kOps subnet name {subnet['name']!r} is repeated")
        seen.add(subnet["name"])
        zone = subnet.get("zone")
        if zone is not None and not zone.startswith(cluster.region):
            yield cluster.issue(
                zones_path,
                f"zone {zone!r} is not in region {cluster.region}: a kOps cluster cannot "
                "span regions",
            )
        region = subnet.get("region")
        if region is not None and region != cluster.region:
            yield cluster.issue(zones_path, "a kOps cluster cannot span regions")
    network = _net(spec.get("networkCIDR"))
    pods = _net(spec.get("podCIDR"))
    services = _net(spec.get("serviceClusterIPRange"))
    networking = spec.get("networking", {})
    amazonvpc = "amazonvpc" in networking or networking.get("cilium", {}).get("ipam") == "eni"
    for subnet in subnets:
        cidr = _net(subnet.get("cidr"))
        if cidr is None:
            continue
        if network is not None and not cidr.subnet_of(network):
            yield cluster.issue(
                ("network", "cidr"),
                f"kOps subnet {subnet['name']!r} {cidr} is not inside networkCIDR {network}",
            )
        if pods is not None and cidr.overlaps(pods) and not amazonvpc:
            yield cluster.issue(
                ("network", "podCidr"),
                f"kOps subnet {subnet['name']!r} {cidr} overlaps podCIDR {pods}",
            )
        if services is not None and cidr.overlaps(services):
            yield cluster.issue(
                ("network", "serviceCidr"),
                f"kOps subnet {subnet['name']!r} {cidr} overlaps serviceClusterIPRange {services}",
            )

    # nonMasqueradeCIDR: apart from the network; holds the pod range.
    nmc_path: FieldPath = (
        ("kops", "nonMasqueradeCidr")
        if "nonMasqueradeCidr" in cluster.settings
        else ("network", "cidr")
    )
    nmc = _net(spec.get("nonMasqueradeCIDR"))
    if nmc is not None and network is not None and nmc.overlaps(network) and not amazonvpc:
        yield cluster.issue(
            nmc_path,
            f"kOps's nonMasqueradeCIDR {nmc} (pods and services) overlaps networkCIDR {network}; "
            "choose a network outside it or set kops.nonMasqueradeCidr",
        )
    if nmc is not None and pods is not None and not pods.subnet_of(nmc):
        yield cluster.issue(
            ("network", "podCidr"),
            f"kOps needs podCIDR {pods} inside nonMasqueradeCIDR {nmc}; choose a pod range "
            "inside it or set kops.nonMasqueradeCidr",
        )

    # An internal API load balancer needs a Private subnet (validation.go).
    if spec.get("api", {}).get("loadBalancer", {}).get("type") == "Internal" and not any(
        s["type"] == "Private" for s in subnets
    ):
        yield cluster.issue(
            ("apiServer", "public"),
            "a private API server (an Internal kOps load balancer) needs Private subnets: "
            "set apiServer.public: true or network.topology: private",
        )

    # InstanceGroups: names are DNS subdomains, subnets exist, sizes ordered, taints unique.
    subnet_names = {s["name"] for s in subnets}
    by_name = {g.name: g for g in engine.groups(cluster)}
    for gname, doc in groups.items():
        source = by_name[gname].source
        problem = dns_subdomain_problem(gname)
        if problem:
            yield cluster.issue(source, f"instance group name {gname!r}: {problem}", key=True)
        gspec = doc["spec"]
        if not gspec.get("subnets"):
            yield cluster.issue(source, f"instance group {gname!r} has no subnets")
        for s in gspec.get("subnets", []):
            if s not in subnet_names:
                yield cluster.issue(source, f"instance group {gname!r} names unknown subnet {s!r}")
        if gspec.get("maxSize", 0) < gspec.get("minSize", 0):
            yield cluster.issue(source, "maxSize must be greater than or equal to minSize")
        taints = gspec.get("taints", [])
        for i, taint in enumerate(taints):
            if taint in taints[:i]:
                yield cluster.issue((*source, "taints", i), f"taint {taint!r} is repeated")
