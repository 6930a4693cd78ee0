resource "ibm_container_vpc_worker_pool" "compute" {
  cluster           = ibm_container_vpc_cluster.this.id
  worker_pool_name  = "compute"
  vpc_id            = local.vpc_id
  resource_group_id = local.resource_group_id
  flavor            = "cx2.8x16"
  worker_count      = 1

  labels = {
    workload = "compute"
  }

  zones {
    name      = "us-south-1"
    subnet_id = local.subnets["us-south-1"]
  }

  zones {
    name      = "us-south-2"
    subnet_id = local.subnets["us-south-2"]
  }

  zones {
    name      = "us-south-3"
    subnet_id = local.subnets["us-south-3"]
  }

  taints {
    key    = "dedicated"
    value  = "compute"
    effect = "NoSchedule"
  }

  # The cluster autoscaler owns the size once the pool exists.
  lifecycle {
    ignore_changes = [worker_count]
  }
}
