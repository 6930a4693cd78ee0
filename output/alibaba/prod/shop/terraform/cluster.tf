locals {
  node_vswitch_ids = { for zone, vsw in alicloud_vswitch.nodes : zone => vsw.id }
  pod_vswitch_ids  = [for zone, vsw in alicloud_vswitch.pods : vsw.id]
}

resource "alicloud_cs_managed_kubernetes" "this" {
  name                           = local.name
  cluster_spec                   = "ack.pro.small"
  version                        = local.kubernetes_version
  vswitch_ids                    = values(local.node_vswitch_ids)
  pod_vswitch_ids                = local.pod_vswitch_ids
  service_cidr                   = "172.21.0.0/20"
  proxy_mode                     = "ipvs"
  new_nat_gateway                = true
  slb_internet_enabled           = false
  is_enterprise_security_group   = true
  deletion_protection            = false
  skip_set_certificate_authority = true
  enable_rrsa                    = true
  tags                           = local.tags

  # Control-plane logs go to Simple Log Service (kept 30 days).
  control_plane_log_components = ["apiserver", "kcm", "scheduler", "ccm"]
  control_plane_log_ttl        = "30"

  audit_log_config {
    enabled = true
  }

  addons {
    name = "terway-eniip"
  }

  addons {
    name = "csi-plugin"
  }

  addons {
    name = "managed-csiprovisioner"
  }

  lifecycle {
    precondition {
      condition     = can(length(local.kubernetes_version))
      error_message = "ACK offers no release of the model's Kubernetes version in this region."
    }
  }
}
