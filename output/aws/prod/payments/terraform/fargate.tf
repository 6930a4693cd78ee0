# Fargate runs pods in the private subnets, with this role to pull images and write logs.
data "aws_iam_policy_document" "fargate_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["eks-fargate-pods.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${data.aws_partition.current.partition}:eks:${local.region}:${data.aws_caller_identity.current.account_id}:fargateprofile/${local.name}/*"]
    }
  }
}

resource "aws_iam_role" "fargate" {
  name               = "${local.name}-eks-fargate-pods"
  assume_role_policy = data.aws_iam_policy_document.fargate_assume.json
}

resource "aws_iam_role_policy_attachment" "fargate" {
  role       = aws_iam_role.fargate.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonEKSFargatePodExecutionRolePolicy"
}

resource "aws_eks_fargate_profile" "jobs" {
  cluster_name           = aws_eks_cluster.this.name
  fargate_profile_name   = "jobs"
  pod_execution_role_arn = aws_iam_role.fargate.arn
  subnet_ids             = values(local.node_subnets)

  selector {
    namespace = "payments-jobs"
  }

  selector {
    namespace = "reports"
    labels    = { runtime = "fargate" }
  }

  depends_on = [aws_iam_role_policy_attachment.fargate]
}
