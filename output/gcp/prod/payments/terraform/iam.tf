# The nodes run as a service account of their own, never the Compute Engine default one,
# with only the roles a node needs: write logs and metrics, read monitoring data and
# resource metadata, pull images from Artifact Registry.
resource "google_service_account" "nodes" {
  project      = local.project
  account_id   = "payments-74d4815"
  display_name = "GKE nodes of gcp/prod/payments"
}

resource "google_project_iam_member" "nodes" {
  for_each = toset(["roles/artifactregistry.reader", "roles/logging.logWriter", "roles/monitoring.metricWriter", "roles/monitoring.viewer", "roles/stackdriver.resourceMetadata.writer"])

  project = local.project
  role    = each.value
  member  = "serviceAccount:${google_service_account.nodes.email}"
}

# The project's number names its service agents.
data "google_project" "this" {
  project_id = local.project
}

# The GKE service agent encrypts and decrypts secrets with encryption.secretsKey, and only that key.
resource "google_kms_crypto_key_iam_member" "secrets" {
  crypto_key_id = "projects/acme-kms/locations/europe-west1/keyRings/gke/cryptoKeys/payments"
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = "serviceAccount:service-${data.google_project.this.number}@container-engine-robot.iam.gserviceaccount.com"
}

# The model's access: GKE IAM roles, which hold in every cluster of the project.
resource "google_project_iam_member" "access" {
  for_each = {
    "group:payments-dev@example.com edit"          = { member = "group:payments-dev@example.com", role = "roles/container.developer" }
    "group:payments-sre@example.com cluster-admin" = { member = "group:payments-sre@example.com", role = "roles/container.admin" }
  }

  project = local.project
  role    = each.value.role
  member  = each.value.member
}
