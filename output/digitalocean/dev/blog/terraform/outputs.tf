output "cluster_id" {
  description = "The DOKS cluster's id (for doctl kubernetes cluster kubeconfig save)."
  value       = digitalocean_kubernetes_cluster.this.id
}

output "cluster_name" {
  description = "The DOKS cluster's name."
  value       = digitalocean_kubernetes_cluster.this.name
}

output "cluster_endpoint" {
  description = "The Kubernetes API server endpoint."
  value       = digitalocean_kubernetes_cluster.this.endpoint
}

output "cluster_version" {
  description = "The DOKS version slug the cluster runs."
  value       = digitalocean_kubernetes_cluster.this.version
}

output "cluster_urn" {
  description = "The cluster's URN, to add it to a DigitalOcean project."
  value       = digitalocean_kubernetes_cluster.this.urn
}

output "vpc_id" {
  description = "The VPC the cluster runs in."
  value       = digitalocean_vpc.this.id
}
