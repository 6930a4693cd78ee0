"""Alibaba Cloud ACK: a Terraform root module per cluster (templates/alibaba/ack/).

`ack.type` picks the flavour: `managed` (default; ACK Pro when highAvailability, ACK Basic
otherwise) with one node pool per model pool, or `serverless` (pods on ECI, no node pools).
`dedicated` is refused: Alibaba stopped creating ACK dedicated clusters on 2024-08-21.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Any

from treeform.errors import Issue
from treeform.model import Cluster
from treeform.providers import machines
from treeform.providers.alibaba.tags import cluster_tags
from treeform.providers.base import Example
from treeform.providers.common import (
    carve_subnets,
    machine_type_issues,
    refused_pool_field_issues,
)
from treeform.providers.pools import pool_context
from treeform.providers.terraform import TerraformEngine, cluster_identity

#: Kubernetes minor versions ACK offers for new clusters, taken 2026-12-01 from "Support for
#: Kubernetes versions" in the ACK documentation (since 1.31 every minor, one year each) and
#: the ACK release notes of each minor (1.35: 1.35.1-aliyun.1 and later; 1.36:
#: 1.36.1-aliyun.1): 1.33's year ended in 2026.
VERSIONS = ("1.34", "1.35", "1.36")
VERSIONS_TAKEN = "2026-12-01"

#: Model addons: the ones ACK runs by itself (no output), and ACK addons treeform installs
#: at creation by their ACK component name.
_BUILT_IN = ("metrics-server", "cluster-autoscaler")
_INSTALLABLE = (
    "ack-node-problem-detector",
    "alb-ingress-controller",
    "arms-prometheus",
    "logtail-ds",
    "nginx-ingress-controller",
)
ADDONS = _BUILT_IN + _INSTALLABLE

#: Network plugins: Terway (the default) gives pods VPC addresses from pod vSwitches, Flannel
#: an overlay range (podCidr).
CNIS = ("default", "terway", "flannel")
DEFAULT_POD_CIDR = "172.20.0.0/16"
DEFAULT_SERVICE_CIDR = "172.21.0.0/20"

#: ECS instance types: ecs.<family>.<size>, e.g. ecs.g7.large, ecs.c7.2xlarge,
#: ecs.gn7i-c8g1.2xlarge.
_INSTANCE_TYPE = re.compile(r"^ecs\.[a-z0-9][a-z0-9-]*\.[0-9]*(small|medium|large|xlarge)\Z")

#: Node system disks: ESSD is what ACK recommends; 20..2048 GB for a system disk.
_SYSTEM_DISK_MIN, _SYSTEM_DISK_MAX = 20, 2048

#: Public nodes (topology: public) get a public IP billed by traffic, capped at this rate.
_PUBLIC_BANDWIDTH_MBPS = 100

PROVIDERS = {"alicloud": {"source": "aliyun/alicloud", "version": "~> 1.289"}}

TYPES = ("managed", "serverless", "dedicated")


def ack_type(cluster: Cluster) -> str:
    value: str = cluster.settings.get("type", "managed")
    return value


def cni_of(cluster: Cluster) -> str:
    return "terway" if cluster.network.cni == "default" else cluster.network.cni


class AckEngine(TerraformEngine):
    name = "ack"
    versions: tuple[str, ...] = VERSIONS
    versions_taken = VERSIONS_TAKEN
    # vSwitches of the control plane and the nodes must span two zones to survive one's loss.
    ha_min_zones = 2
    addons: tuple[str, ...] = ADDONS

    def validate(self, cluster: Cluster) -> Iterator[Issue]:
        kind = ack_type(cluster)
        if kind == "dedicated":
            yield cluster.issue(
                ("ack", "type"),
                "Alibaba Cloud stopped creating ACK dedicated clusters on 2024-08-21; use "
                "type: managed with highAvailability: true (ACK Pro, a managed control plane "
                "across zones), or type: serverless",
            )
            return
        network = cluster.network
        if network.cni not in CNIS:
            yield cluster.issue(
                ("network", "cni"),
                f"ACK runs Terway or Flannel; cni {network.cni!r} is not supported "
                f"(use {', '.join(CNIS)})",
            )
        if kind == "serverless":
            yield from self._serverless_issues(cluster)
        elif cni_of(cluster) == "terway" and network.pod_cidr is not None:
            yield cluster.issue(
                ("network", "podCidr"),
                "with Terway (cni default or terway) pods take VPC addresses from pod "
                "vSwitches; remove podCidr, or set cni: flannel",
            )
        yield from self._range_issues(cluster)
        if network.existing is not None and len(network.existing.subnet_ids) < (
            2 if cluster.high_availability else 1
        ):
            yield cluster.issue(
                ("network", "existing", "subnetIds"),
                "highAvailability needs vSwitches in at least two zones",
            )
        key = cluster.settings.get("secretsKmsKeyId")
        if key and not cluster.high_availability:
            yield cluster.issue(
                ("ack", "secretsKmsKeyId"),
                "encrypting Secrets with a KMS key needs ACK Pro; set highAvailability: true",
            )
        if cluster.api_server.public and cluster.api_server.allowed_cidrs:
            yield cluster.issue(
                ("apiServer", "allowedCidrs"),
                "ACK's Terraform resources cannot restrict the public API server endpoint to "
                "CIDRs (it is a CLB access-control list managed outside the cluster); remove "
                "allowedCidrs, or keep the endpoint private (apiServer.public: false)",
            )
        yield from machine_type_issues(
            cluster,
            _INSTANCE_TYPE,
            "an ECS instance type (ecs.<family>.<size>, like ecs.g7.large)",
            several=True,
        )
        for name, pool in cluster.node_pools.items():
            archs = {machines.ecs_arch(t) for t in pool.machine_types}
            if len(archs) > 1:
                yield cluster.issue(
                    ("nodePools", name, "machineTypes"),
                    "the machine types of one pool share one architecture (one node image); "
                    f"{', '.join(pool.machine_types)} mix x86_64 and arm64",
                )
        yield from refused_pool_field_issues(
            cluster,
            "image",
            "pools boot Alibaba Cloud Linux 3 (AliyunLinux3, or AliyunLinux3Arm64 on Arm64 "
            "families), chosen by treeform; remove image",
        )
        yield from refused_pool_field_issues(
            cluster, "diskType", "system disks are ESSD (cloud_essd) in treeform; remove diskType"
        )
        for name, pool in cluster.node_pools.items():
            base = ("nodePools", name)
            if not _SYSTEM_DISK_MIN <= pool.disk_size_gb <= _SYSTEM_DISK_MAX:
                yield cluster.issue(
                    (*base, "diskSizeGb"),
                    f"ACK system disks are {_SYSTEM_DISK_MIN} to {_SYSTEM_DISK_MAX} GB",
                )

    def _serverless_issues(self, cluster: Cluster) -> Iterator[Issue]:
        for name in cluster.node_pools:
            yield cluster.issue(
                ("nodePools", name),
                f"serverless ACK runs pods on ECI and has no node pools; remove pool {name!r} "
                "or set ack.type: managed",
                key=True,
            )
        if cluster.network.pod_cidr is not None:
            yield cluster.issue(
                ("network", "podCidr"),
                "serverless ACK gives pods (ECI) addresses from the vSwitches; remove podCidr",
            )
        if cluster.network.cni not in ("default", "terway"):
            yield cluster.issue(
                ("network", "cni"), "serverless ACK networks pods itself; use cni: default"
            )

    def _range_issues(self, cluster: Cluster) -> Iterator[Issue]:
        """The pod and service ranges in effect (defaults included) must stay off the VPC."""
        if cluster.network.existing is not None:
            return
        vpc = ipaddress.ip_network(cluster.network.cidr, strict=False)
        ranges = [("serviceCidr", cluster.network.service_cidr or DEFAULT_SERVICE_CIDR)]
        if ack_type(cluster) == "managed" and cni_of(cluster) == "flannel":
            ranges.append(("podCidr", cluster.network.pod_cidr or DEFAULT_POD_CIDR))
        for field, cidr in ranges:
            try:
                net = ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                continue  # reported by the shared CIDR rules
            if net.overlaps(vpc):
                yield cluster.issue(
                    ("network", "cidr"),
                    f"the VPC {vpc} overlaps the {field} {net}"
                    + ("" if field in _given(cluster) else " (treeform's default)")
                    + f"; set network.{field} to a range outside the VPC",
                )

    def context(self, cluster: Cluster) -> dict[str, Any]:
        kind = ack_type(cluster)
        cni = cni_of(cluster)
        terway = kind == "managed" and cni == "terway"
        public_nodes = not cluster.network.private
        pools = []
        for pool in cluster.node_pools.values():
            pools.append(
                {
                    **pool_context(pool),
                    "image_type": (
                        "AliyunLinux3Arm64"
                        if machines.ecs_arch(pool.machine_type) == machines.ARM64
                        else "AliyunLinux3"
                    ),
                }
            )
        subnets = carve_subnets(cluster.network.cidr, cluster.zones)
        existing = cluster.network.existing
        addons = [a for a in sorted(cluster.addons) if a in _INSTALLABLE]
        return {
            "cluster": {
                **cluster_identity(cluster),
                "type": kind,
                "spec": "ack.pro.small" if cluster.high_availability else "ack.standard",
                "pro": cluster.high_availability,
                "version_prefix": _version_prefix(cluster.kubernetes_version),
                "service_cidr": cluster.network.service_cidr or DEFAULT_SERVICE_CIDR,
                "pod_cidr": cluster.network.pod_cidr or DEFAULT_POD_CIDR,
                "secrets_kms_key_id": cluster.settings.get("secretsKmsKeyId"),
                "deletion_protection": cluster.settings.get("deletionProtection", False),
            },
            "resource_group_id": cluster.account.get("resourceGroupId"),
            "tags": cluster_tags(cluster),
            "network": {
                "create": existing is None,
                "cidr": cluster.network.cidr,
                "cni": cni,
                "terway": terway,
                "nat": cluster.network.private or kind == "serverless",
                "public_nodes": public_nodes,
                "public_bandwidth": _PUBLIC_BANDWIDTH_MBPS,
                # Terway: nodes take the small ranges, pods the large ones; otherwise the
                # nodes (or ECI pods) take the large ones.
                "vswitches": [
                    {
                        "zone": s.zone,
                        "nodes": s.public if terway else s.private,
                        "pods": s.private if terway else None,
                    }
                    for s in subnets
                ],
                "existing": (
                    {"vpc_id": existing.network_id, "vswitch_ids": list(existing.subnet_ids)}
                    if existing
                    else None
                ),
            },
            "api": {"public": cluster.api_server.public},
            "pools": pools,
            "addons": addons,
        }


def _given(cluster: Cluster) -> set[str]:
    net = cluster.data.get("network") or {}
    return {k for k in ("podCidr", "serviceCidr") if k in net}


def _version_prefix(version: str) -> str:
    """What an ACK release of the model's version starts with: 1.33 -> "1.33.",
    1.33.3 -> "1.33.3-" (ACK names releases like 1.33.3-aliyun.1)."""
    return f"{version}." if version.count(".") == 1 else f"{version}-"


ACK = AckEngine("alibaba/ack", PROVIDERS, Example("cn-hangzhou", "ecs.g7.xlarge"))
