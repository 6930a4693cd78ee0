# The network kOps shares (kops.sharedVpc): kOps finds it by name in ../kops/cluster.yaml
# (spec.networkID, spec.subnets[0].id) and leaves it alone on `kops delete cluster`.
resource "google_compute_network" "this" {
  name                    = local.network
  auto_create_subnetworks = false
  routing_mode            = "REGIONAL"
}

# kOps writes the cluster's firewall rules into this network itself, at priority 1000:
# instances to each other, the pod range to instances, SSH and the API from sshAccess and
# kubernetesApiAccess (it needs no others: the networks kOps makes itself start with none).
# Under them, this rule denies every other inbound connection and logs it (the network's
# implied deny-all cannot be logged).
resource "google_compute_firewall" "deny_ingress" {
  name          = "${local.network}-deny-ingress"
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

resource "google_compute_subnetwork" "this" {
  name                     = local.network
  network                  = google_compute_network.this.id
  region                   = "europe-west4"
  ip_cidr_range            = "10.72.0.0/20"
  private_ip_google_access = true

  secondary_ip_range {
    range_name    = "pods-ml-gce-example-com"
    ip_cidr_range = "100.96.0.0/14"
  }

  secondary_ip_range {
    range_name    = "services-ml-gce-example-com"
    ip_cidr_range = "100.64.0.0/16"
  }

  log_config {
    aggregation_interval = "INTERVAL_5_SEC"
    flow_sampling        = 0.5
    metadata             = "INCLUDE_ALL_METADATA"
  }
}

# Egress for instances without public addresses (network.topology: private).
resource "google_compute_router" "this" {
  name    = local.network
  network = google_compute_network.this.id
  region  = "europe-west4"
}

resource "google_compute_router_nat" "this" {
  name                               = local.network
  router                             = google_compute_router.this.name
  region                             = "europe-west4"
  nat_ip_allocate_option             = "AUTO_ONLY"
  source_subnetwork_ip_ranges_to_nat = "LIST_OF_SUBNETWORKS"

  subnetwork {
    name                    = google_compute_subnetwork.this.id
    source_ip_ranges_to_nat = ["ALL_IP_RANGES"]
  }

  log_config {
    enable = true
    filter = "ERRORS_ONLY"
  }
}
