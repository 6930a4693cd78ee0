resource "huaweicloud_cce_cluster" "this" {
  name                   = local.name
  cluster_type           = "VirtualMachine"
  cluster_version        = "v1.33"
  flavor_id              = "cce.s2.medium"
  vpc_id                 = huaweicloud_vpc.this.id
  subnet_id              = local.subnet_id
  container_network_type = "vpc-router"
  service_network_cidr   = "10.247.0.0/16"
  authentication_mode    = "rbac"
  tags                   = local.tags

  masters {
    availability_zone = "cn-north-4a"
  }

  masters {
    availability_zone = "cn-north-4b"
  }

  masters {
    availability_zone = "cn-north-4c"
  }

  depends_on = [huaweicloud_nat_snat_rule.nodes]
}
