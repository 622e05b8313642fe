"""Builders of the model vocabulary every source speaks: encryption, keys, TLS policies, ports, firewall rules."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

from posture import knowledge
from posture.knowledge import TLS_VERSIONS
from posture.model import UNKNOWN, Edge, EdgeKind


def known(value: Any) -> bool:
    """True for a value that is neither UNKNOWN nor None."""
    return value is not UNKNOWN and value is not None


def is_true(value: Any) -> bool:
    """True only for a known ``True`` (UNKNOWN and None are not true)."""
    return value is not UNKNOWN and value is True


def blocks(values: Any, name: str) -> Any:
    """All elements of a nested block list ([] when absent, UNKNOWN when unknown)."""
    if values is UNKNOWN:
        return UNKNOWN
    if not isinstance(values, Mapping):
        return []
    value = values.get(name)
    if value is UNKNOWN:
        return UNKNOWN
    if isinstance(value, list):
        return value
    if isinstance(value, Mapping):
        return [value]
    return []


def listed(value: Any) -> list[Any]:
    """``value`` if it is a list, else [] (for iterating blocks that may be UNKNOWN or absent)."""
    return value if isinstance(value, list) else []


def mapping(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a mapping, else {} (UNKNOWN and None read as "nothing known here")."""
    return value if isinstance(value, Mapping) else {}


def str_list(value: Any) -> Any:
    """A list of strings (UNKNOWN elements kept as UNKNOWN); UNKNOWN for an unknown list; [] for None."""
    if value is UNKNOWN:
        return UNKNOWN
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [v for v in value if v is UNKNOWN or (isinstance(v, str) and v != "")]
    return []


def tags_of(values: Mapping[str, Any], key: str = "tags") -> dict[str, str]:
    """Known string tags/labels (unknown values are left out: tags are not evidence)."""
    tags = values.get(key)
    if not isinstance(tags, Mapping):
        return {}
    return {str(k): v for k, v in tags.items() if isinstance(v, str)}


def is_external_id(value: Any) -> bool:
    """A literal id of something outside the plan (an ARN, Azure id, GCP self link, provider id)."""
    return isinstance(value, str) and value != ""


def parse_arn(value: Any) -> tuple[str, str]:
    """(account, region) from a literal ARN, else ("", "")."""
    if isinstance(value, str) and value.startswith("arn:"):
        parts = value.split(":", 5)
        if len(parts) >= 5:
            return parts[4], parts[3]
    return "", ""


def edge(src: str, dst: str, kind: EdgeKind | str, **attrs: Any) -> Edge:
    """An id-based edge."""
    return Edge(src, dst, kind, attrs)


# -- encryption ----------------------------------------------------------------------------------------------
def encryption(
    at_rest: Any,
    *,
    algorithm: Any = None,
    key_id: Any = None,
    key_manager: Any = None,
    basis: Any = None,
    default_source: Any = None,
) -> dict[str, Any]:
    """The normalised ``encryption`` object (see docs/model.md, ``datastore``)."""
    return {
        "at_rest": at_rest,
        "algorithm": algorithm,
        "key_id": key_id,
        "key_manager": key_manager,
        "basis": basis,
        "default_source": default_source,
    }


def unencrypted() -> dict[str, Any]:
    """Known not to be encrypted at rest."""
    return encryption(False, basis="explicit")


def unknown_encryption() -> dict[str, Any]:
    """Encryption that cannot be decided from the plan."""
    return encryption(UNKNOWN)


def customer_key(key_id: Any, algorithm: Any = "AES-256") -> dict[str, Any]:
    """Explicitly encrypted with a customer-managed key."""
    return encryption(True, algorithm=algorithm, key_id=key_id, key_manager="customer", basis="explicit")


def provider_key(algorithm: Any = "AES-256", key_id: Any = None) -> dict[str, Any]:
    """Explicitly encrypted with a provider-managed key (e.g. SSE-S3 configured, aws/ebs key)."""
    return encryption(True, algorithm=algorithm, key_id=key_id, key_manager="provider", basis="explicit")


def provider_default(*ids: str) -> dict[str, Any]:
    """Encryption by provider default, from the knowledge table (first of ``ids`` that is known).

    When the knowledge table has no entry the state is UNKNOWN (never guessed).
    """
    for ident in ids:
        fields = _encryption_default(ident)
        if fields is not None:
            at_rest, algorithm, key_manager, source = fields
            if at_rest is False:
                return encryption(False, basis="provider_default", default_source=source)
            return encryption(at_rest, algorithm=algorithm, key_manager=key_manager or "provider",
                              basis="provider_default", default_source=source)
    return unknown_encryption()


# The knowledge lookups hand out deep copies (callers may change them); a normaliser calls them once per
# resource, so the few fields read are looked up once per type (the copies were a fifth of a 30,000-bucket scan).
@functools.lru_cache(maxsize=1024)
def _encryption_default(ident: str) -> tuple[Any, Any, Any, Any] | None:
    entry = knowledge.encryption_default(ident)
    if not entry:
        return None
    return entry.get("at_rest", UNKNOWN), entry.get("algorithm"), entry.get("key_manager"), entry.get("id")


@functools.lru_cache(maxsize=1024)
def _public_default_source(native_type: str) -> str | None:
    entry = knowledge.public_access_default(native_type)
    return entry["id"] if entry and entry.get("public") is False else None


