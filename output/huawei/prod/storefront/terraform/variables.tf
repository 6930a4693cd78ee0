variable "node_key_pair" {
  description = "Name of the Huawei Cloud key pair that may log in to the nodes (a KPS key pair; CCE needs a key pair or a password, and treeform never writes passwords)."
  type        = string
}
