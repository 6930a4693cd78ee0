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

# The ACI connector creates container groups in the virtual nodes' subnet.
resource "azurerm_role_assignment" "virtual_nodes" {
  scope                = azurerm_subnet.virtual_nodes.id
  role_definition_name = "Network Contributor"
  principal_id         = azurerm_kubernetes_cluster.this.aci_connector_linux[0].connector_identity[0].object_id
}
