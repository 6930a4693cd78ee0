resource "google_container_cluster" "this" {
  # checkov:skip=CKV_GCP_12: Autopilot always enforces network policy with Dataplane V2; the provider forbids network_policy with enable_autopilot
  # checkov:skip=CKV_GCP_61: Autopilot manages intranode visibility; the provider forbids enable_intranode_visibility with enable_autopilot
  # checkov:skip=CKV_GCP_69: Autopilot always runs the GKE metadata server (Workload Identity) and takes no node_config
  # checkov:skip=CKV_GCP_65: Google Groups for RBAC needs the organization's gke-security-groups@DOMAIN Google Workspace group (gke.rbacSecurityGroup)
  project  = local.project
  name     = local.name
  location = "europe-west1"
  # Zones of the nodes; the control plane spans the region.
  node_locations = ["europe-west1-b", "europe-west1-c", "europe-west1-d"]

  min_master_version  = "1.35"
  deletion_protection = false
  resource_labels     = local.labels

  enable_autopilot = true

  release_channel {
    channel = "REGULAR"
  }

  network         = google_compute_network.this.id
  subnetwork      = google_compute_subnetwork.nodes.id
  networking_mode = "VPC_NATIVE"

  ip_allocation_policy {
    cluster_secondary_range_name  = "pods"
    services_secondary_range_name = "services"
    stack_type                    = "IPV4"
  }

  private_cluster_config {
    enable_private_nodes    = true
    enable_private_endpoint = false
  }

  master_authorized_networks_config {
    gcp_public_cidrs_access_enabled = false

    cidr_blocks {
      cidr_block   = "203.0.113.0/24"
      display_name = "apiServer.allowedCidrs[0]"
    }
  }

  master_auth {
    client_certificate_config {
      issue_client_certificate = false
    }
  }

  enable_legacy_abac = false

  # The nodes Autopilot creates run as the node service account.
  cluster_autoscaling {
    auto_provisioning_defaults {
      service_account = google_service_account.nodes.email
      oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    }
  }

  binary_authorization {
    evaluation_mode = "PROJECT_SINGLETON_POLICY_ENFORCE"
  }

  logging_config {
    enable_components = ["SYSTEM_COMPONENTS", "APISERVER", "CONTROLLER_MANAGER", "SCHEDULER", "WORKLOADS"]
  }

  monitoring_config {
    enable_components = ["SYSTEM_COMPONENTS", "APISERVER", "SCHEDULER", "CONTROLLER_MANAGER", "STORAGE", "POD", "DEPLOYMENT", "STATEFULSET", "DAEMONSET", "HPA"]

    managed_prometheus {
      enabled = true
    }
  }

  depends_on = [
    google_project_iam_member.nodes,
    google_project_service.this,
  ]
}
