"""Huawei Cloud CCE: a Terraform root module per cluster (templates/huawei/cce/)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Any

from treeform.errors import Issue
from treeform.model import Cluster, NodePool
from treeform.names import MAX_NODE_POOL_NAME
from treeform.providers import machines
from treeform.providers.base import Example
from treeform.providers.common import (
    machine_type_issues,
    refused_pool_field_issues,
    tf_id,
)
from treeform.providers.huawei.tags import cluster_tags
from treeform.providers.pools import pool_context
from treeform.providers.terraform import TerraformEngine, cluster_identity

#: Kubernetes minor versions CCE offers for new clusters, taken 2026-12-01 from the CCE
#: Kubernetes version policy (support.huaweicloud.com/bulletin-cce/cce_bulletin_0033.html:
#: end of service two years after commercial use; v1.30 ended October 2026) and the CCE
#: release notes (cluster versions `v1.31` ... `v1.33`).
VERSIONS = ("1.31", "1.32", "1.33")
VERSIONS_TAKEN = "2026-12-01"

#: Model addon name -> CCE add-on template (`huaweicloud_cce_addon.template_name`).
ADDON_TEMPLATES = {
    "metrics-server": "metrics-server",
    "cluster-autoscaler": "autoscaler",
    "node-problem-detector": "npd",
}
#: Add-ons every CCE cluster runs by itself (CoreDNS, the Everest CSI driver).
BUILTIN_ADDONS = ("coredns", "everest")

#: network.cni -> container_network_type. The default is CCE's own "VPC network" model.
NETWORK_TYPES = {
    "default": "vpc-router",
    "vpc-router": "vpc-router",
    "overlay_l2": "overlay_l2",
    "eni": "eni",
}

#: Control-plane sizes: the flavor is cce.s2.<size> (three masters) with highAvailability,
#: cce.s1.<size> (one master) otherwise; s1 stops at medium.
HA_SIZES = ("small", "medium", "large", "xlarge")
SINGLE_SIZES = ("small", "medium")

#: ECS flavors: family+generation, size, memory/vCPU ratio (c7.large.2, s6.2xlarge.4, c7n.xlarge.2).
_FLAVOR = re.compile(r"^[a-z]+[0-9]+[a-z]*\.(small|medium|large|[0-9]*xlarge)\.[0-9]+\Z")
_POOL_NAME = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?\Z")

#: System disk limits of CCE nodes (GB), and the data disk the container runtime gets.
ROOT_MIN_GB = 40
ROOT_MAX_GB = 1024
RUNTIME_DISK_GB = 100
VOLUME_TYPE = "GPSSD"

PROVIDERS = {"huaweicloud": {"source": "huaweicloud/huaweicloud", "version": "~> 1.97"}}


def split_count(total: int, parts: int) -> list[int]:
    """`total` over `parts` zones, the remainder going to the first zones: 10/3 -> 4, 3, 3."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def zone_pool_name(pool: str, zone: str) -> str:
    return f"{pool}-{zone}"


