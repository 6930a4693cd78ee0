resource "digitalocean_kubernetes_cluster" "this" {
  name          = local.name
  region        = local.region
  version       = data.digitalocean_kubernetes_versions.this.latest_version
  vpc_uuid      = digitalocean_vpc.this.id
  ha            = false
  auto_upgrade  = true
  surge_upgrade = true
  tags          = local.tags

  # The first node pool is part of the cluster; the others are node pool resources.
  node_pool {
    name       = "base"
    size       = "s-2vcpu-4gb"
    node_count = 2
    tags       = local.tags
  }

  maintenance_policy {
    day        = "tuesday"
    start_time = "08:00"
  }

  # DOKS has no private endpoint: the API server is public, open only to apiServer.allowedCidrs.
  control_plane_firewall {
    enabled           = true
    allowed_addresses = ["203.0.113.0/24"]
  }
}

resource "digitalocean_kubernetes_node_pool" "web" {
  cluster_id = digitalocean_kubernetes_cluster.this.id
  name       = "web"
  size       = "s-4vcpu-8gb"
  # The cluster autoscaler sizes the pool between these bounds.
  auto_scale = true
  min_nodes  = 1
  max_nodes  = 6
  tags       = local.tags

  labels = {
    workload = "web"
  }
}
