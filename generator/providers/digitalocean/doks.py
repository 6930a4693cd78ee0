"""DigitalOcean Kubernetes: a Terraform root module per cluster (templates/digitalocean/doks/)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Any

from treeform.errors import Issue
from treeform.model import Cluster
from treeform.providers import machines, windows
from treeform.providers.base import Example
from treeform.providers.common import (
    machine_type_issues,
    refused_pool_field_issues,
)
from treeform.providers.digitalocean.tags import cluster_tags, tag_names
from treeform.providers.pools import pool_context
from treeform.providers.terraform import TerraformEngine, cluster_identity

#: The version slug DOKS offered for each Kubernetes minor, taken 2026-11-27 from
#: `doctl kubernetes options versions` and the DOKS release notes. DOKS offers one patch of
#: each supported minor; a model that pins a patch must pin this one.
VERSION_SLUGS = {
    "1.32": "1.32.10-do.0",
    "1.33": "1.33.6-do.0",
    "1.34": "1.34.2-do.0",
    "1.35": "1.35.1-do.0",
}
VERSION_SLUGS_TAKEN = "2026-11-27"
#: The minors DOKS supports, taken 2026-12-01 from the DOKS release notes and its policy
#: (docs.digitalocean.com/products/kubernetes/details/supported-releases: the three newest
#: upstream minors; an unsupported one is upgraded to the next): 1.32 and 1.33 left
#: upstream support in 2026, 1.36 arrived. A minor without a known slug floats on DOKS's
#: latest patch of it (data.digitalocean_kubernetes_versions).
VERSIONS = ("1.34", "1.35", "1.36")
VERSIONS_TAKEN = "2026-12-01"

#: Addons by the name the model uses. DOKS runs Cilium, CoreDNS, metrics-server, the
#: cluster autoscaler (pool auto_scale) and the DigitalOcean CSI driver by itself; the
#: others are switches on the cluster.
ADDONS = (
    "cilium",
    "coredns",
    "metrics-server",
    "cluster-autoscaler",
    "csi-digitalocean",
    "routing-agent",
    "nvidia-gpu-device-plugin",
    "amd-gpu-device-plugin",
)
_SWITCHES = {
    "routing-agent": "routing_agent",
    "nvidia-gpu-device-plugin": "nvidia_gpu_device_plugin",
    "amd-gpu-device-plugin": "amd_gpu_device_plugin",
}

#: Ranges DigitalOcean keeps for DOKS: the default pod and service ranges and the
#: control plane's. A VPC may not overlap them.
RESERVED = {
    "10.244.0.0/16": "the default pod range",
    "10.245.0.0/16": "the default service range",
    "10.246.0.0/24": "the DOKS control plane",
}

#: Droplet size slugs: s-2vcpu-4gb, c-4, g-2vcpu-8gb, so1_5-2vcpu-16gb, gpu-h100x1-80gb, ...
_SIZE = re.compile(r"^[a-z][a-z0-9_]*(-[a-z0-9]+)+\Z")
#: DOKS nodes need 2 GB of memory at least.
_TOO_SMALL = re.compile(r"-(512mb|1gb)(-|$)")

PROVIDERS = {"digitalocean": {"source": "digitalocean/digitalocean", "version": "~> 2.60"}}


#: DOKS maintenance windows last four hours (duration is computed by DigitalOcean).
DOKS_WINDOW_HOURS = 4


def _maintenance_issues(cluster: Cluster) -> Iterator[Issue]:
    m = cluster.maintenance
    if m is None:
        return
    for old in ("maintenanceDay", "maintenanceStartTime"):
        if old in cluster.settings:
            yield cluster.issue(
                ("doks", old), "the model sets maintenance as well; keep one of the two"
            )
    if m.day == "daily":
        yield cluster.issue(
            ("maintenance", "day"),
            "DOKS has one weekly window (its `any` lets DigitalOcean pick the day); name a day",
        )
    if m.hours != DOKS_WINDOW_HOURS:
        yield cluster.issue(
            ("maintenance", "hours"),
            f"DOKS maintenance windows last {DOKS_WINDOW_HOURS} hours; remove hours",
        )


def _maintenance_policy(cluster: Cluster) -> dict[str, str]:
    """maintenance_policy: the model's window moved to UTC (DOKS reads times in UTC), or
    doks.maintenanceDay / maintenanceStartTime (Sunday 04:00 UTC)."""
    m = cluster.maintenance
    if m is None or m.day == "daily":
        return {
            "day": cluster.settings.get("maintenanceDay", "sunday"),
            "start_time": cluster.settings.get("maintenanceStartTime", "04:00"),
        }
    w = windows.utc_window(m)
    return {"day": str(w.weekday), "start_time": w.start.strftime("%H:%M")}


class DoksEngine(TerraformEngine):
    name = "doks"
    versions: tuple[str, ...] = VERSIONS
    versions_taken = VERSIONS_TAKEN
    # A DOKS region is one datacenter: ha replicates the control plane inside it.
    ha_min_zones = 0
    addons: tuple[str, ...] = ADDONS

    def validate(self, cluster: Cluster) -> Iterator[Issue]:
        if not cluster.node_pools:
            yield cluster.issue(
                "nodePools",
                "DOKS needs at least one node pool (the first is made with the cluster)",
            )
        yield from machine_type_issues(
            cluster, _SIZE, machines.DIGITALOCEAN.form_text, catalog=machines.DIGITALOCEAN
        )
        yield from refused_pool_field_issues(
            cluster, "image", "nodes run DigitalOcean's one node image; remove image"
        )
        yield from refused_pool_field_issues(
            cluster,
            "diskType",
            "node disks come with the Droplet size (local SSD); remove diskType",
        )
        for name, pool in cluster.node_pools.items():
            base = ("nodePools", name)
            if _SIZE.match(pool.machine_type) and _TOO_SMALL.search(pool.machine_type):
                yield cluster.issue(
                    (*base, "machineType"),
                    f"{pool.machine_type!r} is too small for DOKS nodes (2 GB of memory at "
                    "least, e.g. s-1vcpu-2gb)",
                )
            if pool.spot:
                yield cluster.issue(
                    (*base, "spot"), "DigitalOcean has no spot Droplets; remove spot: true"
                )
            if "diskSizeGb" in cluster.data["nodePools"][name]:
                yield cluster.issue(
                    (*base, "diskSizeGb"),
                    "a DOKS node's disk comes with its Droplet size; remove diskSizeGb and "
                    "choose the size",
                )
            if pool.max_size > pool.min_size and pool.min_size < 1:
                yield cluster.issue(
                    (*base, "minSize"),
                    "DOKS autoscaled pools keep at least one node; minSize must be 1 or more",
                )
        if cluster.network.cni not in ("default", "cilium"):
            yield cluster.issue(
                ("network", "cni"),
                f"DOKS runs Cilium; cni {cluster.network.cni!r} is not supported "
                "(use default or cilium)",
            )
        yield from _maintenance_issues(cluster)
        version = cluster.kubernetes_version
        slug = VERSION_SLUGS.get(cluster.minor_version)
        if slug is not None and version.count(".") == 2 and not slug.startswith(version + "-"):
            yield cluster.issue(
                "kubernetesVersion",
                f"DOKS offers Kubernetes {cluster.minor_version} as {slug} (as of "
                f"{VERSION_SLUGS_TAKEN}), not {version}; pin that patch, or write "
                f"{cluster.minor_version!r} to follow the latest patch",
            )
        existing = cluster.network.existing
        if existing is not None and list(existing.subnet_ids) != [existing.network_id]:
            yield cluster.issue(
                ("network", "existing", "subnetIds"),
                "a DOKS cluster joins a whole VPC, which has no subnets: set subnetIds to "
                "the VPC id alone ([networkId])",
            )
        if existing is None:
            try:
                vpc = ipaddress.ip_network(cluster.network.cidr)
            except ValueError:
                return  # the shared rules report malformed ranges
            given = {
                "10.244.0.0/16": cluster.network.pod_cidr,
                "10.245.0.0/16": cluster.network.service_cidr,
            }
            for reserved, what in RESERVED.items():
                if given.get(reserved):
                    continue  # replaced by the model's own range
                if vpc.overlaps(ipaddress.ip_network(reserved)):
                    yield cluster.issue(
                        ("network", "cidr"),
                        f"{vpc} overlaps {reserved}, which DigitalOcean keeps for {what}; "
                        "choose another network.cidr",
                    )

    def context(self, cluster: Cluster) -> dict[str, Any]:
        version = cluster.kubernetes_version
        pinned = version.count(".") == 2
        order = list(cluster.data.get("nodePools") or {})
        # In the model's order: the first pool is made with the cluster.
        pools = [pool_context(cluster.node_pools[name]) for name in order]
        settings = cluster.settings
        existing = cluster.network.existing
        addons = set(cluster.addons)
        return {
            "cluster": {
                **cluster_identity(cluster),
                "ha": cluster.high_availability,
                # A pinned patch without a known slug: DOKS's slug of that patch.
                "minor_prefix": version + "-" if pinned else cluster.minor_version + ".",
                "slug": VERSION_SLUGS.get(cluster.minor_version) if pinned else None,
                "auto_upgrade": not pinned,
                "pod_cidr": cluster.network.pod_cidr,
                "service_cidr": cluster.network.service_cidr,
            },
            "tags": tag_names(cluster_tags(cluster)),
            "network": {
                "create": existing is None,
                "cidr": cluster.network.cidr,
                "vpc_id": existing.network_id if existing else None,
            },
            "api": {
                "public_asked": cluster.api_server.public,
                "allowed_cidrs": list(cluster.api_server.allowed_cidrs),
            },
            "maintenance": _maintenance_policy(cluster),
            "registry_integration": bool(settings.get("registryIntegration")),
            "switches": sorted(block for addon, block in _SWITCHES.items() if addon in addons),
            "pools": pools,
        }


DOKS = DoksEngine("digitalocean/doks", PROVIDERS, Example("nyc1", "s-4vcpu-8gb"))
