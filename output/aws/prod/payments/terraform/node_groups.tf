resource "aws_launch_template" "batch" {
  name                   = "payments-batch"
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
      volume_size           = 50
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }

  # AL2023 nodes read this NodeConfig: 110 pods per node (maxPods, or prefix delegation).
  user_data = base64encode("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"//\"\n\n--//\nContent-Type: application/node.eks.aws\n\napiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  kubelet:\n    config:\n      maxPods: 110\n\n--//--\n")

  tag_specifications {
    resource_type = "instance"
    tags = {
      Name = "payments-batch"
    }
  }
}

resource "aws_eks_node_group" "batch" {
  cluster_name    = aws_eks_cluster.this.name
  node_group_name = "batch"
  node_role_arn   = aws_iam_role.node.arn
  subnet_ids      = [for zone in ["us-east-1a", "us-east-1b"] : local.node_subnets[zone]]
  instance_types  = ["c6i.2xlarge"]
  capacity_type   = "SPOT"

  # Follows the control plane: the reference makes Terraform upgrade the cluster first, then
  # the nodes; the release (AMI) is EKS's latest for the version.
  version = aws_eks_cluster.this.version

  scaling_config {
    desired_size = 0
    min_size     = 0
    max_size     = 30
  }

  update_config {
    max_unavailable = 1
  }

  launch_template {
    id      = aws_launch_template.batch.id
    version = aws_launch_template.batch.latest_version
  }

  labels = {
    workload = "batch"
  }

  taint {
    key    = "dedicated"
    value  = "batch"
    effect = "NO_SCHEDULE"
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

resource "aws_launch_template" "general" {
  name                   = "payments-general"
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

  # AL2023 nodes read this NodeConfig: 110 pods per node (maxPods, or prefix delegation).
  user_data = base64encode("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"//\"\n\n--//\nContent-Type: application/node.eks.aws\n\napiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  kubelet:\n    config:\n      maxPods: 110\n\n--//--\n")

  tag_specifications {
    resource_type = "instance"
    tags = {
      Name = "payments-general"
    }
  }
}

resource "aws_eks_node_group" "general" {
  cluster_name    = aws_eks_cluster.this.name
  node_group_name = "general"
  node_role_arn   = aws_iam_role.node.arn
  subnet_ids      = [for zone in ["us-east-1a", "us-east-1b", "us-east-1c"] : local.node_subnets[zone]]
  instance_types  = ["m6i.large"]
  capacity_type   = "ON_DEMAND"

  # Follows the control plane: the reference makes Terraform upgrade the cluster first, then
  # the nodes; the release (AMI) is EKS's latest for the version.
  version = aws_eks_cluster.this.version

  scaling_config {
    desired_size = 3
    min_size     = 3
    max_size     = 20
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
