"""Pure normalisers for Azure data services: storage accounts, managed disks, Key Vault keys,
SQL servers and databases, App Service apps.

Provider facts (encryption defaults, minimum-TLS settings, key specs) come from
:mod:`posture.knowledge`; nothing here hard-codes them. Service endpoints that only terminate client
connections (a SQL logical server, an App Service app) are ``listener`` resources; the stores behind
them (SQL databases) are ``datastore`` resources.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from posture.model import UNKNOWN, Edge, EdgeKind, Kind
from posture.providers.azure.normalise import (
    Index,
    Produced,
    epoch_to_iso,
    props,
    resource,
    rid,
    tls_from_setting,
)

_CUSTOMER_KEY_SOURCES = {"microsoft.keyvault"}
_DISK_CUSTOMER_TYPES = {"encryptionatrestwithcustomerkey", "encryptionatrestwithplatformandcustomerkeys"}
_ENCRYPT_OPS = {"encrypt", "decrypt", "wrapkey", "unwrapkey"}
_SIGN_OPS = {"sign", "verify"}
_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$", re.IGNORECASE)


def provider_default_encryption(native_type: str) -> dict[str, Any]:
    """``encryption`` for a store that is encrypted by a documented provider default."""
    from posture.knowledge import encryption_default

    entry = encryption_default(native_type)
    if entry is None:
        return {"at_rest": UNKNOWN, "algorithm": None, "key_id": None, "key_manager": None, "basis": None,
                "default_source": None}
    return {"at_rest": bool(entry["at_rest"]), "algorithm": entry.get("algorithm"), "key_id": None,
            "key_manager": entry.get("key_manager"), "basis": "provider_default", "default_source": entry["id"]}


def customer_key_encryption(native_type: str, key_id: str | None) -> dict[str, Any]:
    """``encryption`` for a store encrypted with a customer-managed key (same cipher as the default)."""
    enc = provider_default_encryption(native_type)
    enc.update({"at_rest": True, "key_id": key_id, "key_manager": "customer", "basis": "explicit",
                "default_source": None})
    return enc


def iso_duration_days(text: Any) -> int | None:
    """Key Vault rotation durations (``P90D``, ``P1Y``, ``P2M``) in days (a year 365, a month 30)."""
    m = _DURATION.match(str(text or "").strip())
    if not m or not any(m.groups()):
        return None
    years, months, weeks, days = (int(g or 0) for g in m.groups())
    return years * 365 + months * 30 + weeks * 7 + days


def key_rotation(policy: Mapping[str, Any] | None) -> dict[str, Any]:
    """``rotation`` of a Key Vault key from its rotation policy (no policy: not rotated)."""
    for action in (policy or {}).get("lifetimeActions") or []:
        if str((action.get("action") or {}).get("type", "")).lower() != "rotate":
            continue
        trigger = action.get("trigger") or {}
        period = iso_duration_days(trigger.get("timeAfterCreate"))
        if period is None:
            expiry = iso_duration_days(((policy or {}).get("attributes") or {}).get("expiryTime"))
            before = iso_duration_days(trigger.get("timeBeforeExpiry"))
            period = expiry - before if expiry is not None and before is not None else None
        return {"enabled": True, "period_days": period}
    return {"enabled": False, "period_days": None}


# --------------------------------------------------------------------------- normaliser


def normalise_stores(ix: Index) -> Produced:
    """Storage accounts, disks, keys, SQL servers/databases and App Service apps."""
    yield from _keys(ix)
    yield from _storage_accounts(ix)
    yield from _disks(ix)
    yield from _sql(ix)
    yield from _web_apps(ix)


def _keys(ix: Index) -> Produced:
    from posture.knowledge import key_spec

    for rec in ix.of("Microsoft.KeyVault/vaults/keys"):
        data, p = rec["data"], props(rec["data"])
        kid = rid(data)
        vault = kid.rsplit("/keys/", 1)[0]
        spec = key_spec("azure", str(p.get("kty", "")), "key_vault") or {}
        curve = key_spec("azure", str(p.get("curveName", "")), "key_vault") if p.get("curveName") else None
        ops = {str(o).lower() for o in p.get("keyOps") or []}
        usage = "encrypt" if ops & _ENCRYPT_OPS else "sign" if ops & _SIGN_OPS else next(iter(spec.get("usage") or []),
                                                                                        None)
        attributes = p.get("attributes") or {}
        vault_data = ix.data(vault) or {}
        yield resource(rec, Kind.KEY, {
            "manager": "customer",
            "algorithm": spec.get("algorithm") or p.get("kty"),
            "bits": p.get("keySize") or (curve or {}).get("bits"),
            "usage": usage,
            "rotation": key_rotation(p.get("rotationPolicy")),
            "enabled": attributes.get("enabled", True) is not False,
            "expires": epoch_to_iso(attributes.get("exp")),
            "protection": spec.get("protection"),
            "vault": vault,
        }, region=str(vault_data.get("location", "")))


def _storage_accounts(ix: Index) -> Produced:
    native = "Microsoft.Storage/storageAccounts"
    for rec in ix.of(native):
        data, p = rec["data"], props(rec["data"])
        enc = p.get("encryption") or {}
        key_id = None
        if str(enc.get("keySource", "")).lower() in _CUSTOMER_KEY_SOURCES:
            kv = enc.get("keyvaultproperties") or enc.get("keyVaultProperties") or {}
            key_id = ix.key_id_for_uri(str(kv.get("keyvaulturi", "")), str(kv.get("keyname", "")))
            encryption = customer_key_encryption(native, key_id or kv.get("keyvaulturi"))
        else:
            encryption = provider_default_encryption(native)
        encryption["infrastructure_encryption"] = bool(enc.get("requireInfrastructureEncryption"))
        tls = tls_from_setting("storage_min_tls", p.get("minimumTlsVersion"))
        https_only = p.get("supportsHttpsTrafficOnly")
        pna = str(p.get("publicNetworkAccess") or "").lower()
        acl_default = str((p.get("networkAcls") or {}).get("defaultAction") or "Allow").lower()
        yield resource(rec, Kind.DATASTORE, {
            "store_type": "storage_account",
            "encryption": encryption,
            "public": pna != "disabled" and acl_default == "allow",
            "public_network_access": p.get("publicNetworkAccess"),
            "anonymous_blob_access": p.get("allowBlobPublicAccess"),
            "transport": {"tls_required": https_only if isinstance(https_only, bool) else UNKNOWN,
                          "min_tls_version": tls["min_version"]},
            "tls": tls,
        })
        if key_id:
            yield Edge(rid(data), key_id, EdgeKind.ENCRYPTED_BY)


def _disks(ix: Index) -> Produced:
    native = "Microsoft.Compute/disks"
    des_key = {rid(r["data"]): ix.key_id_for_uri(str((props(r["data"]).get("activeKey") or {}).get("keyUrl", "")))
               for r in ix.of("Microsoft.Compute/diskEncryptionSets")}
    for rec in ix.of(native):
        data, p = rec["data"], props(rec["data"])
        enc = p.get("encryption") or {}
        etype = str(enc.get("type") or "EncryptionAtRestWithPlatformKey")
        des = rid(enc.get("diskEncryptionSetId"))
        key_id = des_key.get(des)
        if etype.lower() in _DISK_CUSTOMER_TYPES:
            encryption = customer_key_encryption(native, key_id or des or None)
        else:
            encryption = provider_default_encryption(native)
        encryption["infrastructure_encryption"] = etype.lower() == "encryptionatrestwithplatformandcustomerkeys"
        encryption["encryption_type"] = etype
        encryption["disk_encryption_set"] = des or None
        yield resource(rec, Kind.DATASTORE, {
            "store_type": "disk",
            "encryption": encryption,
            "public": str(p.get("networkAccessPolicy") or "").lower() == "allowall"
            and str(p.get("publicNetworkAccess") or "enabled").lower() != "disabled",
            "attached_to": rid(data.get("managedBy")) or None,
        })
        if key_id:
            yield Edge(rid(data), key_id, EdgeKind.ENCRYPTED_BY)


def _sql(ix: Index) -> Produced:
    native_db = "Microsoft.Sql/servers/databases"
    tde = {rid(r["data"]).rsplit("/transparentdataencryption/", 1)[0]: props(r["data"]).get("state")
           for r in ix.of("Microsoft.Sql/servers/databases/transparentDataEncryption")}
    protector = {rid(r["data"]).rsplit("/encryptionprotector/", 1)[0]: props(r["data"])
                 for r in ix.of("Microsoft.Sql/servers/encryptionProtector")}
    servers: dict[str, Mapping[str, Any]] = {}
    for rec in ix.of("Microsoft.Sql/servers"):
        sid, p = rid(rec["data"]), props(rec["data"])
        servers[sid] = p
        yield resource(rec, Kind.LISTENER, {
            "protocol": "tds",
            "port": 1433,
            "tls": tls_from_setting("sql_min_tls", p.get("minimalTlsVersion")),
            "public": str(p.get("publicNetworkAccess") or "Enabled").lower() != "disabled",
            "load_balancer": None,
            "certificates": [],
        })
    for rec in ix.of(native_db):
        did = rid(rec["data"])
        if did.rsplit("/", 1)[-1] == "master":
            continue
        sid = did.rsplit("/databases/", 1)[0]
        server = servers.get(sid, {})
        state = tde.get(did)
        prot = protector.get(sid) or {}
        customer = str(prot.get("serverKeyType", "")).lower() == "azurekeyvault"
        key_id = ix.key_id_for_uri(str(prot.get("uri", ""))) if customer else None
        if state is None:
            encryption: dict[str, Any] = {"at_rest": UNKNOWN, "algorithm": None, "key_id": None, "key_manager": None,
                                          "basis": None, "default_source": None}
        elif str(state).lower() == "enabled":
            encryption = customer_key_encryption(native_db, key_id) if customer else provider_default_encryption(
                native_db) | {"basis": "explicit", "default_source": None}
        else:
            encryption = {"at_rest": False, "algorithm": None, "key_id": None, "key_manager": None,
                          "basis": "explicit", "default_source": None}
        tls = tls_from_setting("sql_min_tls", server.get("minimalTlsVersion")) if server else None
        yield resource(rec, Kind.DATASTORE, {
            "store_type": "database",
            "engine": "sqlserver",
            "encryption": encryption,
            "public": str(server.get("publicNetworkAccess") or "Enabled").lower() != "disabled" if server else UNKNOWN,
            "transport": {"tls_required": UNKNOWN, "min_tls_version": tls["min_version"] if tls else UNKNOWN},
            "server": sid,
        })
        if key_id:
            yield Edge(did, key_id, EdgeKind.ENCRYPTED_BY)


def _web_apps(ix: Index) -> Produced:
    configs = {rid(r["data"]).rsplit("/config/", 1)[0]: props(r["data"]) for r in ix.of("Microsoft.Web/sites/config")}
    for rec in ix.of("Microsoft.Web/sites"):
        aid, p = rid(rec["data"]), props(rec["data"])
        config = configs.get(aid)
        min_tls = (config or {}).get("minTlsVersion") or (p.get("siteConfig") or {}).get("minTlsVersion")
        tls = tls_from_setting("app_service_min_tls", min_tls) if config is not None or min_tls else {
            "policy": None, "min_version": UNKNOWN, "versions": UNKNOWN, "ciphers": UNKNOWN}
        https_only = p.get("httpsOnly")
        yield resource(rec, Kind.LISTENER, {
            "protocol": "https", "port": 443, "tls": tls, "https_only": https_only,
            "load_balancer": None, "certificates": [],
        })
        yield resource(rec, Kind.LISTENER, {
            "protocol": "http", "port": 80, "tls": None,
            "redirects_to_https": https_only if isinstance(https_only, bool) else UNKNOWN,
            "load_balancer": None, "certificates": [],
        }, rid_=f"{aid}/listeners/http", name=f"{rec['data'].get('name')} (http)")
