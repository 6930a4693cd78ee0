# Credentials come from the environment (IC_API_KEY), never from here.
provider "ibm" {
  region = "us-south"
}
