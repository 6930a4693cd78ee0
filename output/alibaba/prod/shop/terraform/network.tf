resource "alicloud_vpc" "this" {
  vpc_name    = local.name
  cidr_block  = "10.30.0.0/16"
  description = "Network of the ACK cluster ${local.name}"
  tags        = local.tags
}

# One vSwitch per zone for the nodes.
resource "alicloud_vswitch" "nodes" {
  for_each = local.zones

  vpc_id       = alicloud_vpc.this.id
  zone_id      = each.key
  cidr_block   = each.value.nodes
  vswitch_name = "${local.name}-nodes-${each.key}"
  tags         = local.tags
}

# Terway gives pods VPC addresses from these vSwitches, one per zone beside the nodes'.
resource "alicloud_vswitch" "pods" {
  for_each = local.zones

  vpc_id       = alicloud_vpc.this.id
  zone_id      = each.key
  cidr_block   = each.value.pods
  vswitch_name = "${local.name}-pods-${each.key}"
  tags         = local.tags
}
