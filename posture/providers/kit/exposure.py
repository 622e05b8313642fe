"""Service-level exposure, once for every source: is a managed service's endpoint open to every network, and does
a grant open the resource to anyone.

``network_public`` reads a type's gates from ``posture/knowledge/network_access_defaults.yaml`` (the setting, its
value when unset, the values that close it, the ranges admitted through it). ``public_grant`` folds the grants a
source found (a resource policy for ``*``, an IAM binding to ``allUsers``, a share with every account, an
unauthenticated URL) into the model's two attributes. Both keep UNKNOWN: an undecided input is never "closed".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import cache
from typing import Any

from posture.knowledge import load_table
from posture.knowledge.network import INTERNET_PEERS
from posture.model import UNKNOWN
from posture.providers.kit.values import all_of, any_of

Read = Callable[[str], Any]  # dotted path -> value (None when absent, UNKNOWN when unknown)
Configured = Callable[[str], "bool | None"]  # dotted path -> set in the code (None: the source cannot tell)


@cache
def _types() -> Mapping[str, Mapping[str, Any]]:
    types: Mapping[str, Mapping[str, Any]] = load_table("network_access_defaults")["types"]
    return types


def network_types(provider: str) -> tuple[str, ...]:
    """The native types of ``provider`` whose network access the knowledge table describes."""
    return tuple(t for t, entry in _types().items() if entry["provider"] == provider)


def _norm(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _ranges(value: Any, field: str | None) -> Any:
    """The source ranges of an allow-list (a list, a comma-separated string, or blocks holding ``field``)."""
    if value is UNKNOWN:
        return UNKNOWN
    if value in (None, ""):
        return []
    items = value.split(",") if isinstance(value, str) else value if isinstance(value, (list, tuple)) else [value]
    out = []
    for item in items:
        if field and isinstance(item, Mapping):
            item = item.get(field)
        out.append(item.strip() if isinstance(item, str) else item)
    return [r for r in out if r not in ("", None)] if not field else out


def _admits_internet(ranges: Any) -> Any:
    if ranges is UNKNOWN:
        return UNKNOWN
    return any_of(UNKNOWN if r is UNKNOWN else (isinstance(r, str) and r.lower() in INTERNET_PEERS) for r in ranges)


def _setting(read: Read, configured: Configured, path: str, unset: Any) -> tuple[Any, bool]:
    """(value, from_default): the value in force, the table's ``unset`` when the code leaves it to the provider."""
    value = read(path)
    if value is None or value == "" or (value is UNKNOWN and configured(path) is False):
        return unset, True
    return value, False


def _gate(gate: Mapping[str, Any], read: Read, configured: Configured) -> tuple[Any, str]:
    """(open, why) for one gate."""
    if "listed" in gate:
        path = gate["listed"]
        ranges = _ranges(read(path), gate.get("field"))
        if ranges == []:
            return True, f"no {path} allow-list"
        admits = _admits_internet(ranges)
        return admits, f"{path} admits every address" if admits is True else f"{path} limits the sources"
    path = gate["attr"]
    value, default = _setting(read, configured, path, gate["unset"])
    if value is UNKNOWN:
        return UNKNOWN, f"{path} unknown"
    shown = f"{path} = {value}" + (" (unset: the provider default)" if default else "")
    if _norm(value) not in {_norm(c) for c in gate["closed"]}:
        return True, shown
    if "except" not in gate:
        return False, shown
    admits = _admits_internet(_ranges(read(gate["except"]), gate.get("field")))
    return admits, f"{shown} but {gate['except']} admits every address" if admits is True else shown


def network_public(native_type: str, read: Read, configured: Configured) -> dict[str, Any]:
    """``{network_public, network_public_via, network_default_source}`` for a type of the table, else {}."""
    entry = _types().get(native_type)
    if entry is None:
        return {}
    verdicts = [_gate(g, read, configured) for g in entry["gates"]]
    public = all_of(*(v for v, _ in verdicts))
    if public is True:
        via = "; ".join(why for _, why in verdicts)
    else:
        via = "; ".join(why for v, why in verdicts if v is not True) or "closed"
    return {"network_public": public, "network_public_via": via,
            "network_default_source": f"network_access_defaults.yaml: {native_type}"}


def public_grant(grants: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """``{public_grant, public_grant_via}`` from (what, granted) pairs; no pairs: nothing grants to anyone."""
    grants = [(what, granted) for what, granted in grants if granted is not False]
    granted = any_of(g for _, g in grants)
    return {"public_grant": granted, "public_grant_via": [what for what, g in grants if g is granted]}


def public_member(member: Any) -> Any:
    """Whether an IAM member names everyone (GCP ``allUsers`` / ``allAuthenticatedUsers``)."""
    if member is UNKNOWN:
        return UNKNOWN
    return isinstance(member, str) and member.strip().lower() in ("allusers", "allauthenticatedusers")


def node_public_ips(read: Read, configured: Configured, path: str, public_when: bool) -> dict[str, Any]:
    """``{node_public_ips}`` for a managed cluster whose nodes get external addresses when the boolean at ``path``
    equals ``public_when``. Unset is UNKNOWN: these defaults changed with provider and image versions."""
    value = read(path)
    if value is UNKNOWN or value is None or not isinstance(value, bool):
        return {"node_public_ips": UNKNOWN}
    return {"node_public_ips": value is public_when}


@cache
def _issuers() -> Mapping[str, Mapping[str, Any]]:
    issuers: Mapping[str, Mapping[str, Any]] = load_table("identity_federation")["multi_tenant_issuers"]
    return issuers


def federation_open(issuer: Any, condition: Any) -> tuple[Any, str]:
    """(anyone, why): a workload identity provider trusting a multi-tenant OIDC issuer without an attribute
    condition admits every tenant's tokens (``knowledge/identity_federation.yaml``)."""
    if issuer is UNKNOWN or condition is UNKNOWN:
        return UNKNOWN, "issuer or attribute condition unknown"
    entry = _issuers().get(str(issuer or "").rstrip("/"))
    if entry is None:
        return False, "single-tenant issuer"
    if isinstance(condition, str) and condition.strip():
        return False, "an attribute condition limits the tokens"
    return True, f"trusts {issuer} ({entry['who']}) without an attribute condition"
