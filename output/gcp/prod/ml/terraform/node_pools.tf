resource "google_container_node_pool" "arm" {
  project        = local.project
  name           = "arm"
  cluster        = google_container_cluster.this.id
  location       = google_container_cluster.this.location
  node_locations = ["europe-west1-b", "europe-west1-c", "europe-west1-d"]

  # GKE counts initial_node_count per zone: desiredSize 1 spread over 3 zone(s).
  initial_node_count = 1

  # minSize and maxSize count the whole pool, across its zones.
  autoscaling {
    total_min_node_count = 1
    total_max_node_count = 6
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
    machine_type    = "c4a-standard-4"
    image_type      = "COS_CONTAINERD"
    disk_type       = "hyperdisk-balanced"
    disk_size_gb    = 50
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    resource_labels = local.labels

    labels = {
      workload = "arm"
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

  # GKE counts initial_node_count per zone: desiredSize 1 spread over 3 zone(s).
  initial_node_count = 1

  # minSize and maxSize count the whole pool, across its zones.
  autoscaling {
    total_min_node_count = 1
    total_max_node_count = 6
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
    disk_size_gb    = 50
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    resource_labels = local.labels

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

resource "google_container_node_pool" "gpu" {
  project        = local.project
  name           = "gpu"
  cluster        = google_container_cluster.this.id
  location       = google_container_cluster.this.location
  node_locations = ["europe-west1-b", "europe-west1-c", "europe-west1-d"]

  # GKE counts initial_node_count per zone: desiredSize 0 spread over 3 zone(s).
  initial_node_count = 0

  # minSize and maxSize count the whole pool, across its zones.
  autoscaling {
    total_min_node_count = 0
    total_max_node_count = 4
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
    machine_type    = "g2-standard-8"
    image_type      = "UBUNTU_CONTAINERD"
    disk_type       = "pd-balanced"
    disk_size_gb    = 200
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    resource_labels = local.labels

    labels = {
      workload = "gpu"
    }

    # g2-standard-8 comes with its GPUs; GKE installs the NVIDIA driver.
    guest_accelerator {
      type  = "nvidia-l4"
      count = 1

      gpu_driver_installation_config {
        gpu_driver_version = "DEFAULT"
      }
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
