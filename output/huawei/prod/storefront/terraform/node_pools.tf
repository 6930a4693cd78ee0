# Pool "batch" in "cn-north-4a": CCE node pools live in one zone each.
resource "huaweicloud_cce_node_pool" "batch_cn_north_4a" {
  cluster_id         = huaweicloud_cce_cluster.this.id
  name               = "batch-cn-north-4a"
  type               = "vm"
  os                 = "Huawei Cloud EulerOS 2.0"
  runtime            = "containerd"
  flavor_id          = "c7.2xlarge.4"
  availability_zone  = "cn-north-4a"
  subnet_id          = local.subnet_id
  key_pair           = var.node_key_pair
  initial_node_count = 0
  # The CCE autoscaler add-on scales between these bounds.
  scall_enable   = true
  min_node_count = 0
  max_node_count = 3
  tags           = local.tags

  root_volume {
    size       = 50
    volumetype = "GPSSD"
  }

  # The container runtime's disk.
  data_volumes {
    size       = 100
    volumetype = "GPSSD"
  }

  extend_params {
    market_type = "spot"
  }

  labels = {
    workload = "batch"
  }

  taints {
    key    = "dedicated"
    value  = "batch"
    effect = "NoSchedule"
  }
}

# Pool "batch" in "cn-north-4b": CCE node pools live in one zone each.
resource "huaweicloud_cce_node_pool" "batch_cn_north_4b" {
  cluster_id         = huaweicloud_cce_cluster.this.id
  name               = "batch-cn-north-4b"
  type               = "vm"
  os                 = "Huawei Cloud EulerOS 2.0"
  runtime            = "containerd"
  flavor_id          = "c7.2xlarge.4"
  availability_zone  = "cn-north-4b"
  subnet_id          = local.subnet_id
  key_pair           = var.node_key_pair
  initial_node_count = 0
  # The CCE autoscaler add-on scales between these bounds.
  scall_enable   = true
  min_node_count = 0
  max_node_count = 3
  tags           = local.tags

  root_volume {
    size       = 50
    volumetype = "GPSSD"
  }

  # The container runtime's disk.
  data_volumes {
    size       = 100
    volumetype = "GPSSD"
  }

  extend_params {
    market_type = "spot"
  }

  labels = {
    workload = "batch"
  }

  taints {
    key    = "dedicated"
    value  = "batch"
    effect = "NoSchedule"
  }
}

# Pool "general" in "cn-north-4a": CCE node pools live in one zone each.
resource "huaweicloud_cce_node_pool" "general_cn_north_4a" {
  cluster_id         = huaweicloud_cce_cluster.this.id
  name               = "general-cn-north-4a"
  type               = "vm"
  os                 = "Huawei Cloud EulerOS 2.0"
  runtime            = "containerd"
  flavor_id          = "c7.large.2"
  availability_zone  = "cn-north-4a"
  subnet_id          = local.subnet_id
  key_pair           = var.node_key_pair
  initial_node_count = 1
  # The CCE autoscaler add-on scales between these bounds.
  scall_enable   = true
  min_node_count = 1
  max_node_count = 3
  tags           = local.tags

  root_volume {
    size       = 100
    volumetype = "GPSSD"
  }

  # The container runtime's disk.
  data_volumes {
    size       = 100
    volumetype = "GPSSD"
  }

  labels = {
    workload = "general"
  }
}

# Pool "general" in "cn-north-4b": CCE node pools live in one zone each.
resource "huaweicloud_cce_node_pool" "general_cn_north_4b" {
  cluster_id         = huaweicloud_cce_cluster.this.id
  name               = "general-cn-north-4b"
  type               = "vm"
  os                 = "Huawei Cloud EulerOS 2.0"
  runtime            = "containerd"
  flavor_id          = "c7.large.2"
  availability_zone  = "cn-north-4b"
  subnet_id          = local.subnet_id
  key_pair           = var.node_key_pair
  initial_node_count = 1
  # The CCE autoscaler add-on scales between these bounds.
  scall_enable   = true
  min_node_count = 1
  max_node_count = 3
  tags           = local.tags

  root_volume {
    size       = 100
    volumetype = "GPSSD"
  }

  # The container runtime's disk.
  data_volumes {
    size       = 100
    volumetype = "GPSSD"
  }

  labels = {
    workload = "general"
  }
}

# Pool "general" in "cn-north-4c": CCE node pools live in one zone each.
resource "huaweicloud_cce_node_pool" "general_cn_north_4c" {
  cluster_id         = huaweicloud_cce_cluster.this.id
  name               = "general-cn-north-4c"
  type               = "vm"
  os                 = "Huawei Cloud EulerOS 2.0"
  runtime            = "containerd"
  flavor_id          = "c7.large.2"
  availability_zone  = "cn-north-4c"
  subnet_id          = local.subnet_id
  key_pair           = var.node_key_pair
  initial_node_count = 1
  # The CCE autoscaler add-on scales between these bounds.
  scall_enable   = true
  min_node_count = 1
  max_node_count = 3
  tags           = local.tags

  root_volume {
    size       = 100
    volumetype = "GPSSD"
  }

  # The container runtime's disk.
  data_volumes {
    size       = 100
    volumetype = "GPSSD"
  }

  labels = {
    workload = "general"
  }
}
