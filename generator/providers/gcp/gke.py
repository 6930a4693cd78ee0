"""Google Kubernetes Engine, standard and Autopilot: a Terraform root module per cluster
(templates/gcp/gke/)."""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from treeform.errors import Issue
from treeform.model import Cluster
from treeform.providers import machines, windows
from treeform.providers.base import Example
from treeform.providers.common import (
    choice_issues,
    machine_type_issues,
    pool_machines,
    secrets_key_issues,
)
from treeform.providers.gcp.tags import cluster_tags
from treeform.providers.pools import API_CONSTANTS, pool_context
from treeform.providers.terraform import TerraformEngine, cluster_identity

#: Kubernetes minor versions GKE offers across its release channels (standard and
#: extended support), taken 2026-12-01 from the GKE release schedule
#: (cloud.google.com/kubernetes-engine/docs/release-schedule) and versioning policy (up to
#: 24 months from a minor's Regular-channel availability, about 14 standard and 10 in the
#: Extended channel): 1.31 reached its end of extended support in 2026; 1.32 to 1.34 run in
#: the Extended channel; 1.35 and 1.36 in standard support.
VERSIONS = ("1.32", "1.33", "1.34", "1.35", "1.36")
VERSIONS_TAKEN = "2026-12-01"

RELEASE_CHANNELS = ("RAPID", "REGULAR", "STABLE", "EXTENDED")
DEFAULT_RELEASE_CHANNEL = "REGULAR"

#: Add-ons by the name the model uses -> what turns them on. Those marked `None` GKE runs by
#: itself (metrics-server, the cluster autoscaler, Managed Service for Prometheus, the
#: Compute Engine persistent disk CSI driver are always on); Autopilot runs all of them.
ADDONS: dict[str, str | None] = {
    "metrics-server": None,
    "cluster-autoscaler": None,
    "managed-prometheus": None,
    "gce-pd-csi-driver": None,
    "filestore-csi-driver": "gcp_filestore_csi_driver_config",
    "gcs-fuse-csi-driver": "gcs_fuse_csi_driver_config",
    "node-local-dns": "dns_cache_config",
    "backup-agent": "gke_backup_agent_config",
    "config-connector": "config_connector_config",
    "vertical-pod-autoscaler": "vertical_pod_autoscaling",
}
#: Add-on blocks the provider forbids with enable_autopilot (Autopilot runs them itself).
_NOT_ON_AUTOPILOT = {"dns_cache_config"}

#: The least-privilege roles of the node service account: write logs and metrics, read
#: monitoring data and resource metadata, pull images from Artifact Registry.
NODE_ROLES = (
    "roles/artifactregistry.reader",
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/monitoring.viewer",
    "roles/stackdriver.resourceMetadata.writer",
)

PROVIDERS = {"google": {"source": "hashicorp/google", "version": "~> 7.0"}}

#: Node images (nodePools.<p>.image) -> GKE `image_type`; both exist for x86_64 and Arm64
#: and take GPU driver installation. Container-Optimized OS is GKE's default.
IMAGE_TYPES = {"cos": "COS_CONTAINERD", "ubuntu": "UBUNTU_CONTAINERD"}
DEFAULT_IMAGE = "cos"
#: Boot disk types GKE gives a node (what each family attaches: machines.GCE_FAMILIES).
DISK_TYPES = ("pd-balanced", "pd-standard", "pd-ssd", "hyperdisk-balanced")
#: The NVIDIA driver GKE installs on GPU nodes: DEFAULT, the version GKE qualifies for the
#: node's GKE version (LATEST is the newest it offers).
GPU_DRIVER_VERSION = "DEFAULT"

