"""Azure ARM records: canonical ids, properties, the index normalisers resolve references with, builders."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

from posture.model import Edge, EdgeKind, Kind, Resource

PROVIDER = "azure"

Produced = Iterator[Resource | Edge]
"""What a per-area normaliser yields."""


def rid(value: Any) -> str:
    """Canonical (lower-case, no trailing slash) form of an Azure resource id; '' for none."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return str(value or "").strip().rstrip("/").lower()


def props(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """The ``properties`` object of an ARM resource (empty when absent)."""
    return data.get("properties") or {}


def epoch_to_iso(value: Any) -> str | None:
    """ARM Key Vault attributes carry seconds since the epoch; the model wants ISO 8601 UTC."""
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


class Index:
    """All records of a scan, by type and by id, so normalisers can resolve references."""

    def __init__(self, records: Iterable[Mapping[str, Any]]) -> None:
        self._by_type: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        self._by_id: dict[str, Mapping[str, Any]] = {}
        for rec in records:
            self._by_type[str(rec["type"]).lower()].append(rec)
            key = rid(rec["data"])
            if key:
                self._by_id[key] = rec
        self.vault_by_uri = {
            str(props(r["data"]).get("vaultUri", "")).rstrip("/").lower(): rid(r["data"])
            for r in self.of("Microsoft.KeyVault/vaults")
        }

    def of(self, rtype: str) -> list[Mapping[str, Any]]:
        return self._by_type.get(rtype.lower(), [])

    def data(self, resource_id: Any) -> Mapping[str, Any] | None:
        rec = self._by_id.get(rid(resource_id))
        return rec["data"] if rec else None

    def key_id_for_uri(self, vault_uri: str, key_name: str | None = None) -> str | None:
        """ARM id of a Key Vault key from its data-plane URL (``https://v.vault.azure.net/keys/k[/ver]``)."""
        uri = (vault_uri or "").strip()
        if not uri:
            return None
        if key_name is None:  # full key URL
            head, sep, tail = uri.partition("/keys/")
            if not sep:
                return None
            uri, key_name = head, tail.split("/")[0]
        vault = self.vault_by_uri.get(uri.rstrip("/").lower())
        return f"{vault}/keys/{key_name.lower()}" if vault and key_name else None


def resource(rec: Mapping[str, Any], kind: str, attrs: Mapping[str, Any], *, rid_: str | None = None,
             name: str | None = None, native_type: str | None = None, region: str | None = None) -> Resource:
    """A Resource with the common fields taken from an ARM record."""
    data = rec["data"]
    return Resource(
        id=rid_ or rid(data),
        kind=kind,
        native_type=native_type or str(rec["type"]),
        provider=PROVIDER,
        name=name if name is not None else str(data.get("name", "")),
        account=str(rec.get("subscription", "")),
        region=region if region is not None else str(data.get("location", "") or ""),
        tags={str(k): str(v) for k, v in (data.get("tags") or {}).items()},
        attrs=attrs,
        source="azure",
    )


def tls_from_setting(family: str, value: Any) -> dict[str, Any]:
    """``tls`` for an Azure minimum-TLS setting (storage, SQL, App Service), shaped as the plan source does:
    ``policy: None`` and the ``setting``; an unset value is read as the documented default of ``family``."""
    from posture.knowledge import default_tls_policy as knowledge_default
    from posture.providers.kit.builders import tls_policy

    setting = str(value) if value not in (None, "") else (knowledge_default(PROVIDER, family) or {}).get("name")
    tls = tls_policy(PROVIDER, setting, family)
    tls.update({"policy": None, "setting": setting})
    return tls


def listener(rec: Mapping[str, Any], suffix: str, attrs: Mapping[str, Any], port: int) -> Produced:
    """A service endpoint listener ``<id>/<suffix>`` attached to the resource of ``rec``."""
    owner = rid(rec["data"])
    lid = f"{owner}/{suffix}"
    yield resource(rec, Kind.LISTENER, {"port": port, "load_balancer": None, "certificates": [], "endpoint_of": owner,
                                        **attrs},
                   rid_=lid, name=f"{rec['data'].get('name')}:{port}", native_type=f"{rec['type']}.{suffix}")
    yield Edge(lid, owner, EdgeKind.ATTACHED_TO)


