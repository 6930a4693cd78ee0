# The nodes run as a service account of their own, never the Compute Engine default one,
# with only the roles a node needs: write logs and metrics, read monitoring data and
# resource metadata, pull images from Artifact Registry.
resource "google_service_account" "nodes" {
  project      = local.project
  account_id   = "ml-36055a1"
  display_name = "GKE nodes of gcp/prod/ml"
}

resource "google_project_iam_member" "nodes" {
  for_each = toset(["roles/artifactregistry.reader", "roles/logging.logWriter", "roles/monitoring.metricWriter", "roles/monitoring.viewer", "roles/stackdriver.resourceMetadata.writer"])

  project = local.project
  role    = each.value
  member  = "serviceAccount:${google_service_account.nodes.email}"
}