class CceEngine(TerraformEngine):
    name = "cce"
    versions: tuple[str, ...] = VERSIONS
    versions_taken = VERSIONS_TAKEN
    # Three masters, one per zone, so etcd keeps its quorum when a zone is lost.
    ha_min_zones = 3
    addons: tuple[str, ...] = (*BUILTIN_ADDONS, *ADDON_TEMPLATES)

    def validate(self, cluster: Cluster) -> Iterator[Issue]:
        cni = cluster.network.cni
        if cni not in NETWORK_TYPES:
            yield cluster.issue(
                ("network", "cni"),
                f"CCE container networks are {', '.join(NETWORK_TYPES)}; not {cni!r}",
            )
        if NETWORK_TYPES.get(cni) == "eni" and cluster.network.pod_cidr is not None:
            yield cluster.issue(
                ("network", "podCidr"),
                "with cni eni (CCE Turbo) pods take addresses from the VPC's ENI subnet; "
                "remove podCidr",
            )
        if cluster.network.topology == "public":
            yield cluster.issue(
                ("network", "topology"),
                "CCE node pools give nodes no public addresses; use topology private "
                "(nodes reach the internet through a NAT gateway)",
            )
        if cluster.api_server.allowed_cidrs:
            yield cluster.issue(
                ("apiServer", "allowedCidrs"),
                "CCE has no Terraform setting that limits who reaches the API server's EIP; "
                "remove allowedCidrs (or keep the API server private)",
            )
        existing = cluster.network.existing
        eni = NETWORK_TYPES.get(cni) == "eni"
        if existing is not None and eni and len(existing.subnet_ids) < 2:
            yield cluster.issue(
                ("network", "existing", "subnetIds"),
                "with cni eni, name the node subnet first and then at least one ENI "
                "(IPv4) subnet for the pods",
            )
        size = cluster.settings.get("clusterSize", "small")
        if not cluster.high_availability and size not in SINGLE_SIZES:
            yield cluster.issue(
                ("cce", "clusterSize"),
                f"single-master CCE clusters come in {', '.join(SINGLE_SIZES)}; "
                f"{size!r} needs highAvailability: true",
            )
        limit = MAX_NODE_POOL_NAME["cce"]
        yield from machine_type_issues(
            cluster, _FLAVOR, "a Huawei Cloud ECS flavor (like c7.large.2 or s6.2xlarge.4)"
        )
        for pool in cluster.node_pools.values():
            if machines.huawei_arch(pool.machine_type) == machines.ARM64:
                yield cluster.issue(
                    pool.machine_type_path,
                    f"{pool.machine_type} is an Arm64 (Kunpeng) flavor; treeform's CCE node "
                    "pools boot an x86_64 image, so Arm64 pools are not supported yet",
                )
        yield from refused_pool_field_issues(
            cluster, "image", "node pools boot CCE's default OS in treeform; remove image"
        )
        yield from refused_pool_field_issues(
            cluster,
            "diskType",
            "node disks are General Purpose SSD (GPSSD) in treeform; remove diskType",
        )
        for name, pool in cluster.node_pools.items():
            base = ("nodePools", name)
            if not ROOT_MIN_GB <= pool.disk_size_gb <= ROOT_MAX_GB:
                yield cluster.issue(
                    (*base, "diskSizeGb"),
                    f"CCE system disks are {ROOT_MIN_GB}-{ROOT_MAX_GB} GB, not {pool.disk_size_gb}",
                )
            if pool.max_size < len(pool.zones):
                yield cluster.issue(
                    (*base, "maxSize"),
                    f"CCE node pools live in one zone each: maxSize {pool.max_size} cannot "
                    f"spread over the pool's {len(pool.zones)} zones",
                )
            if not _POOL_NAME.match(name):
                yield cluster.issue(
                    ("nodePools", name),
                    "CCE node pool names start with a lowercase letter",
                    key=True,
                )
            longest = max((zone_pool_name(name, z) for z in pool.zones), key=len, default=name)
            if len(longest) > limit:
                yield cluster.issue(
                    ("nodePools", name),
                    f"CCE node pool {longest!r} (<pool>-<zone>) is longer than {limit} "
                    "characters; shorten the pool name",
                    key=True,
                )

    def _pools(self, cluster: Cluster) -> list[dict[str, Any]]:
        out = []
        for pool in cluster.node_pools.values():
            zones = list(pool.zones)
            n = len(zones)
            for zone, initial, low, high in zip(
                zones,
                split_count(pool.desired_size, n),
                split_count(pool.min_size, n),
                split_count(pool.max_size, n),
                strict=True,
            ):
                out.append(_zone_pool(cluster, pool, zone, initial, low, high))
        return out

    def context(self, cluster: Cluster) -> dict[str, Any]:
        net = ipaddress.IPv4Network(cluster.network.cidr)
        eighths = list(net.subnets(prefixlen_diff=3))
        network_type = NETWORK_TYPES[cluster.network.cni]
        size = cluster.settings.get("clusterSize", "small")
        existing = cluster.network.existing
        nodes_cidr = eighths[0]
        # CCE Turbo pods take addresses from an ENI subnet: the second quarter of the VPC.
        eni_cidr = list(net.subnets(prefixlen_diff=2))[1]
        return {
            "cluster": {
                **cluster_identity(cluster),
                "version": "v" + cluster.minor_version,
                "flavor": f"cce.s2.{size}" if cluster.high_availability else f"cce.s1.{size}",
                "masters": list(cluster.zones[:3]) if cluster.high_availability else [],
                "network_type": network_type,
                "pod_cidr": cluster.network.pod_cidr,
                "service_cidr": cluster.network.service_cidr,
            },
            "tags": cluster_tags(cluster),
            "network": {
                "create": existing is None,
                "cidr": cluster.network.cidr,
                "nodes_cidr": str(nodes_cidr),
                "nodes_gateway": str(nodes_cidr.network_address + 1),
                "eni": network_type == "eni",
                "eni_cidr": str(eni_cidr),
                "eni_gateway": str(eni_cidr.network_address + 1),
                "existing": (
                    {
                        "vpc_id": existing.network_id,
                        "subnet_id": existing.subnet_ids[0],
                        "eni_subnet_ids": list(existing.subnet_ids[1:]),
                    }
                    if existing
                    else None
                ),
            },
            "api": {"public": cluster.api_server.public},
            "pools": self._pools(cluster),
            "addons": [
                {"name": a, "tf_id": tf_id(a), "template": ADDON_TEMPLATES[a]}
                for a in sorted(cluster.addons)
                if a in ADDON_TEMPLATES
            ],
        }


def _zone_pool(
    cluster: Cluster, pool: NodePool, zone: str, initial: int, low: int, high: int
) -> dict[str, Any]:
    """One CCE node pool of a model pool: its share of the sizes, in one zone."""
    name = zone_pool_name(pool.name, zone)
    return {
        **pool_context(pool),
        "pool": pool.name,
        "name": name,
        "tf_id": tf_id(name),
        "zone": zone,
        "zones": [zone],
        "desired_size": initial,
        "min_size": low,
        "max_size": high,
        "runtime_gb": RUNTIME_DISK_GB,
        "volume_type": VOLUME_TYPE,
    }


CCE = CceEngine("huawei/cce", PROVIDERS, Example("cn-north-4", "c7.xlarge.2"))
