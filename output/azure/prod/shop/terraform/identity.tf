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

# The model's access: Azure RBAC roles on the cluster, or on its namespaces.
locals {
  access = {
    "22222222-3333-4444-5555-666666666666 edit shop" = { principal = "22222222-3333-4444-5555-666666666666", role = "Azure Kubernetes Service RBAC Writer", scope = "/namespaces/shop" }
  }
}

resource "azurerm_role_assignment" "access" {
  for_each = local.access

  scope                = "${azurerm_kubernetes_cluster.this.id}${each.value.scope}"
  role_definition_name = each.value.role
  principal_id         = each.value.principal
}

# Each principal may fetch its kubeconfig (sign-in is Entra ID; the roles above authorize).
resource "azurerm_role_assignment" "access_user" {
  for_each = toset(["22222222-3333-4444-5555-666666666666"])

  scope                = azurerm_kubernetes_cluster.this.id
  role_definition_name = "Azure Kubernetes Service Cluster User Role"
  principal_id         = each.value
}
