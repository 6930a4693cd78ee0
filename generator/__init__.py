"""treeform: one tree of cluster models, rendered to Terraform, kOps and eksctl."""

__version__ = "0.1.0"
