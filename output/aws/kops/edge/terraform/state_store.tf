# The kOps state store (s3://example-org-kops-state): every cluster spec, its secrets and its keys.
resource "aws_s3_bucket" "state_store" {
  # checkov:skip=CKV_AWS_18: access logs need a log bucket of their own; CloudTrail data events cover the state store
  # checkov:skip=CKV_AWS_144: kOps reads and writes the store in one region; versioning keeps its history
  # checkov:skip=CKV2_AWS_62: nothing consumes events of the state store
  bucket = "example-org-kops-state"

  tags = {
    Name = "example-org-kops-state"
  }

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_ownership_controls" "state_store" {
  bucket = aws_s3_bucket.state_store.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "state_store" {
  bucket = aws_s3_bucket.state_store.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "state_store" {
  bucket = aws_s3_bucket.state_store.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state_store" {
  bucket = aws_s3_bucket.state_store.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "state_store" {
  bucket = aws_s3_bucket.state_store.id

  rule {
    id     = "noncurrent-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = 90
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.state_store]
}

# Only TLS reaches the store.
resource "aws_s3_bucket_policy" "state_store" {
  bucket = aws_s3_bucket.state_store.id
  policy = data.aws_iam_policy_document.state_store.json

  depends_on = [aws_s3_bucket_public_access_block.state_store]
}

data "aws_iam_policy_document" "state_store" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.state_store.arn, "${aws_s3_bucket.state_store.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}
