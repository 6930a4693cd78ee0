"""The kOps documents of a cluster: the `Cluster` and its `InstanceGroup`s
(`kops.k8s.io/v1alpha2`), built as Python data from the model and the cloud's fields, the
escape hatches (`kops.clusterSpec`, `nodePools.<p>.kops.spec`) merged last, and dumped with
their keys in alphabetical order, as kOps writes them.

`kops_documents(engine, cluster)` is the entry point of the `kops` output: the manifest
files of a cluster, `{"kops/cluster.yaml": text}` (nothing while the manifest has to wait).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from treeform.model import Cluster, NodePool
from treeform.providers.common import pool_machines
from treeform.providers.kops import (
    API_VERSION,
    CLUSTER_LABEL,
    CNI_WITHOUT_KUBE_PROXY,
    ETCD_CLUSTERS,
    ETCD_MEMBER_FIELDS,
    GROUP_LABEL,
    NEEDS_CERT_MANAGER,
    ROLE_KEYS,
    ROOT_VOLUME_FIELDS,
    Group,
    Subnet,
    deep_merge,
    kops_kubernetes_version,
    sort_keys,
    trim_common_prefix,
)
from treeform.providers.pools import KUBELET, taints
from treeform.render import to_yaml

if TYPE_CHECKING:
    from treeform.providers.kops_engine import KopsEngine

#: The one manifest file of a kOps cluster.
MANIFEST = "kops/cluster.yaml"


def kops_documents(engine: KopsEngine, cluster: Cluster) -> dict[str, str]:
    """The manifest files of a cluster: `kops/cluster.yaml`, unless it has to wait."""
    if not engine.manifest_ready(cluster):
        return {}
    return {MANIFEST: manifest(engine, cluster)}


def manifest(engine: KopsEngine, cluster: Cluster) -> str:
    """`kops/cluster.yaml`: the documents separated by `---`, as kOps writes them."""
    return "\n---\n\n".join(to_yaml(doc) for doc in documents(engine, cluster))


def documents(engine: KopsEngine, cluster: Cluster) -> list[dict[str, Any]]:
    """The Cluster document, then the InstanceGroups (bastion, control plane, nodes)."""
    name = engine.cluster_name(cluster)
    groups = engine.groups(cluster)
    subnets = engine.subnets(cluster)
    # The escape hatches (kops.clusterSpec, nodePools.<p>.kops.spec) are merged last.
    spec = deep_merge(
        cluster_spec(engine, cluster, groups, subnets), engine.cluster_overlay(cluster)
    )
    docs: list[dict[str, Any]] = [
        {
            "apiVersion": API_VERSION,
            "kind": "Cluster",
            "metadata": {"name": name},
            "spec": sort_keys(spec),
        }
    ]
    for group in groups:
        group_spec = deep_merge(
            instance_group_spec(engine, cluster, group, subnets), group.overlay or {}
        )
        docs.append(
            {
                "apiVersion": API_VERSION,
                "kind": "InstanceGroup",
                "metadata": {"labels": {CLUSTER_LABEL: name}, "name": group.name},
                "spec": sort_keys(group_spec),
            }
        )
    return docs


# --- the Cluster -------------------------------------------------------------------------
def cluster_spec(
    engine: KopsEngine, cluster: Cluster, groups: list[Group], subnets: list[Subnet]
) -> dict[str, Any]:
    cloud, facts = engine.cloud, engine.facts
    name = engine.cluster_name(cluster)
    cps = [g for g in groups if g.role == "ControlPlane"]
    members = trim_common_prefix([g.name for g in cps])
    etcd = engine.mapping_setting(cluster, "etcd")
    spec: dict[str, Any] = {
        "api": api(engine, cluster),
        "authorization": {"rbac": {}},
        "channel": str(cluster.settings.get("channel", "stable")),
        "cloudProvider": facts.provider,
        "configBase": f"{engine.state_store(cluster)}/{name}",
        "etcdClusters": [
            {
                "cpuRequest": cpu,
                "etcdMembers": [
                    etcd_member(engine, cluster, g.name, member)
                    for g, member in zip(cps, members, strict=True)
                ],
                "manager": {"backupRetentionDays": 90},
                "memoryRequest": "100Mi",
                "name": etcd_name,
            }
            for etcd_name, cpu in ETCD_CLUSTERS
            if etcd_name == "main" or etcd.get("events", True)
        ],
        "iam": {"allowContainerRegistry": True, "legacy": False},
        "kubelet": {"anonymousAuth": False},
        "kubernetesApiAccess": engine.access_cidrs(cluster),
        "kubernetesVersion": kops_kubernetes_version(cluster.kubernetes_version),
        "networking": networking(engine, cluster),
        "nonMasqueradeCIDR": engine.non_masquerade_cidr(cluster),
        "sshAccess": engine.ssh_access(cluster),
        "subnets": [s.doc() for s in subnets],
        "topology": {"dns": {"type": engine.dns_type(cluster)}},
    }
    if engine.dns_type(cluster) != "None":
        spec["dnsZone"] = engine.dns_zone(cluster)
        if engine.bastion(cluster):
            spec["topology"]["bastion"] = {"bastionPublicName": f"bastion.{name}"}
    if facts.takes_network_cidr:
        # An existing network: its range as the model gives it, else none, and kOps reads
        # it from the network (cloudup/defaults.go); never treeform's default range.
        network_cidr = engine.known_network_cidr(cluster)
        if network_cidr is not None:
            spec["networkCIDR"] = network_cidr
    if cluster.network.existing is not None:
        spec["networkID"] = cluster.network.existing.network_id
    if cluster.network.pod_cidr:
        spec["podCIDR"] = cluster.network.pod_cidr
    if cluster.network.service_cidr:
        spec["serviceClusterIPRange"] = cluster.network.service_cidr
    if cluster.tags:
        spec["cloudLabels"] = cloud.labels_of(cluster.tags)
    if engine.cni(cluster) in CNI_WITHOUT_KUBE_PROXY:
        spec["kubeProxy"] = {"enabled": False}
    addons = set(cluster.addons)
    if addons & NEEDS_CERT_MANAGER:
        addons.add("cert-manager")
    for addon in sorted(addons):
        target = spec
        *parents, leaf = facts.addon_fields[addon]
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = {"enabled": True}
    store = engine.discovery_store(cluster)
    if store:
        # As `kops create --discovery-store` writes it: the store joined with the name.
        discovery: dict[str, Any] = {"discoveryStore": f"{store}/{name}"}
        if facts.discovery is not None:
            discovery.update(facts.discovery.issuer)
            spec["iam"].update(facts.discovery.iam)
        spec["serviceAccountIssuerDiscovery"] = discovery
    egress = cluster.settings.get("egress")
    if egress:
        for subnet in spec["subnets"]:
            if subnet["type"] == "Private":
                subnet["egress"] = str(egress)
    spec.update(cloud.cluster_fields(engine, cluster))
    return spec


def networking(engine: KopsEngine, cluster: Cluster) -> dict[str, Any]:
    """`spec.networking`: the block of the model's CNI on this cloud."""
    return {k: dict(v) for k, v in engine.facts.cnis[engine.cni(cluster)].items()}


