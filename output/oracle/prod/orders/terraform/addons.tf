resource "oci_containerengine_addon" "cert_manager" {
  cluster_id                       = oci_containerengine_cluster.this.id
  addon_name                       = "CertManager"
  remove_addon_resources_on_delete = true
}

resource "oci_containerengine_addon" "cluster_autoscaler" {
  cluster_id                       = oci_containerengine_cluster.this.id
  addon_name                       = "ClusterAutoscaler"
  remove_addon_resources_on_delete = true

  # minSize:maxSize:node pool OCID of every pool that scales.
  configurations {
    key = "nodes"
    value = join(",", [
      "0:6:${oci_containerengine_node_pool.arm.id}",
      "3:9:${oci_containerengine_node_pool.general.id}",
    ])
  }
}

resource "oci_containerengine_addon" "metrics_server" {
  cluster_id                       = oci_containerengine_cluster.this.id
  addon_name                       = "KubernetesMetricsServer"
  remove_addon_resources_on_delete = true

  depends_on = [oci_containerengine_addon.cert_manager]
}
