resource "tencentcloud_vpc" "this" {
  name       = local.name
  cidr_block = "10.50.0.0/16"
  tags       = local.tags
}

resource "tencentcloud_subnet" "nodes" {
  for_each = local.zones

  vpc_id            = tencentcloud_vpc.this.id
  name              = "${local.name}-nodes-${each.key}"
  availability_zone = each.key
  cidr_block        = each.value.nodes
  route_table_id    = tencentcloud_route_table.private.id
  tags              = local.tags
}

# topology: private, so nodes have no public IPs and reach the internet through one NAT
# gateway (a regional service).
resource "tencentcloud_eip" "nat" {
  name                       = "${local.name}-nat"
  internet_charge_type       = "TRAFFIC_POSTPAID_BY_HOUR"
  internet_max_bandwidth_out = 100
  tags                       = local.tags
}

resource "tencentcloud_nat_gateway" "this" {
  name             = local.name
  vpc_id           = tencentcloud_vpc.this.id
  assigned_eip_set = [tencentcloud_eip.nat.public_ip]
  tags             = local.tags
}

resource "tencentcloud_route_table" "private" {
  name   = "${local.name}-private"
  vpc_id = tencentcloud_vpc.this.id
  tags   = local.tags
}

resource "tencentcloud_route_table_entry" "nat" {
  route_table_id         = tencentcloud_route_table.private.id
  destination_cidr_block = "0.0.0.0/0"
  next_type              = "NAT"
  next_hub               = tencentcloud_nat_gateway.this.id
  description            = "Egress through the NAT gateway"
}

# Nodes accept traffic from inside the VPC and from pods only; every other inbound
# packet is dropped.
resource "tencentcloud_security_group" "nodes" {
  name        = "${local.name}-nodes"
  description = "Nodes of the TKE cluster ${local.name}"
  tags        = local.tags
}

resource "tencentcloud_security_group_rule_set" "nodes" {
  security_group_id = tencentcloud_security_group.nodes.id

  ingress {
    action      = "ACCEPT"
    cidr_block  = "10.50.0.0/16"
    protocol    = "ALL"
    port        = "all"
    description = "Inside the VPC"
  }

  ingress {
    action      = "ACCEPT"
    cidr_block  = "172.20.0.0/16"
    protocol    = "ALL"
    port        = "all"
    description = "Pods (GlobalRouter range)"
  }

  ingress {
    action      = "DROP"
    cidr_block  = "0.0.0.0/0"
    protocol    = "ALL"
    port        = "all"
    description = "Everything else"
  }

  egress {
    action      = "ACCEPT"
    cidr_block  = "0.0.0.0/0"
    protocol    = "ALL"
    port        = "all"
    description = "Outbound"
  }
}
