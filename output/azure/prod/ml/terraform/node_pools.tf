resource "azurerm_kubernetes_cluster_node_pool" "arm" {
  name                        = "arm"
  kubernetes_cluster_id       = azurerm_kubernetes_cluster.this.id
  mode                        = "User"
  temporary_name_for_rotation = "tmparm"
  vm_size                     = "Standard_D4ps_v5"
  orchestrator_version        = azurerm_kubernetes_cluster.this.kubernetes_version
  vnet_subnet_id              = local.node_subnet_id
  zones                       = ["1", "2", "3"]
  auto_scaling_enabled        = true
  min_count                   = 1
  max_count                   = 6
  node_count                  = 1
  max_pods                    = 250
  os_disk_size_gb             = 50
  os_disk_type                = "Managed"
  os_sku                      = "AzureLinux"
  host_encryption_enabled     = true
  node_public_ip_enabled      = false
  tags                        = local.tags

  node_labels = {
    workload = "arm"
  }

  upgrade_settings {
    max_surge = "10%"
  }

  # The cluster autoscaler owns the size once the pool exists.
  lifecycle {
    ignore_changes = [node_count]
  }
}

resource "azurerm_kubernetes_cluster_node_pool" "gpu" {
  name                        = "gpu"
  kubernetes_cluster_id       = azurerm_kubernetes_cluster.this.id
  mode                        = "User"
  temporary_name_for_rotation = "tmpgpu"
  vm_size                     = "Standard_NC4as_T4_v3"
  orchestrator_version        = azurerm_kubernetes_cluster.this.kubernetes_version
  vnet_subnet_id              = local.node_subnet_id
  zones                       = ["1", "2", "3"]
  auto_scaling_enabled        = true
  min_count                   = 0
  max_count                   = 4
  node_count                  = 0
  max_pods                    = 250
  os_disk_size_gb             = 200
  os_disk_type                = "Managed"
  os_sku                      = "Ubuntu"
  gpu_driver                  = "Install"
  host_encryption_enabled     = true
  node_public_ip_enabled      = false
  tags                        = local.tags

  node_labels = {
    workload = "gpu"
  }

  node_taints = ["nvidia.com/gpu=true:NoSchedule"]

  upgrade_settings {
    max_surge = "10%"
  }

  # The cluster autoscaler owns the size once the pool exists.
  lifecycle {
    ignore_changes = [node_count]
  }
}
