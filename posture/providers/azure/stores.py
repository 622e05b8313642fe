"""Pure normalisers for Azure data services: storage accounts, managed disks, Key Vault keys,
SQL servers and databases, App Service apps.

Provider facts (encryption defaults, minimum-TLS settings, key specs) come from
:mod:`posture.knowledge`; nothing here hard-codes them. Shapes match the Terraform plan source, so
one rule reads both: a storage account or SQL server is a ``datastore`` whose client endpoint is a
``listener`` (``<id>/https``, ``<id>/http``, ``<id>/tds``) attached to it; an App Service app is a
``compute`` resource with HTTPS and HTTP listeners. Live scans also read each SQL database's TDE state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from posture.model import UNKNOWN, Edge, EdgeKind, Kind
from posture.providers.azure.facts.keys import key_usage
from posture.providers.azure.records import (
    Index,
    Produced,
    epoch_to_iso,
    listener,
    props,
    resource,
    rid,
    tls_from_setting,
)
from posture.providers.kit.builders import customer_key, encryption, provider_default
from posture.providers.kit.values import iso_duration_days

_CUSTOMER_KEY_SOURCES = {"microsoft.keyvault"}
_DISK_CUSTOMER_TYPES = {"encryptionatrestwithcustomerkey", "encryptionatrestwithplatformandcustomerkeys"}


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
        usage = key_usage(p.get("keyOps") or [], next(iter(spec.get("usage") or []), None))
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
            "expiry_supported": True,
            "expiry_policy_days": iso_duration_days(
                ((p.get("rotationPolicy") or {}).get("attributes") or {}).get("expiryTime")),
            "protection": spec.get("protection"),
            "vault": vault,
        }, region=str(vault_data.get("location", "")))


def _anonymous_read(allow_blob_public_access: Any, network_public: bool) -> dict[str, Any]:
    """``public`` (anonymous blob reads from the internet) as far as the account tells: containers are not
    read, so only an account that disallows anonymous access or keeps the internet out is decided."""
    if allow_blob_public_access is False or not network_public:
        return {"public": False, "public_via": []}
    return {"public": UNKNOWN, "public_via": []}


def _storage_accounts(ix: Index) -> Produced:
    native = "Microsoft.Storage/storageAccounts"
    for rec in ix.of(native):
        data, p = rec["data"], props(rec["data"])
        enc = p.get("encryption") or {}
        key_id = None
        if str(enc.get("keySource", "")).lower() in _CUSTOMER_KEY_SOURCES:
            kv = enc.get("keyvaultproperties") or enc.get("keyVaultProperties") or {}
            key_id = ix.key_id_for_uri(str(kv.get("keyvaulturi", "")), str(kv.get("keyname", "")))
            encryption_ = customer_key(key_id or kv.get("keyvaulturi"))
        else:
            encryption_ = provider_default(native)
        encryption_["infrastructure_encryption"] = bool(enc.get("requireInfrastructureEncryption"))
        tls = tls_from_setting("storage_min_tls", p.get("minimumTlsVersion"))
        https_only = p.get("supportsHttpsTrafficOnly")
        pna = str(p.get("publicNetworkAccess") or "").lower()
        acl_default = str((p.get("networkAcls") or {}).get("defaultAction") or "Allow").lower()
        network_public = pna != "disabled" and acl_default == "allow"
        yield resource(rec, Kind.DATASTORE, {
            "store_type": "storage_account",
            "encryption": encryption_,
            **_anonymous_read(p.get("allowBlobPublicAccess"), network_public),
            "network_public": network_public,
            "network_public_via": f"publicNetworkAccess {pna or 'unset'}, networkAcls.defaultAction {acl_default}",
            "blob_public_access": p.get("allowBlobPublicAccess"),
            "transport": {"tls_required": https_only if isinstance(https_only, bool) else UNKNOWN,
                          "min_tls_version": tls["min_version"]},
        })
        yield from listener(rec, "https", {"protocol": "https", "tls": tls, "redirects_to_https": False}, 443)
        if https_only is not True:
            yield from listener(rec, "http", {"protocol": "http", "tls": None, "redirects_to_https": False}, 80)
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
        enc = customer_key(key_id or des or None) if etype.lower() in _DISK_CUSTOMER_TYPES else provider_default(native)
        enc["infrastructure_encryption"] = etype.lower() == "encryptionatrestwithplatformandcustomerkeys"
        enc["encryption_type"] = etype
        enc["disk_encryption_set"] = des or None
        yield resource(rec, Kind.DATASTORE, {
            "store_type": "disk",
            "encryption": enc,
            "public": str(p.get("networkAccessPolicy") or "").lower() == "allowall"
            and str(p.get("publicNetworkAccess") or "enabled").lower() != "disabled",
            "attached_to": rid(data.get("managedBy")) or None,
        })
        if key_id:
            yield Edge(rid(data), key_id, EdgeKind.ENCRYPTED_BY)


def _sql(ix: Index) -> Produced:
    tde = {rid(r["data"]).rsplit("/transparentdataencryption/", 1)[0]: props(r["data"]).get("state")
           for r in ix.of("Microsoft.Sql/servers/databases/transparentDataEncryption")}
    protector = {rid(r["data"]).rsplit("/encryptionprotector/", 1)[0]: props(r["data"])
                 for r in ix.of("Microsoft.Sql/servers/encryptionProtector")}
    servers: dict[str, dict[str, Any]] = {}
    for rec in ix.of("Microsoft.Sql/servers"):
        sid, p = rid(rec["data"]), props(rec["data"])
        prot = protector.get(sid)
        key_id = ix.key_id_for_uri(str(prot.get("uri", ""))) if prot else None
        if prot is None:
            enc = encryption(UNKNOWN)  # protector not readable
        elif str(prot.get("serverKeyType", "")).lower() == "azurekeyvault":
            enc = customer_key(key_id or prot.get("uri"))
        else:
            enc = provider_default("azure.sql.tde")
        tls = tls_from_setting("sql_min_tls", p.get("minimalTlsVersion"))
        servers[sid] = {"encryption": enc, "key_id": key_id,
                        "public": str(p.get("publicNetworkAccess") or "Enabled").lower() != "disabled",
                        "transport": {"tls_required": True, "min_tls_version": tls["min_version"]}}
        yield resource(rec, Kind.DATASTORE, {
            "store_type": "sql_server", "engine": "mssql", "encryption": enc,
            "public": servers[sid]["public"], "transport": servers[sid]["transport"],
        })
        yield from listener(rec, "tds", {"protocol": "tds", "tls": tls, "redirects_to_https": False}, 1433)
        if key_id:
            yield Edge(sid, key_id, EdgeKind.ENCRYPTED_BY)
    for rec in ix.of("Microsoft.Sql/servers/databases"):
        did = rid(rec["data"])
        if did.rsplit("/", 1)[-1] == "master":
            continue
        server = servers.get(did.rsplit("/databases/", 1)[0], {})
        state = str(tde.get(did) or "").lower()
        if state == "enabled":  # encrypted with the server's TDE protector (its key, when that was readable)
            enc = dict(server.get("encryption") or {})
            if enc.get("at_rest") is not True:
                enc = provider_default("azure.sql.tde") | {"key_manager": None}
            enc.update({"at_rest": True, "basis": "explicit", "default_source": None})
        else:  # TDE off, or its state could not be read (never a silent pass)
            enc = encryption(False if state == "disabled" else UNKNOWN, basis="explicit" if state else None)
        yield resource(rec, Kind.DATASTORE, {
            "store_type": "database", "engine": "mssql", "encryption": enc,
            "public": server.get("public", UNKNOWN),
            "transport": server.get("transport", {"tls_required": True, "min_tls_version": UNKNOWN}),
            "server": did.rsplit("/databases/", 1)[0],
        })
        if state == "enabled" and server.get("key_id"):
            yield Edge(did, server["key_id"], EdgeKind.ENCRYPTED_BY)


def _web_apps(ix: Index) -> Produced:
    configs = {rid(r["data"]).rsplit("/config/", 1)[0]: props(r["data"]) for r in ix.of("Microsoft.Web/sites/config")}
    for rec in ix.of("Microsoft.Web/sites"):
        aid, p = rid(rec["data"]), props(rec["data"])
        config = configs.get(aid)
        setting = (config or {}).get("minTlsVersion") or (p.get("siteConfig") or {}).get("minTlsVersion")
        if config is None and not setting:  # configuration not readable: versions unknown, not the default
            tls: dict[str, Any] = {"policy": None, "min_version": UNKNOWN, "versions": UNKNOWN, "ciphers": UNKNOWN}
        else:
            tls = tls_from_setting("app_service_min_tls", setting)
        https_only = p.get("httpsOnly")
        yield resource(rec, Kind.COMPUTE, {
            "public_ips": [], "network_tags": [], "service_accounts": [], "subnet": None, "image": None,
            "imds_v2_required": None, "role": (rec["data"].get("tags") or {}).get("role"), "app_service": True,
        })
        yield from listener(rec, "https", {"protocol": "https", "tls": tls, "redirects_to_https": False}, 443)
        yield from listener(rec, "http", {"protocol": "http", "tls": None, "redirects_to_https": (
            https_only if isinstance(https_only, bool) else UNKNOWN)}, 80)
