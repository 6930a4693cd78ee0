output "cluster_name" {
  description = "The EKS cluster's name."
  value       = aws_eks_cluster.this.name
}

output "cluster_endpoint" {
  description = "The Kubernetes API server endpoint."
  value       = aws_eks_cluster.this.endpoint
}

output "cluster_certificate_authority_data" {
  description = "Base64 certificate data of the cluster's CA."
  value       = aws_eks_cluster.this.certificate_authority[0].data
}

output "oidc_issuer_url" {
  description = "The cluster's OIDC issuer, for IAM roles for service accounts."
  value       = aws_eks_cluster.this.identity[0].oidc[0].issuer
}

output "oidc_provider_arn" {
  description = "The IAM OIDC provider of the cluster's issuer, for IAM roles for service accounts."
  value       = aws_iam_openid_connect_provider.eks.arn
}

output "kms_key_arn" {
  description = "The KMS key of the cluster's secrets and logs."
  value       = local.kms_key_arn
}

output "vpc_id" {
  description = "The VPC the cluster runs in."
  value       = aws_vpc.this.id
}
