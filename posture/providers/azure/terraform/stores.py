"""Azure storage, databases, disks and Key Vault keys of a Terraform plan."""

from __future__ import annotations

from typing import Any

from posture.knowledge import public_access_default
from posture.model import UNKNOWN, EdgeKind, Kind, Resource
from posture.providers.azure.facts.keys import key_usage
from posture.providers.azure.terraform.common import one as _one
from posture.providers.azure.terraform.common import res as _res
from posture.providers.azure.terraform.network import KEY_TYPES, SQL_TYPES, Out, _disk_encryption
from posture.providers.kit.builders import (
    customer_key,
    edge,
    key_spec,
    listed,
    provider_default,
    public_read,
    tls_policy,
    unencrypted,
    unknown_encryption,
)
from posture.providers.kit.values import as_int, iso_duration_days, tri, unless
from posture.providers.terraform.plan_index import PlanIndex, RawResource
from posture.providers.terraform.resource import block


# -- storage and databases -----------------------------------------------------------------------------------
def _min_tls_listener(
    raw: RawResource,
    index: PlanIndex,
    family: str,
    setting: Any,
    default: str,
    https_only: Any,
    owner_attrs: dict[str, Any] | None = None,
) -> Out:
    """An HTTPS endpoint listener governed by a minimum-TLS setting, plus its plain-HTTP side if any."""
    if setting is UNKNOWN and raw.is_configured("min_tls_version") is False:
        setting = default
    if setting in (None, ""):
        setting = default
    tls = tls_policy("azure", setting, family) if setting is not UNKNOWN else tls_policy("azure", UNKNOWN, family)
    if isinstance(setting, str):
        tls["policy"] = None
        tls["setting"] = setting
    common = {"load_balancer": None, "certificates": [], "endpoint_of": raw.address, **(owner_attrs or {})}
    rid = f"{raw.address}/https"
    name = raw.get("name") if isinstance(raw.get("name"), str) else raw.name
    out: Out = [
        _res(
            raw,
            index,
            Kind.LISTENER,
            {"protocol": "https", "port": 443, "tls": tls, "redirects_to_https": False, **common},
            rid=rid,
            name=f"{name}:443",
            native_type=f"{raw.type}.https",
        )
    ]
    out.append(edge(rid, raw.address, EdgeKind.ATTACHED_TO))
    if https_only is not True:
        hid = f"{raw.address}/http"
        out.append(
            _res(
                raw,
                index,
                Kind.LISTENER,
                {
                    "protocol": "http",
                    "port": 80,
                    "tls": None,
                    "redirects_to_https": False if https_only is False else UNKNOWN,
                    **common,
                },
                rid=hid,
                name=f"{name}:80",
                native_type=f"{raw.type}.http",
            )
        )
        out.append(edge(hid, raw.address, EdgeKind.ATTACHED_TO))
    return out


_NESTED_PUBLIC = ("allow_nested_items_to_be_public", "allow_blob_public_access")  # azurerm >= 3.0, older name
_PUBLIC_CONTAINER_ACCESS = frozenset({"blob", "container"})


def _nested_public(raw: RawResource) -> Any:
    """Whether the account lets containers allow anonymous reads; unset: the azurerm default (knowledge table),
    which unlike Azure's own default for new accounts allows them."""
    for attr in _NESTED_PUBLIC:
        value = raw.get(attr)
        if value is not None and not (value is UNKNOWN and raw.is_configured(attr) is False):
            return tri(value)
    entry = public_access_default("Microsoft.Storage/storageAccounts") or {}
    default = (entry.get("terraform_defaults") or {}).get(raw.type, {}).get(_NESTED_PUBLIC[0])
    return UNKNOWN if default is None else default


def _containers_public(raw: RawResource, index: PlanIndex, nested: Any, network_public: Any) -> dict[str, Any]:
    """Anonymous read through a container whose access type is blob/container, when the account allows it and
    its network rules let the internet in (a storage firewall denying by default stops anonymous reads too)."""
    containers = {
        c.address: c
        for path, attr in (("storage_account_id", "id"), ("storage_account_name", "name"))
        for c in index.referrers(raw.address, ("azurerm_storage_container",), path, (attr,))
    }
    account_blocks = UNKNOWN if nested is UNKNOWN else nested is False
    network_blocks = UNKNOWN if network_public is UNKNOWN else network_public is False
    grants = []
    for address, c in sorted(containers.items()):
        access = c.get("container_access_type")
        if access is UNKNOWN and c.is_configured("container_access_type") is False:
            access = "private"  # the azurerm default
        granted = UNKNOWN if access is UNKNOWN else str(access or "private").lower() in _PUBLIC_CONTAINER_ACCESS
        what = f"{address}: container_access_type {access if isinstance(access, str) else '(unknown)'}"
        grants.append((what, unless(unless(granted, account_blocks), network_blocks)))
    return public_read(grants, raw.type)


