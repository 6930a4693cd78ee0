resource "alicloud_vpc" "this" {
  vpc_name    = local.name
  cidr_block  = "10.40.0.0/16"
  description = "Network of the ACK cluster ${local.name}"
  tags        = local.tags
}

# One vSwitch per zone for the nodes (ECI pods take their addresses here).
resource "alicloud_vswitch" "nodes" {
  for_each = local.zones

  vpc_id       = alicloud_vpc.this.id
  zone_id      = each.key
  cidr_block   = each.value.nodes
  vswitch_name = "${local.name}-nodes-${each.key}"
  tags         = local.tags
}
