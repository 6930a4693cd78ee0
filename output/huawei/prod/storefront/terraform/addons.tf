resource "huaweicloud_cce_addon" "cluster_autoscaler" {
  cluster_id    = huaweicloud_cce_cluster.this.id
  template_name = "autoscaler"

  depends_on = [huaweicloud_cce_node_pool.batch_cn_north_4a, huaweicloud_cce_node_pool.batch_cn_north_4b, huaweicloud_cce_node_pool.general_cn_north_4a, huaweicloud_cce_node_pool.general_cn_north_4b, huaweicloud_cce_node_pool.general_cn_north_4c]
}

resource "huaweicloud_cce_addon" "metrics_server" {
  cluster_id    = huaweicloud_cce_cluster.this.id
  template_name = "metrics-server"

  depends_on = [huaweicloud_cce_node_pool.batch_cn_north_4a, huaweicloud_cce_node_pool.batch_cn_north_4b, huaweicloud_cce_node_pool.general_cn_north_4a, huaweicloud_cce_node_pool.general_cn_north_4b, huaweicloud_cce_node_pool.general_cn_north_4c]
}
