provider "google" {
  project = "example-org-k8s"
  region  = "europe-west4"

  default_labels = {
    managed-by       = "treeform"
    owner            = "platform-team"
    treeform-cluster = "gcp_kops_ml"
  }
}
