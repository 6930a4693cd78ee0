output "cluster_id" {
  description = "The CCE cluster's ID."
  value       = huaweicloud_cce_cluster.this.id
}

output "cluster_name" {
  description = "The CCE cluster's name."
  value       = huaweicloud_cce_cluster.this.name
}

output "kube_config" {
  description = "kubeconfig of the cluster (administrator credentials)."
  value       = huaweicloud_cce_cluster.this.kube_config_raw
  sensitive   = true
}

output "vpc_id" {
  description = "The VPC the cluster runs in."
  value       = huaweicloud_vpc.this.id
}
