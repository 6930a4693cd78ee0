# IKS managed add-ons. The cluster autoscaler reads its per-pool bounds from the
# iks-ca-configmap ConfigMap (../kubernetes/iks-ca-configmap.yaml), applied in-cluster.
resource "ibm_container_addons" "this" {
  cluster           = ibm_container_vpc_cluster.this.name
  resource_group_id = local.resource_group_id
  manage_all_addons = false

  addons {
    name = "cluster-autoscaler"
  }

  depends_on = [ibm_container_vpc_worker_pool.compute]
}
