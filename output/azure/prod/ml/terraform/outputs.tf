output "cluster_name" {
  description = "The AKS cluster's name."
  value       = azurerm_kubernetes_cluster.this.name
}

output "resource_group_name" {
  description = "The resource group the cluster lives in."
  value       = azurerm_resource_group.this.name
}

output "cluster_fqdn" {
  description = "The Kubernetes API server's FQDN (private: reachable from the VNet and networks linked to its private DNS zone)."
  value       = azurerm_kubernetes_cluster.this.private_fqdn
}

output "oidc_issuer_url" {
  description = "The cluster's OIDC issuer, for workload identity federation."
  value       = azurerm_kubernetes_cluster.this.oidc_issuer_url
}

output "kubelet_identity_object_id" {
  description = "The nodes' managed identity, for pulling from a container registry."
  value       = azurerm_kubernetes_cluster.this.kubelet_identity[0].object_id
}

output "log_analytics_workspace_id" {
  description = "The workspace that holds Container Insights and the control-plane logs."
  value       = azurerm_log_analytics_workspace.this.id
}

output "vnet_id" {
  description = "The virtual network the cluster runs in."
  value       = azurerm_virtual_network.this.id
}

output "network_security_group_name" {
  description = "The subnets' network security group, for rules such as a public Service's."
  value       = azurerm_network_security_group.this.name
}
