# Encrypts Kubernetes secrets and the control-plane and flow logs.
resource "aws_kms_key" "eks" {
  description             = "EKS secrets and logs of ${local.name}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms.json
}

resource "aws_kms_alias" "eks" {
  name          = "alias/eks/${local.name}"
  target_key_id = aws_kms_key.eks.key_id
}

# A key policy: its "*" resource is this key alone.
data "aws_iam_policy_document" "kms" {
  # checkov:skip=CKV_AWS_109: a key policy; the account statement is AWS's default, without which the key becomes unmanageable
  # checkov:skip=CKV_AWS_111: a key policy; the account statement is AWS's default, without which the key becomes unmanageable
  # checkov:skip=CKV_AWS_356: a key policy; "*" is this key
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchLogsEncrypt"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = [for group in local.log_groups : "arn:${data.aws_partition.current.partition}:logs:${local.region}:${data.aws_caller_identity.current.account_id}:log-group:${group}"]
    }
  }
}

# EKS writes control-plane logs here; created first so retention and encryption apply.
resource "aws_cloudwatch_log_group" "eks" {
  name              = "/aws/eks/${local.name}/cluster"
  retention_in_days = 365
  kms_key_id        = local.kms_key_arn
}

locals {
  # Subnets of the control plane's network interfaces and of the nodes, by zone.
  node_subnets = { for zone, subnet in aws_subnet.private : zone => subnet.id }
}

resource "aws_eks_cluster" "this" {
  name     = local.name
  role_arn = aws_iam_role.cluster.arn
  version  = "1.35"

  enabled_cluster_log_types = ["api", "audit", "authenticator", "controllerManager", "scheduler"]

  # STANDARD: EKS upgrades the cluster when standard support ends; EXTENDED costs six times as much.
  upgrade_policy {
    support_type = "STANDARD"
  }

  vpc_config {
    subnet_ids              = values(local.node_subnets)
    endpoint_private_access = true
    endpoint_public_access  = false
  }

  # Access entries only (no aws-auth ConfigMap); the admins are access entries of their own
  # (identity.tf), so the creator keeps no hidden admin rights.
  access_config {
    authentication_mode                         = "API"
    bootstrap_cluster_creator_admin_permissions = false
  }

  encryption_config {
    resources = ["secrets"]

    provider {
      key_arn = local.kms_key_arn
    }
  }

  kubernetes_network_config {
    service_ipv4_cidr = "172.20.0.0/16"
  }

  depends_on = [
    aws_cloudwatch_log_group.eks,
    aws_iam_role_policy_attachment.cluster,
    aws_iam_role_policy.cluster_encryption,
  ]
}