def _storage_account(raw: RawResource, index: PlanIndex) -> Out:
    key = None
    cmk = index.referrers(raw.address, ("azurerm_storage_account_customer_managed_key",), "storage_account_id")
    inline = block(raw, "customer_managed_key")
    if cmk:
        key = index.target(cmk[0], "key_vault_key_id", KEY_TYPES, ("id", "versionless_id"))
        if key is None and cmk[0].get("key_name") not in (None, ""):
            key = index.target(cmk[0], "key_name", KEY_TYPES, ("name",))
        enc = customer_key(key or cmk[0].get("key_vault_key_id") or UNKNOWN)
    elif isinstance(inline, dict) and inline:
        key = index.target(raw, "customer_managed_key.0.key_vault_key_id", KEY_TYPES, ("id", "versionless_id"))
        enc = customer_key(key or inline.get("key_vault_key_id"))
    else:
        enc = provider_default("azurerm_storage_account")
    enc = dict(enc)
    enc["infrastructure_encryption"] = tri(raw.get("infrastructure_encryption_enabled"), False)
    https_only = raw.get("https_traffic_only_enabled")
    if https_only is None:
        https_only = raw.get("enable_https_traffic_only")
    https_only = tri(https_only, True)
    if (
        https_only is UNKNOWN
        and not raw.is_configured("https_traffic_only_enabled")
        and not raw.is_configured("enable_https_traffic_only")
    ):
        https_only = True  # azurerm default
    min_tls = raw.get("min_tls_version")
    public_access = tri(raw.get("public_network_access_enabled"), True)
    rules = block(raw, "network_rules")
    nw_rules = index.referrers(raw.address, ("azurerm_storage_account_network_rules",), "storage_account_id")
    default_action = UNKNOWN if rules is UNKNOWN else (rules.get("default_action") if rules else None)
    if nw_rules:
        default_action = nw_rules[0].get("default_action")
    if public_access is False:
        network_public: Any = False
    elif default_action is UNKNOWN or public_access is UNKNOWN:
        network_public = UNKNOWN
    else:
        network_public = default_action in (None, "Allow")
    nested = _nested_public(raw)
    tls_out = _min_tls_listener(raw, index, "storage_min_tls", min_tls, "TLS1_2", https_only)
    https_tls = tls_out[0].attrs["tls"] if isinstance(tls_out[0], Resource) else None
    attrs = {
        "store_type": "storage_account",
        "encryption": enc,
        **_containers_public(raw, index, nested, network_public),
        "network_public": network_public,
        "network_public_via": f"public_network_access_enabled {public_access}, firewall default action "
                              f"{'Allow (no network_rules)' if default_action is None else default_action}",
        "blob_public_access": nested,
        "transport": {
            "tls_required": https_only,
            "min_tls_version": https_tls.get("min_version") if https_tls else None,
        },
        "replication": raw.get("account_replication_type"),
    }
    out: Out = [_res(raw, index, Kind.DATASTORE, attrs), *tls_out]
    if key:
        out.append(edge(raw.address, key, EdgeKind.ENCRYPTED_BY))
    return out


def _managed_disk(raw: RawResource, index: PlanIndex) -> Out:
    enc, key = _disk_encryption(index, raw, raw.values, "disk_encryption_set_id")
    attrs = {
        "store_type": "disk",
        "encryption": enc,
        "public": tri(raw.get("public_network_access_enabled"), True)
        if raw.get("network_access_policy") in (None, "AllowAll")
        else False,
    }
    out: Out = [_res(raw, index, Kind.DATASTORE, attrs)]
    if key:
        out.append(edge(raw.address, key, EdgeKind.ENCRYPTED_BY))
    for att in index.referrers(raw.address, ("azurerm_virtual_machine_data_disk_attachment",), "managed_disk_id"):
        out += [
            edge(raw.address, vm, EdgeKind.ATTACHED_TO)
            for vm in index.targets(
                att, "virtual_machine_id", ("azurerm_linux_virtual_machine", "azurerm_windows_virtual_machine")
            )
        ]
    return out


def _mssql_database(raw: RawResource, index: PlanIndex) -> Out:
    """A database: TDE is on unless ``transparent_data_encryption_enabled = false`` (azurerm default true)."""
    tde = raw.get("transparent_data_encryption_enabled")
    if tde is False:
        enc = unencrypted()
    elif tde is UNKNOWN:
        enc = unknown_encryption()
    else:
        enc = provider_default("azure.sql.tde")
    server = _one(index, raw, "server_id", SQL_TYPES)
    backup = block(raw, "short_term_retention_policy")
    days = backup.get("retention_days") if isinstance(backup, dict) else None
    attrs = {
        "store_type": "database",
        "encryption": enc,
        "engine": "mssql",
        "server": server,
        "backup": {"retention_days": days if isinstance(days, int) else None, "enabled": True},
        "multi_az": tri(raw.get("zone_redundant"), False),
    }
    return [_res(raw, index, Kind.DATASTORE, attrs)]


