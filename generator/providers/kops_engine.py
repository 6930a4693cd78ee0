"""The kOps engine: one class for every cloud kOps runs on, composed with the cloud's part
(`KopsEngine(cloud=AwsKops())`).

The engine reads the model's kOps settings (`kops:` and `nodePools.<p>.kops`), lays out the
instance groups, and ties the three parts together: the documents
(`kops_documents.py`), kOps's rules (`kops_rules.py`) and the cloud (`kops_cloud.py`),
whose Terraform it renders beside the manifest.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from treeform.errors import Issue
from treeform.model import Cluster
from treeform.providers import kops_documents, kops_rules
from treeform.providers.common import versions_tf
from treeform.providers.kops import (
    BASTION_GROUP,
    CONTROL_PLANE_PREFIX,
    DEFAULT_CNI,
    KUBERNETES_PATCHES,
    NON_MASQUERADE_CIDR,
    VERSIONS_TAKEN,
    Group,
    Subnet,
    deep_merge,
)
from treeform.providers.kops_cloud import DeferredManifest, KopsCloud
from treeform.render import Renderer
from treeform.yamlload import FieldPath


class KopsEngine:
    """The kOps engine on one cloud."""

    name = "kops"
    versions: tuple[str, ...] = tuple(KUBERNETES_PATCHES)
    versions_taken = VERSIONS_TAKEN
    # One control-plane group per zone and an odd etcd quorum: three zones or more.
    ha_min_zones = 3
    targets: tuple[str, ...] = ("kops", "terraform")

    def __init__(self, cloud: KopsCloud) -> None:
        self.cloud = cloud
        self.facts = cloud.facts
        self.example = cloud.facts.example
        self.addons: tuple[str, ...] = tuple(cloud.facts.addon_fields)

    # --- settings --------------------------------------------------------------------
    def dns_zone(self, cluster: Cluster) -> str:
        return str(cluster.settings.get("dnsZone", "")).rstrip(".")

    def dns_type(self, cluster: Cluster) -> str:
        return str(cluster.settings.get("dnsType", self.facts.default_dns_type))

    def cluster_name(self, cluster: Cluster) -> str:
        return f"{cluster.name}.{self.dns_zone(cluster)}"

    def state_store(self, cluster: Cluster) -> str:
        return str(cluster.settings.get("stateStore", "")).rstrip("/")

    def state_bucket(self, cluster: Cluster) -> str:
        rest = self.state_store(cluster).split("://", 1)[-1]
        return rest.split("/", 1)[0]

    def discovery_store(self, cluster: Cluster) -> str | None:
        """`kops.discoveryStore`: where kOps publishes the OIDC documents (IRSA)."""
        store = str(cluster.settings.get("discoveryStore", "")).rstrip("/")
        return store or None

    def bastion(self, cluster: Cluster) -> bool:
        return bool(cluster.settings.get("bastion", False))

    def shared_vpc(self, cluster: Cluster) -> bool:
        return bool(cluster.settings.get("sharedVpc", False))

    def ipv6(self, cluster: Cluster) -> bool:
        return self.facts.supports_ipv6 and bool(cluster.settings.get("ipv6", False))

    def cni(self, cluster: Cluster) -> str:
        return DEFAULT_CNI if cluster.network.cni == "default" else cluster.network.cni

    def non_masquerade_cidr(self, cluster: Cluster) -> str:
        # IPv6: pods and services are IPv6, nothing is masqueraded (`--ipv6`).
        if self.ipv6(cluster):
            return "::/0"
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

    def mapping_setting(self, cluster: Cluster, name: str) -> Mapping[str, Any]:
        """`kops.<name>` where it is a mapping (schema-checked), or {}."""
        value = cluster.settings.get(name)
        return value if isinstance(value, Mapping) else {}

    def api_settings(self, cluster: Cluster) -> Mapping[str, Any]:
        return self.mapping_setting(cluster, "apiLoadBalancer")

    def cluster_overlay(self, cluster: Cluster) -> Mapping[str, Any]:
        return self.mapping_setting(cluster, "clusterSpec")

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
        if isinstance(count, int):
            return tuple(cluster.zones[i % len(cluster.zones)] for i in range(count))
        return cluster.zones if cluster.high_availability else cluster.zones[:1]

    def control_plane_names(self, cluster: Cluster) -> list[str]:
        """`control-plane-<zone>`, with `-<n>` when there are more groups than zones."""
        zones = tuple(self.cloud.kops_zone(cluster, z) for z in self.control_plane_zones(cluster))
        distinct = len(dict.fromkeys(zones))
        if len(zones) <= distinct:
            return [CONTROL_PLANE_PREFIX + z for z in zones]
        return [f"{CONTROL_PLANE_PREFIX}{z}-{1 + i // distinct}" for i, z in enumerate(zones)]

    def groups(self, cluster: Cluster) -> list[Group]:
        cp_type = str(
            cluster.settings.get("controlPlaneMachineType", self.facts.machines.control_plane)
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
                    str(cluster.settings.get("bastionMachineType", self.facts.machines.bastion)),
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

    def subnets(self, cluster: Cluster) -> list[Subnet]:
        return self.cloud.subnets(self, cluster)

    # --- output ----------------------------------------------------------------------
    def manifest_ready(self, cluster: Cluster) -> bool:
        """Whether the manifest can be written yet (AWS shared VPCs wait for their ids)."""
        cloud = self.cloud
        return not isinstance(cloud, DeferredManifest) or cloud.manifest_ready(self, cluster)

    def creates_state_store(self, cluster: Cluster) -> bool:
        """Whether Terraform makes the state store (not `kops.stateStoreExternal`)."""
        return not cluster.settings.get("stateStoreExternal", False)

    def creates_network(self, cluster: Cluster) -> bool:
        """Whether Terraform makes the network kOps shares (`kops.sharedVpc`)."""
        shared = self.facts.shares_network and self.shared_vpc(cluster)
        return shared and cluster.network.existing is None

    def render_terraform(self, cluster: Cluster, renderer: Renderer) -> dict[str, str]:
        """`terraform/...`: what the cloud makes before `kops create`, or nothing."""
        if not self.creates_state_store(cluster) and not self.creates_network(cluster):
            return {}  # nothing for Terraform to make before `kops create`
        shared = {
            "cluster": {
                "id": cluster.id,
                "name": cluster.name,
                "kops_name": self.cluster_name(cluster),
                "region": cluster.region,
            },
            "state": {
                "create": self.creates_state_store(cluster),
                "bucket": self.state_bucket(cluster),
                "url": self.state_store(cluster),
            },
            "network": {"create": self.creates_network(cluster)},
        }
        context = deep_merge(shared, self.cloud.terraform_context(self, cluster))
        files = renderer.render_dir(self.facts.terraform.template_dir, context)
        files["versions.tf"] = versions_tf(cluster, renderer, self.facts.terraform.providers)
        return {f"terraform/{name}": text for name, text in files.items()}

    def render(self, cluster: Cluster, renderer: Renderer) -> dict[str, str]:
        """The manifest (the `kops` output) and the Terraform around it."""
        return {
            **kops_documents.kops_documents(self, cluster),
            **self.render_terraform(cluster, renderer),
        }

    def validate(self, cluster: Cluster) -> Iterator[Issue]:
        return kops_rules.validate(self, cluster)
