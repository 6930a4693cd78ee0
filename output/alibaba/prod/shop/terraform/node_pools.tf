resource "alicloud_cs_kubernetes_node_pool" "batch" {
  cluster_id      = alicloud_cs_managed_kubernetes.this.id
  node_pool_name  = "batch"
  vswitch_ids     = [for zone in ["cn-hangzhou-h", "cn-hangzhou-i"] : local.node_vswitch_ids[zone]]
  instance_types  = ["ecs.c7.2xlarge"]
  image_type      = "AliyunLinux3"
  runtime_name    = "containerd"
  tags            = local.tags
  multi_az_policy = "BALANCE"

  # Spot instances at the market price (at most the pay-as-you-go price); ACK replaces
  # instances about to be reclaimed.
  spot_strategy        = "SpotAsPriceGo"
  spot_instance_remedy = true

  system_disk_category  = "cloud_essd"
  system_disk_size      = 50
  system_disk_encrypted = true

  # ACK's cluster autoscaler scales the pool between min and max; it starts at min.
  scaling_config {
    enable   = true
    min_size = 0
    max_size = 20
    type     = "spot"
  }

  # A managed node pool: ACK repairs failed nodes, replacing one at a time, and upgrades
  # the nodes' kubelet to the control plane's version after a cluster upgrade.
  management {
    enable          = true
    auto_repair     = true
    auto_upgrade    = true
    max_unavailable = 1

    auto_upgrade_policy {
      auto_upgrade_kubelet = true
    }
  }

  labels {
    key   = "workload"
    value = "batch"
  }

  taints {
    key    = "dedicated"
    value  = "batch"
    effect = "NoSchedule"
  }
}

resource "alicloud_cs_kubernetes_node_pool" "system" {
  cluster_id      = alicloud_cs_managed_kubernetes.this.id
  node_pool_name  = "system"
  vswitch_ids     = [for zone in ["cn-hangzhou-h", "cn-hangzhou-i", "cn-hangzhou-j"] : local.node_vswitch_ids[zone]]
  instance_types  = ["ecs.g7.large"]
  image_type      = "AliyunLinux3"
  runtime_name    = "containerd"
  tags            = local.tags
  multi_az_policy = "BALANCE"

  system_disk_category  = "cloud_essd"
  system_disk_size      = 120
  system_disk_encrypted = true

  desired_size = "3"

  # A managed node pool: ACK repairs failed nodes, replacing one at a time, and upgrades
  # the nodes' kubelet to the control plane's version after a cluster upgrade.
  management {
    enable          = true
    auto_repair     = true
    auto_upgrade    = true
    max_unavailable = 1

    auto_upgrade_policy {
      auto_upgrade_kubelet = true
    }
  }

  labels {
    key   = "workload"
    value = "system"
  }
}
