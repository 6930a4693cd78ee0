output "cluster_id" {
  description = "The IKS cluster's ID."
  value       = ibm_container_vpc_cluster.this.id
}

output "cluster_name" {
  description = "The IKS cluster's name."
  value       = ibm_container_vpc_cluster.this.name
}

output "private_service_endpoint_url" {
  description = "The master's private service endpoint."
  value       = ibm_container_vpc_cluster.this.private_service_endpoint_url
}

output "vpc_id" {
  description = "The VPC the cluster runs in."
  value       = ibm_is_vpc.this.id
}
