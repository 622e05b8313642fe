"""Azure (azurerm) resources of a Terraform plan -> normalised resources and edges (docs/model.md).

As in :mod:`.aws`, :data:`NORMALISERS` maps native types to pure functions and :data:`JOINED` lists the
types folded into others (rules into NSGs, associations into edges, customer-managed keys into storage).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from posture.knowledge import public_access_default
from posture.model import UNKNOWN, Edge, EdgeKind, Kind, Resource
from posture.providers.azure.terraform.common import diagnostic_logs
from posture.providers.azure.terraform.common import names as _names
from posture.providers.azure.terraform.common import one as _one
from posture.providers.azure.terraform.common import res as _res
from posture.providers.azure.terraform.data import JOINED as DATA_JOINED
from posture.providers.azure.terraform.data import NORMALISERS as DATA_NORMALISERS
from posture.providers.kit.builders import (
    ALL_PORTS,
    blocks,
    customer_key,
    default_tls_policy,
    edge,
    key_spec,
    listed,
    mapping,
    merge_port_specs,
    provider_default,
    public_read,
    rule,
    str_list,
    tls_policy,
    unencrypted,
    unknown_encryption,
)
from posture.providers.kit.values import any_of, as_int, iso_duration_days, tri, unless
from posture.providers.terraform.plan import PlanIndex, RawResource
from posture.providers.terraform.resource import block

Out = list[Resource | Edge]

VNET_TYPES = ("azurerm_virtual_network",)
SUBNET_TYPES = ("azurerm_subnet",)
NSG_TYPES = ("azurerm_network_security_group",)
NIC_TYPES = ("azurerm_network_interface",)
PIP_TYPES = ("azurerm_public_ip",)
KEY_TYPES = ("azurerm_key_vault_key",)
STORAGE_TYPES = ("azurerm_storage_account",)
SQL_TYPES = ("azurerm_mssql_server", "azurerm_sql_server")

_INTERNET = {"*", "internet", "0.0.0.0/0", "any", "0.0.0.0", "::/0"}

# Azure's default security rules, present in every NSG (lowest precedence).
_DEFAULT_RULES = (
    ("ingress", "allow", 65000, "AllowVnetInBound", ["tag:VirtualNetwork"]),
    ("ingress", "allow", 65001, "AllowAzureLoadBalancerInBound", ["tag:AzureLoadBalancer"]),
    ("ingress", "deny", 65500, "DenyAllInBound", ["0.0.0.0/0"]),
    ("egress", "allow", 65000, "AllowVnetOutBound", ["tag:VirtualNetwork"]),
    ("egress", "allow", 65001, "AllowInternetOutBound", ["0.0.0.0/0"]),
    ("egress", "deny", 65500, "DenyAllOutBound", ["0.0.0.0/0"]),
)


# -- network -------------------------------------------------------------------------------------------------
def _vnet(raw: RawResource, index: PlanIndex) -> Out:
    flows = index.referrers(raw.address, ("azurerm_network_watcher_flow_log",), "target_resource_id")
    flow_logs = any_of(tri(f.get("enabled"), True) for f in flows)  # a disabled flow log records nothing
    cidrs = str_list(raw.get("address_space"))
    attrs = {"cidrs": cidrs, "is_default": False, "flow_logs": flow_logs}
    return [_res(raw, index, Kind.NETWORK, attrs)]


def _subnet(raw: RawResource, index: PlanIndex) -> Out:
    vnets = _names(index, raw, "virtual_network_name", VNET_TYPES)
    prefixes = str_list(raw.get("address_prefixes"))
    if prefixes == [] and raw.get("address_prefix"):
        prefixes = str_list(raw.get("address_prefix"))
    attrs = {
        "cidrs": prefixes,
        "network": vnets[0] if len(vnets) == 1 else raw.get("virtual_network_name"),
        "map_public_ip": False,
        "zone": None,
        "flow_logs": None,
        "default_outbound_access": tri(raw.get("default_outbound_access_enabled"), True),
    }
    out: Out = [_res(raw, index, Kind.SUBNET, attrs)]
    out += [edge(v, raw.address, EdgeKind.CONTAINS) for v in vnets[:1]]
    for assoc in index.referrers(raw.address, ("azurerm_subnet_network_security_group_association",), "subnet_id"):
        out += [
            edge(raw.address, n, EdgeKind.PROTECTED_BY)
            for n in _names(index, assoc, "network_security_group_id", NSG_TYPES)
        ]
    for assoc in index.referrers(raw.address, ("azurerm_subnet_route_table_association",), "subnet_id"):
        out += [
            edge(raw.address, t, EdgeKind.ROUTES_TO)
            for t in _names(index, assoc, "route_table_id", ("azurerm_route_table",))
        ]
    return out


def _address(value: Any) -> str | Any:
    if value is UNKNOWN:
        return UNKNOWN
    s = str(value).strip()
    if s.lower() in _INTERNET:
        return "0.0.0.0/0"
    if "/" in s or s.replace(".", "").isdigit() or ":" in s:
        return s
    return f"tag:{s}"


def _nsg_rule(v: dict[str, Any], source: str | None = None) -> dict[str, Any]:
    direction_raw = v.get("direction")
    direction = (
        UNKNOWN if direction_raw is UNKNOWN else ("ingress" if str(direction_raw).lower() == "inbound" else "egress")
    )
    access = v.get("access")
    action = UNKNOWN if access is UNKNOWN else str(access).lower()
    proto_raw = v.get("protocol")
    proto = UNKNOWN if proto_raw is UNKNOWN else ("all" if proto_raw in ("*", "Any") else str(proto_raw).lower())
    single = v.get("destination_port_range")
    multiple = v.get("destination_port_ranges")
    specs: list[Any] = []
    if single not in (None, ""):
        specs.append(single)
    if multiple is UNKNOWN:
        specs.append(UNKNOWN)
    elif isinstance(multiple, list):
        specs.extend(multiple)
    ports: Any = merge_port_specs(specs) if specs else ALL_PORTS
    if proto == "icmp":
        ports = []
    side = "source" if direction == "ingress" else "destination"
    peers: list[Any] = []
    one = v.get(f"{side}_address_prefix")
    many = v.get(f"{side}_address_prefixes")
    if one not in (None, ""):
        peers.append(_address(one))
    if many is UNKNOWN:
        peers.append(UNKNOWN)
    elif isinstance(many, list):
        peers.extend(_address(p) for p in many)
    asgs = v.get(f"{side}_application_security_group_ids")
    if isinstance(asgs, list):
        peers.extend(f"asg:{a}" if isinstance(a, str) else UNKNOWN for a in asgs)
    if direction is UNKNOWN:
        peers = [UNKNOWN]
    extra = {"name": v.get("name")}
    if source:
        extra["source"] = source
    return rule(
        direction,
        action,
        proto,
        ports,
        peers,
        priority=as_int(v.get("priority")),
        description=v.get("description"),
        **extra,
    )


def _default_rules() -> list[dict[str, Any]]:
    return [
        rule(direction, action, "all", ALL_PORTS, peers, priority=priority, description=name, implied=True, name=name)
        for direction, action, priority, name, peers in _DEFAULT_RULES
    ]


def _external_nsg(raw: RawResource) -> Any:
    """Key of the NSG a rule resource belongs to when that NSG is not in the configuration (None: unknown)."""
    nsg, group = raw.get("network_security_group_name"), raw.get("resource_group_name")
    return (nsg, group if isinstance(group, str) else None) if isinstance(nsg, str) and nsg else None


def _nsg_rule_resource(raw: RawResource, index: PlanIndex) -> Out:
    """A rule resource whose NSG is declared elsewhere, judged as a firewall of its own.

    Rules whose NSG is in the configuration are folded into it by :func:`_nsg`. Here the NSG's other rules
    are unknown, except the deny rules of other rule resources naming the same NSG, which take part so a
    higher-priority deny still shadows the allow; Azure's default rules apply as in every NSG.
    """
    if _names(index, raw, "network_security_group_name", NSG_TYPES):
        return []
    key = _external_nsg(raw)
    rules = [_nsg_rule(raw.values, raw.address)]
    if key is not None:
        for other in index.by_type.get(raw.type, ()):
            if other is not raw and _external_nsg(other) == key and str(other.get("access")).lower() == "deny":
                rules.append(_nsg_rule(other.values, other.address))
    attrs = {
        "layer": "instance",
        "stateful": True,
        "is_default": False,
        "network": None,
        "rules": rules + _default_rules(),
    }
    name = raw.get("network_security_group_name")
    return [_res(raw, index, Kind.FIREWALL, attrs, name=f"{name}/{raw.get('name')}" if isinstance(name, str) else None)]


def _nsg(raw: RawResource, index: PlanIndex) -> Out:
    rules: list[Any] = []
    inline = raw.get("security_rule")
    if inline is UNKNOWN:
        if raw.is_configured("security_rule") is not False:
            rules.append(UNKNOWN)
    else:
        rules += [_nsg_rule(r) for r in listed(inline)]
    for r in index.referrers(raw.address, ("azurerm_network_security_rule",), "network_security_group_name", ("name",)):
        rules.append(_nsg_rule(r.values, r.address))
    rules += _default_rules()
    subnet_assoc = index.referrers(
        raw.address, ("azurerm_subnet_network_security_group_association",), "network_security_group_id"
    )
    attrs = {
        "layer": "subnet" if subnet_assoc else "instance",
        "stateful": True,
        "is_default": False,
        "network": None,
        "rules": rules,
    }
    return [_res(raw, index, Kind.FIREWALL, attrs)]


def _public_ips(index: PlanIndex, raw: RawResource, path: str) -> list[Any]:
    out: list[Any] = []
    for pip in index.targets(raw, path, PIP_TYPES, ("id",)):
        p = index.by_address.get(pip)
        ip = p.get("ip_address") if p else UNKNOWN
        out.append(ip if isinstance(ip, str) and ip else UNKNOWN)
    if not out:
        value = raw.get(path)
        if isinstance(value, str) and value:
            out.append(UNKNOWN)  # an existing public IP outside the plan: public, address not known here
        elif value is UNKNOWN and raw.is_configured(path) is not False:
            out.append(UNKNOWN)
    return out


def _nic(raw: RawResource, index: PlanIndex) -> Out:
    subnets: list[str] = []
    subnet_values: list[Any] = []
    public_ips: list[Any] = []
    private_ips: list[Any] = []
    configs = blocks(raw.values, "ip_configuration")
    for i, cfg in enumerate(configs if isinstance(configs, list) else []):
        found = index.targets(raw, f"ip_configuration.{i}.subnet_id", SUBNET_TYPES) or (
            index.targets(raw, "ip_configuration.subnet_id", SUBNET_TYPES) if len(configs) == 1 else []
        )
        subnets += found
        subnet_values.append(found[0] if found else cfg.get("subnet_id"))
        path = f"ip_configuration.{i}.public_ip_address_id"
        public_ips += (
            _public_ips(index, raw, path)
            if raw.refs.get(path)
            else ([UNKNOWN] if cfg.get("public_ip_address_id") not in (None, "") else [])
        )
        ip = cfg.get("private_ip_address")
        if ip not in (None, ""):
            private_ips.append(ip)
    nsgs = [
        n
        for a in index.referrers(
            raw.address, ("azurerm_network_interface_security_group_association",), "network_interface_id"
        )
        for n in _names(index, a, "network_security_group_id", NSG_TYPES)
    ]
    attrs = {
        "subnet": subnet_values[0] if subnet_values else None,
        "private_ips": private_ips,
        "public_ips": public_ips,
        "firewalls": nsgs,
    }
    out: Out = [_res(raw, index, Kind.INTERFACE, attrs)]
    out += [edge(s, raw.address, EdgeKind.CONTAINS) for s in dict.fromkeys(subnets)]
    out += [edge(raw.address, n, EdgeKind.PROTECTED_BY) for n in nsgs]
    return out


def _des_key(index: PlanIndex, raw: RawResource, path: str) -> tuple[Any, str | None]:
    """Resolve a disk encryption set reference to (key id, key address) through the DES's key."""
    des = index.target(raw, path, ("azurerm_disk_encryption_set",), ("id",))
    if des is None:
        value = raw.get(path)
        return value, None
    des_raw = index.by_address.get(des)
    key = index.target(des_raw, "key_vault_key_id", KEY_TYPES, ("id", "versionless_id")) if des_raw else None
    return (key or des), key


