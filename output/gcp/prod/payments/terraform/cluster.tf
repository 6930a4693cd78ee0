resource "google_container_cluster" "this" {
  # checkov:skip=CKV_GCP_65: Google Groups for RBAC needs the organization's gke-security-groups@DOMAIN Google Workspace group (gke.rbacSecurityGroup)
  project  = local.project
  name     = local.name
  location = "europe-west1"
  # Zones of the nodes; the control plane spans the region.
  node_locations = ["europe-west1-b", "europe-west1-c", "europe-west1-d"]

  min_master_version  = "1.35"
  deletion_protection = true
  resource_labels     = local.labels

  # Node pools are managed one by one below; the default pool only lives while the cluster is created.
  remove_default_node_pool = true
  initial_node_count       = 1

  release_channel {
    channel = "STABLE"
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
    enable_private_endpoint = true
  }

  master_authorized_networks_config {
    gcp_public_cidrs_access_enabled      = false
    private_endpoint_enforcement_enabled = true

    cidr_blocks {
      cidr_block   = "10.8.0.0/16"
      display_name = "apiServer.allowedCidrs[0]"
    }
  }

  master_auth {
    client_certificate_config {
      issue_client_certificate = false
    }
  }

  enable_legacy_abac          = false
  enable_shielded_nodes       = true
  enable_intranode_visibility = true

  # Dataplane V2 (eBPF, Cilium) enforces network policy by itself.
  datapath_provider = "ADVANCED_DATAPATH"

  network_policy {
    enabled = false
  }

  workload_identity_config {
    workload_pool = "${local.project}.svc.id.goog"
  }

  addons_config {
    http_load_balancing {
      disabled = false
    }

    horizontal_pod_autoscaling {
      disabled = false
    }

    gce_persistent_disk_csi_driver_config {
      enabled = true
    }

    dns_cache_config {
      enabled = true
    }

    gcs_fuse_csi_driver_config {
      enabled = true
    }
  }

  # Node auto-provisioning (autoprovisioning): node pools made for pending pods, up to these
  # limits, as the node service account with every pool's hardening.
  cluster_autoscaling {
    enabled = true

    resource_limits {
      resource_type = "cpu"
      maximum       = 96
    }

    resource_limits {
      resource_type = "memory"
      maximum       = 384
    }

    auto_provisioning_defaults {
      service_account = google_service_account.nodes.email
      oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]

      management {
        auto_repair  = true
        auto_upgrade = true
      }

      shielded_instance_config {
        enable_secure_boot          = true
        enable_integrity_monitoring = true
      }
    }
  }

  # Settings of the short-lived default pool: the same service account and hardening as every pool.
  node_config {
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]

    workload_metadata_config {
      mode = "GKE_METADATA"
    }

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }
  }

  # The maintenance window and exclusions of the model, in UTC.
  maintenance_policy {
    recurring_window {
      start_time = "2025-01-11T21:00:00Z"
      end_time   = "2025-01-12T09:00:00Z"
      recurrence = "FREQ=WEEKLY;BYDAY=SA"
    }

    maintenance_exclusion {
      exclusion_name = "year-end"
      start_time     = "2026-12-19T23:00:00Z"
      end_time       = "2027-01-03T23:00:00Z"
    }
  }

  # Application-layer secrets encryption with encryption.secretsKey.
  database_encryption {
    state    = "ENCRYPTED"
    key_name = "projects/acme-kms/locations/europe-west1/keyRings/gke/cryptoKeys/payments"
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

  lifecycle {
    # The default pool's settings are read back from the node pools; they must not
    # replace the cluster.
    ignore_changes = [node_config]
  }

  depends_on = [
    google_kms_crypto_key_iam_member.secrets,
    google_project_iam_member.nodes,
    google_project_service.this,
  ]
}
