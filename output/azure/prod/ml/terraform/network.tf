resource "azurerm_virtual_network" "this" {
  name                = "vnet-${local.name}"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  address_space       = ["10.31.0.0/16"]
  tags                = local.tags
}

# Every node pool's nodes; subnets span all of the region's zones.
resource "azurerm_subnet" "nodes" {
  name                 = "snet-nodes"
  resource_group_name  = azurerm_resource_group.this.name
  virtual_network_name = azurerm_virtual_network.this.name
  address_prefixes     = ["10.31.0.0/17"]
}

# The subnets' network security group. Azure's default rules sit beneath any written here:
# traffic within the VNet and the load balancer's health probes come in, nothing else from
# outside does; all outbound is allowed. AKS keeps its own group on the nodes' network
# interfaces and opens Services of type LoadBalancer there; a public one also needs an
# inbound rule here (see docs/engines/aks.md).
resource "azurerm_network_security_group" "this" {
  name                = "nsg-${local.name}"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  tags                = local.tags

  # Azure CNI overlay: pod addresses lie outside the VNet, so Azure's VirtualNetwork rules do
  # not cover node-to-pod and pod-to-pod traffic, which AKS needs.
  security_rule {
    name                         = "AllowClusterInbound"
    description                  = "Nodes and pods to nodes and pods (Azure CNI overlay)"
    priority                     = 100
    direction                    = "Inbound"
    access                       = "Allow"
    protocol                     = "*"
    source_port_range            = "*"
    destination_port_range       = "*"
    source_address_prefixes      = ["10.31.0.0/17", "10.244.0.0/16"]
    destination_address_prefixes = ["10.31.0.0/17", "10.244.0.0/16"]
  }

  security_rule {
    name                         = "AllowClusterOutbound"
    description                  = "Nodes and pods to nodes and pods (Azure CNI overlay)"
    priority                     = 100
    direction                    = "Outbound"
    access                       = "Allow"
    protocol                     = "*"
    source_port_range            = "*"
    destination_port_range       = "*"
    source_address_prefixes      = ["10.31.0.0/17", "10.244.0.0/16"]
    destination_address_prefixes = ["10.31.0.0/17", "10.244.0.0/16"]
  }
}

resource "azurerm_subnet_network_security_group_association" "nodes" {
  subnet_id                 = azurerm_subnet.nodes.id
  network_security_group_id = azurerm_network_security_group.this.id
}

# Private topology: nodes have no public addresses and leave through this NAT gateway.
resource "azurerm_public_ip" "nat" {
  name                = "pip-${local.name}-nat"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  allocation_method   = "Static"
  sku                 = "Standard"
  tags                = local.tags
}

resource "azurerm_nat_gateway" "this" {
  name                    = "ng-${local.name}"
  location                = azurerm_resource_group.this.location
  resource_group_name     = azurerm_resource_group.this.name
  sku_name                = "Standard"
  idle_timeout_in_minutes = 4
  tags                    = local.tags
}

resource "azurerm_nat_gateway_public_ip_association" "this" {
  nat_gateway_id       = azurerm_nat_gateway.this.id
  public_ip_address_id = azurerm_public_ip.nat.id
}

resource "azurerm_subnet_nat_gateway_association" "nodes" {
  subnet_id      = azurerm_subnet.nodes.id
  nat_gateway_id = azurerm_nat_gateway.this.id
}
