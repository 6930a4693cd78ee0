output "cluster_id" {
  description = "The ACK cluster's id (kubeconfig: data source alicloud_cs_cluster_credential)."
  value       = alicloud_cs_managed_kubernetes.this.id
}

output "cluster_name" {
  description = "The ACK cluster's name."
  value       = alicloud_cs_managed_kubernetes.this.name
}

output "kubernetes_version" {
  description = "The ACK release the cluster was created with."
  value       = local.kubernetes_version
}

output "api_server_endpoints" {
  description = "The API server's endpoints (intranet, and internet when public)."
  value       = alicloud_cs_managed_kubernetes.this.connections
}

output "vpc_id" {
  description = "The VPC the cluster runs in."
  value       = alicloud_vpc.this.id
}
