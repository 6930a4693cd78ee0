provider "aws" {
  region              = "us-east-1"
  allowed_account_ids = ["123456789012"]

  default_tags {
    tags = {
      env              = "prod"
      managed-by       = "treeform"
      owner            = "platform-team"
      team             = "ledger"
      treeform-cluster = "aws/prod/ledger"
    }
  }
}
