"""Azure network resources of a Terraform plan: virtual networks, subnets, NSGs and rules, NICs, public IPs, VMs."""

from __future__ import annotations

from typing import Any

from posture.knowledge.network import protocol_name
from posture.model import UNKNOWN, Edge, EdgeKind, Kind, Resource
from posture.providers.azure.facts.nsg_defaults import DEFAULT_SECURITY_RULES
from posture.providers.azure.facts.peers import peer
from posture.providers.azure.terraform.common import names as _names
from posture.providers.azure.terraform.common import res as _res
from posture.providers.kit.builders import (
    blocks,
    customer_key,
    edge,
    listed,
    mapping,
    provider_default,
    rule,
    str_list,
    unknown_encryption,
)
from posture.providers.kit.ports import ALL_PORTS, merge_port_specs
from posture.providers.kit.values import any_of, as_int, tri
from posture.providers.terraform.plan_index import PlanIndex, RawResource
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
    return peer(str(value))


def _nsg_rule(v: dict[str, Any], source: str | None = None) -> dict[str, Any]:
    direction_raw = v.get("direction")
    direction = (
        UNKNOWN if direction_raw is UNKNOWN else ("ingress" if str(direction_raw).lower() == "inbound" else "egress")
    )
    access = v.get("access")
    action = UNKNOWN if access is UNKNOWN else str(access).lower()
    proto_raw = v.get("protocol")
    proto = UNKNOWN if proto_raw is UNKNOWN else protocol_name(str(proto_raw).lower())
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
    extra: dict[str, Any] = {"name": v.get("name")}
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
    """Azure's default rules (lowest precedence, in every NSG), from the rows the live source reads too."""
    out = []
    for r in DEFAULT_SECURITY_RULES:
        p: Any = r["properties"]
        ingress = p["direction"] == "Inbound"
        peer = _address(p["sourceAddressPrefix"] if ingress else p["destinationAddressPrefix"])
        out.append(rule("ingress" if ingress else "egress", p["access"].lower(), "all", ALL_PORTS, [peer],
                        priority=p["priority"], description=r["name"], implied=True, name=r["name"]))
    return out


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