def _disk_encryption(
    index: PlanIndex,
    raw: RawResource,
    values: dict[str, Any],
    path: str,
) -> tuple[dict[str, Any], str | None]:
    des = values.get(path.rsplit(".", 1)[-1])
    if des is UNKNOWN:
        if raw.is_configured(path) is False:
            return provider_default("azurerm_managed_disk"), None
        if not raw.refs.get(path):
            return unknown_encryption(), None
    if des not in (None, ""):
        key_id, key = _des_key(index, raw, path)
        return customer_key(key_id), key
    return provider_default("azurerm_managed_disk"), None


def _vm(raw: RawResource, index: PlanIndex) -> Out:
    nics = index.targets(raw, "network_interface_ids", NIC_TYPES)
    public_ips: list[Any] = []
    subnet = None
    for n in nics:
        nic = index.by_address.get(n)
        if nic is None:
            continue
        for i, cfg in enumerate(listed(blocks(nic.values, "ip_configuration"))):
            path = f"ip_configuration.{i}.public_ip_address_id"
            if nic.refs.get(path):
                public_ips += _public_ips(index, nic, path)
            elif cfg.get("public_ip_address_id") not in (None, ""):
                public_ips.append(UNKNOWN)
            if subnet is None:
                hits = index.targets(nic, f"ip_configuration.{i}.subnet_id", SUBNET_TYPES)
                subnet = hits[0] if hits else cfg.get("subnet_id")
    attrs = {
        "public_ips": public_ips,
        "network_tags": [],
        "service_accounts": [],
        "subnet": subnet,
        "image": mapping(block(raw, "source_image_reference")).get("offer"),
        "imds_v2_required": None,
        "role": None,
        "encryption_at_host": tri(raw.get("encryption_at_host_enabled"), False),
    }
    out: Out = [_res(raw, index, Kind.COMPUTE, attrs)]
    out += [edge(n, raw.address, EdgeKind.ATTACHED_TO) for n in nics]
    os_disk = block(raw, "os_disk")
    if isinstance(os_disk, dict):
        rid = f"{raw.address}/os_disk"
        enc, key = _disk_encryption(index, raw, os_disk, "os_disk.0.disk_encryption_set_id")
        out.append(
            _res(
                raw,
                index,
                Kind.DATASTORE,
                {"store_type": "disk", "encryption": enc, "public": False},
                rid=rid,
                name=f"{raw.get('name')} os disk" if isinstance(raw.get("name"), str) else rid,
                tags={},
            )
        )
        out.append(edge(rid, raw.address, EdgeKind.ATTACHED_TO))
        if key:
            out.append(edge(rid, key, EdgeKind.ENCRYPTED_BY))
    return out


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


