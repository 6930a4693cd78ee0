resource "aws_launch_template" "general" {
  name                   = "ledger-general"
  update_default_version = true

  # IMDSv2 only, and out of reach of pods (hop limit 1).
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_size           = 100
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }

  tag_specifications {
    resource_type = "instance"
    tags = {
      Name = "ledger-general"
    }
  }
}

resource "aws_eks_node_group" "general" {
  cluster_name    = aws_eks_cluster.this.name
  node_group_name = "general"
  node_role_arn   = aws_iam_role.node.arn
  subnet_ids      = local.existing_subnet_ids
  instance_types  = ["m6i.large"]
  capacity_type   = "ON_DEMAND"

  # Follows the control plane: the reference makes Terraform upgrade the cluster first, then
  # the nodes; the release (AMI) is EKS's latest for the version.
  version = aws_eks_cluster.this.version

  scaling_config {
    desired_size = 3
    min_size     = 3
    max_size     = 10
  }

  update_config {
    max_unavailable = 1
  }

  launch_template {
    id      = aws_launch_template.general.id
    version = aws_launch_template.general.latest_version
  }

  labels = {
    workload = "general"
  }

  # The cluster autoscaler owns the size once the group exists.
  lifecycle {
    ignore_changes = [scaling_config[0].desired_size]
  }

  # Nodes become Ready once the network add-ons run with their permissions.
  depends_on = [
    aws_iam_role_policy_attachment.node,
    aws_eks_addon.eks_pod_identity_agent,
    aws_eks_addon.kube_proxy,
    aws_eks_addon.vpc_cni,
    aws_eks_pod_identity_association.vpc_cni,
  ]
}
