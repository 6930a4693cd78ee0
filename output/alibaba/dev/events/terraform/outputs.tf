output "cluster_id" {
  description = "The ACK cluster's id (kubeconfig: data source alicloud_cs_cluster_credential)."
  value       = alicloud_cs_serverless_kubernetes.this.id
}

output "cluster_name" {
  description = "The ACK cluster's name."
  value       = alicloud_cs_serverless_kubernetes.this.name
}

output "kubernetes_version" {
  description = "The ACK release the cluster was created with."
  value       = local.kubernetes_version
}

output "vpc_id" {
  description = "The VPC the cluster runs in."
  value       = alicloud_vpc.this.id
}
