resource "azurerm_kubernetes_cluster_node_pool" "batch" {
  name                        = "batch"
  kubernetes_cluster_id       = azurerm_kubernetes_cluster.this.id
  mode                        = "User"
  temporary_name_for_rotation = "tmpbatch"
  vm_size                     = "Standard_D8s_v5"
  orchestrator_version        = azurerm_kubernetes_cluster.this.kubernetes_version
  vnet_subnet_id              = local.node_subnet_id
  zones                       = ["1", "2"]
  auto_scaling_enabled        = true
  min_count                   = 0
  max_count                   = 20
  node_count                  = 0
  max_pods                    = 50
  os_disk_size_gb             = 50
  host_encryption_enabled     = true
  node_public_ip_enabled      = false
  tags                        = local.tags

  # Spot VMs, at up to the on-demand price (spot_max_price defaults to -1).
  priority        = "Spot"
  eviction_policy = "Delete"

  node_labels = {
    "kubernetes.azure.com/scalesetpriority" = "spot"
    workload                                = "batch"
  }

  node_taints = ["dedicated=batch:NoSchedule", "kubernetes.azure.com/scalesetpriority=spot:NoSchedule"]

  # The cluster autoscaler owns the size once the pool exists.
  lifecycle {
    ignore_changes = [node_count]
  }
}
