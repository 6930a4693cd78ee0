locals {
  node_vswitch_ids = { for zone, vsw in alicloud_vswitch.nodes : zone => vsw.id }
}

# Serverless ACK: the control plane is managed and every pod runs on ECI in the vSwitches.
resource "alicloud_cs_serverless_kubernetes" "this" {
  name                           = local.name
  cluster_spec                   = "ack.standard"
  version                        = local.kubernetes_version
  vpc_id                         = alicloud_vpc.this.id
  vswitch_ids                    = values(local.node_vswitch_ids)
  service_cidr                   = "172.21.0.0/20"
  new_nat_gateway                = true
  endpoint_public_access_enabled = false
  deletion_protection            = false
  tags                           = local.tags

  lifecycle {
    precondition {
      condition     = can(length(local.kubernetes_version))
      error_message = "ACK offers no release of the model's Kubernetes version in this region."
    }
  }
}
