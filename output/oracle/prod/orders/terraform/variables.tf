variable "node_image_ids" {
  description = "OCID of the OKE node image for each kind of node the pools run, by kind: x86_64, aarch64 (Ampere A1/A2/A4 shapes), x86_64-gpu and aarch64-gpu (GPU shapes); each an OKE image for the cluster's Kubernetes version. This cluster needs aarch64, x86_64."
  type        = map(string)

  validation {
    condition     = alltrue([for kind in ["aarch64", "x86_64"] : contains(keys(var.node_image_ids), kind)])
    error_message = "node_image_ids needs an image OCID for each of: aarch64, x86_64."
  }
}
