"""Azure database servers (PostgreSQL, MySQL, MariaDB), Redis caches, their IP firewall rules and the
subscription activity-log export (diagnostic settings) of a Terraform plan -> normalised resources.

Merged into :data:`posture.providers.azure.terraform.NORMALISERS`. A server-level IP firewall rule
(``start_ip_address``..``end_ip_address``) becomes a ``firewall`` admitting the server's port from that
range, so the exposure rules judge it like any other firewall (0.0.0.0-255.255.255.255 is the internet;
0.0.0.0-0.0.0.0 is Azure's "allow Azure services" switch, not the internet).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

from posture.knowledge import TLS_VERSIONS
from posture.knowledge.audit import AZURE_ACTIVITY_LOG_CATEGORIES
from posture.model import UNKNOWN, Edge, EdgeKind, Kind, Resource
from posture.providers.azure.terraform.common import diagnostic_logs, names, res
from posture.providers.kit.builders import customer_key, edge, listed, normalise_tls_version, provider_default, rule
from posture.providers.kit.values import as_int, tri
from posture.providers.terraform.plan_index import PlanIndex, RawResource
from posture.providers.terraform.resource import block

Out = list[Resource | Edge]

_SINGLE = ("azurerm_postgresql_server", "azurerm_mysql_server", "azurerm_mariadb_server")
_FLEXIBLE = ("azurerm_postgresql_flexible_server", "azurerm_mysql_flexible_server")
_SQL = ("azurerm_mssql_server", "azurerm_sql_server")
_ENGINE = {
    "azurerm_postgresql_server": "postgres",
    "azurerm_postgresql_flexible_server": "postgres",
    "azurerm_mysql_server": "mysql",
    "azurerm_mysql_flexible_server": "mysql",
    "azurerm_mariadb_server": "mariadb",
}
_PORT = {"postgres": 5432, "mysql": 3306, "mariadb": 3306, "mssql": 1433}

# firewall rule type -> (attribute naming the server, server types); the range is start/end_ip_address
# (start/end_ip on Redis).
_IP_RULES: dict[str, tuple[str, tuple[str, ...]]] = {
    "azurerm_mssql_firewall_rule": ("server_id", _SQL),
    "azurerm_sql_firewall_rule": ("server_name", _SQL),
    "azurerm_postgresql_firewall_rule": ("server_name", ("azurerm_postgresql_server",)),
    "azurerm_postgresql_flexible_server_firewall_rule": ("server_id", ("azurerm_postgresql_flexible_server",)),
    "azurerm_mysql_firewall_rule": ("server_name", ("azurerm_mysql_server",)),
    "azurerm_mysql_flexible_server_firewall_rule": ("server_name", ("azurerm_mysql_flexible_server",)),
    "azurerm_mariadb_firewall_rule": ("server_name", ("azurerm_mariadb_server",)),
    "azurerm_redis_firewall_rule": ("redis_cache_name", ("azurerm_redis_cache",)),
}



def ip_range_peers(start: Any, end: Any) -> list[Any]:
    """Peers (CIDRs) of an Azure IP firewall range; ``tag:AzureServices`` for the 0.0.0.0-0.0.0.0 switch."""
    if start is UNKNOWN or end is UNKNOWN:
        return [UNKNOWN]
    try:
        first, last = ipaddress.ip_address(str(start).strip()), ipaddress.ip_address(str(end).strip())
        if int(first) == int(last) == 0:
            return ["tag:AzureServices"]
        return [str(n) for n in ipaddress.summarize_address_range(first, last)]
    except (TypeError, ValueError):
        return [UNKNOWN]


def _redis_ports(cache: RawResource | None) -> list[Any]:
    if cache is None:
        return [6379, 6380]  # the cache is declared elsewhere: either port may be listening
    non_ssl = _redis_non_ssl(cache)
    return [6380] + ([6379] if non_ssl is not False else [])


def _redis_non_ssl(raw: RawResource) -> Any:
    value = raw.get("non_ssl_port_enabled")
    if value is None:
        value = raw.get("enable_non_ssl_port")  # azurerm < 4.0
    return tri(value, False)


def _ip_firewall_rule(raw: RawResource, index: PlanIndex) -> Out:
    attr, types = _IP_RULES[raw.type]
    servers = names(index, raw, attr, types)
    server = index.by_address.get(servers[0]) if len(servers) == 1 else None
    if raw.type == "azurerm_redis_firewall_rule":
        ports, start, end = _redis_ports(server), "start_ip", "end_ip"
    else:
        engine = _ENGINE.get(server.type if server else types[0], "mssql")
        ports, start, end = [_PORT[engine]], "start_ip_address", "end_ip_address"
    fw_rule = rule("ingress", "allow", "tcp", [[p, p] for p in ports], ip_range_peers(raw.get(start), raw.get(end)),
                   name=raw.get("name"))
    attrs = {"layer": "instance", "stateful": True, "is_default": False, "network": None, "rules": [fw_rule]}
    out: Out = [res(raw, index, Kind.FIREWALL, attrs)]
    out += [edge(s, raw.address, EdgeKind.PROTECTED_BY) for s in servers[:1]]
    return out


def _min_tls(value: Any) -> Any:
    """A minimum-TLS setting ("TLS1_2", "TLSv1.2", "1.2", "TLSv1.1,TLSv1.2", "TLSEnforcementDisabled") -> "1.2"."""
    if value is UNKNOWN or value is None:
        return value
    if str(value).strip().lower() in ("tlsenforcementdisabled", "disabled", "none"):
        return "1.0"
    found = [normalise_tls_version(v.strip()) for v in str(value).split(",") if v.strip()]
    known = [v for v in found if v in TLS_VERSIONS]
    return min(known, key=TLS_VERSIONS.index) if known else UNKNOWN


def _db_encryption(raw: RawResource, index: PlanIndex, key_types: tuple[str, ...]) -> tuple[dict[str, Any], Any]:
    cmk = index.referrers(raw.address, key_types, "server_id")
    inline = block(raw, "customer_managed_key")
    key_id = cmk[0].get("key_vault_key_id") if cmk else (inline.get("key_vault_key_id") if inline else None)
    if key_id not in (None, ""):
        source = cmk[0] if cmk else raw
        path = "key_vault_key_id" if cmk else "customer_managed_key.0.key_vault_key_id"
        key = index.target(source, path, ("azurerm_key_vault_key",), ("id", "versionless_id"))
        enc = dict(customer_key(key or key_id))
    else:
        key, enc = None, dict(provider_default(raw.type))
    enc["infrastructure_encryption"] = tri(raw.get("infrastructure_encryption_enabled"), False)
    return enc, key


def _server_out(raw: RawResource, index: PlanIndex, attrs: dict[str, Any], key: Any) -> Out:
    out: Out = [res(raw, index, Kind.DATASTORE, attrs)]
    if key:
        out.append(edge(raw.address, key, EdgeKind.ENCRYPTED_BY))
    return out


def _backup(raw: RawResource) -> dict[str, Any]:
    days = as_int(raw.get("backup_retention_days"))
    return {"enabled": True, "retention_days": 7 if days is None else days}  # azurerm and Azure default: 7 days


def _single_server(raw: RawResource, index: PlanIndex) -> Out:
    """PostgreSQL / MySQL / MariaDB single server: SSL enforcement and its minimum TLS version."""
    ssl = raw.get("ssl_enforcement_enabled")
    if ssl is None and raw.get("ssl_enforcement") is not None:  # azurerm < 2.0: "Enabled" / "Disabled"
        legacy = raw.get("ssl_enforcement")
        ssl = UNKNOWN if legacy is UNKNOWN else str(legacy).lower() == "enabled"
    minimum = raw.get("ssl_minimal_tls_version_enforced")
    if minimum is None and raw.type != "azurerm_mariadb_server":
        # azurerm default (registry.terraform.io/providers/hashicorp/azurerm/latest/docs/resources/postgresql_server)
        minimum = "TLS1_2"
    enc, key = _db_encryption(raw, index, (f"{raw.type}_key",))
    attrs = {
        "store_type": "database",
        "engine": _ENGINE[raw.type],
        "encryption": enc,
        "public": tri(raw.get("public_network_access_enabled"), True),
        "transport": {"tls_required": tri(ssl), "min_tls_version": _min_tls(minimum)},
        "backup": _backup(raw),
        "multi_az": None,
    }
    return _server_out(raw, index, attrs, key)


def _flexible_settings(raw: RawResource, index: PlanIndex) -> dict[str, Any]:
    conf_type = f"{raw.type}_configuration"
    confs = index.referrers(raw.address, (conf_type,), "server_id") + index.referrers(
        raw.address, (conf_type,), "server_name", ("name",)
    )
    return {str(c.get("name")).lower(): c.get("value") for c in confs if isinstance(c.get("name"), str)}


def _flexible_server(raw: RawResource, index: PlanIndex) -> Out:
    """PostgreSQL / MySQL flexible server: TLS comes from server parameters (configuration resources)."""
    # Server parameter defaults, both engines: TLS required, minimum TLS 1.2
    # (https://learn.microsoft.com/en-us/azure/postgresql/flexible-server/concepts-networking-ssl-tls,
    # https://learn.microsoft.com/en-us/azure/mysql/flexible-server/security-tls).
    settings = _flexible_settings(raw, index)
    require = settings.get("require_secure_transport", "on")
    postgres = raw.type == "azurerm_postgresql_flexible_server"
    minimum = settings.get("ssl_min_protocol_version" if postgres else "tls_version", "TLSv1.2")
    subnet = raw.get("delegated_subnet_id")
    if subnet not in (None, ""):
        public: Any = False  # VNet-integrated: no public endpoint
    else:
        public = tri(raw.get("public_network_access_enabled"), True)
    ha = block(raw, "high_availability")
    mode = ha.get("mode") if isinstance(ha, dict) else UNKNOWN
    enc, key = _db_encryption(raw, index, ())
    attrs = {
        "store_type": "database",
        "engine": _ENGINE[raw.type],
        "encryption": enc,
        "public": public,
        "transport": {
            "tls_required": UNKNOWN if require is UNKNOWN else str(require).strip().lower() == "on",
            "min_tls_version": _min_tls(minimum),
        },
        "backup": _backup(raw),
        "multi_az": UNKNOWN if mode is UNKNOWN else mode == "ZoneRedundant",
    }
    return _server_out(raw, index, attrs, key)


def _redis(raw: RawResource, index: PlanIndex) -> Out:
    non_ssl = _redis_non_ssl(raw)
    subnet = raw.get("subnet_id")
    attrs = {
        "store_type": "cache",
        "engine": "redis",
        "encryption": provider_default(raw.type),
        "public": False if subnet not in (None, "") else tri(raw.get("public_network_access_enabled"), True),
        # minimum_tls_version's default changed between azurerm majors (1.0 -> 1.2): unset is not judged.
        "transport": {
            "tls_required": UNKNOWN if non_ssl is UNKNOWN else not non_ssl,
            "min_tls_version": _min_tls(raw.get("minimum_tls_version")),
        },
        "multi_az": None,
    }
    return [res(raw, index, Kind.DATASTORE, attrs)]


def _is_subscription(raw: RawResource) -> bool:
    target = raw.get("target_resource_id")
    if isinstance(target, str):
        return re.fullmatch(r"/subscriptions/[^/]+/?", target.strip(), re.IGNORECASE) is not None
    return any(r.startswith("data.azurerm_subscription.") for r in raw.refs.get("target_resource_id", ()))


def _activity_log_export(raw: RawResource, index: PlanIndex) -> Out:
    """A diagnostic setting of a subscription exports its activity log: a ``log_sink`` with its categories.

    Diagnostic settings of other resources export resource logs and are not audit trails of the account.
    """
    if not _is_subscription(raw):
        return []
    entries = diagnostic_logs(raw)
    types: Any = UNKNOWN if entries is UNKNOWN else []
    for entry in listed(entries):
        category, group = entry.get("category"), entry.get("category_group")
        if UNKNOWN in (category, group):
            types = UNKNOWN
            break
        if isinstance(group, str) and group.lower() == "alllogs":
            types.extend(AZURE_ACTIVITY_LOG_CATEGORIES)
        elif isinstance(category, str):
            types.append(category)
    attrs = {
        "covers": "account",
        "enabled": True,
        "multi_region": None,
        "log_validation": None,
        "log_types": types if types is UNKNOWN else list(dict.fromkeys(types)),
        "exempted_members": None,
        "encryption": None,
        "retention_days": None,
    }
    return [res(raw, index, Kind.LOG_SINK, attrs)]


NORMALISERS: dict[str, Callable[[RawResource, PlanIndex], Out]] = {
    **{t: _ip_firewall_rule for t in _IP_RULES},
    **{t: _single_server for t in _SINGLE},
    **{t: _flexible_server for t in _FLEXIBLE},
    "azurerm_redis_cache": _redis,
    "azurerm_monitor_diagnostic_setting": _activity_log_export,
}
"""Native azurerm type -> normaliser (databases, caches, IP firewall rules, activity log exports)."""

JOINED: frozenset[str] = frozenset(
    {
        "azurerm_postgresql_server_key",
        "azurerm_mysql_server_key",
        "azurerm_postgresql_flexible_server_configuration",
        "azurerm_mysql_flexible_server_configuration",
    }
)
"""azurerm types folded into the servers above."""
