# Credentials come from the environment (HW_ACCESS_KEY, HW_SECRET_KEY), never from here.
provider "huaweicloud" {
  region = "cn-north-4"
}
