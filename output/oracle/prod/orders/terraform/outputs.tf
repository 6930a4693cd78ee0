output "cluster_id" {
  description = "The OKE cluster's OCID."
  value       = oci_containerengine_cluster.this.id
}

output "cluster_name" {
  description = "The OKE cluster's name."
  value       = oci_containerengine_cluster.this.name
}

output "endpoints" {
  description = "The cluster's Kubernetes API endpoints."
  value       = oci_containerengine_cluster.this.endpoints
}

output "vcn_id" {
  description = "The VCN the cluster runs in."
  value       = oci_core_vcn.this.id
}
