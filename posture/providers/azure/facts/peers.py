"""How an NSG address prefix reads as a model peer, for the plan and live sources alike.

``*``, ``Internet``, ``Any`` and ``0.0.0.0/0`` (the internet peers of ``knowledge/network_defaults.yaml``) and a
bare ``0.0.0.0`` (accepted by Azure and read as any address, as Checkov's CKV_AZURE_9/10 do) are every address;
an address or CIDR stays itself; anything else is a service tag (``tag:VirtualNetwork``).
"""

from __future__ import annotations

from posture.knowledge.network import INTERNET_PEERS


def peer(prefix: str) -> str:
    """An NSG address prefix as a model peer."""
    p = prefix.strip()
    if p.lower() in INTERNET_PEERS or p == "0.0.0.0":
        return "0.0.0.0/0"
    if p[:1].isdigit() or ":" in p:
        return p  # an IP address or CIDR
    return f"tag:{p}"
