resource "google_container_node_pool" "batch" {
  project        = local.project
  name           = "batch"
  cluster        = google_container_cluster.this.id
  location       = google_container_cluster.this.location
  node_locations = ["europe-west1-b", "europe-west1-c"]

  # GKE counts initial_node_count per zone: desiredSize 0 spread over 2 zone(s).
  initial_node_count = 0

  # minSize and maxSize count the whole pool, across its zones.
  autoscaling {
    total_min_node_count = 0
    total_max_node_count = 12
    location_policy      = "ANY"
  }

  management {
    auto_repair  = true
    auto_upgrade = true
  }

  upgrade_settings {
    strategy        = "SURGE"
    max_surge       = 1
    max_unavailable = 0
  }

  node_config {
    machine_type    = "n2d-highcpu-8"
    image_type      = "COS_CONTAINERD"
    disk_type       = "pd-balanced"
    disk_size_gb    = 50
    spot            = true
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    resource_labels = local.labels

    labels = {
      workload = "batch"
    }

    taint {
      key    = "dedicated"
      value  = "batch"
      effect = "NO_SCHEDULE"
    }

    metadata = {
      disable-legacy-endpoints = "true"
    }

    workload_metadata_config {
      mode = "GKE_METADATA"
    }

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }
  }

  lifecycle {
    # The autoscaler owns the size once the pool exists; a changed initial count would
    # replace the pool.
    ignore_changes = [initial_node_count]
  }
}

resource "google_container_node_pool" "general" {
  project        = local.project
  name           = "general"
  cluster        = google_container_cluster.this.id
  location       = google_container_cluster.this.location
  node_locations = ["europe-west1-b", "europe-west1-c", "europe-west1-d"]

  # GKE counts initial_node_count per zone: desiredSize 3 spread over 3 zone(s).
  initial_node_count = 1

  # minSize and maxSize count the whole pool, across its zones.
  autoscaling {
    total_min_node_count = 3
    total_max_node_count = 9
    location_policy      = "BALANCED"
  }

  management {
    auto_repair  = true
    auto_upgrade = true
  }

  upgrade_settings {
    strategy        = "SURGE"
    max_surge       = 1
    max_unavailable = 0
  }

  node_config {
    machine_type    = "e2-standard-4"
    image_type      = "COS_CONTAINERD"
    disk_type       = "pd-balanced"
    disk_size_gb    = 100
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    resource_labels = local.labels

    labels = {
      workload = "general"
    }

    metadata = {
      disable-legacy-endpoints = "true"
    }

    workload_metadata_config {
      mode = "GKE_METADATA"
    }

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }
  }

  lifecycle {
    # The autoscaler owns the size once the pool exists; a changed initial count would
    # replace the pool.
    ignore_changes = [initial_node_count]
  }
}
