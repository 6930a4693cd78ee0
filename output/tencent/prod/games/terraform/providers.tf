# Credentials come from the environment (TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY,
# or a CAM role); never from this module.
provider "tencentcloud" {
  region = "ap-guangzhou"
}
