provider "aws" {
  region              = "eu-west-1"
  allowed_account_ids = ["123456789012"]

  default_tags {
    tags = {
      env              = "dev"
      managed-by       = "treeform"
      owner            = "platform-team"
      treeform-cluster = "aws/dev/sandbox"
    }
  }
}
