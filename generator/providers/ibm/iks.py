"""IBM Cloud Kubernetes Service on VPC: a Terraform root module per cluster
(templates/ibm/iks/), and the cluster autoscaler's ConfigMap when it is asked for."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

from treeform.errors import Issue
from treeform.model import Cluster, NodePool
from treeform.names import MAX_NODE_POOL_NAME
from treeform.providers.base import Example
from treeform.providers.common import (
    carve_subnets,
    machine_type_issues,
    refused_pool_field_issues,
)
from treeform.providers.ibm.tags import cluster_tags, tag_strings
from treeform.providers.pools import pool_context
from treeform.providers.terraform import TerraformEngine, cluster_identity
from treeform.render import Renderer, to_yaml

#: Kubernetes minor versions IKS supports, taken 2026-12-01 from the IBM Cloud Kubernetes
#: Service version information (cloud.ibm.com/docs/containers?topic=containers-cs_versions:
#: the latest and two behind, n-2) and its per-version pages: 1.33 became unsupported on
#: 2026-10-14; 1.35 and 1.36 are released (their change logs, updated 2026-08-19).
VERSIONS = ("1.34", "1.35", "1.36")
VERSIONS_TAKEN = "2026-12-01"

#: Add-ons IKS runs by itself in every cluster.
BUILTIN_ADDONS = ("coredns", "metrics-server", "vpc-block-csi-driver")
#: Add-ons treeform turns on with `ibm_container_addons` (IKS managed add-on names).
MANAGED_ADDONS = ("cluster-autoscaler", "istio", "debug-tool", "static-route")

#: VPC worker flavors (profiles): family+generation, vCPUs x GB (bx2.4x16, cx2d.8x16,
#: mx3d.16x160, gx3.16x80.l4).
_FLAVOR = re.compile(r"^[a-z]+[0-9][a-z]*\.[0-9]+x[0-9]+(\.[a-z0-9]+)*\Z")

#: The name IKS gives the cluster's first worker pool.
DEFAULT_POOL = "default"

PROVIDERS = {"ibm": {"source": "IBM-Cloud/ibm", "version": "~> 2.5"}}


def default_pool(cluster: Cluster) -> NodePool | None:
    """The pool that becomes the cluster's default worker pool: one named `default`, else
    the first by name."""
    if DEFAULT_POOL in cluster.node_pools:
        return cluster.node_pools[DEFAULT_POOL]
    return next(iter(cluster.node_pools.values()), None)


def per_zone(pool: NodePool) -> dict[str, int]:
    """The model's pool-wide sizes as IKS's per-zone counts: the initial size and the
    minimum round up, the maximum rounds down, and every zone keeps one worker."""
    n = len(pool.zones)
    low = max(1, math.ceil(pool.min_size / n))
    return {
        "workers": max(1, math.ceil(pool.desired_size / n)),
        "min": low,
        "max": max(low, pool.max_size // n),
    }


class IksEngine(TerraformEngine):
    name = "iks"
    # The cluster autoscaler's ConfigMap, when the add-on is asked for.
    targets: tuple[str, ...] = ("terraform", "kubernetes")
    versions: tuple[str, ...] = VERSIONS
    versions_taken = VERSIONS_TAKEN
    # IKS runs the master replicated across the region's zones by itself.
    ha_min_zones = 0
    addons: tuple[str, ...] = (*BUILTIN_ADDONS, *MANAGED_ADDONS)

    def validate(self, cluster: Cluster) -> Iterator[Issue]:
        if not cluster.node_pools:
            yield cluster.issue(
                "nodePools", "an IKS cluster needs at least one pool (its default worker pool)"
            )
        if cluster.network.cni not in ("default", "calico"):
            yield cluster.issue(
                ("network", "cni"),
                f"IKS runs Calico; cni {cluster.network.cni!r} is not supported "
                "(use default or calico)",
            )
        if cluster.network.topology == "public":
            yield cluster.issue(
                ("network", "topology"),
                "IKS VPC workers have private addresses only; use topology private "
                "(egress through a public gateway per zone)",
            )
        if cluster.api_server.allowed_cidrs:
            yield cluster.issue(
                ("apiServer", "allowedCidrs"),
                "IKS limits who reaches the master with context-based restrictions, which "
                "treeform does not write; remove allowedCidrs",
            )
        existing = cluster.network.existing
        if existing is not None and len(existing.subnet_ids) != len(cluster.zones):
            yield cluster.issue(
                ("network", "existing", "subnetIds"),
                f"name one subnet per zone, in the order of zones ({', '.join(cluster.zones)})",
            )
        limit = MAX_NODE_POOL_NAME["iks"]
        first = default_pool(cluster)
        yield from machine_type_issues(
            cluster, _FLAVOR, "an IBM Cloud VPC worker flavor (like bx2.4x16 or cx2.8x16)"
        )
        yield from refused_pool_field_issues(
            cluster,
            "image",
            "workers run the operating system IKS gives the cluster's version; remove image",
        )
        yield from refused_pool_field_issues(
            cluster, "diskType", "worker boot disks come with the flavor; remove diskType"
        )
        for name, pool in cluster.node_pools.items():
            base = ("nodePools", name)
            if pool is not first and len(name) > limit:
                yield cluster.issue(
                    base, f"IKS worker pool names are at most {limit} characters", key=True
                )
            if pool.spot:
                yield cluster.issue(
                    (*base, "spot"), "IKS on VPC has no spot or preemptible workers"
                )

    def _pool(self, cluster: Cluster, pool: NodePool, first: bool) -> dict[str, Any]:
        sizes = per_zone(pool)
        return {
            **pool_context(pool),
            "model_name": pool.name,
            "name": DEFAULT_POOL if first else pool.name,
            "workers_per_zone": sizes["workers"],
            "min_per_zone": sizes["min"],
            "max_per_zone": sizes["max"],
        }

    def _pools(self, cluster: Cluster) -> list[dict[str, Any]]:
        """The worker pools, the default one first."""
        first = default_pool(cluster)
        pools = [self._pool(cluster, p, p is first) for p in cluster.node_pools.values()]
        pools.sort(key=lambda p: p["name"] != DEFAULT_POOL)
        return pools

    def context(self, cluster: Cluster) -> dict[str, Any]:
        pools = self._pools(cluster)
        existing = cluster.network.existing
        return {
            "cluster": {
                **cluster_identity(cluster),
                "version": ".".join(cluster.kubernetes_version.split(".")[:3]),
                "pod_cidr": cluster.network.pod_cidr,
                "service_cidr": cluster.network.service_cidr,
            },
            "resource_group_id": cluster.account.get("resourceGroupId"),
            "tags": tag_strings(cluster_tags(cluster)),
            "network": {
                "create": existing is None,
                "cidr": cluster.network.cidr,
                "zones": [
                    {"zone": s.zone, "cidr": s.private}
                    for s in carve_subnets(cluster.network.cidr, cluster.zones)
                ],
                "existing_subnets": (
                    dict(zip(cluster.zones, existing.subnet_ids, strict=False))
                    if existing
                    else None
                ),
                "vpc_id": existing.network_id if existing else None,
            },
            "api": {"public": cluster.api_server.public},
            "default_pool": pools[0] if pools else None,
            "pools": pools[1:],
            "addons": [a for a in sorted(cluster.addons) if a in MANAGED_ADDONS],
        }

    def kubernetes_manifests(self, cluster: Cluster, renderer: Renderer) -> dict[str, str]:
        if "cluster-autoscaler" not in cluster.addons:
            return {}
        return {"kubernetes/iks-ca-configmap.yaml": autoscaler_configmap(self._pools(cluster))}


def autoscaler_configmap(pools: list[dict[str, Any]]) -> str:
    """The ConfigMap the IKS cluster autoscaler add-on reads: per-zone bounds of each pool."""
    config = [
        {
            "name": p["name"],
            "minSize": p["min_per_zone"],
            "maxSize": p["max_per_zone"],
            "enabled": p["autoscale"],
        }
        for p in pools
    ]
    doc = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "iks-ca-configmap", "namespace": "kube-system"},
        "data": {"workerPoolsConfig.json": json.dumps(config)},
    }
    return (
        "# Generated by treeform from the model; apply after the cluster autoscaler add-on is\n"
        "# on: kubectl apply -f iks-ca-configmap.yaml. Sizes are per zone.\n" + to_yaml(doc)
    )


IKS = IksEngine("ibm/iks", PROVIDERS, Example("us-south", "bx2.4x16"))
