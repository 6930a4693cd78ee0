locals {
  # The subnet of every node pool, carved from 10.30.0.0/16 (see docs/engines/aks.md).
  node_subnet_id = azurerm_subnet.nodes.id
}

resource "azurerm_kubernetes_cluster" "this" {
  # checkov:skip=CKV_AZURE_226: ephemeral OS disks need a VM size whose cache or temp disk holds the OS disk, which treeform cannot know; OS disks stay managed and encrypted at host
  # checkov:skip=CKV_AZURE_117: a disk encryption set needs the user's own Key Vault key (aks.diskEncryptionSetId); disks are encrypted at host with platform keys
  # checkov:skip=CKV_AZURE_232: no other on-demand pool without a NoSchedule taint can run the workloads, so the system pool runs them
  name                = local.name
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  dns_prefix          = local.name
  kubernetes_version  = "1.34"
  sku_tier            = "Standard"

  automatic_upgrade_channel = "patch"
  node_os_upgrade_channel   = "NodeImage"

  private_cluster_enabled             = true
  private_dns_zone_id                 = "System"
  private_cluster_public_fqdn_enabled = false

  local_account_disabled            = true
  role_based_access_control_enabled = true
  oidc_issuer_enabled               = true
  workload_identity_enabled         = true
  azure_policy_enabled              = true

  default_node_pool {
    name                        = "system"
    temporary_name_for_rotation = "tmpsystem"
    vm_size                     = "Standard_D4s_v5"
    orchestrator_version        = "1.34"
    vnet_subnet_id              = local.node_subnet_id
    zones                       = ["1", "2", "3"]
    auto_scaling_enabled        = true
    min_count                   = 3
    max_count                   = 5
    node_count                  = 3
    max_pods                    = 50
    os_disk_size_gb             = 128
    host_encryption_enabled     = true
    node_public_ip_enabled      = false
    tags                        = local.tags

    upgrade_settings {
      max_surge = "10%"
    }
  }

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.cluster.id]
  }

  # Entra ID sign-in, Kubernetes authorization through Azure RBAC.
  azure_active_directory_role_based_access_control {
    tenant_id              = data.azurerm_client_config.current.tenant_id
    azure_rbac_enabled     = true
    admin_group_object_ids = ["11111111-2222-3333-4444-555555555555"]
  }

  network_profile {
    network_plugin     = "azure"
    network_data_plane = "azure"
    network_policy     = "calico"
    service_cidr       = "172.16.0.0/16"
    dns_service_ip     = "172.16.0.10"
    load_balancer_sku  = "standard"
    outbound_type      = "userAssignedNATGateway"
  }

  oms_agent {
    log_analytics_workspace_id      = azurerm_log_analytics_workspace.this.id
    msi_auth_for_monitoring_enabled = true
  }

  key_vault_secrets_provider {
    secret_rotation_enabled  = true
    secret_rotation_interval = "2m"
  }

  # Virtual nodes: pods that tolerate the virtual-kubelet taint run on Azure Container Instances.
  aci_connector_linux {
    subnet_name = azurerm_subnet.virtual_nodes.name
  }

  workload_autoscaler_profile {
    keda_enabled                    = true
    vertical_pod_autoscaler_enabled = false
  }

  # Upgrades (Kubernetes patches, node images) in the model's maintenance window.
  maintenance_window_auto_upgrade {
    frequency   = "Weekly"
    interval    = 1
    day_of_week = "Sunday"
    start_time  = "03:00"
    utc_offset  = "+01:00"
    duration    = 4

    not_allowed {
      start = "2026-11-25T23:00:00Z"
      end   = "2026-11-30T22:00:00Z"
    }
  }

  maintenance_window_node_os {
    frequency   = "Weekly"
    interval    = 1
    day_of_week = "Sunday"
    start_time  = "03:00"
    utc_offset  = "+01:00"
    duration    = 4

    not_allowed {
      start = "2026-11-25T23:00:00Z"
      end   = "2026-11-30T22:00:00Z"
    }
  }

  tags = local.tags

  # The cluster autoscaler owns the size once the pool exists.
  lifecycle {
    ignore_changes = [default_node_pool[0].node_count]
  }

  depends_on = [
    azurerm_role_assignment.cluster_network,
    azurerm_subnet_network_security_group_association.nodes,
    azurerm_subnet_network_security_group_association.virtual_nodes,
    azurerm_subnet_nat_gateway_association.nodes,
  ]
}
