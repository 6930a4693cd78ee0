# The cluster and its default worker pool (model pool "default"): IKS counts
# workers per zone.
resource "ibm_container_vpc_cluster" "this" {
  name                            = local.name
  vpc_id                          = local.vpc_id
  resource_group_id               = local.resource_group_id
  kube_version                    = "1.34"
  update_all_workers              = true
  flavor                          = "bx2.4x16"
  worker_count                    = 1
  disable_public_service_endpoint = true
  tags                            = local.tags

  worker_labels = {
    workload = "general"
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

  # The cluster autoscaler owns the size once the cluster exists.
  lifecycle {
    ignore_changes = [worker_count]
  }
}
