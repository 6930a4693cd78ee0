"""Azure Kubernetes Service: a Terraform root module per cluster (templates/azure/aks/)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Any

from treeform.errors import Issue
from treeform.model import Cluster, NodePool
from treeform.providers import machines, windows
from treeform.providers.azure.tags import cluster_tags
from treeform.providers.base import Example
from treeform.providers.common import (
    access_issues,
    choice_issues,
    machine_type_issues,
    pool_machines,
)
from treeform.providers.pools import KUBELET, pool_context
from treeform.providers.pools import taints as pool_taints
from treeform.providers.terraform import TerraformEngine, cluster_identity

#: Kubernetes minor versions AKS supports, taken 2026-12-01 from the AKS Kubernetes release
#: calendar (learn.microsoft.com/azure/aks/supported-kubernetes-versions) and the AKS
#: release notes (2026-09-04: 1.37 in preview; patches of 1.36, 1.35, 1.34): 1.34 to 1.36
#: in community support; 1.32 and 1.33 in long-term support only (LTS: every version from
#: 1.27 is LTS-capable, Azure/AKS#5008; one more year after community support, Premium
#: tier), which treeform does not set up (treeform.versions: an error naming LTS). 1.31
#: left LTS in 2026.
VERSIONS = ("1.32", "1.33", "1.34", "1.35", "1.36")
#: Of VERSIONS, those AKS runs only under long-term support.
LTS_VERSIONS = ("1.32", "1.33")
VERSIONS_TAKEN = "2026-12-01"

#: Addons by the name the model uses. AKS runs metrics-server, CoreDNS, the cluster
#: autoscaler (pool autoscaling), the CSI drivers and the snapshot controller by itself, and
#: treeform always turns on Azure Policy, Container Insights, the Key Vault secrets provider
#: and workload identity; the rest are switches on the cluster.
ADDONS = (
    "metrics-server",
    "coredns",
    "cluster-autoscaler",
    "azure-disk-csi-driver",
    "azure-file-csi-driver",
    "snapshot-controller",
    "azure-policy",
    "monitoring",
    "azure-keyvault-secrets-provider",
    "workload-identity",
    "azure-blob-csi-driver",
    "keda",
    "vertical-pod-autoscaler",
    "image-cleaner",
)

#: network.cni -> (network policy, network data plane). Azure CNI in overlay mode for all of
#: them (pods take addresses from podCidr, not from the VNet), except with virtual nodes,
#: which need pods on the VNet (flat Azure CNI).
CNI = {
    "default": ("calico", "azure"),
    "azure": ("azure", "azure"),
    "calico": ("calico", "azure"),
    "cilium": ("cilium", "cilium"),
}

#: AKS ranges treeform uses when the model names none. AKS's own default service range
#: (10.0.0.0/16) is the model's default network range, so treeform picks another one.
DEFAULT_POD_CIDR = "10.244.0.0/16"
DEFAULT_SERVICE_CIDR = "172.16.0.0/16"

#: Pods per node with flat Azure CNI (virtual nodes): each takes a VNet address, so AKS's
#: own default is a low 30; treeform takes 50, the least that CKV_AZURE_168 (and Microsoft's
#: AKS guidance) accepts, and the subnet fit rule counts with it.
FLAT_MAX_PODS = 50
#: Pods per node with Azure CNI overlay: AKS's own default, written so it is stated.
OVERLAY_MAX_PODS = 250

#: The AKS built-in roles of the model's access roles (Azure RBAC for Kubernetes
#: authorization, taken 2026-12-01): the Kubernetes user-facing roles, as Azure names them.
ACCESS_ROLES = {
    "cluster-admin": "Azure Kubernetes Service RBAC Cluster Admin",
    "admin": "Azure Kubernetes Service RBAC Admin",
    "edit": "Azure Kubernetes Service RBAC Writer",
    "view": "Azure Kubernetes Service RBAC Reader",
}
_OBJECT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")


def _access(cluster: Cluster) -> dict[str, dict[str, str]]:
    """A role assignment per grant and namespace, keyed `PRINCIPAL ROLE [NAMESPACE]`."""
    out: dict[str, dict[str, str]] = {}
    for g in cluster.access:
        for ns in g.namespaces or (None,):
            key = f"{g.principal} {g.role}" + (f" {ns}" if ns else "")
            out[key] = {
                "principal": g.principal,
                "role": ACCESS_ROLES[g.role],
                "scope": f"/namespaces/{ns}" if ns else "",  # below the cluster's id
            }
    return out


def _snake(name: str) -> str:
    """An autoscalerProfile key as auto_scaler_profile names it."""
    return re.sub(r"[A-Z]", lambda m: "_" + m.group(0).lower(), name)


def _network_settings_issues(cluster: Cluster) -> Iterator[Issue]:
    settings = cluster.settings
    outbound = settings.get("outboundType")
    created = cluster.network.existing is None
    if outbound == "userDefinedRouting" and created:
        yield cluster.issue(
            ("aks", "outboundType"),
            "userDefinedRouting sends egress through the route table of your subnet (to a "
            "firewall); the network treeform creates has none: use network.existing",
        )
    if outbound == "userAssignedNATGateway" and not (created and cluster.network.private):
        yield cluster.issue(
            ("aks", "outboundType"),
            "treeform makes the NAT gateway only on the network it creates with topology "
            "private; use loadBalancer or userDefinedRouting here",
        )
    if outbound == "loadBalancer" and created and cluster.network.private:
        yield cluster.issue(
            ("aks", "outboundType"),
            "topology private egresses through the NAT gateway treeform makes; set "
            "network.topology: public for loadBalancer",
        )
    if "privateDnsZoneId" in settings and cluster.api_server.public:
        yield cluster.issue(
            ("aks", "privateDnsZoneId"),
            "a private DNS zone is for a private API server; apiServer.public is true",
        )


def _maintenance_window(cluster: Cluster) -> dict[str, Any]:
    """maintenance_window_auto_upgrade and _node_os: the model's window, or Sunday nights
    UTC, four hours."""
    m = cluster.maintenance
    if m is None:
        return {
            "frequency": "Weekly",
            "day_of_week": "Sunday",
            "start_time": "00:00",
            "utc_offset": "+00:00",
            "duration": 4,
            "not_allowed": [],
        }
    return {
        "frequency": "Daily" if m.day == "daily" else "Weekly",
        "day_of_week": None if m.day == "daily" else m.day.capitalize(),
        "start_time": m.start,
        "utc_offset": m.utc_offset,
        "duration": m.hours,
        "not_allowed": [
            {"start": windows.rfc3339_utc(e.start), "end": windows.rfc3339_utc(e.end)}
            for e in m.exclusions
        ],
    }


#: A versioned Key Vault key id, as key_management_service takes it.
_KEY_VAULT_KEY = re.compile(
    r"https://[a-zA-Z0-9-]{3,24}\.vault\.(azure\.net|azure\.cn|usgovcloudapi\.net)"
    r"/keys/[a-zA-Z0-9-]{1,127}/[a-f0-9]{32}\Z"
)
#: Linux node pool names: lowercase letters and digits, starting with a letter, 1-12.
_POOL_NAME = re.compile(r"^[a-z][a-z0-9]{0,11}\Z")
#: Node images (nodePools.<p>.image) -> the pool's `os_sku`; both run on x86_64 and Arm64
#: sizes and take AKS's NVIDIA driver installation. Ubuntu is AKS's default for Linux.
OS_SKUS = {"ubuntu": "Ubuntu", "azurelinux": "AzureLinux"}
DEFAULT_IMAGE = "ubuntu"
#: GPU pools: AKS installs the NVIDIA driver (`gpu_driver`, the provider's and AKS's
#: "Install"), stated so that the pool says what it gets.
GPU_DRIVER = "Install"
_SUBNET_ID = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/"
    r"virtualNetworks/[^/]+/subnets/([^/]+)\Z",
    re.IGNORECASE,
)
_DISK_ENCRYPTION_SET_ID = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Compute/"
    r"diskEncryptionSets/[^/]+$",
    re.IGNORECASE,
)
_VNET_ID = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/"
    r"virtualNetworks/[^/]+\Z",
    re.IGNORECASE,
)
#: The one taint a system pool may carry: it keeps user pods off the system pool.
CRITICAL_ADDONS_ONLY = ("CriticalAddonsOnly", "true", "NoSchedule")
SPOT_LABEL = "kubernetes.azure.com/scalesetpriority"

PROVIDERS = {"azurerm": {"source": "hashicorp/azurerm", "version": "~> 4.0"}}


def system_pool_name(cluster: Cluster) -> str | None:
    """The pool that becomes the default (system) node pool: `aks.systemPool`, or the first
    pool in the model's order (inherited pools before the cluster's own)."""
    chosen = cluster.settings.get("systemPool")
    if chosen is not None:
        return str(chosen)
    order = list(cluster.data.get("nodePools") or {})
    return order[0] if order else None


def _runs_workloads(pool: NodePool) -> bool:
    """Whether ordinary pods can land on a pool: on-demand nodes without a taint that keeps
    untolerating pods off (NoSchedule, NoExecute)."""
    return not pool.spot and all(t.effect == "PreferNoSchedule" for t in pool.taints)


def critical_addons_only(cluster: Cluster) -> tuple[bool, str]:
    """Whether the system pool runs only critical system pods (only_critical_addons_enabled),
    and what decided it: "taint" (the CriticalAddonsOnly taint in the model), "setting"
    (`aks.systemPoolCriticalAddonsOnly`) or "auto": on when another pool can run the ordinary
    workloads, so that pods never stay Pending for want of a pool."""
    system = system_pool_name(cluster)
    pool = cluster.node_pools.get(system or "")
    if pool is not None and any(
        (t.key, t.value, t.effect) == CRITICAL_ADDONS_ONLY for t in pool.taints
    ):
        return True, "taint"
    chosen = cluster.settings.get("systemPoolCriticalAddonsOnly")
    if chosen is not None:
        return bool(chosen), "setting"
    others = [p for p in cluster.node_pools.values() if p.name != system and _runs_workloads(p)]
    return bool(others), "auto"


def _subnets(cidr: str) -> dict[str, str]:
    """The VNet's subnets: nodes get the first half, virtual nodes (ACI) the fifth eighth."""
    net = ipaddress.IPv4Network(cidr)
    half = list(net.subnets(prefixlen_diff=1))
    eighths = list(net.subnets(prefixlen_diff=3))
    return {"nodes": str(half[0]), "virtual_nodes": str(eighths[4])}


