variable "digitalocean_token" {
  description = "A DigitalOcean API token; leave unset to use DIGITALOCEAN_TOKEN from the environment."
  type        = string
  default     = null
  sensitive   = true
}
