provider "aws" {
  region              = "us-east-1"
  allowed_account_ids = ["123456789012"]

  default_tags {
    tags = {
      cost-center      = "4711"
      env              = "prod"
      managed-by       = "treeform"
      owner            = "platform-team"
      team             = "payments"
      treeform-cluster = "aws/prod/payments"
    }
  }
}