def api(engine: KopsEngine, cluster: Cluster) -> dict[str, Any]:
    """`spec.api`: a load balancer, internal when the model keeps the API server private, or
    with `kops.apiLoadBalancer.dnsOnly` DNS records of the control planes (`kops create
    cluster --api-loadbalancer-type ""` on a public topology)."""
    settings = engine.api_settings(cluster)
    if settings.get("dnsOnly"):
        return {"dns": {}}
    balancer: dict[str, Any] = {"type": "Public" if cluster.api_server.public else "Internal"}
    if engine.facts.load_balancer_class is not None:
        balancer["class"] = str(settings.get("class", engine.facts.load_balancer_class))
    return {"loadBalancer": balancer}


def etcd_member(engine: KopsEngine, cluster: Cluster, group: str, name: str) -> dict[str, Any]:
    """One member of an etcd cluster: the cloud's defaults, then `kops.etcd`."""
    member: dict[str, Any] = {
        **engine.facts.etcd_member_defaults,
        "instanceGroup": group,
        "name": name,
    }
    etcd = engine.mapping_setting(cluster, "etcd")
    for key, target in ETCD_MEMBER_FIELDS.items():
        if key in etcd:
            member[target] = etcd[key]
    return member


# --- the InstanceGroups ------------------------------------------------------------------
def group_subnets(group: Group, subnets: list[Subnet]) -> list[str]:
    """The subnets a group runs in: the node subnets (Private or Public) of its zones, a
    regional subnet (GCE, Azure) for every zone; a bastion too, behind the load balancer
    kOps puts in the Utility subnets. IPv6, private: nodes in the IPv6-only subnets, the
    rest dual-stack (`--ipv6`)."""
    if any(s.type == "DualStack" for s in subnets):
        kind = "Private" if group.role == "Node" else "DualStack"
        return [s.name for s in subnets if s.type == kind and s.zone in group.zones]
    return [
        s.name for s in subnets if s.type != "Utility" and (s.zone is None or s.zone in group.zones)
    ]


