resource "oci_core_vcn" "this" {
  compartment_id = local.compartment_id
  display_name   = local.name
  cidr_blocks    = ["10.80.0.0/16"]
  dns_label      = "orders"
  freeform_tags  = local.tags
}

resource "oci_core_internet_gateway" "this" {
  compartment_id = local.compartment_id
  vcn_id         = oci_core_vcn.this.id
  display_name   = "${local.name}-internet"
  enabled        = true
  freeform_tags  = local.tags
}

resource "oci_core_nat_gateway" "this" {
  compartment_id = local.compartment_id
  vcn_id         = oci_core_vcn.this.id
  display_name   = "${local.name}-nat"
  freeform_tags  = local.tags
}

data "oci_core_services" "all" {
  filter {
    name   = "name"
    values = ["All .* Services In Oracle Services Network"]
    regex  = true
  }
}

# Nodes reach OCI services (the registry, object storage) without leaving Oracle's network.
resource "oci_core_service_gateway" "this" {
  compartment_id = local.compartment_id
  vcn_id         = oci_core_vcn.this.id
  display_name   = "${local.name}-services"
  freeform_tags  = local.tags

  services {
    service_id = data.oci_core_services.all.services[0].id
  }
}

resource "oci_core_route_table" "public" {
  compartment_id = local.compartment_id
  vcn_id         = oci_core_vcn.this.id
  display_name   = "${local.name}-public"
  freeform_tags  = local.tags

  route_rules {
    destination       = "0.0.0.0/0"
    destination_type  = "CIDR_BLOCK"
    network_entity_id = oci_core_internet_gateway.this.id
  }
}

resource "oci_core_route_table" "private" {
  compartment_id = local.compartment_id
  vcn_id         = oci_core_vcn.this.id
  display_name   = "${local.name}-private"
  freeform_tags  = local.tags

  route_rules {
    destination       = "0.0.0.0/0"
    destination_type  = "CIDR_BLOCK"
    network_entity_id = oci_core_nat_gateway.this.id
  }

  route_rules {
    destination       = data.oci_core_services.all.services[0].cidr_block
    destination_type  = "SERVICE_CIDR_BLOCK"
    network_entity_id = oci_core_service_gateway.this.id
  }
}

# The Kubernetes API endpoint's rules live in its network security group (endpoint_config.nsg_ids,
# in cluster.tf); its subnet's own list holds none, so it denies all and the VCN's default list
# (SSH from anywhere) is not used.
resource "oci_core_security_list" "api" {
  # checkov:skip=CKV_OCI_16: no rules by design; the endpoint's rules are in its network security group
  # checkov:skip=CKV_OCI_19: there is no ingress rule at all, so nothing reaches port 22
  compartment_id = local.compartment_id
  vcn_id         = oci_core_vcn.this.id
  display_name   = "${local.name}-api"
  freeform_tags  = local.tags
}

# The Kubernetes API endpoint: reachable from the VCN.
resource "oci_core_network_security_group" "api" {
  compartment_id = local.compartment_id
  vcn_id         = oci_core_vcn.this.id
  display_name   = "${local.name}-api"
  freeform_tags  = local.tags
}

resource "oci_core_network_security_group_security_rule" "api_clients" {
  # checkov:skip=CKV_OCI_21: stateful on purpose: a stateless rule would need an egress rule for every reply
  for_each = toset(["10.80.0.0/16"])

  network_security_group_id = oci_core_network_security_group.api.id
  description               = "Kubernetes API"
  direction                 = "INGRESS"
  protocol                  = "6"
  source                    = each.value
  source_type               = "CIDR_BLOCK"
  stateless                 = false

  tcp_options {
    destination_port_range {
      min = 6443
      max = 6443
    }
  }
}

resource "oci_core_network_security_group_security_rule" "api_from_workers" {
  # checkov:skip=CKV_OCI_21: stateful on purpose: a stateless rule would need an egress rule for every reply
  network_security_group_id = oci_core_network_security_group.api.id
  description               = "Workers to the control plane"
  direction                 = "INGRESS"
  protocol                  = "6"
  source                    = "10.80.0.0/17"
  source_type               = "CIDR_BLOCK"
  stateless                 = false

  tcp_options {
    destination_port_range {
      min = 12250
      max = 12250
    }
  }
}

resource "oci_core_network_security_group_security_rule" "api_path_mtu_in" {
  # checkov:skip=CKV_OCI_21: stateful on purpose, like the endpoint's other rules
  # checkov:skip=CKV2_OCI_2: ICMP type 3 code 4 from the workers only opens no port, RDP included
  network_security_group_id = oci_core_network_security_group.api.id
  description               = "Path MTU discovery"
  direction                 = "INGRESS"
  protocol                  = "1"
  source                    = "10.80.0.0/17"
  source_type               = "CIDR_BLOCK"
  stateless                 = false

  icmp_options {
    type = 3
    code = 4
  }
}

resource "oci_core_network_security_group_security_rule" "api_to_services" {
  network_security_group_id = oci_core_network_security_group.api.id
  description               = "The control plane to OCI services"
  direction                 = "EGRESS"
  protocol                  = "6"
  destination               = data.oci_core_services.all.services[0].cidr_block
  destination_type          = "SERVICE_CIDR_BLOCK"
  stateless                 = false

  tcp_options {
    destination_port_range {
      min = 443
      max = 443
    }
  }
}

