"""Tencent TKE: a Terraform root module per cluster (templates/tencent/tke/).

A managed TKE cluster (Tencent runs the control plane) in a VPC of its own, one node pool
per model pool, and the API server endpoint opened once the pools exist (TKE only opens
endpoints of a cluster that has nodes).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Any

from treeform.errors import Issue
from treeform.model import Cluster
from treeform.providers import machines
from treeform.providers.base import Example
from treeform.providers.common import (
    carve_subnets,
    machine_type_issues,
    refused_pool_field_issues,
)
from treeform.providers.pools import pool_context
from treeform.providers.tencent.tags import cluster_tags
from treeform.providers.terraform import TerraformEngine, cluster_identity

#: Kubernetes minor versions TKE offers for new clusters, and the release treeform asks
#: for, taken 2026-11-27 from "TKE Kubernetes Version Maintenance Mechanism" (even minors
#: only; creation stops 18 months after a minor's GA). A patch version in the model is
#: passed through as is.
RELEASES = {"1.32": "1.32.2", "1.34": "1.34.1"}
VERSIONS = tuple(RELEASES)
VERSIONS_TAKEN = "2026-11-27"

#: TKE installs these by itself (metrics-server) or through the node pools' autoscaling.
ADDONS = ("metrics-server", "cluster-autoscaler")

#: Network plugins: GlobalRouter (default) routes a pod range of its own through the VPC;
#: VPC-CNI gives pods VPC addresses from pod subnets.
CNIS = ("default", "globalrouter", "vpc-cni")
DEFAULT_POD_CIDR = "172.20.0.0/16"
DEFAULT_SERVICE_CIDR = "172.21.0.0/20"
#: Services carved out of the GlobalRouter range when the model names no serviceCidr.
GR_SERVICES = 1024
DEFAULT_MAX_PODS = 64

#: CVM instance types: FAMILY.SIZE, e.g. S5.MEDIUM4, SA2.2XLARGE16, GN7.5XLARGE80.
_INSTANCE_TYPE = re.compile(r"^[A-Z][A-Za-z0-9]*\.[0-9]*(SMALL|MEDIUM|LARGE|XLARGE)[0-9]+\Z")
#: TKE node pool names: at most 25 characters.
_POOL_NAME_MAX = 25
#: CVM cloud system disks: 20..1024 GB.
_SYSTEM_DISK_MIN, _SYSTEM_DISK_MAX = 20, 1024
#: TKE takes container and service ranges only from the private address blocks.
_PRIVATE = tuple(
    ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)
_PUBLIC_BANDWIDTH_MBPS = 100

PROVIDERS = {"tencentcloud": {"source": "tencentcloudstack/tencentcloud", "version": "~> 1.83"}}


def cni_of(cluster: Cluster) -> str:
    return "globalrouter" if cluster.network.cni == "default" else cluster.network.cni


def release_of(version: str) -> str:
    return RELEASES.get(version, version)


class TkeEngine(TerraformEngine):
    name = "tke"
    versions: tuple[str, ...] = VERSIONS
    versions_taken = VERSIONS_TAKEN
    # Tencent spreads the managed control plane itself; nodes need two zones to survive one.
    ha_min_zones = 2
    addons: tuple[str, ...] = ADDONS

    def validate(self, cluster: Cluster) -> Iterator[Issue]:
        network = cluster.network
        if network.cni not in CNIS:
            yield cluster.issue(
                ("network", "cni"),
                f"TKE runs GlobalRouter or VPC-CNI; cni {network.cni!r} is not supported "
                f"(use {', '.join(CNIS)})",
            )
        if cni_of(cluster) == "vpc-cni" and network.pod_cidr is not None:
            yield cluster.issue(
                ("network", "podCidr"),
                "with VPC-CNI pods take VPC addresses from pod subnets; remove podCidr, or "
                "use cni: globalrouter",
            )
        yield from self._range_issues(cluster)
        if (
            cluster.high_availability
            and network.existing is not None
            and len(network.existing.subnet_ids) < 2
        ):
            yield cluster.issue(
                ("network", "existing", "subnetIds"),
                "highAvailability needs subnets in at least two zones",
            )
        yield from machine_type_issues(
            cluster,
            _INSTANCE_TYPE,
            "a CVM instance type (FAMILY.SIZE, like S5.MEDIUM4 or SA2.2XLARGE16)",
        )
        for pool in cluster.node_pools.values():
            if machines.cvm_arch(pool.machine_type) == machines.ARM64:
                yield cluster.issue(
                    pool.machine_type_path,
                    f"{pool.machine_type} is an Arm64 (SR1) type; treeform's TKE node pools "
                    "boot an x86_64 image, so Arm64 pools are not supported yet",
                )
        yield from refused_pool_field_issues(
            cluster, "image", "node pools boot TKE's default image in treeform; remove image"
        )
        yield from refused_pool_field_issues(
            cluster,
            "diskType",
            "system disks are Premium Cloud Disks (CLOUD_PREMIUM) in treeform; remove diskType",
        )
        for name, pool in cluster.node_pools.items():
            base = ("nodePools", name)
            if len(name) > _POOL_NAME_MAX:
                yield cluster.issue(
                    base, f"TKE node pool names are at most {_POOL_NAME_MAX} characters", key=True
                )
            if not _SYSTEM_DISK_MIN <= pool.disk_size_gb <= _SYSTEM_DISK_MAX:
                yield cluster.issue(
                    (*base, "diskSizeGb"),
                    f"CVM system disks are {_SYSTEM_DISK_MIN} to {_SYSTEM_DISK_MAX} GB",
                )

    def _range_issues(self, cluster: Cluster) -> Iterator[Issue]:
        """Pod and service ranges in effect (defaults included): private, off the VPC."""
        given = cluster.data.get("network") or {}
        ranges: list[tuple[str, str]] = []
        if cni_of(cluster) == "globalrouter":
            ranges.append(("podCidr", cluster.network.pod_cidr or DEFAULT_POD_CIDR))
        if cluster.network.service_cidr or cni_of(cluster) == "vpc-cni":
            ranges.append(("serviceCidr", cluster.network.service_cidr or DEFAULT_SERVICE_CIDR))
        vpc = (
            ipaddress.ip_network(cluster.network.cidr, strict=False)
            if cluster.network.existing is None
            else None
        )
        for field, cidr in ranges:
            try:
                net = ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                continue  # reported by the shared CIDR rules
            where = ("network", field) if field in given else ("network", "cidr")
            if not any(net.subnet_of(p) for p in _PRIVATE if net.version == p.version):
                yield cluster.issue(
                    where,
                    f"TKE takes {field} only inside 10.0.0.0/8, 172.16.0.0/12 or "
                    f"192.168.0.0/16; {net} is not",
                )
            if vpc is not None and net.overlaps(vpc):
                yield cluster.issue(
                    where,
                    f"the {field} {net}"
                    + ("" if field in given else " (treeform's default)")
                    + f" overlaps the VPC {vpc}; choose ranges apart",
                )

    def context(self, cluster: Cluster) -> dict[str, Any]:
        cni = cni_of(cluster)
        vpc_cni = cni == "vpc-cni"
        spot_price = cluster.settings.get("spotMaxPrice")
        pools = [pool_context(pool) for pool in cluster.node_pools.values()]
        subnets = carve_subnets(cluster.network.cidr, cluster.zones)
        existing = cluster.network.existing
        return {
            "cluster": {
                **cluster_identity(cluster),
                "version": release_of(cluster.kubernetes_version),
                "pod_cidr": cluster.network.pod_cidr or DEFAULT_POD_CIDR,
                "service_cidr": cluster.network.service_cidr
                or (DEFAULT_SERVICE_CIDR if vpc_cni else None),
                "gr_services": GR_SERVICES,
                "max_pods": cluster.settings.get("maxPodsPerNode", DEFAULT_MAX_PODS),
                "deletion_protection": cluster.settings.get("deletionProtection", False),
            },
            "project_id": cluster.account.get("projectId"),
            "tags": cluster_tags(cluster),
            "network": {
                "create": existing is None,
                "cidr": cluster.network.cidr,
                "cni": cni,
                "vpc_cni": vpc_cni,
                "private": cluster.network.private,
                "public_bandwidth": _PUBLIC_BANDWIDTH_MBPS,
                # VPC-CNI: nodes take the small ranges, pods the large ones; otherwise the
                # nodes take the large ones.
                "subnets": [
                    {
                        "zone": s.zone,
                        "nodes": s.public if vpc_cni else s.private,
                        "pods": s.private if vpc_cni else None,
                    }
                    for s in subnets
                ],
                "first_zone": subnets[0].zone if subnets else None,
                "existing": (
                    {"vpc_id": existing.network_id, "subnet_ids": list(existing.subnet_ids)}
                    if existing
                    else None
                ),
            },
            "api": {
                "public": cluster.api_server.public,
                "allowed_cidrs": list(cluster.api_server.allowed_cidrs) or ["0.0.0.0/0"],
            },
            "spot_max_price": spot_price,
            "any_spot": any(p.spot for p in cluster.node_pools.values()),
            "pools": pools,
        }


TKE = TkeEngine("tencent/tke", PROVIDERS, Example("ap-guangzhou", "S5.LARGE8"))
