"""Cloud KMS facts both sources read: the purpose, protection level and rotation of a crypto key."""

from __future__ import annotations

from typing import Any

# https://cloud.google.com/kms/docs/reference/rest/v1/projects.locations.keyRings.cryptoKeys#CryptoKeyPurpose
# (Terraform's google_kms_crypto_key.purpose takes the same names, ENCRYPT_DECRYPT when unset)
PURPOSE_USAGE: dict[str, str] = {
    "ENCRYPT_DECRYPT": "encrypt",
    "ASYMMETRIC_DECRYPT": "encrypt",
    "RAW_ENCRYPT_DECRYPT": "encrypt",
    "ASYMMETRIC_SIGN": "sign",
    "MAC": "mac",
    "KEY_ENCAPSULATION": "key_encapsulation",
}
"""CryptoKey ``purpose`` -> the model's ``usage``."""

DEFAULT_PURPOSE = "ENCRYPT_DECRYPT"

# https://cloud.google.com/kms/docs/reference/rest/v1/ProtectionLevel (SOFTWARE when unset)
PROTECTION: dict[str, str] = {"SOFTWARE": "software", "HSM": "hsm", "EXTERNAL": "external", "EXTERNAL_VPC": "external"}
"""``protectionLevel`` -> the model's ``protection``."""

# https://cloud.google.com/kms/docs/key-rotation#automatic_rotation: only symmetric encryption keys rotate
# automatically.
AUTO_ROTATION_PURPOSES = frozenset({"ENCRYPT_DECRYPT"})


def key_usage(purpose: Any) -> str:
    """The model's ``usage`` of a CryptoKey purpose (none given: the default; unlisted: lower-cased as is)."""
    return PURPOSE_USAGE.get(purpose or DEFAULT_PURPOSE, str(purpose).lower())


def protection(level: Any) -> str:
    """The model's ``protection`` of a protection level (none given: software; unlisted: lower-cased as is)."""
    return PROTECTION.get(level or "SOFTWARE", str(level).lower())