_KEY_OPS = {
    "encrypt": "encrypt",
    "decrypt": "encrypt",
    "wrapKey": "encrypt",
    "unwrapKey": "encrypt",
    "sign": "sign",
    "verify": "sign",
}


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
    usage = UNKNOWN if ops is UNKNOWN else sorted({_KEY_OPS[o] for o in listed(ops) if o in _KEY_OPS})
    attrs = {
        "manager": "customer",
        "algorithm": algorithm,
        "bits": bits,
        "usage": usage[0] if isinstance(usage, list) and len(usage) == 1 else usage,
        "rotation": rotation,
        "enabled": True,
        "expires": raw.get("expiration_date"),
        "protection": UNKNOWN if key_type is UNKNOWN else ("hsm" if str(key_type).endswith("-HSM") else "software"),
    }
    return [_res(raw, index, Kind.KEY, attrs)]


# -- application gateway and app service ---------------------------------------------------------------------
def _ssl_policy_tls(policy: Any) -> dict[str, Any]:
    if policy is UNKNOWN:
        return tls_policy("azure", UNKNOWN, "app_gateway")
    if not policy:
        return default_tls_policy("azure", "app_gateway")
    ptype = policy.get("policy_type")
    name = policy.get("policy_name")
    if ptype in ("Custom", "CustomV2"):
        minimum = policy.get("min_protocol_version")
        tls = (
            tls_policy("azure", minimum, "storage_min_tls")
            if isinstance(minimum, str)
            else tls_policy("azure", UNKNOWN, "app_gateway")
        )
        tls["policy"] = ptype
        suites = policy.get("cipher_suites")
        tls["ciphers"] = list(suites) if isinstance(suites, list) and suites else UNKNOWN
        return tls
    if name in (None, ""):
        return default_tls_policy("azure", "app_gateway")
    return tls_policy("azure", name, "app_gateway")


