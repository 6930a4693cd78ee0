# The kOps state store (azureblob://exampleorgkops/state): every cluster spec, its secrets and its keys.
# kOps reads and writes it with Azure AD credentials (DefaultAzureCredential), so the
# account takes no shared keys.
resource "azurerm_resource_group" "state_store" {
  name     = "kops-state-lab"
  location = "westeurope"

  tags = {
    managed-by       = "treeform"
    owner            = "platform-team"
    treeform-cluster = "azure/kops/lab"
  }
}

resource "azurerm_storage_account" "state_store" {
  # checkov:skip=CKV_AZURE_59: the kOps CLI and the cluster's instances reach the store over its public endpoint; shared keys are off, so only Azure AD identities with a data role get in
  # checkov:skip=CKV_AZURE_35: as CKV_AZURE_59, a network rule would shut out the kOps CLI
  # checkov:skip=CKV2_AZURE_33: a private endpoint needs a network of its own before the cluster exists
  # checkov:skip=CKV2_AZURE_1: Microsoft-managed keys with infrastructure encryption; a customer key is an account-level choice
  # checkov:skip=CKV_AZURE_33: the account holds blobs only, no queues to log
  name                              = "exampleorgkops"
  resource_group_name               = azurerm_resource_group.state_store.name
  location                          = azurerm_resource_group.state_store.location
  account_kind                      = "StorageV2"
  account_tier                      = "Standard"
  account_replication_type          = "GRS"
  min_tls_version                   = "TLS1_2"
  https_traffic_only_enabled        = true
  allow_nested_items_to_be_public   = false
  shared_access_key_enabled         = false
  default_to_oauth_authentication   = true
  local_user_enabled                = false
  infrastructure_encryption_enabled = true
  cross_tenant_replication_enabled  = false

  tags = {
    managed-by       = "treeform"
    owner            = "platform-team"
    treeform-cluster = "azure/kops/lab"
  }

  blob_properties {
    versioning_enabled = true

    delete_retention_policy {
      days = 90
    }

    container_delete_retention_policy {
      days = 90
    }
  }

  sas_policy {
    expiration_period = "01.00:00:00"
  }

  lifecycle {
    prevent_destroy = true
  }
}

resource "azurerm_storage_container" "state_store" {
  # checkov:skip=CKV2_AZURE_21: blob read logging needs a Log Analytics workspace, an account-level choice
  name                  = "state"
  storage_account_id    = azurerm_storage_account.state_store.id
  container_access_type = "private"
}