resource "oci_core_network_security_group_security_rule" "api_to_workers" {
  # checkov:skip=CKV2_OCI_2: an egress rule; nothing reaches the endpoint's RDP port through it
  network_security_group_id = oci_core_network_security_group.api.id
  description               = "The control plane to the workers"
  direction                 = "EGRESS"
  protocol                  = "6"
  destination               = "10.80.0.0/17"
  destination_type          = "CIDR_BLOCK"
  stateless                 = false
}

resource "oci_core_network_security_group_security_rule" "api_path_mtu_out" {
  # checkov:skip=CKV2_OCI_2: an egress rule; nothing reaches the endpoint's RDP port through it
  network_security_group_id = oci_core_network_security_group.api.id
  description               = "Path MTU discovery"
  direction                 = "EGRESS"
  protocol                  = "1"
  destination               = "10.80.0.0/17"
  destination_type          = "CIDR_BLOCK"
  stateless                 = false

  icmp_options {
    type = 3
    code = 4
  }
}

resource "oci_core_security_list" "workers" {
  compartment_id = local.compartment_id
  vcn_id         = oci_core_vcn.this.id
  display_name   = "${local.name}-workers"
  freeform_tags  = local.tags

  ingress_security_rules {
    description = "Pods and nodes to each other"
    protocol    = "all"
    source      = "10.80.0.0/17"
    source_type = "CIDR_BLOCK"
  }

  ingress_security_rules {
    description = "The control plane to the workers"
    protocol    = "6"
    source      = "10.80.192.0/28"
    source_type = "CIDR_BLOCK"
  }

  ingress_security_rules {
    description = "Load balancers to NodePorts"
    protocol    = "6"
    source      = "10.80.128.0/18"
    source_type = "CIDR_BLOCK"

    tcp_options {
      min = 30000
      max = 32767
    }
  }

  ingress_security_rules {
    description = "Load balancer health checks of kube-proxy"
    protocol    = "6"
    source      = "10.80.128.0/18"
    source_type = "CIDR_BLOCK"

    tcp_options {
      min = 10256
      max = 10256
    }
  }

  ingress_security_rules {
    description = "Path MTU discovery"
    protocol    = "1"
    source      = "0.0.0.0/0"
    source_type = "CIDR_BLOCK"

    icmp_options {
      type = 3
      code = 4
    }
  }

  egress_security_rules {
    description      = "Workers to the VCN, OCI services and (through NAT) the internet"
    protocol         = "all"
    destination      = "0.0.0.0/0"
    destination_type = "CIDR_BLOCK"
  }
}

# Service load balancers: OKE's cloud controller adds the listeners' ingress rules.
resource "oci_core_security_list" "lb" {
  # checkov:skip=CKV_OCI_16: no ingress rules by design; OKE's cloud controller adds each listener's
  # checkov:skip=CKV_OCI_19: there is no ingress rule at all, so nothing reaches port 22
  compartment_id = local.compartment_id
  vcn_id         = oci_core_vcn.this.id
  display_name   = "${local.name}-lb"
  freeform_tags  = local.tags

  egress_security_rules {
    description      = "Load balancers to NodePorts"
    protocol         = "6"
    destination      = "10.80.0.0/17"
    destination_type = "CIDR_BLOCK"

    tcp_options {
      min = 30000
      max = 32767
    }
  }

  egress_security_rules {
    description      = "Load balancer health checks of kube-proxy"
    protocol         = "6"
    destination      = "10.80.0.0/17"
    destination_type = "CIDR_BLOCK"

    tcp_options {
      min = 10256
      max = 10256
    }
  }
}

resource "oci_core_subnet" "api" {
  compartment_id             = local.compartment_id
  vcn_id                     = oci_core_vcn.this.id
  display_name               = "${local.name}-api"
  cidr_block                 = "10.80.192.0/28"
  dns_label                  = "api"
  prohibit_public_ip_on_vnic = true
  route_table_id             = oci_core_route_table.private.id
  security_list_ids          = [oci_core_security_list.api.id]
  freeform_tags              = local.tags
}

resource "oci_core_subnet" "workers" {
  compartment_id             = local.compartment_id
  vcn_id                     = oci_core_vcn.this.id
  display_name               = "${local.name}-workers"
  cidr_block                 = "10.80.0.0/17"
  dns_label                  = "workers"
  prohibit_public_ip_on_vnic = true
  route_table_id             = oci_core_route_table.private.id
  security_list_ids          = [oci_core_security_list.workers.id]
  freeform_tags              = local.tags
}

resource "oci_core_subnet" "lb" {
  compartment_id             = local.compartment_id
  vcn_id                     = oci_core_vcn.this.id
  display_name               = "${local.name}-lb"
  cidr_block                 = "10.80.128.0/18"
  dns_label                  = "lb"
  prohibit_public_ip_on_vnic = false
  route_table_id             = oci_core_route_table.public.id
  security_list_ids          = [oci_core_security_list.lb.id]
  freeform_tags              = local.tags
}