#: GKE cluster and node pool names: a lowercase letter first (the DNS label rule is the
#: schema's).
_STARTS_WITH_LETTER = re.compile(r"^[a-z]")
#: GKE limits master authorized networks to 50 CIDR blocks (100 with private endpoints);
#: the lower limit holds for both.
MAX_AUTHORIZED_NETWORKS = 50
#: Pod addresses per node: GKE gives each node a /24 for its default 110 pods per node.
POD_RANGE_PER_NODE = 24
#: Google Groups for RBAC takes one group, which GKE requires to be named exactly this.
_RBAC_SECURITY_GROUP = re.compile(
    r"^gke-security-groups@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
#: GKE IAM roles of the model's access roles (GKE IAM roles, taken 2026-12-01). They hold
#: in every cluster of the project; GKE has no IAM role of namespace admin, so admin is
#: an error rather than a wider or narrower role.
ACCESS_ROLES = {
    "cluster-admin": "roles/container.admin",
    "edit": "roles/container.developer",
    "view": "roles/container.viewer",
}
_MEMBER = re.compile(r"(group|user|serviceAccount):[^@\s]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\Z")
#: A Cloud KMS key: its location must be the cluster's region.
_KMS_KEY = re.compile(
    r"projects/[a-z][a-z0-9-]{4,28}[a-z0-9]/locations/([a-z0-9-]+)/keyRings/[A-Za-z0-9_-]{1,63}"
    r"/cryptoKeys/[A-Za-z0-9_-]{1,63}\Z"
)
#: Compute Engine keeps four addresses of every subnet range for itself.
SUBNET_RESERVED = 4


def pod_range_size(max_pods: int | None) -> int:
    """Pod addresses GKE gives a node: twice its max pods, rounded up to a power of two
    (a /24 for the default 110)."""
    if max_pods is None:
        return 1 << (32 - POD_RANGE_PER_NODE)
    return 1 << (2 * max_pods - 1).bit_length()


@dataclass(frozen=True)
class IpRanges:
    """The subnetwork ranges of a cluster: nodes (primary), pods and services (secondary)."""

    nodes: str
    pods: str
    services: str


def ip_ranges(cluster: Cluster) -> IpRanges:
    """Carve the cluster's ranges from `network.cidr`, deterministically.

    The network range is cut in eight: the first eighth is the node subnet, the second
    eighth the services range (unless `serviceCidr`), and the upper half the pods range
    (unless `podCidr`). The third and fourth eighths stay free for proxy-only or Private
    Service Connect subnets. A /16 gives nodes a /19, services a /19 and pods a /17
    (room for 128 nodes at 110 pods each).
    """
    net = ipaddress.IPv4Network(cluster.network.cidr)
    eighths = list(net.subnets(prefixlen_diff=3))
    upper = list(net.subnets(prefixlen_diff=1))[1]
    return IpRanges(
        nodes=str(eighths[0]),
        services=cluster.network.service_cidr or str(eighths[1]),
        pods=cluster.network.pod_cidr or str(upper),
    )


def node_service_account_id(cluster: Cluster) -> str:
    """The node service account id (6-30 characters, unique per project): the cluster name,
    cut to fit, and a digest of the cluster id, so two clusters of one name never share it."""
    digest = hashlib.sha256(cluster.id.encode("utf-8")).hexdigest()[:7]
    return f"{cluster.name[:22].rstrip('-')}-{digest}"


def _node_zones(cluster: Cluster) -> tuple[str, ...]:
    """Where nodes run: the cluster's zones when it is highly available or names them, else
    the first zone only (a zonal cluster, as GKE makes by default)."""
    if cluster.high_availability or cluster.zones_given or _autopilot(cluster):
        return cluster.zones
    return cluster.zones[:1]


def _autopilot(cluster: Cluster) -> bool:
    return bool(cluster.settings.get("autopilot", False))


def _dataplane_v2(cluster: Cluster) -> bool:
    return cluster.network.cni != "calico"


def _initial_per_zone(desired: int, maximum: int, zones: int) -> int:
    """GKE's initial_node_count counts per zone: the desired total spread over the zones,
    rounded up unless that would pass maxSize."""
    up = math.ceil(desired / zones)
    return up if up * zones <= maximum else desired // zones


#: GKE wants 48 hours of maintenance in any 32 days, so a weekly window lasts 12 at least;
#: a "no upgrades" exclusion lasts 30 days at most (GKE maintenance windows and exclusions,
#: taken 2026-12-01).
GKE_WEEKLY_MIN_HOURS = 12
GKE_EXCLUSION_MAX = datetime.timedelta(days=30)


def _maintenance_issues(cluster: Cluster) -> Iterator[Issue]:
    m = cluster.maintenance
    if m is None:
        return
    if m.day != "daily" and m.hours < GKE_WEEKLY_MIN_HOURS:
        yield cluster.issue(
            ("maintenance", "hours" if "hours" in cluster.data["maintenance"] else "day"),
            f"GKE needs 48 hours of maintenance in 32 days: a weekly window of "
            f"{GKE_WEEKLY_MIN_HOURS} hours or more, or a daily one (this one: {m.hours})",
        )
    for i, e in enumerate(m.exclusions):
        try:
            length = windows.duration(e.start, e.end)
        except ValueError:
            continue  # not a date: the shared rules say so
        if length > GKE_EXCLUSION_MAX:
            yield cluster.issue(
                ("maintenance", "exclusions", i, "end"),
                "a GKE maintenance exclusion lasts 30 days at most",
            )


def _maintenance_policy(cluster: Cluster) -> dict[str, Any] | None:
    m = cluster.maintenance
    if m is None:
        return None
    w = windows.utc_window(m)
    day = "FREQ=DAILY" if w.weekday is None else f"FREQ=WEEKLY;BYDAY={w.weekday[:2].upper()}"
    return {
        "start": w.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end": w.end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "recurrence": day,
        "exclusions": [
            {
                "name": e.name,
                "start": windows.rfc3339_utc(e.start),
                "end": windows.rfc3339_utc(e.end),
            }
            for e in m.exclusions
        ],
    }


class GkeEngine(TerraformEngine):
    name = "gke"
    versions: tuple[str, ...] = VERSIONS
    versions_taken = VERSIONS_TAKEN
    # A regional cluster spreads its control plane over three zones by itself.
    ha_min_zones = 0
    addons: tuple[str, ...] = tuple(ADDONS)

    def validate(self, cluster: Cluster) -> Iterator[Issue]:
        if not _STARTS_WITH_LETTER.match(cluster.name):
            yield cluster.issue("name", "GKE cluster names start with a lowercase letter")
        if cluster.network.cni not in ("default", "cilium", "calico"):
            yield cluster.issue(
                ("network", "cni"),
                f"GKE runs Dataplane V2 (cilium) or Calico network policy; cni "
                f"{cluster.network.cni!r} is not supported (use default, cilium or calico)",
            )
        if len(cluster.api_server.allowed_cidrs) > MAX_AUTHORIZED_NETWORKS:
            yield cluster.issue(
                ("apiServer", "allowedCidrs"),
                f"GKE accepts at most {MAX_AUTHORIZED_NETWORKS} authorized networks, "
                f"the model has {len(cluster.api_server.allowed_cidrs)}",
            )
        group = cluster.settings.get("rbacSecurityGroup")
        if group is not None and not _RBAC_SECURITY_GROUP.match(str(group)):
            yield cluster.issue(
                ("gke", "rbacSecurityGroup"),
                f"{group!r} is not a Google Groups for RBAC group: GKE takes the group named "
                "gke-security-groups@YOUR-DOMAIN (e.g. gke-security-groups@example.com)",
            )
        yield from _maintenance_issues(cluster)
        host = cluster.account.get("networkProject")
        existing = cluster.network.existing
        if host is not None and existing is None:
            yield cluster.issue(
                ("gcp", "networkProject"),
                "a Shared VPC is the host project's network: set network.existing to its "
                "network and subnetwork",
            )
        elif host is not None and existing is not None:
            wants = {
                ("network", "existing", "networkId"): (
                    existing.network_id,
                    f"projects/{host}/global/networks/",
                ),
                ("network", "existing", "subnetIds", 0): (
                    existing.subnet_ids[0],
                    f"projects/{host}/regions/{cluster.region}/subnetworks/",
                ),
            }
            for field, (value, prefix) in wants.items():
                if not value.startswith(prefix):
                    yield cluster.issue(
                        field,
                        f"in a Shared VPC this names the host project's resource: {prefix}NAME",
                    )
        ap = cluster.autoprovisioning
        if ap is not None and _autopilot(cluster):
            yield cluster.issue(
                "autoprovisioning",
                "GKE Autopilot provisions every node itself; remove autoprovisioning",
            )
        elif ap is not None and ap.enabled:
            for limit, given in (("cpu", ap.cpu), ("memoryGb", ap.memory_gb)):
                if given is None:
                    yield cluster.issue(
                        "autoprovisioning",
                        f"GKE node auto-provisioning needs resource limits: set {limit}",
                    )
        for i, g in enumerate(cluster.access):
            if not _MEMBER.match(g.principal):
                yield cluster.issue(
                    ("access", i, "principal"),
                    "is not an IAM member: group:, user: or serviceAccount: and an email "
                    "(group:platform@example.com)",
                )
            if g.role not in ACCESS_ROLES:
                yield cluster.issue(
                    ("access", i, "role"),
                    "GKE IAM has no namespace-admin role; use edit (roles/container.developer) "
                    "or cluster-admin (roles/container.admin)",
                )
        yield from secrets_key_issues(
            cluster,
            _KMS_KEY,
            "a Cloud KMS key id (projects/PROJECT/locations/LOCATION/keyRings/RING/cryptoKeys/KEY)",
            held_by="key ring",
        )
        if _autopilot(cluster):
            yield from self._autopilot_issues(cluster)
            if cluster.node_pools:
                return  # the node pools error says all there is to say about the pools
        yield from self._network_issues(cluster)
        yield from machine_type_issues(
            cluster, machines.GCP.form, machines.GCP.form_text, catalog=machines.GCP
        )
        yield from self._disk_issues(cluster)
        for name in cluster.node_pools:
            if not _STARTS_WITH_LETTER.match(name):
                yield cluster.issue(
                    ("nodePools", name),
                    "GKE node pool names start with a lowercase letter",
                    key=True,
                )

    def _disk_issues(self, cluster: Cluster) -> Iterator[Issue]:
        yield from choice_issues(cluster, "image", IMAGE_TYPES, "node image")
        yield from choice_issues(cluster, "diskType", dict.fromkeys(DISK_TYPES), "boot disk type")
        for name, found in pool_machines(cluster, machines.GCP).items():
            disk = cluster.node_pools[name].disk_type
            if found and disk in DISK_TYPES and disk not in found[0].disks:
                yield cluster.issue(
                    ("nodePools", name, "diskType"),
                    f"{found[0].name} ({found[0].family.upper()}) cannot attach {disk}; it "
                    f"takes {', '.join(found[0].disks)}",
                )

    def _autopilot_issues(self, cluster: Cluster) -> Iterator[Issue]:
        if cluster.node_pools:
            yield cluster.issue(
                "nodePools",
                "GKE Autopilot manages the nodes itself and takes no node pools; remove "
                f"nodePools {', '.join(cluster.node_pools)} (or set gke.autopilot: false)",
                key=True,
            )
        if cluster.network.cni == "calico":
            yield cluster.issue(
                ("network", "cni"),
                "GKE Autopilot always runs Dataplane V2; cni calico is not available",
            )

    def _network_issues(self, cluster: Cluster) -> Iterator[Issue]:
        existing = cluster.network.existing
        if existing is not None:
            if len(existing.subnet_ids) != 1:
                yield cluster.issue(
                    ("network", "existing", "subnetIds"),
                    "a GKE cluster runs in one (regional) subnetwork; name exactly one",
                )
            return
        ranges = ip_ranges(cluster)
        pods = ipaddress.IPv4Network(ranges.pods)
        nodes = ipaddress.IPv4Network(ranges.nodes)
        total_max = sum(p.max_size for p in cluster.node_pools.values())
        pod_field = "podCidr" if cluster.network.pod_cidr else "cidr"
        if not _autopilot(cluster) and any(
            p.max_pods is not None for p in cluster.node_pools.values()
        ):
            # nodePools.<p>.maxPods: each node takes a range of twice its pods, a power of two.
            need = sum(p.max_size * pod_range_size(p.max_pods) for p in cluster.node_pools.values())
            if need > pods.num_addresses:
                yield cluster.issue(
                    ("network", pod_field),
                    f"the pods range {pods} has {pods.num_addresses} addresses, the node pools "
                    f"at their maxSize and maxPods need {need}; "
                    + (
                        "use a larger podCidr"
                        if pod_field == "podCidr"
                        else "set network.podCidr or use a larger network.cidr"
                    ),
                )
        elif not _autopilot(cluster):
            room = (
                2 ** (POD_RANGE_PER_NODE - pods.prefixlen)
                if pods.prefixlen <= POD_RANGE_PER_NODE
                else 0
            )
            if room < max(total_max, 1):
                yield cluster.issue(
                    ("network", pod_field),
                    f"the pods range {pods} holds {room} nodes (a /{POD_RANGE_PER_NODE} "
                    f"each), the node pools may grow to {total_max}; "
                    + (
                        "use a larger podCidr"
                        if pod_field == "podCidr"
                        else "set network.podCidr or use a larger network.cidr"
                    ),
                )
        node_room = nodes.num_addresses - SUBNET_RESERVED
        if node_room < total_max:
            yield cluster.issue(
                ("network", "cidr"),
                f"the node subnet {nodes} (the first eighth of {cluster.network.cidr}) holds "
                f"{node_room} nodes, the node pools may grow to {total_max}; use a larger "
                "network.cidr",
            )

    def context(self, cluster: Cluster) -> dict[str, Any]:
        autopilot = _autopilot(cluster)
        settings = cluster.settings
        node_zones = _node_zones(cluster)
        regional = autopilot or cluster.high_availability
        pools = []
        found = pool_machines(cluster, machines.GCP)
        for pool in cluster.node_pools.values():
            zones = pool.zones if pool.zones_given else node_zones
            machine = found[pool.name][0]
            pools.append(
                {
                    **pool_context(pool, taint_style=API_CONSTANTS),
                    "image_type": IMAGE_TYPES[pool.image or DEFAULT_IMAGE],
                    "disk_type": pool.disk_type or machine.disks[0],
                    "accelerator": (
                        {
                            "type": machine.accelerator_type,
                            "count": machine.accelerator_count,
                            "driver_version": GPU_DRIVER_VERSION,
                        }
                        if machine.accelerator_type
                        else None
                    ),
                    "zones": list(zones),
                    "initial_per_zone": _initial_per_zone(
                        pool.desired_size, pool.max_size, len(zones)
                    ),
                }
            )
        addon_blocks = sorted(
            block
            for a in cluster.addons
            if (block := ADDONS[a]) is not None and not (autopilot and block in _NOT_ON_AUTOPILOT)
        )
        binary_authorization = bool(settings.get("binaryAuthorization", True))
        existing = cluster.network.existing
        ranges = ip_ranges(cluster) if existing is None else None
        return {
            "cluster": {
                **cluster_identity(cluster),
                "location": cluster.region if regional else node_zones[0],
                "regional": regional,
                # A zonal cluster lists only its other zones (the provider's rule).
                "node_locations": list(node_zones if regional else node_zones[1:]),
                "version": cluster.kubernetes_version,
                "release_channel": settings.get("releaseChannel", DEFAULT_RELEASE_CHANNEL),
                "deletion_protection": bool(settings.get("deletionProtection", True)),
                "binary_authorization": binary_authorization,
                "rbac_security_group": settings.get("rbacSecurityGroup"),
                "autopilot": autopilot,
                "dataplane_v2": _dataplane_v2(cluster),
                # Blocks of addons_config; VPA is a block of the cluster itself.
                "addon_blocks": [b for b in addon_blocks if b != "vertical_pod_autoscaling"],
                "vertical_pod_autoscaling": "vertical_pod_autoscaling" in addon_blocks,
            },
            "project": cluster.account.get("project"),
            "labels": cluster_tags(cluster),
            "services": sorted(
                ["compute.googleapis.com", "container.googleapis.com"]
                + (["binaryauthorization.googleapis.com"] if binary_authorization else [])
            ),
            "node_service_account_id": node_service_account_id(cluster),
            "node_roles": list(NODE_ROLES),
            "network": {
                "create": existing is None,
                "private": cluster.network.private,
                "ranges": ranges.__dict__ if ranges else None,
                "pod_cidr": cluster.network.pod_cidr,
                "service_cidr": cluster.network.service_cidr,
                "existing": (
                    {"network": existing.network_id, "subnetwork": existing.subnet_ids[0]}
                    if existing
                    else None
                ),
            },
            "api": {
                "public": cluster.api_server.public,
                "allowed_cidrs": list(cluster.api_server.allowed_cidrs),
            },
            "pools": pools,
            "secrets_key": cluster.secrets_key,
            "maintenance": _maintenance_policy(cluster),
            "network_project": cluster.account.get("networkProject"),
            "dns_endpoint": bool(settings.get("dnsEndpoint")),
            "autoprovisioning": (
                {"cpu": ap.cpu, "memory_gb": ap.memory_gb}
                if (ap := cluster.autoprovisioning) is not None and ap.enabled and not autopilot
                else None
            ),
            "access": {
                f"{g.principal} {g.role}": {"member": g.principal, "role": ACCESS_ROLES[g.role]}
                for g in cluster.access
                if g.role in ACCESS_ROLES
            },
        }


GKE = GkeEngine("gcp/gke", PROVIDERS, Example("us-central1", "e2-standard-4"))
