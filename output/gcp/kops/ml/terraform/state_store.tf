# The kOps state store (gs://example-org-kops-state): every cluster spec, its secrets and its keys.
resource "google_storage_bucket" "state_store" {
  # checkov:skip=CKV_GCP_62: access logs need a log bucket of their own; Cloud Audit Logs cover the state store
  name                        = "example-org-kops-state"
  location                    = "EUROPE-WEST4"
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 90
    }
    action {
      type = "Delete"
    }
  }

  lifecycle {
    prevent_destroy = true
  }
}