# -- public read access of object stores ---------------------------------------------------------------------
def public_read(grants: Iterable[tuple[str, Any]], native_type: str) -> dict[str, Any]:
    """``public`` and ``public_via`` of an object store from ``(what, granted)`` pairs (docs/model.md).

    ``granted`` is True / False / UNKNOWN, already False where a protection overrides the grant. With no
    grant at all the store is not public, and ``public_default_source`` names the knowledge entry saying the
    provider blocks public access on new stores (so grants added outside the code are refused too).
    """
    grants = list(grants)
    via = [what for what, granted in grants if granted is True]
    if via:
        return {"public": True, "public_via": via}
    if any(granted is UNKNOWN for _, granted in grants):
        return {"public": UNKNOWN, "public_via": []}
    out: dict[str, Any] = {"public": False, "public_via": []}
    source = _public_default_source(native_type) if not grants else None
    if source:
        out["public_default_source"] = source
    return out


# -- TLS -----------------------------------------------------------------------------------------------------
def tls_policy(provider: str, policy: Any, family: str | None = None) -> dict[str, Any]:
    """``tls`` for a listener using named ``policy`` (versions UNKNOWN when the name is not in the table)."""
    if policy is UNKNOWN:
        return {"policy": UNKNOWN, "min_version": UNKNOWN, "versions": UNKNOWN, "ciphers": UNKNOWN}
    entry = knowledge.tls_policy(provider, policy, family) if isinstance(policy, str) else None
    return _tls_from_entry(policy if isinstance(policy, str) else None, entry)


def default_tls_policy(provider: str, family: str) -> dict[str, Any]:
    """``tls`` for a listener with no policy set: the provider default for ``family``."""
    entry = knowledge.default_tls_policy(provider, family)
    name = entry.get("name") if isinstance(entry, Mapping) else None
    return _tls_from_entry(name, entry)


def gcp_ssl_policy(profile: Any, min_tls_version: Any, custom_features: Any = None) -> dict[str, Any]:
    """``tls`` for a GCP SSL policy given its profile and minimum version."""
    if profile is UNKNOWN or min_tls_version is UNKNOWN:
        return {"policy": None, "min_version": UNKNOWN, "versions": UNKNOWN, "ciphers": UNKNOWN}
    features = list(custom_features) if isinstance(custom_features, (list, tuple)) else None
    entry = knowledge.gcp_ssl_policy(profile, min_tls_version, features)
    return _tls_from_entry(None, entry)


def _tls_from_entry(policy: str | None, entry: Mapping[str, Any] | None) -> dict[str, Any]:
    if not entry:
        return {"policy": policy, "min_version": UNKNOWN, "versions": UNKNOWN, "ciphers": UNKNOWN}
    versions = entry.get("versions")
    ciphers = entry.get("ciphers")
    return {
        "policy": policy,
        "min_version": entry.get("min_version") or (min(versions, key=_version_rank) if versions else UNKNOWN),
        "versions": list(versions) if versions else UNKNOWN,
        "ciphers": list(ciphers) if isinstance(ciphers, (list, tuple)) else UNKNOWN,
    }


def _version_rank(v: str) -> int:
    return TLS_VERSIONS.index(v) if v in TLS_VERSIONS else 99


def normalise_tls_version(value: Any) -> Any:
    """``TLS1_2`` / ``TLSv1.2_2021`` / ``TLS_1_2`` / ``1.2`` -> ``"1.2"``; UNKNOWN/None pass through."""
    if value is UNKNOWN or value is None:
        return value
    out = knowledge.normalise_tls_version(value)
    if out:
        return out
    s = str(value).upper().replace("TLSV", "").replace("TLS", "").strip("_ .v")
    s = s.split("_20")[0].replace("_", ".")
    return s if s in TLS_VERSIONS else UNKNOWN


def versions_from(min_version: Any) -> Any:
    """Versions a listener accepts given only its minimum (e.g. "1.2" -> ["1.2", "1.3"])."""
    if min_version not in TLS_VERSIONS:
        return UNKNOWN
    return list(TLS_VERSIONS[TLS_VERSIONS.index(min_version) :])


def key_spec(provider: str, spec: Any) -> dict[str, Any]:
    """``{algorithm, bits}`` for a key spec name, from the knowledge table when present."""
    if spec is UNKNOWN:
        return {"algorithm": UNKNOWN, "bits": UNKNOWN}
    entry = knowledge.key_spec(provider, spec) if isinstance(spec, str) else None
    if entry:
        return {"algorithm": entry.get("algorithm"), "bits": entry.get("bits")}
    return {"algorithm": UNKNOWN, "bits": UNKNOWN}


def rule(
    direction: Any,
    action: Any,
    protocol: Any,
    ports: Any,
    peers: Any,
    *,
    priority: Any = None,
    description: Any = None,
    implied: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """One normalised firewall rule (``direction``/``action`` may be UNKNOWN)."""
    out = {
        "direction": direction,
        "action": action,
        "protocol": protocol,
        "ports": ports,
        "peers": peers,
        "priority": priority,
        "description": description if isinstance(description, str) and description else None,  # text or None
        "implied": implied,
    }
    out.update(extra)
    return out


def implied_rules(section: str) -> list[dict[str, Any]]:
    """The rules a provider applies without their being written (a table of ``knowledge/network_defaults.yaml``)."""
    from posture.knowledge.network import rules

    return [
        rule(r["direction"], r["action"], r["protocol"], r["ports"], r["peers"], priority=r["priority"],
             description=r["description"], implied=True)
        for r in rules(section)
    ]
