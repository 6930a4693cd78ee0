variable "node_image_ids" {
  description = "OCID of the node image of each node pool, by pool name: an OKE image for the pool's shape (aarch64 for Ampere A1, GPU images for GPU shapes) and Kubernetes version."
  type        = map(string)

  validation {
    condition     = alltrue([for pool in ["arm", "general"] : contains(keys(var.node_image_ids), pool)])
    error_message = "node_image_ids needs an image OCID for every node pool."
  }
}
