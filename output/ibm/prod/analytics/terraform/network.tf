resource "ibm_is_vpc" "this" {
  name                      = local.name
  resource_group            = local.resource_group_id
  address_prefix_management = "manual"
  tags                      = local.tags
}

resource "ibm_is_vpc_address_prefix" "this" {
  for_each = local.zones

  name = "${local.name}-${each.key}"
  vpc  = ibm_is_vpc.this.id
  zone = each.key
  cidr = each.value
}

# Workers have private addresses only; each zone's public gateway is their way out.
resource "ibm_is_public_gateway" "this" {
  for_each = local.zones

  name           = "${local.name}-${each.key}"
  vpc            = ibm_is_vpc.this.id
  zone           = each.key
  resource_group = local.resource_group_id
  tags           = local.tags
}

resource "ibm_is_subnet" "this" {
  for_each = local.zones

  name            = "${local.name}-${each.key}"
  vpc             = ibm_is_vpc.this.id
  zone            = each.key
  ipv4_cidr_block = each.value
  public_gateway  = ibm_is_public_gateway.this[each.key].id
  resource_group  = local.resource_group_id
  tags            = local.tags

  depends_on = [ibm_is_vpc_address_prefix.this]
}
