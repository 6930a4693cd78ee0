"""Amazon EKS: a Terraform root module per cluster (templates/aws/eks/)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from generator.errors import Issue
from generator.model import Cluster
from generator.providers.common import carve_subnets, tf_id, versions_tf
from generator.render import Renderer

#: Kubernetes minor versions EKS offers (standard and extended support), taken 2026-11-27
#: from the EKS Kubernetes version calendar.
VERSIONS = ("1.30", "1.31", "1.32", "1.33", "1.34", "1.35")
VERSIONS_TAKEN = "2026-11-27"

#: EKS add-ons by the name the model uses (the EKS add-on name).
ADDONS = (
    "vpc-cni",
    "coredns",
    "kube-proxy",
    "aws-ebs-csi-driver",
    "aws-efs-csi-driver",
    "eks-pod-identity-agent",
    "snapshot-controller",
    "metrics-server",
    "amazon-cloudwatch-observability",
    "aws-guardduty-agent",
)

#: Add-ons whose pods only run once nodes exist; they wait for the node groups.
_NEEDS_NODES = {
    "coredns",
    "aws-ebs-csi-driver",
    "aws-efs-csi-driver",
    "snapshot-controller",
    "metrics-server",
    "amazon-cloudwatch-observability",
}

TAINT_EFFECTS = {
    "NoSchedule": "NO_SCHEDULE",
    "PreferNoSchedule": "PREFER_NO_SCHEDULE",
    "NoExecute": "NO_EXECUTE",
}

PROVIDERS = {"aws": {"source": "hashicorp/aws", "version": "~> 6.0"}}


class EksEngine:
    name = "eks"
    versions: tuple[str, ...] = VERSIONS
    versions_taken = VERSIONS_TAKEN
    # The EKS control plane spans three zones by itself; nodes need two subnets.
    ha_min_zones = 0
    addons: tuple[str, ...] = ADDONS

    def validate(self, cluster: Cluster) -> Iterator[Issue]:
        # No zones at all means an unknown region, which the shared rules report.
        if cluster.network.existing is None and 0 < len(cluster.zones) < 2:
            yield cluster.issue(
                "zones", "EKS needs subnets in at least two zones; name two or more zones"
            )
        if cluster.network.existing is not None and len(cluster.network.existing.subnet_ids) < 2:
            yield cluster.issue(
                ("network", "existing", "subnetIds"),
                "EKS needs at least two subnets, in different zones",
            )
        if cluster.network.pod_cidr is not None:
            yield cluster.issue(
                ("network", "podCidr"),
                "EKS with the Amazon VPC CNI gives pods addresses from the VPC subnets; "
                "remove podCidr",
            )
        if cluster.network.cni not in ("default", "amazonvpc"):
            yield cluster.issue(
                ("network", "cni"),
                f"EKS runs the Amazon VPC CNI; cni {cluster.network.cni!r} is not supported "
                "(use default or amazonvpc)",
            )
        for name, pool in cluster.node_pools.items():
            if pool.max_size < 1:
                yield cluster.issue(("nodePools", name, "maxSize"), "EKS needs maxSize >= 1")

    def context(self, cluster: Cluster) -> dict[str, Any]:
        subnets = carve_subnets(cluster.network.cidr, cluster.zones)
        private = cluster.network.private
        pools = []
        for pool in cluster.node_pools.values():
            pools.append(
                {
                    "name": pool.name,
                    "tf_id": tf_id(pool.name),
                    "resource_name": f"{cluster.name}-{pool.name}",
                    "machine_type": pool.machine_type,
                    "min_size": pool.min_size,
                    "max_size": pool.max_size,
                    "desired_size": pool.desired_size,
                    "disk_size_gb": pool.disk_size_gb,
                    "capacity_type": "SPOT" if pool.spot else "ON_DEMAND",
                    "zones": list(pool.zones),
                    "labels": pool.labels,
                    "taints": [
                        {"key": t.key, "value": t.value, "effect": TAINT_EFFECTS[t.effect]}
                        for t in pool.taints
                    ],
                }
            )
        return {
            "cluster": {
                "id": cluster.id,
                "name": cluster.name,
                "region": cluster.region,
                "version": ".".join(cluster.kubernetes_version.split(".")[:2]),
                "service_cidr": cluster.network.service_cidr,
            },
            "account_id": cluster.account.get("accountId"),
            "tags": {**cluster.tags, "treeform/cluster": cluster.id},
            "network": {
                "create": cluster.network.existing is None,
                "cidr": cluster.network.cidr,
                "private": private,
                "subnets": [
                    {
                        "zone": s.zone,
                        "private": s.private,
                        "public": s.public,
                        # One NAT gateway per zone when the cluster must survive a zone loss.
                        "nat": s.zone if cluster.high_availability else subnets[0].zone,
                    }
                    for s in subnets
                ],
                "existing": (
                    {
                        "vpc_id": cluster.network.existing.network_id,
                        "subnet_ids": list(cluster.network.existing.subnet_ids),
                    }
                    if cluster.network.existing
                    else None
                ),
                "nat_per_zone": cluster.high_availability,
            },
            "api": {
                "public": cluster.api_server.public,
                "allowed_cidrs": list(cluster.api_server.allowed_cidrs),
            },
            "pools": pools,
            "addons": [
                {"name": a, "tf_id": tf_id(a), "after_nodes": a in _NEEDS_NODES}
                for a in sorted(cluster.addons)
            ],
        }

    def render(self, cluster: Cluster, renderer: Renderer) -> dict[str, str]:
        files = renderer.render_dir("aws/eks", self.context(cluster))
        files["versions.tf"] = versions_tf(cluster, renderer, PROVIDERS)
        return {f"terraform/{name}": text for name, text in files.items()}


EKS = EksEngine()
