resource "tencentcloud_kubernetes_node_pool" "general" {
  name                     = "general"
  cluster_id               = tencentcloud_kubernetes_cluster.this.id
  vpc_id                   = local.vpc_id
  subnet_ids               = [for zone in ["ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6"] : local.node_subnet_ids[zone]]
  multi_zone_subnet_policy = "EQUALITY"
  retry_policy             = "INCREMENTAL_INTERVALS"
  min_size                 = 3
  max_size                 = 9
  desired_capacity         = 3
  enable_auto_scale        = true
  delete_keep_instance     = false
  tags                     = local.tags

  labels = {
    workload = "general"
  }

  auto_scaling_config {
    instance_type              = "S5.LARGE8"
    system_disk_type           = "CLOUD_PREMIUM"
    system_disk_size           = 100
    orderly_security_group_ids = [tencentcloud_security_group.nodes.id]
    public_ip_assigned         = false
  }

  # The cluster autoscaler owns the size once the pool exists.
  lifecycle {
    ignore_changes = [desired_capacity]
  }
}

resource "tencentcloud_kubernetes_node_pool" "sim" {
  name                     = "sim"
  cluster_id               = tencentcloud_kubernetes_cluster.this.id
  vpc_id                   = local.vpc_id
  subnet_ids               = [for zone in ["ap-guangzhou-3", "ap-guangzhou-4"] : local.node_subnet_ids[zone]]
  multi_zone_subnet_policy = "EQUALITY"
  retry_policy             = "INCREMENTAL_INTERVALS"
  min_size                 = 0
  max_size                 = 12
  desired_capacity         = 0
  enable_auto_scale        = true
  delete_keep_instance     = false
  tags                     = local.tags

  auto_scaling_config {
    instance_type              = "SA2.2XLARGE16"
    system_disk_type           = "CLOUD_PREMIUM"
    system_disk_size           = 50
    orderly_security_group_ids = [tencentcloud_security_group.nodes.id]
    instance_charge_type       = "SPOTPAID"
    spot_instance_type         = "one-time"
    spot_max_price             = "0.50"
    public_ip_assigned         = false
  }

  taints {
    key    = "dedicated"
    value  = "sim"
    effect = "NoSchedule"
  }

  # The cluster autoscaler owns the size once the pool exists.
  lifecycle {
    ignore_changes = [desired_capacity]
  }
}
