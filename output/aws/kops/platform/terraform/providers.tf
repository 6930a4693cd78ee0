provider "aws" {
  region              = "us-east-1"
  allowed_account_ids = ["123456789012"]

  default_tags {
    tags = {
      managed-by       = "treeform"
      owner            = "platform-team"
      treeform-cluster = "aws/kops/platform"
    }
  }
}
