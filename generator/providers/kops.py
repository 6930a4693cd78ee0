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
    choice_issues,
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

#: Model CNI name -> kOps `spec.networking` block, for every cloud; clouds add their own.
#: `default` is what `kops create cluster` chooses today (cilium, kube-proxy replaced).
CNI_COMMON: dict[str, dict[str, Any]] = {
    "cilium": {"cilium": {"enableNodePort": True}},
    "calico": {"calico": {}},
    "flannel": {"flannel": {"backend": "vxlan"}},
    "kindnet": {"kindnet": {}},
}

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
    type: str  # Public | Private | Utility
    zone: str | None = None
    region: str | None = None
    cidr: str | None = None
    id: str | None = None

    def doc(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.cidr is not None:
            out["cidr"] = self.cidr
        if self.id is not None:
            out["id"] = self.id
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


def zone_suffix(region: str, zone: str) -> str:
    """The etcd member name of a zone: `us-east-1a` -> `a`, as `kops create cluster` names it."""
    if zone.startswith(region):
        return zone[len(region) :].lstrip("-") or zone
    return zone


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


class KopsEngine:
    """The kOps engine; a cloud subclasses it and fills in the hooks below."""

    name = "kops"
    versions: tuple[str, ...] = tuple(KUBERNETES_PATCHES)
    versions_taken = VERSIONS_TAKEN
    # One control-plane group per zone and an odd etcd quorum: three zones or more.
    ha_min_zones = 3
    addons: tuple[str, ...] = tuple(ADDONS_COMMON)

    # --- what a cloud supplies -------------------------------------------------------
    cloud_provider = ""
    state_scheme = ""  # s3 | gs
    default_control_plane_type = ""
    default_bastion_type = ""
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
        return dict(cluster.tags)

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

    def access_cidrs(self, cluster: Cluster) -> list[str]:
        """kubernetesApiAccess and sshAccess: the model's allowed CIDRs; without them, the
        world for a public API (kOps's default) and the network itself for a private one."""
        if cluster.api_server.allowed_cidrs:
            return list(cluster.api_server.allowed_cidrs)
        if cluster.api_server.public:
            return ["0.0.0.0/0", "::/0"]
        return [cluster.network.cidr]

    # --- groups ----------------------------------------------------------------------
    def control_plane_zones(self, cluster: Cluster) -> tuple[str, ...]:
        return cluster.zones if cluster.high_availability else cluster.zones[:1]

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
        for zone in self.control_plane_zones(cluster):
            groups.append(
                Group(
                    CONTROL_PLANE_PREFIX + zone, "ControlPlane", (zone,), cp_type, 1, 1, cp_source
                )
            )
        for pool in cluster.node_pools.values():
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
                )
            )
        return groups

    # --- documents -------------------------------------------------------------------
    def networking(self, cluster: Cluster) -> dict[str, Any]:
        return dict(self.cnis[self.cni(cluster)])

    def cluster_spec(self, cluster: Cluster, groups: list[Group]) -> dict[str, Any]:
        name = self.cluster_name(cluster)
        cps = [g for g in groups if g.role == "ControlPlane"]
        spec: dict[str, Any] = {
            "api": {"loadBalancer": self.api_load_balancer(cluster)},
            "authorization": {"rbac": {}},
            "channel": str(cluster.settings.get("channel", "stable")),
            "cloudProvider": self.cloud_provider,
            "configBase": f"{self.state_store(cluster)}/{name}",
            "etcdClusters": [
                {
                    "cpuRequest": cpu,
                    "etcdMembers": [
                        self.etcd_member(cluster, g.name, zone_suffix(cluster.region, g.zones[0]))
                        for g in cps
                    ],
                    "manager": {"backupRetentionDays": 90},
                    "memoryRequest": "100Mi",
                    "name": etcd,
                }
                for etcd, cpu in ETCD_CLUSTERS
            ],
            "iam": {"allowContainerRegistry": True, "legacy": False},
            "kubelet": {"anonymousAuth": False},
            "kubernetesApiAccess": self.access_cidrs(cluster),
            "kubernetesVersion": kops_kubernetes_version(cluster.kubernetes_version),
            "networking": self.networking(cluster),
            "nonMasqueradeCIDR": self.non_masquerade_cidr(cluster),
            "sshAccess": self.access_cidrs(cluster),
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
        network_id = self.network_id(cluster)
        if network_id is not None:
            spec["networkID"] = network_id
        if cluster.network.pod_cidr:
            spec["podCIDR"] = cluster.network.pod_cidr
        if cluster.network.service_cidr:
            spec["serviceClusterIPRange"] = cluster.network.service_cidr
        if cluster.tags:
            spec["cloudLabels"] = self.cloud_labels(cluster)
        if self.cni(cluster) == "cilium":
            spec["kubeProxy"] = {"enabled": False}
        addons = set(cluster.addons)
        if addons & NEEDS_CERT_MANAGER:
            addons.add("cert-manager")
        for addon in sorted(addons):
            target = spec
            *parents, leaf = self.addon_fields[addon]
            for part in parents:
                target = target.setdefault(part, {})
            target[leaf] = {"enabled": True}
        spec.update(self.cluster_cloud_fields(cluster))
        return spec

    def api_load_balancer(self, cluster: Cluster) -> dict[str, Any]:
        """`spec.api.loadBalancer`: internal when the model keeps the API server private."""
        return {"type": "Public" if cluster.api_server.public else "Internal"}

    def etcd_member(self, cluster: Cluster, group: str, name: str) -> dict[str, Any]:
        return {"instanceGroup": group, "name": name}

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
            spec["rootVolumeSize"] = group.pool.disk_size_gb
            disk = self.disk_type(cluster, group.pool)
            if disk is not None:
                spec["rootVolumeType"] = disk
            if group.pool.taints:
                spec["taints"] = [taint_text(t.key, t.value, t.effect) for t in group.pool.taints]
        labels[GROUP_LABEL] = group.name
        spec["nodeLabels"] = labels
        if group.pool is not None and cluster.tags:
            spec["cloudLabels"] = self.cloud_labels(cluster)
        image = cluster.settings.get("image")
        if image:
            spec["image"] = str(image)
        spec.update(self.group_cloud_fields(cluster, group))
        return spec

    def documents(self, cluster: Cluster) -> list[dict[str, Any]]:
        """The Cluster document, then the InstanceGroups (bastion, control plane, nodes)."""
        name = self.cluster_name(cluster)
        groups = self.groups(cluster)
        subnets = self.subnets(cluster)
        docs: list[dict[str, Any]] = [
            {
                "apiVersion": API_VERSION,
                "kind": "Cluster",
                "metadata": {"name": name},
                "spec": sort_keys(self.cluster_spec(cluster, groups)),
            }
        ]
        for group in groups:
            docs.append(
                {
                    "apiVersion": API_VERSION,
                    "kind": "InstanceGroup",
                    "metadata": {"labels": {CLUSTER_LABEL: name}, "name": group.name},
                    "spec": sort_keys(self.group_spec(cluster, group, subnets)),
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
        if issues:
            return
        try:
            self.subnets(cluster)
        except CarveError as exc:
            yield cluster.issue(("network", "cidr"), f"cannot carve the kOps subnets: {exc}")
            return
        yield from kops_rules(self, cluster, self.documents(cluster))

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
        names = {CONTROL_PLANE_PREFIX + z for z in cluster.zones} | {BASTION_GROUP}
        for pool in cluster.node_pools:
            if pool in names or pool.startswith(CONTROL_PLANE_PREFIX):
                yield cluster.issue(
                    ("nodePools", pool),
                    f"node pool name {pool!r} is taken by a kOps control-plane or bastion "
                    "instance group; rename the pool",
                    key=True,
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
        yield from choice_issues(cluster, "image", dict.fromkeys(IMAGES), "node image")
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
    control_planes = [n for n, d in groups.items() if d["spec"]["role"] == "ControlPlane"]
    for etcd in spec["etcdClusters"]:
        members = etcd["etcdMembers"]
        if not members:
            yield cluster.issue(ha_path, f"etcd cluster {etcd['name']!r} has no members")
        elif len(members) % 2 == 0:
            yield cluster.issue(
                ha_path,
                f"kOps needs an odd number of etcd members for quorum; highAvailability puts "
                f"one control plane in each of the {len(members)} zones: use 3 or 5 zones",
            )
        in_etcd = {m["instanceGroup"] for m in members}
        for cp in control_planes:
            if cp not in in_etcd:
                yield cluster.issue(
                    ha_path, f"control-plane group {cp!r} is not in etcd cluster {etcd['name']!r}"
                )

    # Control-plane groups: minSize = maxSize = 1 (instancegroup.go).
    for cp in control_planes:
        cps = groups[cp]["spec"]
        if cps["minSize"] != 1 or cps["maxSize"] != 1:
            yield cluster.issue(ha_path, f"control-plane group {cp!r} must have min=max=1")

    # Subnets: unique names, one region, inside the network, clear of pods and services.
    subnets = spec["subnets"]
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
    amazonvpc = "amazonvpc" in spec["networking"]
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
    nmc = _net(spec["nonMasqueradeCIDR"])
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
    if spec["api"]["loadBalancer"]["type"] == "Internal" and not any(
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
        if not gspec["subnets"]:
            yield cluster.issue(source, f"instance group {gname!r} has no subnets")
        for s in gspec["subnets"]:
            if s not in subnet_names:
                yield cluster.issue(source, f"instance group {gname!r} names unknown subnet {s!r}")
        if gspec["maxSize"] < gspec["minSize"]:
            yield cluster.issue(source, "maxSize must be greater than or equal to minSize")
        taints = gspec.get("taints", [])
        for i, taint in enumerate(taints):
            if taint in taints[:i]:
                yield cluster.issue((*source, "taints", i), f"taint {taint!r} is repeated")
