"""The typed cluster model that providers receive, built from a validated effective document.

Defaults that the contract leaves open are set here, in one place (and in the README):
topology private, API server private, highAvailability false, disk 50 GB, desiredSize = minSize.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from treeform.errors import Issue, Location
from treeform.tree import Provenance, RawCluster
from treeform.yamlload import FieldPath

DEFAULT_NETWORK_CIDR = "10.0.0.0/16"
DEFAULT_DISK_GB = 50


@dataclass(frozen=True)
class Taint:
    key: str
    value: str
    effect: str  # NoSchedule | PreferNoSchedule | NoExecute


@dataclass(frozen=True)
class NodePool:
    name: str
    machine_type: str
    min_size: int
    max_size: int
    desired_size: int
    disk_size_gb: int
    spot: bool
    zones: tuple[str, ...]  # the pool's zones; the cluster's when the model names none
    labels: dict[str, str]
    taints: tuple[Taint, ...]
    zones_given: bool = False
    max_pods: int | None = None  # nodePools.<p>.maxPods; None: the engine's default
    #: The pool's own version (held back); None: the control plane's.
    kubernetes_version: str | None = None


@dataclass(frozen=True)
class ExistingNetwork:
    network_id: str
    subnet_ids: tuple[str, ...]
    control_plane_subnet_ids: tuple[str, ...] = ()  # EKS: the control plane's own subnets


@dataclass(frozen=True)
class Network:
    cidr: str
    pod_cidr: str | None
    service_cidr: str | None
    topology: str  # private | public
    cni: str
    existing: ExistingNetwork | None

    @property
    def private(self) -> bool:
        return self.topology == "private"


@dataclass(frozen=True)
class ApiServer:
    public: bool
    allowed_cidrs: tuple[str, ...]


@dataclass(frozen=True)
class Addon:
    """An addon as the model names it: `name`, or `{name, version, configuration}`."""

    name: str
    version: str | None = None  # None: resolved for the cluster's minor version
    configuration: dict[str, Any] | None = None


@dataclass(frozen=True)
class MaintenanceExclusion:
    name: str
    start: str  # RFC 3339, with its offset
    end: str


@dataclass(frozen=True)
class Maintenance:
    """`maintenance`: a recurring window (in `utc_offset`) and exclusions."""

    day: str  # monday .. sunday | daily
    start: str  # HH:MM in utc_offset
    hours: int
    utc_offset: str  # +HH:MM / -HH:MM ("UTC" is +00:00)
    exclusions: tuple[MaintenanceExclusion, ...]


@dataclass(frozen=True)
class AccessGrant:
    """One `access` entry: a principal, a Kubernetes role, and optionally namespaces."""

    principal: str
    role: str  # cluster-admin | admin | edit | view
    namespaces: tuple[str, ...]


@dataclass(frozen=True)
class Autoprovisioning:
    enabled: bool
    cpu: int | None
    memory_gb: int | None


DEFAULT_MAINTENANCE_HOURS = 4


@dataclass(frozen=True)
class Backend:
    type: str
    settings: dict[str, str]


@dataclass
class Cluster:
    """One effective cluster. Engine and cloud blocks stay plain (schema-checked) mappings."""

    id: str
    file: str
    name: str
    cloud: str
    engine: str
    region: str
    zones: tuple[str, ...]
    zones_given: bool
    kubernetes_version: str
    high_availability: bool
    network: Network
    api_server: ApiServer
    node_pools: dict[str, NodePool]
    addons: tuple[str, ...]
    tags: dict[str, str]
    backend: Backend
    account: dict[str, Any]
    settings: dict[str, Any]
    provenance: Provenance = field(repr=False)
    data: dict[str, Any] = field(repr=False, default_factory=dict)
    #: Each addon by name, with its version and configuration where the model gives them.
    addon_specs: dict[str, Addon] = field(default_factory=dict)
    maintenance: Maintenance | None = None
    access: tuple[AccessGrant, ...] = ()
    secrets_key: str | None = None  # encryption.secretsKey
    autoprovisioning: Autoprovisioning | None = None
    #: Extra Terraform files of the cluster's module: `<name>.tf` -> (its model file, text).
    terraform: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: Warnings about the cluster (reported, never failing a run): see treeform.versions.
    warnings: list[Issue] = field(repr=False, compare=False, default_factory=list)

    @property
    def minor_version(self) -> str:
        """The Kubernetes minor version ("1.31" of "1.31.2")."""
        return ".".join(self.kubernetes_version.split(".")[:2])

    def where(self, *path: str | int, key: bool = False) -> Location:
        return self.provenance.where(tuple(path), key=key)

    def issue(self, path: FieldPath | str, message: str, *, key: bool = False) -> Issue:
        """An issue at a field, located in the file that set it."""
        if isinstance(path, str):
            parts: FieldPath = tuple(p for p in path.split(".") if p)
        else:
            parts = path
        return Issue(self.provenance.where(parts, key=key), _dotted(parts), message)


def _dotted(path: FieldPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def build_cluster(raw: RawCluster, default_zones: tuple[str, ...]) -> Cluster:
    """The typed cluster of a raw cluster that passed the schema."""
    d = raw.data
    zones_given = "zones" in d
    zones = tuple(d.get("zones") or default_zones)
    net = d.get("network") or {}
    existing = net.get("existing")
    network = Network(
        cidr=net.get("cidr", DEFAULT_NETWORK_CIDR),
        pod_cidr=net.get("podCidr"),
        service_cidr=net.get("serviceCidr"),
        topology=net.get("topology", "private"),
        cni=net.get("cni", "default"),
        existing=ExistingNetwork(
            existing["networkId"],
            tuple(existing["subnetIds"]),
            tuple(existing.get("controlPlaneSubnetIds") or ()),
        )
        if existing
        else None,
    )
    api = d.get("apiServer") or {}
    pools = {}
    for pool_name, p in sorted((d.get("nodePools") or {}).items()):
        pools[pool_name] = NodePool(
            name=pool_name,
            machine_type=p["machineType"],
            min_size=p["minSize"],
            max_size=p["maxSize"],
            desired_size=p.get("desiredSize", p["minSize"]),
            disk_size_gb=p.get("diskSizeGb", DEFAULT_DISK_GB),
            spot=p.get("spot", False),
            zones=tuple(p.get("zones") or zones),
            labels=dict(sorted((p.get("labels") or {}).items())),
            taints=tuple(
                Taint(t["key"], t.get("value", ""), t["effect"]) for t in p.get("taints") or []
            ),
            zones_given="zones" in p,
            max_pods=p.get("maxPods"),
            kubernetes_version=p.get("kubernetesVersion"),
        )
    backend = dict(d.get("backend") or {"type": "local"})
    addon_specs = [
        Addon(a)
        if isinstance(a, str)
        else Addon(a["name"], a.get("version"), a.get("configuration"))
        for a in d.get("addons") or ()
    ]
    cloud = d["cloud"]
    engine = d["engine"]
    return Cluster(
        id=raw.id,
        file=raw.file,
        name=d["name"],
        cloud=cloud,
        engine=engine,
        region=d["region"],
        zones=zones,
        zones_given=zones_given,
        kubernetes_version=d["kubernetesVersion"],
        high_availability=d.get("highAvailability", False),
        network=network,
        api_server=ApiServer(
            public=api.get("public", False), allowed_cidrs=tuple(api.get("allowedCidrs") or ())
        ),
        node_pools=pools,
        addons=tuple(a.name for a in addon_specs),
        tags=dict(sorted((d.get("tags") or {}).items())),
        backend=Backend(backend.pop("type"), backend),
        account=dict(d.get(cloud) or {}),
        settings=dict(d.get(engine) or {}),
        provenance=raw.provenance,
        data=d,
        addon_specs={a.name: a for a in addon_specs},
        terraform=dict(raw.terraform),
        maintenance=_maintenance(d.get("maintenance")),
        access=tuple(
            AccessGrant(a["principal"], a["role"], tuple(a.get("namespaces") or ()))
            for a in d.get("access") or ()
        ),
        secrets_key=(d.get("encryption") or {}).get("secretsKey"),
        autoprovisioning=(
            Autoprovisioning(ap["enabled"], ap.get("cpu"), ap.get("memoryGb"))
            if (ap := d.get("autoprovisioning")) is not None
            else None
        ),
    )


def _maintenance(m: dict[str, Any] | None) -> Maintenance | None:
    if m is None:
        return None
    zone = m.get("timeZone", "UTC")
    return Maintenance(
        day=m["day"],
        start=m["start"],
        hours=m.get("hours", DEFAULT_MAINTENANCE_HOURS),
        utc_offset="+00:00" if zone == "UTC" else zone,
        exclusions=tuple(
            MaintenanceExclusion(e["name"], e["start"], e["end"]) for e in m.get("exclusions") or ()
        ),
    )
