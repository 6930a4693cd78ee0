provider "digitalocean" {
  # null falls back to the DIGITALOCEAN_TOKEN environment variable.
  token = var.digitalocean_token
}
