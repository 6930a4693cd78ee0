output "cluster_name" {
  description = "The GKE cluster's name."
  value       = google_container_cluster.this.name
}

output "cluster_location" {
  description = "The cluster's location: a region (regional cluster) or a zone (zonal)."
  value       = google_container_cluster.this.location
}

output "cluster_endpoint" {
  description = "The Kubernetes API server endpoint."
  value       = google_container_cluster.this.endpoint
}

output "cluster_ca_certificate" {
  description = "Base64 certificate data of the cluster's CA."
  value       = google_container_cluster.this.master_auth[0].cluster_ca_certificate
}

output "node_service_account" {
  description = "The email of the nodes' service account."
  value       = google_service_account.nodes.email
}

output "workload_identity_pool" {
  description = "The Workload Identity pool of the cluster's Kubernetes service accounts."
  value       = "${local.project}.svc.id.goog"
}

output "network" {
  description = "The VPC network the cluster runs in."
  value       = google_compute_network.this.id
}

output "subnetwork" {
  description = "The cluster's subnetwork."
  value       = google_compute_subnetwork.nodes.id
}
