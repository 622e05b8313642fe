"""AWS facts both sources read (plan and live): S3 public access, transport policies, NACL defaults, KMS key usage."""
