"""Defence in depth against leaking secrets.

Sources already drop values they know are sensitive (Terraform's
``sensitive_values``). As a second door, every resource attribute whose key
names a secret is replaced by :data:`REDACTED` when the resource is built, so
no finding, report, snapshot or ticket can carry it.
"""

from __future__ import annotations

import re
from functools import lru_cache

REDACTED = "<redacted>"

_SECRET_KEY = re.compile(
    r"(^|_)(password|passwd|passphrase|secret|private_key|client_secret|token|api_key|"
    r"access_key_secret|secret_access_key|primary_access_key|secondary_access_key|connection_string|"
    r"sas_token|shared_key|master_password|admin_password|auth_token|credentials?|private_key_pem|"
    r"private_key_openssh|secret_string|secret_binary|key_material)$",
    re.IGNORECASE,
)


@lru_cache(maxsize=8192)
def is_secret_key(key: str) -> bool:
    """True when an attribute named ``key`` holds a secret (password, token, private key...)."""
    return bool(_SECRET_KEY.search(key))
