# The control plane's identity, made first so it can be granted the network before the
# cluster exists (AKS manages load balancers, routes and the NAT egress in it).
resource "azurerm_user_assigned_identity" "cluster" {
  name                = "id-${local.name}"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  tags                = local.tags
}

resource "azurerm_role_assignment" "cluster_network" {
  scope                = azurerm_virtual_network.this.id
  role_definition_name = "Network Contributor"
  principal_id         = azurerm_user_assigned_identity.cluster.principal_id
}

# Local accounts are off and Kubernetes authorization is Azure RBAC: whoever applies this
# module administers the cluster until the model names admin groups (aks.adminGroupObjectIds).
resource "azurerm_role_assignment" "cluster_admin" {
  scope                = azurerm_kubernetes_cluster.this.id
  role_definition_name = "Azure Kubernetes Service RBAC Cluster Admin"
  principal_id         = data.azurerm_client_config.current.object_id
}
