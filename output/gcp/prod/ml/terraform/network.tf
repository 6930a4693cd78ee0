resource "google_compute_network" "this" {
  project                 = local.project
  name                    = local.name
  auto_create_subnetworks = false
  routing_mode            = "REGIONAL"

  depends_on = [google_project_service.this]
}

# GKE writes the firewall rules the cluster needs into this network itself, at priority 1000:
# control plane to nodes, nodes and pods to each other, load balancer health checks and
# Services. Under them, this rule denies every other inbound connection and logs it (the
# network's implied deny-all cannot be logged).
resource "google_compute_firewall" "deny_ingress" {
  project       = local.project
  name          = "${local.name}-deny-ingress"
  network       = google_compute_network.this.id
  description   = "Deny and log inbound traffic that no higher-priority rule allows."
  direction     = "INGRESS"
  priority      = 65534
  source_ranges = ["0.0.0.0/0"]

  deny {
    protocol = "all"
  }

  log_config {
    metadata = "EXCLUDE_ALL_METADATA"
  }
}

# Nodes take the primary range; pods and services the secondary ranges (see docs/engines/gke.md).
resource "google_compute_subnetwork" "nodes" {
  project                  = local.project
  name                     = "${local.name}-nodes"
  region                   = local.region
  network                  = google_compute_network.this.id
  ip_cidr_range            = "10.61.0.0/19"
  private_ip_google_access = true

  secondary_ip_range {
    range_name    = "pods"
    ip_cidr_range = "10.61.128.0/17"
  }

  secondary_ip_range {
    range_name    = "services"
    ip_cidr_range = "10.61.32.0/19"
  }

  log_config {
    aggregation_interval = "INTERVAL_5_SEC"
    flow_sampling        = 0.5
    metadata             = "INCLUDE_ALL_METADATA"
  }
}

# Private nodes have no external addresses: they reach the internet through Cloud NAT.
resource "google_compute_router" "nat" {
  project = local.project
  name    = "${local.name}-nat"
  region  = local.region
  network = google_compute_network.this.id
}

resource "google_compute_router_nat" "this" {
  project                            = local.project
  name                               = "${local.name}-nat"
  region                             = local.region
  router                             = google_compute_router.nat.name
  nat_ip_allocate_option             = "AUTO_ONLY"
  source_subnetwork_ip_ranges_to_nat = "LIST_OF_SUBNETWORKS"

  subnetwork {
    name                    = google_compute_subnetwork.nodes.id
    source_ip_ranges_to_nat = ["ALL_IP_RANGES"]
  }

  log_config {
    enable = true
    filter = "ERRORS_ONLY"
  }
}