_ACCESS_LOG_CATEGORIES = {"azurerm_application_gateway": "applicationgatewayaccesslog"}


def _diagnostic_access_logs(raw: RawResource, index: PlanIndex) -> Any:
    """Whether a diagnostic setting of the resource exports its access log category (or the allLogs group).

    Judged from the code alone: a setting deployed outside it (Azure Policy DeployIfNotExists) is not seen.
    """
    wanted = _ACCESS_LOG_CATEGORIES[raw.type]
    verdicts: list[Any] = []
    for setting in index.referrers(raw.address, ("azurerm_monitor_diagnostic_setting",), "target_resource_id"):
        entries = diagnostic_logs(setting)
        if entries is UNKNOWN:
            verdicts.append(UNKNOWN)
            continue
        for entry in entries:
            names = [entry.get("category"), entry.get("category_group")]
            if UNKNOWN in names:
                verdicts.append(UNKNOWN)
            else:
                verdicts.append(any(isinstance(n, str) and n.lower() in (wanted, "alllogs") for n in names))
    return any_of(verdicts)


def _app_gateway(raw: RawResource, index: PlanIndex) -> Out:
    frontends = blocks(raw.values, "frontend_ip_configuration")
    public = (
        any(f.get("public_ip_address_id") not in (None, "") for f in listed(frontends))
        if isinstance(frontends, list)
        else UNKNOWN
    )
    attrs = {
        "scheme": UNKNOWN if public is UNKNOWN else ("internet-facing" if public else "internal"),
        "lb_type": "app_gateway",
        "public_ips": _public_ips(index, raw, "frontend_ip_configuration.public_ip_address_id") if public else [],
        "access_logs": _diagnostic_access_logs(raw, index),
    }
    out: Out = [_res(raw, index, Kind.LOAD_BALANCER, attrs)]
    ports = (
        {p.get("name"): as_int(p.get("port")) for p in listed(blocks(raw.values, "frontend_port"))}
        if isinstance(blocks(raw.values, "frontend_port"), list)
        else {}
    )
    gateway_tls = _ssl_policy_tls(block(raw, "ssl_policy"))
    profiles = {
        p.get("name"): _ssl_policy_tls(block(p, "ssl_policy"))
        for p in listed(blocks(raw.values, "ssl_profile"))
        if isinstance(p, dict)
    }
    redirects = {r.get("name"): r for r in listed(blocks(raw.values, "redirect_configuration")) if isinstance(r, dict)}
    listeners = blocks(raw.values, "http_listener")
    by_name = {lst.get("name"): lst for lst in listed(listeners)} if isinstance(listeners, list) else {}
    redirecting: dict[str, Any] = {}
    for rr in listed(blocks(raw.values, "request_routing_rule")):
        target = redirects.get(rr.get("redirect_configuration_name"))
        if target is None:
            continue
        dest = by_name.get(target.get("target_listener_name"))
        to_https = (
            (str(dest.get("protocol", "")).lower() == "https")
            if dest
            else str(target.get("target_url", "")).lower().startswith("https://")
        )
        redirecting[rr.get("http_listener_name")] = to_https
    for lst in listeners if isinstance(listeners, list) else []:
        proto_raw = lst.get("protocol")
        proto = UNKNOWN if proto_raw is UNKNOWN else str(proto_raw).lower()
        name = lst.get("name") if isinstance(lst.get("name"), str) else "listener"
        rid = f"{raw.address}/listener/{name}"
        if proto == "https":
            tls = profiles.get(lst.get("ssl_profile_name"), gateway_tls)
        elif proto is UNKNOWN:
            tls = UNKNOWN
        else:
            tls = None
        lattrs = {
            "protocol": proto,
            "port": ports.get(lst.get("frontend_port_name")),
            "tls": tls,
            "redirects_to_https": redirecting.get(lst.get("name"), False) if proto == "http" else False,
            "load_balancer": raw.address,
            "certificates": [lst.get("ssl_certificate_name")] if lst.get("ssl_certificate_name") else [],
        }
        out.append(
            _res(
                raw,
                index,
                Kind.LISTENER,
                lattrs,
                rid=rid,
                name=f"{raw.get('name')}/{name}",
                native_type="azurerm_application_gateway.http_listener",
                tags={},
            )
        )
        out.append(edge(rid, raw.address, EdgeKind.ATTACHED_TO))
    return out