def disk_type(engine: KopsEngine, cluster: Cluster, pool: NodePool) -> str | None:
    """`rootVolumeType` of a pool's group: the model's; else kOps's own default where the
    family takes it (so existing groups keep their disks), else the family's default."""
    catalog = engine.facts.machines.catalog
    if pool.disk_type or catalog is None:
        return pool.disk_type
    found = pool_machines(cluster, catalog.table).get(pool.name) or []
    if not found or not found[0].disks:
        return None
    disks = found[0].disks
    return catalog.root_volume if catalog.root_volume in disks else disks[0]


def instance_group_spec(
    engine: KopsEngine, cluster: Cluster, group: Group, subnets: list[Subnet]
) -> dict[str, Any]:
    cloud = engine.cloud
    spec: dict[str, Any] = {
        "machineType": group.machine_type,
        "maxSize": group.max_size,
        "minSize": group.min_size,
        "role": group.role,
        "subnets": group_subnets(group, subnets),
    }
    labels: dict[str, str] = {}
    if group.pool is not None:
        pool = group.pool
        labels.update(pool.labels)
        # Without diskSizeGb kOps's own default applies (KOPS_ROOT_VOLUME_GB).
        if engine.pool_given(cluster, pool.name, "diskSizeGb"):
            spec["rootVolumeSize"] = pool.disk_size_gb
        # Likewise the volume type: written when the model names one, or when the family
        # cannot attach kOps's default (a Hyperdisk-only family, say).
        disk = disk_type(engine, cluster, pool)
        if disk is not None and (pool.disk_type or disk != _root_volume(engine)):
            spec["rootVolumeType"] = disk
        if pool.taints:
            spec["taints"] = taints(pool, KUBELET)
    labels[GROUP_LABEL] = group.name
    spec["nodeLabels"] = labels
    if group.pool is not None:
        pool_labels = engine.pool_settings(cluster, group.pool.name).get("cloudLabels") or {}
        merged = {**cluster.tags, **{str(k): str(v) for k, v in pool_labels.items()}}
        if merged:
            spec["cloudLabels"] = cloud.labels_of(merged)
    image = cluster.settings.get("image")
    if image:
        spec["image"] = str(image)
    spec.update(cloud.group_fields(engine, cluster, group))
    spec.update(role_fields(engine, cluster, group))
    return spec


def _root_volume(engine: KopsEngine) -> str | None:
    catalog = engine.facts.machines.catalog
    return catalog.root_volume if catalog is not None else None


def role_settings(cluster: Cluster, role: str) -> Mapping[str, Any]:
    """`kops.roles.<controlPlane|bastion|node>`, or {}."""
    roles = cluster.settings.get("roles") or {}
    value = roles.get(ROLE_KEYS[role]) if isinstance(roles, Mapping) else None
    return value if isinstance(value, Mapping) else {}


def role_fields(engine: KopsEngine, cluster: Cluster, group: Group) -> dict[str, Any]:
    """The image and root volume of every group of a role (`kops.roles`); a pool's own
    diskSizeGb wins over the role's size."""
    role = role_settings(cluster, group.role)
    fields: dict[str, Any] = {}
    if "image" in role:
        fields["image"] = str(role["image"])
    volume = role.get("rootVolume") or {}
    pool_size = group.pool is not None and engine.pool_given(cluster, group.name, "diskSizeGb")
    for key, target in ROOT_VOLUME_FIELDS.items():
        if key in volume and not (key == "sizeGb" and pool_size):
            fields[target] = volume[key]
    return fields