def _mssql_server(raw: RawResource, index: PlanIndex) -> Out:
    tde = index.referrers(raw.address, ("azurerm_mssql_server_transparent_data_encryption",), "server_id")
    key = None
    if tde and tde[0].get("key_vault_key_id") not in (None, ""):
        key = index.target(tde[0], "key_vault_key_id", KEY_TYPES, ("id", "versionless_id"))
        enc = customer_key(key or tde[0].get("key_vault_key_id"))
    else:
        enc = provider_default("azure.sql.tde")
    setting = raw.get("minimum_tls_version")
    unset = setting is None or (setting is UNKNOWN and raw.is_configured("minimum_tls_version") is False)
    if unset and raw.type == "azurerm_mssql_server":
        setting = "1.2"  # azurerm default (the legacy azurerm_sql_server has none: left to the platform)
    tls = tls_policy("azure", setting, "sql_min_tls")
    if isinstance(setting, str):
        tls.update({"policy": None, "setting": setting})
    public = tri(raw.get("public_network_access_enabled"), True)
    attrs = {
        "store_type": "sql_server",
        "encryption": enc,
        "public": public,
        "transport": {"tls_required": True, "min_tls_version": tls["min_version"]},
        "engine": "mssql",
    }
    rid = f"{raw.address}/tds"
    name = raw.get("name") if isinstance(raw.get("name"), str) else raw.name
    out: Out = [
        _res(raw, index, Kind.DATASTORE, attrs),
        _res(
            raw,
            index,
            Kind.LISTENER,
            {
                "protocol": "tds",
                "port": 1433,
                "tls": tls,
                "redirects_to_https": False,
                "load_balancer": None,
                "certificates": [],
                "endpoint_of": raw.address,
            },
            rid=rid,
            name=f"{name}:1433",
            native_type=f"{raw.type}.endpoint",
        ),
        edge(rid, raw.address, EdgeKind.ATTACHED_TO),
    ]
    if key:
        out.append(edge(raw.address, key, EdgeKind.ENCRYPTED_BY))
    return out


# -- keys ----------------------------------------------------------------------------------------------------


def _key_vault_key(raw: RawResource, index: PlanIndex) -> Out:
    key_type = raw.get("key_type")
    spec = key_spec("azure", key_type) if key_type is not UNKNOWN else {"algorithm": UNKNOWN, "bits": UNKNOWN}
    algorithm = spec.get("algorithm", UNKNOWN) if spec else UNKNOWN
    bits = as_int(raw.get("key_size"))
    if bits is None:
        curve = raw.get("curve")
        curve_spec = key_spec("azure", curve) if isinstance(curve, str) and curve else None
        bits = curve_spec.get("bits") if curve_spec else (UNKNOWN if curve is UNKNOWN else None)
    if bits is None and spec:
        bits = spec.get("bits")
    policy = block(raw, "rotation_policy")
    if policy is UNKNOWN:
        rotation: dict[str, Any] = {"enabled": UNKNOWN, "period_days": UNKNOWN}
    else:
        auto = block(policy, "automatic") if policy else {}
        if auto is UNKNOWN:
            rotation = {"enabled": UNKNOWN, "period_days": UNKNOWN}
        elif auto:
            after_creation = iso_duration_days(auto.get("time_after_creation"))
            before_expiry = iso_duration_days(auto.get("time_before_expiry"))
            expire_after = iso_duration_days(policy.get("expire_after"))
            if isinstance(after_creation, int):
                period: Any = after_creation
            elif isinstance(before_expiry, int) and isinstance(expire_after, int):
                period = expire_after - before_expiry
            elif UNKNOWN in (after_creation, before_expiry, expire_after):
                period = UNKNOWN
            else:
                period = None
            rotation = {"enabled": True, "period_days": period}
        else:
            rotation = {"enabled": False, "period_days": None}
    ops = raw.get("key_opts")
    fallback = next(iter(spec.get("usage") or []), None) if isinstance(spec, dict) else None
    usage = UNKNOWN if ops is UNKNOWN else key_usage(listed(ops), fallback)
    attrs = {
        "manager": "customer",
        "algorithm": algorithm,
        "bits": bits,
        "usage": usage,
        "rotation": rotation,
        "enabled": True,
        "expires": raw.get("expiration_date"),
        "expiry_supported": True,
        "expiry_policy_days": UNKNOWN if policy is UNKNOWN else iso_duration_days((policy or {}).get("expire_after")),
        "protection": UNKNOWN if key_type is UNKNOWN else ("hsm" if str(key_type).endswith("-HSM") else "software"),
    }
    return [_res(raw, index, Kind.KEY, attrs)]
