output "kops_cluster_name" {
  description = "The kOps cluster name (metadata.name of ../kops/cluster.yaml)."
  value       = local.kops_name
}

output "kops_state_store" {
  description = "The kOps state store: export KOPS_STATE_STORE to this."
  value       = "azureblob://exampleorgkops/state"

  depends_on = [azurerm_storage_container.state_store]
}
