# Credentials come from ~/.oci/config or the environment (TF_VAR_/OCI_ variables), never
# from here.
provider "oci" {
  region = "us-ashburn-1"
}
