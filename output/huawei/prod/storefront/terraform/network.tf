resource "huaweicloud_vpc" "this" {
  name = local.name
  cidr = "10.60.0.0/16"
  tags = local.tags
}

# One subnet for the nodes: Huawei subnets span the region's zones. The provider gives it
# the region's private DNS servers, which CCE nodes need.
resource "huaweicloud_vpc_subnet" "nodes" {
  name       = "${local.name}-nodes"
  vpc_id     = huaweicloud_vpc.this.id
  cidr       = "10.60.0.0/19"
  gateway_ip = "10.60.0.1"
  tags       = local.tags
}

# Nodes have no public addresses: they reach the internet through a NAT gateway.
resource "huaweicloud_nat_gateway" "this" {
  name      = local.name
  spec      = "1"
  vpc_id    = huaweicloud_vpc.this.id
  subnet_id = huaweicloud_vpc_subnet.nodes.id
  tags      = local.tags
}

resource "huaweicloud_vpc_eip" "nat" {
  publicip {
    type = "5_bgp"
  }

  bandwidth {
    share_type  = "PER"
    name        = "${local.name}-nat"
    size        = 100
    charge_mode = "traffic"
  }

  tags = local.tags
}

resource "huaweicloud_nat_snat_rule" "nodes" {
  nat_gateway_id = huaweicloud_nat_gateway.this.id
  floating_ip_id = huaweicloud_vpc_eip.nat.id
  subnet_id      = huaweicloud_vpc_subnet.nodes.id
}
