resource "oci_containerengine_cluster" "this" {
  # checkov:skip=CKV2_OCI_6: PodSecurityPolicy was removed in Kubernetes 1.25; OKE enforces Pod Security Admission
  compartment_id     = local.compartment_id
  name               = local.name
  kubernetes_version = "v1.34.1"
  vcn_id             = local.vcn_id
  type               = "ENHANCED_CLUSTER"
  freeform_tags      = local.tags

  cluster_pod_network_options {
    cni_type = "FLANNEL_OVERLAY"
  }

  endpoint_config {
    subnet_id            = local.api_subnet_id
    is_public_ip_enabled = false
    nsg_ids              = [oci_core_network_security_group.api.id]
  }

  options {
    service_lb_subnet_ids = [local.lb_subnet_id]

    kubernetes_network_config {
      pods_cidr     = "10.244.0.0/16"
      services_cidr = "10.96.0.0/16"
    }

    persistent_volume_config {
      freeform_tags = local.tags
    }

    service_lb_config {
      freeform_tags = local.tags
    }
  }
}