def _fix_http_redirect(out: Out) -> Out:
    """App Service ``https_only`` makes the plain-HTTP side redirect to HTTPS."""
    fixed: Out = []
    for item in out:
        if isinstance(item, Resource) and item.kind == "listener":
            attrs = dict(item.attrs)
            flag = attrs.pop("redirects_to_https_when_http", None)
            if attrs["protocol"] == "http":
                attrs["redirects_to_https"] = flag if flag is not None else attrs["redirects_to_https"]
            item = Resource(
                item.id,
                item.kind,
                item.native_type,
                item.provider,
                item.name,
                item.account,
                item.region,
                item.tags,
                attrs,
                item.source,
                item.location,
            )
        fixed.append(item)
    return fixed


def _web_app_listeners(raw: RawResource, index: PlanIndex) -> Out:
    site = block(raw, "site_config")
    key = "min_tls_version" if raw.type in ("azurerm_app_service", "azurerm_function_app") else "minimum_tls_version"
    setting = UNKNOWN if site is UNKNOWN else (site.get(key) if site else None)
    if setting is UNKNOWN and raw.is_configured(f"site_config.0.{key}") is False:
        setting = None
    https_only = tri(raw.get("https_only"), False)
    # Both the HTTPS and the plain-HTTP side exist; https_only turns the latter into a redirect.
    out = _min_tls_listener(
        raw, index, "app_service_min_tls", setting, "1.2", False, {"redirects_to_https_when_http": https_only}
    )
    compute = _res(
        raw,
        index,
        Kind.COMPUTE,
        {
            "public_ips": [],
            "network_tags": [],
            "service_accounts": [],
            "subnet": None,
            "image": None,
            "imds_v2_required": None,
            "role": None,
            "app_service": True,
        },
    )
    return [compute, *_fix_http_redirect(out)]