class AksEngine(TerraformEngine):
    name = "aks"
    versions: tuple[str, ...] = VERSIONS
    versions_taken = VERSIONS_TAKEN
    lts_versions: tuple[str, ...] = LTS_VERSIONS
    # The control plane of the Standard tier spreads over the region's zones by itself; a
    # cluster that must survive a zone loss needs its nodes in two zones at least.
    ha_min_zones = 2
    addons: tuple[str, ...] = ADDONS

    def validate(self, cluster: Cluster) -> Iterator[Issue]:
        settings = cluster.settings
        virtual_nodes = bool(settings.get("virtualNodes"))
        yield from self._pool_issues(cluster)
        if cluster.secrets_key is not None:
            if not _KEY_VAULT_KEY.match(cluster.secrets_key):
                yield cluster.issue(
                    ("encryption", "secretsKey"),
                    "is not a Key Vault key id with its version "
                    "(https://VAULT.vault.azure.net/keys/NAME/VERSION)",
                )
            if "keyVaultId" not in settings:
                yield cluster.issue(
                    ("encryption", "secretsKey"),
                    "AKS's identity needs Key Vault Crypto User on the key's vault; set "
                    "aks.keyVaultId to the vault's resource id",
                )
        elif "keyVaultId" in settings:
            yield cluster.issue(
                ("aks", "keyVaultId"), "is the vault of encryption.secretsKey; set that too"
            )
        yield from access_issues(
            cluster,
            _OBJECT_ID,
            "an Entra object id (the lowercase GUID of a user, group or service principal)",
        )
        yield from _network_settings_issues(cluster)
        system = system_pool_name(cluster) if cluster.node_pools else None
        for name, pool in cluster.node_pools.items():
            # AKS takes 10 to 250 pods a node, and 30 at least on the system pool (AKS's
            # networking overview, taken 2026-12-01).
            least = 30 if name == system else 10
            if pool.max_pods is not None and pool.max_pods < least:
                yield cluster.issue(
                    ("nodePools", name, "maxPods"),
                    f"AKS takes at least {least} pods a node"
                    + (" on the system pool" if name == system else ""),
                )
        if cluster.network.cni not in CNI:
            yield cluster.issue(
                ("network", "cni"),
                f"AKS runs Azure CNI; cni {cluster.network.cni!r} is not supported "
                f"(use {', '.join(CNI)})",
            )
        if cluster.api_server.allowed_cidrs and not cluster.api_server.public:
            yield cluster.issue(
                ("apiServer", "allowedCidrs"),
                "an AKS private cluster has no public endpoint to restrict; set "
                "apiServer.public: true to use allowedCidrs, or remove them",
            )
        if virtual_nodes:
            if cluster.network.cni == "cilium":
                yield cluster.issue(
                    ("network", "cni"),
                    "virtual nodes need flat Azure CNI, which the Cilium data plane does not "
                    "run on; use default, azure or calico",
                )
            if cluster.network.pod_cidr is not None:
                yield cluster.issue(
                    ("network", "podCidr"),
                    "with virtual nodes pods take addresses from the VNet (flat Azure CNI, no "
                    "overlay); remove podCidr",
                )
            if cluster.api_server.public and cluster.api_server.allowed_cidrs:
                yield cluster.issue(
                    ("apiServer", "allowedCidrs"),
                    "virtual nodes do not work with API server authorized IP ranges; remove "
                    "allowedCidrs or aks.virtualNodes",
                )
        des = settings.get("diskEncryptionSetId")
        if des is not None:
            if not _DISK_ENCRYPTION_SET_ID.match(str(des)):
                yield cluster.issue(
                    ("aks", "diskEncryptionSetId"),
                    "must be the resource id of a disk encryption set "
                    "(/subscriptions/.../providers/Microsoft.Compute/diskEncryptionSets/NAME)",
                )
            if virtual_nodes:
                yield cluster.issue(
                    ("aks", "diskEncryptionSetId"),
                    "AKS does not support customer-managed disk keys with virtual nodes; "
                    "remove aks.diskEncryptionSetId or aks.virtualNodes",
                )
        yield from self._network_issues(cluster, virtual_nodes)

    def _pool_issues(self, cluster: Cluster) -> Iterator[Issue]:
        if not cluster.node_pools:
            yield cluster.issue(
                "nodePools", "AKS needs at least one node pool: the first is the system pool"
            )
            return
        system = system_pool_name(cluster)
        if system not in cluster.node_pools:
            yield cluster.issue(
                ("aks", "systemPool"),
                f"{system!r} is not one of the cluster's node pools "
                f"({', '.join(cluster.node_pools)})",
            )
        yield from machine_type_issues(
            cluster, machines.AZURE.form, machines.AZURE.form_text, catalog=machines.AZURE
        )
        yield from self._machine_issues(cluster)
        for name, pool in cluster.node_pools.items():
            base = ("nodePools", name)
            if not _POOL_NAME.match(name):
                yield cluster.issue(
                    base,
                    f"AKS node pool names are 1-12 lowercase letters and digits starting with "
                    f"a letter (Linux pools); {name!r} is not "
                    f"(try {re.sub(r'[^a-z0-9]', '', name)[:12]!r})",
                    key=True,
                )
            if name == system:
                yield from self._system_pool_issues(cluster, pool)

    def _machine_issues(self, cluster: Cluster) -> Iterator[Issue]:
        yield from choice_issues(cluster, "image", OS_SKUS, "node image")
        yield from choice_issues(
            cluster, "diskType", dict.fromkeys(machines.AKS_OS_DISKS), "OS disk type"
        )
        for name, found in pool_machines(cluster, machines.AZURE).items():
            if not found:
                continue
            machine, pool = found[0], cluster.node_pools[name]
            if machine.accelerator in (machines.AMD_GPU, machines.OTHER):
                yield cluster.issue(
                    pool.machine_type_path,
                    f"{machines.describe(machine)}: AKS installs GPU drivers for NVIDIA sizes "
                    "only (NC, ND, NV except NVv4); choose one of those",
                )
            disk = pool.disk_type
            if disk in machines.AKS_OS_DISKS and disk not in machine.disks:
                yield cluster.issue(
                    ("nodePools", name, "diskType"),
                    f"{machine.name} has no local disk to hold an ephemeral OS disk; it takes "
                    f"{', '.join(machine.disks)} (or choose a size with a d, like "
                    "Standard_D4ds_v5)",
                )

    def _system_pool_issues(self, cluster: Cluster, pool: NodePool) -> Iterator[Issue]:
        base = ("nodePools", pool.name)
        if pool.spot:
            yield cluster.issue(
                (*base, "spot"),
                f"{pool.name!r} is the system pool, which cannot run on Spot VMs (evictions "
                "would take CoreDNS and the other system pods); choose another aks.systemPool "
                "or set spot: false",
            )
        if pool.min_size < 1:
            yield cluster.issue(
                (*base, "minSize"),
                f"{pool.name!r} is the system pool, which needs at least one node",
            )
        tainted = any((t.key, t.value, t.effect) == CRITICAL_ADDONS_ONLY for t in pool.taints)
        if tainted and cluster.settings.get("systemPoolCriticalAddonsOnly") is False:
            yield cluster.issue(
                ("aks", "systemPoolCriticalAddonsOnly"),
                f"the system pool {pool.name!r} carries the CriticalAddonsOnly taint, which is "
                "what this setting turns on; remove the taint or this setting",
            )
        for i, taint in enumerate(pool.taints):
            if (taint.key, taint.value, taint.effect) != CRITICAL_ADDONS_ONLY:
                yield cluster.issue(
                    (*base, "taints", i),
                    f"{pool.name!r} is the system pool: AKS takes no taint on it but "
                    "CriticalAddonsOnly=true:NoSchedule; move this taint to another pool",
                )

    def _network_issues(self, cluster: Cluster, virtual_nodes: bool) -> Iterator[Issue]:
        existing = cluster.network.existing
        if existing is not None:
            if not _VNET_ID.match(existing.network_id):
                yield cluster.issue(
                    ("network", "existing", "networkId"),
                    "must be the resource id of a virtual network "
                    "(/subscriptions/.../providers/Microsoft.Network/virtualNetworks/NAME)",
                )
            for i, subnet in enumerate(existing.subnet_ids):
                if not _SUBNET_ID.match(subnet):
                    yield cluster.issue(
                        ("network", "existing", "subnetIds", i),
                        "must be the resource id of a subnet "
                        "(.../virtualNetworks/NAME/subnets/NAME)",
                    )
            wanted = 2 if virtual_nodes else 1
            if len(existing.subnet_ids) != wanted:
                yield cluster.issue(
                    ("network", "existing", "subnetIds"),
                    "AKS takes the nodes' subnet"
                    + (
                        ", then the virtual nodes' subnet (delegated to "
                        "Microsoft.ContainerInstance/containerGroups)"
                        if virtual_nodes
                        else ""
                    )
                    + f": {wanted} subnet id(s), not {len(existing.subnet_ids)}",
                )
        try:
            vnet = ipaddress.ip_network(cluster.network.cidr)
            service = ipaddress.ip_network(cluster.network.service_cidr or DEFAULT_SERVICE_CIDR)
            pods = ipaddress.ip_network(cluster.network.pod_cidr or DEFAULT_POD_CIDR)
        except ValueError:
            return  # the shared rules report malformed ranges
        if cluster.network.service_cidr is None and service.overlaps(vnet):
            yield cluster.issue(
                ("network", "cidr"),
                f"{vnet} overlaps the service range treeform gives AKS ({service}); set "
                "network.serviceCidr to a range apart from the network",
            )
        if (
            not virtual_nodes
            and cluster.network.pod_cidr is None
            and (pods.overlaps(vnet) or pods.overlaps(service))
        ):
            yield cluster.issue(
                ("network", "cidr"),
                f"{vnet} or the service range overlaps the default pod range ({pods}); set "
                "network.podCidr to a range apart from both",
            )
        if virtual_nodes and existing is None and vnet.version == 4:
            # Flat Azure CNI: every node and each of its pods takes an address of the node
            # subnet (Azure keeps five of every subnet), and an upgrade adds a surge node.
            node_subnet = ipaddress.ip_network(_subnets(str(vnet))["nodes"])
            need = sum(
                (p.max_size + 1) * ((p.max_pods or FLAT_MAX_PODS) + 1)
                for p in cluster.node_pools.values()
            )
            given = any(p.max_pods for p in cluster.node_pools.values())
            per_node = "maxPods" if given else str(FLAT_MAX_PODS)
            if need > node_subnet.num_addresses - 5:
                yield cluster.issue(
                    ("network", "cidr"),
                    f"with virtual nodes every pod takes a VNet address: the pools' maxSize "
                    f"need {need} addresses ({per_node} pods a node), more than the node "
                    f"subnet {node_subnet} holds; use a larger network.cidr or smaller pools",
                )

    def context(self, cluster: Cluster) -> dict[str, Any]:
        settings = cluster.settings
        virtual_nodes = bool(settings.get("virtualNodes"))
        system = system_pool_name(cluster)
        policy, data_plane = CNI[cluster.network.cni]
        version = cluster.kubernetes_version
        # A minor version floats on its latest patch, which the patch channel keeps current;
        # a pinned patch keeps still and only the node images move.
        pinned = version.count(".") == 2
        channel = settings.get("automaticUpgradeChannel") or ("node-image" if pinned else "patch")
        pools = []
        found = pool_machines(cluster, machines.AZURE)
        for pool in cluster.node_pools.values():
            machine = found[pool.name][0]
            labels = dict(pool.labels)
            taints = pool_taints(pool, KUBELET)
            if pool.spot:
                # AKS puts these on every Spot node; stating them keeps Terraform from
                # seeing a difference, and workloads must tolerate the taint to land there.
                labels[SPOT_LABEL] = "spot"
                spot_taint = f"{SPOT_LABEL}=spot:NoSchedule"
                if spot_taint not in taints:
                    taints.append(spot_taint)
            pools.append(
                {
                    **pool_context(pool),
                    "system": pool.name == system,
                    "os_sku": OS_SKUS[pool.image or DEFAULT_IMAGE],
                    "os_disk_type": pool.disk_type or machine.disks[0],
                    "gpu_driver": GPU_DRIVER if machine.accelerator == machines.NVIDIA else None,
                    "labels": dict(sorted(labels.items())),
                    "taints": taints,
                    "temporary_name": f"tmp{pool.name}"[:12],
                    "max_pods": pool.max_pods
                    or (FLAT_MAX_PODS if virtual_nodes else OVERLAY_MAX_PODS),
                }
            )
        pools.sort(key=lambda p: not p["system"])  # the system pool first, then by name
        critical_only, critical_reason = critical_addons_only(cluster)
        existing = cluster.network.existing
        subnets = _subnets(cluster.network.cidr) if existing is None else None
        addons = set(cluster.addons)
        service_cidr = cluster.network.service_cidr or DEFAULT_SERVICE_CIDR
        service_net = ipaddress.IPv4Network(service_cidr)
        return {
            "cluster": {
                **cluster_identity(cluster),
                "version": version if pinned else cluster.minor_version,
                "sku_tier": "Standard" if cluster.high_availability else "Free",
                "upgrade_channel": channel,
            },
            "subscription_id": cluster.account.get("subscriptionId"),
            "resource_group": cluster.account.get("resourceGroup") or f"rg-{cluster.name}",
            "tags": cluster_tags(cluster),
            "network": {
                "create": existing is None,
                "cidr": cluster.network.cidr,
                "subnets": subnets,
                "existing": (
                    {
                        "vnet_id": existing.network_id,
                        "node_subnet_id": existing.subnet_ids[0],
                        "virtual_nodes_subnet_id": (
                            existing.subnet_ids[1] if len(existing.subnet_ids) > 1 else None
                        ),
                        # aci_connector_linux takes the subnet's name, the id's last part.
                        "virtual_nodes_subnet_name": (
                            existing.subnet_ids[1].rsplit("/", 1)[-1]
                            if len(existing.subnet_ids) > 1
                            else None
                        ),
                    }
                    if existing
                    else None
                ),
                # Private topology: egress through a NAT gateway on the node subnet of the
                # network treeform creates; otherwise through the load balancer.
                "nat": existing is None and cluster.network.private,
                "outbound_type": settings.get("outboundType")
                or (
                    "userAssignedNATGateway"
                    if existing is None and cluster.network.private
                    else "loadBalancer"
                ),
                "overlay": not virtual_nodes,
                "max_pods": FLAT_MAX_PODS if virtual_nodes else OVERLAY_MAX_PODS,
                "policy": policy,
                "data_plane": data_plane,
                "pod_cidr": (
                    None if virtual_nodes else (cluster.network.pod_cidr or DEFAULT_POD_CIDR)
                ),
                "service_cidr": service_cidr,
                "dns_service_ip": str(service_net.network_address + 10),
            },
            "api": {
                "public": cluster.api_server.public,
                "allowed_cidrs": list(cluster.api_server.allowed_cidrs),
            },
            "admin_group_ids": list(settings.get("adminGroupObjectIds") or []),
            "secrets_key": cluster.secrets_key,
            "key_vault_id": settings.get("keyVaultId"),
            "maintenance": _maintenance_window(cluster),
            "access": _access(cluster),
            "private_dns_zone_id": settings.get("privateDnsZoneId"),
            "acr_ids": list(settings.get("acrIds") or []),
            "autoscaler_profile": {
                _snake(k): v for k, v in sorted((settings.get("autoscalerProfile") or {}).items())
            },
            "access_principals": sorted({g.principal for g in cluster.access}),
            "cluster_maintenance_given": cluster.maintenance is not None,
            "spot": {
                "eviction_policy": settings.get("spotEvictionPolicy", "Delete"),
                # -1 (pay up to the on-demand price) is the provider's default for
                # spot_max_price, so only a real cap is written.
                "max_price": (
                    None if settings.get("spotMaxPrice", -1) == -1 else settings["spotMaxPrice"]
                ),
            },
            "virtual_nodes": virtual_nodes,
            "pools": pools,
            "critical_addons_only": critical_only,
            "critical_addons_decided_by": critical_reason,
            "disk_encryption_set_id": settings.get("diskEncryptionSetId"),
            "addons": {
                "blob_driver": "azure-blob-csi-driver" in addons,
                "keda": "keda" in addons,
                "vpa": "vertical-pod-autoscaler" in addons,
                "image_cleaner": "image-cleaner" in addons,
            },
        }


AKS = AksEngine("azure/aks", PROVIDERS, Example("eastus", "Standard_D4s_v5"))
