"""Azure Key Vault facts both sources read: what a key's permitted operations say about its usage."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# https://learn.microsoft.com/en-us/rest/api/keyvault/keys/create-key/create-key#jsonwebkeyoperation (the ARM
# keyOps and Terraform's key_opts take the same names; compared case-insensitively)
KEY_OPERATION_USAGE: dict[str, str] = {
    "encrypt": "encrypt",
    "decrypt": "encrypt",
    "wrapkey": "encrypt",
    "unwrapkey": "encrypt",
    "sign": "sign",
    "verify": "sign",
}
"""Key operation (lower-case) -> the model's ``usage``; other operations (``import``, ``release``) say none."""


def key_usage(operations: Iterable[Any], fallback: str | None = None) -> str | list[str] | None:
    """The model's ``usage`` of a key permitted ``operations``: one usage as a string, several as a sorted
    list, none as ``fallback`` (the key type's usage, when known)."""
    usages = sorted({KEY_OPERATION_USAGE[o] for o in (str(x).lower() for x in operations) if o in KEY_OPERATION_USAGE})
    if not usages:
        return fallback
    return usages[0] if len(usages) == 1 else usages
