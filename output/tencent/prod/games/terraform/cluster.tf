locals {
  vpc_id          = tencentcloud_vpc.this.id
  node_subnet_ids = { for zone, subnet in tencentcloud_subnet.nodes : zone => subnet.id }
}

resource "tencentcloud_kubernetes_cluster" "this" {
  cluster_name                     = local.name
  cluster_desc                     = "Managed by treeform"
  cluster_deploy_type              = "MANAGED_CLUSTER"
  cluster_version                  = "1.34.1"
  upgrade_instances_follow_cluster = true
  vpc_id                           = local.vpc_id
  container_runtime                = "containerd"
  cluster_ipvs                     = true
  network_type                     = "GR"
  cluster_cidr                     = "172.20.0.0/16"
  cluster_max_service_num          = 1024
  cluster_max_pod_num              = 64
  deletion_protection              = false
  tags                             = local.tags

  # The audit log goes to Cloud Log Service (TKE creates the log set and topic).
  cluster_audit {
    enabled = true
  }

  log_agent {
    enabled = true
  }
}

# Who may reach the public API server endpoint (apiServer.allowedCidrs).
resource "tencentcloud_security_group" "api" {
  name        = "${local.name}-api"
  description = "Public API server endpoint of the TKE cluster ${local.name}"
  tags        = local.tags
}

resource "tencentcloud_security_group_rule_set" "api" {
  security_group_id = tencentcloud_security_group.api.id

  ingress {
    action      = "ACCEPT"
    cidr_block  = "203.0.113.0/24"
    protocol    = "TCP"
    port        = "443"
    description = "Kubernetes API"
  }
}

# TKE opens API server endpoints only on a cluster that has nodes, so this waits for the
# node pools. The intranet endpoint is always on; the internet one too (apiServer.public).
resource "tencentcloud_kubernetes_cluster_endpoint" "this" {
  cluster_id                      = tencentcloud_kubernetes_cluster.this.id
  cluster_intranet                = true
  cluster_intranet_subnet_id      = local.node_subnet_ids["ap-guangzhou-3"]
  cluster_internet                = true
  cluster_internet_security_group = tencentcloud_security_group.api.id

  depends_on = [tencentcloud_kubernetes_node_pool.general, tencentcloud_kubernetes_node_pool.sim]
}
