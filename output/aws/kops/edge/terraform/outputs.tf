output "kops_cluster_name" {
  description = "The kOps cluster name (metadata.name of ../kops/cluster.yaml)."
  value       = local.kops_name
}

output "kops_state_store" {
  description = "The kOps state store: export KOPS_STATE_STORE to this."
  value       = "s3://example-org-kops-state"

  depends_on = [aws_s3_bucket.state_store]
}
