# Credentials come from the environment, never from this module: ALICLOUD_ACCESS_KEY and
# ALICLOUD_SECRET_KEY (read by the provider and by the oss backend), or a profile, an ECS
# RAM role or an assumed role.
provider "alicloud" {
  region = "cn-shanghai"
}
