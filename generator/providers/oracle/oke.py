"""Oracle OKE: a Terraform root module per cluster (templates/oracle/oke/)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Any

from treeform.errors import Issue
from treeform.model import Cluster, NodePool
from treeform.providers import machines
from treeform.providers.base import Example
from treeform.providers.common import (
    machine_type_issues,
    pool_machines,
    refused_pool_field_issues,
    tf_id,
)
from treeform.providers.oracle.tags import cluster_tags
from treeform.providers.pools import KUBELET, pool_context
from treeform.providers.pools import taints as pool_taints
from treeform.providers.terraform import TerraformEngine, cluster_identity

#: Minor version -> the Kubernetes version OKE offers new clusters, in OKE's own `v1.33.1`
#: form, taken 2026-11-27 from the OKE "Supported Versions of Kubernetes" page. A model
#: that names a patch version ("1.33.2") gets exactly that.
PATCHES = {"1.32": "v1.32.1", "1.33": "v1.33.1", "1.34": "v1.34.1"}
VERSIONS = tuple(PATCHES)
VERSIONS_TAKEN = "2026-11-27"

#: Model addon name -> OKE cluster add-on name (oci_containerengine_addon). metrics-server
#: needs cert-manager, so asking for it installs both.
MANAGED_ADDONS = {
    "cert-manager": "CertManager",
    "cluster-autoscaler": "ClusterAutoscaler",
    "metrics-server": "KubernetesMetricsServer",
}
#: What every OKE cluster runs by itself.
BUILTIN_ADDONS = ("coredns", "kube-proxy", "flannel", "vcn-native")

#: network.cni -> the OKE CNI. Flannel (an overlay) is the default: it is the one that takes
#: the model's podCidr; VCN-native pods take addresses from the workers' subnet.
CNI_TYPES = {
    "default": "FLANNEL_OVERLAY",
    "flannel": "FLANNEL_OVERLAY",
    "vcn-native": "OCI_VCN_IP_NATIVE",
}


def image_kind(machine: machines.Machine) -> str:
    """The key of `var.node_image_ids` a shape's nodes boot from: OKE publishes its node
    images per architecture (x86_64, aarch64 for Ampere), and GPU images apart."""
    arch = "aarch64" if machine.arch == machines.ARM64 else "x86_64"
    return f"{arch}-gpu" if machine.accelerator == machines.NVIDIA else arch


#: A Flex pool without `oke.nodeShapes.<pool>` gets this (the OKE console's default for
#: VM.Standard.E4.Flex is 1 OCPU; two leave room for the node's own daemons).
DEFAULT_OCPUS = 2
DEFAULT_MEMORY_GB = 16

#: OKE boot volumes: 50 GB at least, 32 TB at most.
BOOT_MIN_GB = 50

PROVIDERS = {"oci": {"source": "oracle/oci", "version": "~> 8.28"}}


def is_flex(shape: str) -> bool:
    return shape.endswith(".Flex")


def oke_version(version: str) -> str:
    parts = version.split(".")
    return f"v{version}" if len(parts) == 3 else PATCHES.get(version, f"v{version}")


def dns_label(name: str) -> str:
    """A VCN DNS label: letters and digits, starting with a letter, at most 15."""
    label = re.sub(r"[^a-z0-9]", "", name.lower())
    return (label if label[:1].isalpha() else f"k{label}")[:15]


def _taint_init_script(taints: str) -> list[str]:
    """OKE's documented custom cloud-init, with kubelet registering the pool's taints. The
    taints passed the label rules (letters, digits, `-_./`), so they need no shell quoting."""
    return [
        "#!/bin/bash",
        'curl --fail -H "Authorization: Bearer Oracle" -L0 '
        "http://169.254.169.254/opc/v2/instance/metadata/oke_init_script "
        "| base64 --decode >/var/run/oke-init.sh",
        f'bash /var/run/oke-init.sh --kubelet-extra-args "--register-with-taints={taints}"',
    ]


class OkeEngine(TerraformEngine):
    name = "oke"
    versions: tuple[str, ...] = VERSIONS
    versions_taken = VERSIONS_TAKEN
    # OKE runs the control plane replicated by itself.
    ha_min_zones = 0
    addons: tuple[str, ...] = (*BUILTIN_ADDONS, *MANAGED_ADDONS)

    def validate(self, cluster: Cluster) -> Iterator[Issue]:
        settings = cluster.settings
        if not settings.get("compartmentId"):
            yield cluster.issue(
                ("oke", "compartmentId"),
                "OKE needs oke.compartmentId, the OCID of the compartment the cluster "
                "lives in (ocid1.compartment.oc1..., or the tenancy's OCID for the root)",
            )
        cni = cluster.network.cni
        if cni not in CNI_TYPES:
            yield cluster.issue(
                ("network", "cni"),
                f"OKE CNIs are {', '.join(CNI_TYPES)}; not {cni!r}",
            )
        if CNI_TYPES.get(cni) == "OCI_VCN_IP_NATIVE" and cluster.network.pod_cidr is not None:
            yield cluster.issue(
                ("network", "podCidr"),
                "VCN-native pods take addresses from the workers' subnet; remove podCidr",
            )
        existing = cluster.network.existing
        if existing is not None and len(existing.subnet_ids) != 3:
            yield cluster.issue(
                ("network", "existing", "subnetIds"),
                "name three subnets: the API endpoint's, the workers' and the load "
                "balancers', in that order",
            )
        shapes = settings.get("nodeShapes") or {}
        for name in shapes:
            pool = cluster.node_pools.get(name)
            if pool is None:
                yield cluster.issue(
                    ("oke", "nodeShapes", name),
                    f"no node pool {name!r} (pools: {', '.join(cluster.node_pools) or 'none'})",
                    key=True,
                )
            elif not is_flex(pool.machine_type):
                yield cluster.issue(
                    ("oke", "nodeShapes", name),
                    f"{pool.machine_type} is a fixed shape; OCPUs and memory are set only "
                    "for Flex shapes",
                    key=True,
                )
        yield from machine_type_issues(
            cluster, machines.ORACLE.form, machines.ORACLE.form_text, catalog=machines.ORACLE
        )
        for name, found in pool_machines(cluster, machines.ORACLE).items():
            if found and found[0].accelerator == machines.AMD_GPU:
                yield cluster.issue(
                    cluster.node_pools[name].machine_type_path,
                    f"{machines.describe(found[0])}: OKE node images carry NVIDIA drivers "
                    "only; choose an NVIDIA GPU shape (VM.GPU.A10.1, BM.GPU.H100.8, ...)",
                )
        yield from refused_pool_field_issues(
            cluster,
            "image",
            "takes node images by OCID, one per architecture, in var.node_image_ids; remove image",
        )
        yield from refused_pool_field_issues(
            cluster,
            "diskType",
            "boot volumes have one type (their performance is set in VPUs); remove diskType",
        )
        for name, pool in cluster.node_pools.items():
            base = ("nodePools", name)
            if pool.disk_size_gb < BOOT_MIN_GB:
                yield cluster.issue(
                    (*base, "diskSizeGb"),
                    f"OKE boot volumes are at least {BOOT_MIN_GB} GB",
                )

    def _pool(self, cluster: Cluster, pool: NodePool) -> dict[str, Any]:
        shape = (cluster.settings.get("nodeShapes") or {}).get(pool.name, {})
        flex = is_flex(pool.machine_type)
        taints = ",".join(pool_taints(pool, KUBELET))
        machine = pool_machines(cluster, machines.ORACLE)[pool.name][0]
        return {
            **pool_context(pool),
            "kubernetes_version": oke_version(pool.kubernetes_version)
            if pool.kubernetes_version
            else None,
            "image_kind": image_kind(machine),
            "flex": flex,
            "ocpus": shape.get("ocpus", DEFAULT_OCPUS) if flex else None,
            "memory_gb": shape.get("memoryGb", DEFAULT_MEMORY_GB) if flex else None,
            "boot_gb": str(pool.disk_size_gb),
            # OKE node pools have no taint setting: the node's cloud-init registers them.
            "init_script": _taint_init_script(taints) if taints else None,
        }

    def context(self, cluster: Cluster) -> dict[str, Any]:
        net = ipaddress.IPv4Network(cluster.network.cidr)
        workers, rest = net.subnets(prefixlen_diff=1)
        lbs, last = rest.subnets(prefixlen_diff=1)
        api = next(last.subnets(new_prefix=max(28, last.prefixlen)))
        existing = cluster.network.existing
        api_sources = [str(net)]
        if cluster.api_server.public:
            api_sources += list(cluster.api_server.allowed_cidrs) or ["0.0.0.0/0"]
        addons = set(cluster.addons) & set(MANAGED_ADDONS)
        if "metrics-server" in addons:
            addons.add("cert-manager")
        pools = [self._pool(cluster, p) for p in cluster.node_pools.values()]
        return {
            "cluster": {
                **cluster_identity(cluster),
                "version": oke_version(cluster.kubernetes_version),
                "cni": CNI_TYPES.get(cluster.network.cni, "FLANNEL_OVERLAY"),
                "pod_cidr": cluster.network.pod_cidr,
                "service_cidr": cluster.network.service_cidr,
            },
            "compartment_id": cluster.settings.get("compartmentId", ""),
            "tags": cluster_tags(cluster),
            "network": {
                "create": existing is None,
                "cidr": str(net),
                "dns_label": dns_label(cluster.name),
                "workers": str(workers),
                "lbs": str(lbs),
                "api": str(api),
                "private": cluster.network.private,
                "existing": (
                    {
                        "vcn_id": existing.network_id,
                        "api": existing.subnet_ids[0],
                        "workers": existing.subnet_ids[1],
                        "lbs": existing.subnet_ids[2],
                    }
                    if existing and len(existing.subnet_ids) == 3
                    else None
                ),
            },
            "api": {"public": cluster.api_server.public, "sources": api_sources},
            "pools": pools,
            "image_kinds": sorted({p["image_kind"] for p in pools}),
            "autoscaled": [p for p in pools if p["autoscale"]],
            "addons": [
                {"name": a, "tf_id": tf_id(a), "oke_name": MANAGED_ADDONS[a]}
                for a in sorted(addons)
            ],
        }


OKE = OkeEngine("oracle/oke", PROVIDERS, Example("us-ashburn-1", "VM.Standard.E4.Flex"))
