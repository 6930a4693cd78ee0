"""Names and their length limits, in one place.

A cluster name is a DNS-1123 label (the schema); each engine adds its own limit, chosen so
that every resource name derived from the cluster name also fits its cloud's limit.
"""

from __future__ import annotations

#: The longest cluster name each engine accepts, and why.
MAX_CLUSTER_NAME = {
    # EKS allows 100, but IAM role names (64) carry the name plus "-eks-node-group".
    "eks": 40,
    # kOps cluster names are DNS names (name + dns zone); the label itself is limited here.
    "kops": 40,
    # GKE: 40 characters; node service account ids are 6-30 characters.
    "gke": 40,
    # AKS: 63, but the node resource group name "MC_<rg>_<name>_<region>" must stay under 80.
    "aks": 40,
    "doks": 63,
    "ack": 63,
    "tke": 50,
    "cce": 50,
    "iks": 32,
    "oke": 63,
}

#: The longest node pool name each engine's cloud accepts, where treeform derives one.
#: CCE: 1-50 characters (treeform names a pool's node pool in each zone `<pool>-<zone>`);
#: IKS worker pools and OKE node pools: the pool name itself.
MAX_NODE_POOL_NAME = {
    "cce": 50,
    "iks": 32,
    "oke": 255,
}
