"""How posture is installed: the distribution name on the package index and the install hints.

The import package and the command are ``posture``; the distribution is ``posture-scan`` (the name
``posture`` on the index belongs to an unrelated project). Every install hint is built here.
"""

from __future__ import annotations

DISTRIBUTION = "posture-scan"


def install_hint(extra: str | None = None) -> str:
    """The pip command that installs posture, with ``extra`` (``aws``, ``tls``...) when given."""
    return f"pip install '{DISTRIBUTION}[{extra}]'" if extra else f"pip install {DISTRIBUTION}"
