output "kops_cluster_name" {
  description = "The kOps cluster name (metadata.name of ../kops/cluster.yaml)."
  value       = local.kops_name
}

output "kops_state_store" {
  description = "The kOps state store: export KOPS_STATE_STORE to this."
  value       = "gs://example-org-kops-state"

  depends_on = [google_storage_bucket.state_store]
}

output "kops_network" {
  description = "The network and subnetwork ../kops/cluster.yaml names."
  value       = google_compute_subnetwork.this.name
}
