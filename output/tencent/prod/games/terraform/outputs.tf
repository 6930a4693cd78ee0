output "cluster_id" {
  description = "The TKE cluster's id."
  value       = tencentcloud_kubernetes_cluster.this.id
}

output "cluster_name" {
  description = "The TKE cluster's name."
  value       = tencentcloud_kubernetes_cluster.this.cluster_name
}

output "intranet_endpoint" {
  description = "The API server's address inside the VPC."
  value       = tencentcloud_kubernetes_cluster_endpoint.this.pgw_endpoint
}

output "internet_endpoint" {
  description = "The API server's public address."
  value       = tencentcloud_kubernetes_cluster_endpoint.this.cluster_external_endpoint
}

output "vpc_id" {
  description = "The VPC the cluster runs in."
  value       = tencentcloud_vpc.this.id
}
