"""AWS KMS facts both sources read: the key usage of a key as the model names it."""

from __future__ import annotations

from typing import Any

# https://docs.aws.amazon.com/kms/latest/APIReference/API_KeyMetadata.html (KeyUsage; ENCRYPT_DECRYPT when a
# key is created without one, https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html)
KEY_USAGE: dict[str, str] = {
    "ENCRYPT_DECRYPT": "encrypt",
    "SIGN_VERIFY": "sign",
    "GENERATE_VERIFY_MAC": "mac",
    "KEY_AGREEMENT": "key_agreement",
}
"""KMS ``KeyUsage`` (the API and Terraform's ``key_usage``) -> the model's ``usage``."""

DEFAULT_KEY_USAGE = "ENCRYPT_DECRYPT"


def key_usage(value: Any) -> str:
    """The model's ``usage`` of a KMS key usage value (none given: the default; unlisted: lower-cased as is)."""
    return KEY_USAGE.get(value or DEFAULT_KEY_USAGE, str(value).lower())
