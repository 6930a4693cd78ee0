resource "oci_containerengine_node_pool" "arm" {
  cluster_id         = oci_containerengine_cluster.this.id
  compartment_id     = local.compartment_id
  name               = "arm"
  kubernetes_version = oci_containerengine_cluster.this.kubernetes_version
  node_shape         = "VM.Standard.A1.Flex"
  freeform_tags      = local.tags

  # OKE node pools have no taint setting: each node's cloud-init registers the taints.
  node_metadata = {
    user_data = base64encode(join("\n", ["#!/bin/bash", "curl --fail -H \"Authorization: Bearer Oracle\" -L0 http://169.254.169.254/opc/v2/instance/metadata/oke_init_script | base64 --decode >/var/run/oke-init.sh", "bash /var/run/oke-init.sh --kubelet-extra-args \"--register-with-taints=arch=arm64:NoSchedule\""]))
  }

  node_shape_config {
    ocpus         = 8
    memory_in_gbs = 48
  }

  node_source_details {
    source_type             = "IMAGE"
    image_id                = var.node_image_ids["arm"]
    boot_volume_size_in_gbs = "50"
  }

  node_config_details {
    size                                = 0
    is_pv_encryption_in_transit_enabled = true
    freeform_tags                       = local.tags

    placement_configs {
      availability_domain = local.ads["IAD-AD-1"]
      subnet_id           = local.workers_subnet_id
    }

    placement_configs {
      availability_domain = local.ads["IAD-AD-2"]
      subnet_id           = local.workers_subnet_id
    }

    node_pool_pod_network_option_details {
      cni_type = "FLANNEL_OVERLAY"
    }
  }

  # A version change (the control plane's, which this pool follows) replaces
  # the nodes one at a time: a new node first, then the old one is drained and removed.
  node_pool_cycling_details {
    is_node_cycling_enabled = true
    maximum_surge           = "1"
    maximum_unavailable     = "0"
  }

  initial_node_labels {
    key   = "workload"
    value = "arm"
  }

  # The cluster autoscaler owns the size once the pool exists.
  lifecycle {
    ignore_changes = [node_config_details[0].size]
  }
}

resource "oci_containerengine_node_pool" "general" {
  cluster_id         = oci_containerengine_cluster.this.id
  compartment_id     = local.compartment_id
  name               = "general"
  kubernetes_version = oci_containerengine_cluster.this.kubernetes_version
  node_shape         = "VM.Standard.E4.Flex"
  freeform_tags      = local.tags

  node_shape_config {
    ocpus         = 4
    memory_in_gbs = 32
  }

  node_source_details {
    source_type             = "IMAGE"
    image_id                = var.node_image_ids["general"]
    boot_volume_size_in_gbs = "100"
  }

  node_config_details {
    size                                = 3
    is_pv_encryption_in_transit_enabled = true
    freeform_tags                       = local.tags

    placement_configs {
      availability_domain = local.ads["IAD-AD-1"]
      subnet_id           = local.workers_subnet_id
    }

    placement_configs {
      availability_domain = local.ads["IAD-AD-2"]
      subnet_id           = local.workers_subnet_id
    }

    placement_configs {
      availability_domain = local.ads["IAD-AD-3"]
      subnet_id           = local.workers_subnet_id
    }

    node_pool_pod_network_option_details {
      cni_type = "FLANNEL_OVERLAY"
    }
  }

  # A version change (the control plane's, which this pool follows) replaces
  # the nodes one at a time: a new node first, then the old one is drained and removed.
  node_pool_cycling_details {
    is_node_cycling_enabled = true
    maximum_surge           = "1"
    maximum_unavailable     = "0"
  }

  initial_node_labels {
    key   = "workload"
    value = "general"
  }

  # The cluster autoscaler owns the size once the pool exists.
  lifecycle {
    ignore_changes = [node_config_details[0].size]
  }
}
