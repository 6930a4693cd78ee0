resource "digitalocean_vpc" "this" {
  name        = "${local.name}-vpc"
  region      = local.region
  ip_range    = "10.60.0.0/16"
  description = "Kubernetes cluster ${local.name}"
}