NORMALISERS: dict[str, Callable[[RawResource, PlanIndex], Out]] = {
    "azurerm_virtual_network": _vnet,
    "azurerm_subnet": _subnet,
    "azurerm_network_security_group": _nsg,
    "azurerm_network_interface": _nic,
    "azurerm_linux_virtual_machine": _vm,
    "azurerm_windows_virtual_machine": _vm,
    "azurerm_storage_account": _storage_account,
    "azurerm_managed_disk": _managed_disk,
    "azurerm_mssql_server": _mssql_server,
    "azurerm_mssql_database": _mssql_database,
    "azurerm_key_vault_key": _key_vault_key,
    "azurerm_application_gateway": _app_gateway,
    "azurerm_linux_web_app": _web_app_listeners,
    "azurerm_windows_web_app": _web_app_listeners,
    "azurerm_app_service": _web_app_listeners,
    "azurerm_linux_function_app": _web_app_listeners,
    "azurerm_windows_function_app": _web_app_listeners,
    "azurerm_function_app": _web_app_listeners,
    "azurerm_network_security_rule": _nsg_rule_resource,
    "azurerm_sql_server": _mssql_server,
    **DATA_NORMALISERS,
}
"""Native azurerm type -> normaliser."""

JOINED: frozenset[str] = frozenset(
    {
        "azurerm_subnet_network_security_group_association",
        "azurerm_network_interface_security_group_association",
        "azurerm_subnet_route_table_association",
        "azurerm_public_ip",
        "azurerm_storage_account_customer_managed_key",
        "azurerm_storage_account_network_rules",
        "azurerm_storage_container",
        "azurerm_mssql_server_transparent_data_encryption",
        "azurerm_disk_encryption_set",
        "azurerm_virtual_machine_data_disk_attachment",
        "azurerm_network_watcher_flow_log",
        *DATA_JOINED,
    }
)
"""azurerm types folded into another resource rather than normalised on their own."""
