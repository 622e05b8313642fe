"""GCP networks, subnetworks and firewalls of a Terraform plan (with the implied rules of every network)."""

from __future__ import annotations

from typing import Any

from posture.knowledge.network import protocol_name
from posture.model import UNKNOWN, EdgeKind, Kind
from posture.providers.gcp.facts.firewall import DEFAULT_FIREWALL_PRIORITY, implied_firewall_rules
from posture.providers.gcp.facts.targeting import applies
from posture.providers.gcp.terraform.common import (
    _LINK_ATTRS,
    NETWORK_TYPES,
    SUBNET_TYPES,
    Out,
    _one,
    _res,
)
from posture.providers.kit.builders import blocks, edge, listed, rule, str_list
from posture.providers.kit.ports import ALL_PORTS, merge_port_specs
from posture.providers.kit.values import as_int, tri
from posture.providers.terraform.plan_index import PlanIndex, RawResource


# -- network -------------------------------------------------------------------------------------------------
def _network(raw: RawResource, index: PlanIndex) -> Out:
    auto = raw.get("auto_create_subnetworks")
    auto = True if auto is UNKNOWN and raw.is_configured("auto_create_subnetworks") is False else tri(auto, True)
    attrs = {
        "cidrs": [],
        "is_default": raw.get("name") == "default",
        "flow_logs": None,
        "auto_create_subnetworks": auto,
    }
    rid = f"{raw.address}/implied-firewall"
    implied = {
        "layer": "instance",
        "stateful": True,
        "is_default": True,
        "network": raw.address,
        "rules": implied_firewall_rules(),
        "targets": {"all": True, "tags": [], "service_accounts": []},
    }
    out: Out = [
        _res(raw, index, Kind.NETWORK, attrs),
        _res(
            raw,
            index,
            Kind.FIREWALL,
            implied,
            rid=rid,
            name=f"{raw.get('name')} implied rules" if isinstance(raw.get("name"), str) else rid,
            native_type="google_compute_network.implied_rules",
            tags={},
        ),
    ]
    return out


# Subnetworks reserved for Google-managed proxies and services cannot record flow logs.
_NO_FLOW_LOG_PURPOSES = frozenset(
    {"REGIONAL_MANAGED_PROXY", "GLOBAL_MANAGED_PROXY", "INTERNAL_HTTPS_LOAD_BALANCER", "PRIVATE_SERVICE_CONNECT",
     "PRIVATE_NAT"}
)


def _subnet_flow_logs(raw: RawResource) -> Any:
    """True when a ``log_config`` block is present (an empty block enables logging with the defaults).

    None for proxy-only and other managed subnetworks, where flow logs do not exist.
    """
    purpose = raw.get("purpose")
    if purpose is UNKNOWN and raw.is_configured("purpose") is not False:
        return UNKNOWN
    if isinstance(purpose, str) and purpose.upper() in _NO_FLOW_LOG_PURPOSES:
        return None
    configs = blocks(raw.values, "log_config")
    if configs is UNKNOWN:
        return UNKNOWN
    if configs:
        return True
    legacy = raw.get("enable_flow_logs")  # google provider < 4.0
    return UNKNOWN if legacy is UNKNOWN and raw.is_configured("enable_flow_logs") is not False else legacy is True


def _subnetwork(raw: RawResource, index: PlanIndex) -> Out:
    nets = index.targets(raw, "network", NETWORK_TYPES, _LINK_ATTRS)
    cidrs = str_list(raw.get("ip_cidr_range"))
    secondary = blocks(raw.values, "secondary_ip_range")
    if isinstance(secondary, list) and cidrs is not UNKNOWN:
        cidrs += [s.get("ip_cidr_range") for s in secondary if s.get("ip_cidr_range")]
    attrs = {
        "cidrs": cidrs,
        "network": nets[0] if len(nets) == 1 else raw.get("network"),
        "map_public_ip": False,
        "zone": None,
        "flow_logs": _subnet_flow_logs(raw),
        "private_access": tri(raw.get("private_ip_google_access"), False),
    }
    return [_res(raw, index, Kind.SUBNET, attrs), *[edge(n, raw.address, EdgeKind.CONTAINS) for n in nets[:1]]]


# GCP accepts IANA protocol numbers as well as names.


def _fw_rules(raw: RawResource, kind: str, action: str, direction: Any, peers: Any, priority: Any) -> list[Any]:
    items = blocks(raw.values, kind)
    if items is UNKNOWN:
        return [UNKNOWN]
    out = []
    for b in items:
        proto_raw = b.get("protocol")
        proto = UNKNOWN if proto_raw is UNKNOWN else str(proto_raw).lower()
        proto = protocol_name(proto)
        ports_raw = b.get("ports")
        if proto == "all":
            ports: Any = ALL_PORTS
        elif proto in ("icmp", "icmpv6"):
            ports = []
        elif ports_raw is UNKNOWN:
            ports = UNKNOWN
        elif not ports_raw:
            ports = ALL_PORTS
        else:
            ports = merge_port_specs(ports_raw)
        out.append(rule(direction, action, proto, ports, peers, priority=priority, description=raw.get("description")))
    return out


def _on_default_network(index: PlanIndex, network: Any) -> Any:
    """Whether a firewall rule belongs to the project's ``default`` network (by name, link or resource)."""
    if network is UNKNOWN:
        return UNKNOWN
    if isinstance(network, str) and network in index.by_address:
        network = index.by_address[network].get("name")
    if not isinstance(network, str):
        return UNKNOWN if network is UNKNOWN else False
    return network == "default" or network.rstrip("/").endswith("/networks/default")


def _firewall(raw: RawResource, index: PlanIndex) -> Out:
    d = raw.get("direction")
    if d is UNKNOWN and raw.is_configured("direction") is False:
        d = "INGRESS"
    direction = UNKNOWN if d is UNKNOWN else ("egress" if str(d or "INGRESS").upper() == "EGRESS" else "ingress")
    priority = as_int(raw.get("priority"))
    if priority is None or (priority is UNKNOWN and raw.is_configured("priority") is False):
        priority = DEFAULT_FIREWALL_PRIORITY
    if direction == "ingress":
        ranges = str_list(raw.get("source_ranges"))
        tags = str_list(raw.get("source_tags"))
        sas = str_list(raw.get("source_service_accounts"))
        configured = [raw.is_configured(k) for k in ("source_ranges", "source_tags", "source_service_accounts")]
    else:
        ranges = str_list(raw.get("destination_ranges"))
        tags, sas = [], []
        configured = [raw.is_configured("destination_ranges")]
    if (
        ranges is UNKNOWN
        and raw.is_configured("source_ranges" if direction == "ingress" else "destination_ranges") is False
    ):
        ranges = []
    peers: Any
    if UNKNOWN in (ranges, tags, sas) or direction is UNKNOWN:
        peers = [UNKNOWN]
    else:
        peers = list(ranges) + [f"tag:{t}" for t in tags] + [f"sa:{s}" for s in sas]
        if not peers and not any(c is True for c in configured):
            peers = ["0.0.0.0/0"]  # GCP: no source (ingress) / destination (egress) means 0.0.0.0/0
    rules = _fw_rules(raw, "allow", "allow", direction, peers, priority)
    rules += _fw_rules(raw, "deny", "deny", direction, peers, priority)
    target_tags = str_list(raw.get("target_tags"))
    target_sas = str_list(raw.get("target_service_accounts"))
    if target_tags is UNKNOWN and raw.is_configured("target_tags") is False:
        target_tags = []
    if target_sas is UNKNOWN and raw.is_configured("target_service_accounts") is False:
        target_sas = []
    targets = {
        "all": UNKNOWN if UNKNOWN in (target_tags, target_sas) else not (target_tags or target_sas),
        "tags": target_tags,
        "service_accounts": target_sas,
    }
    disabled = tri(raw.get("disabled"), False)
    network = _one(index, raw, "network", NETWORK_TYPES)
    attrs = {
        "layer": "instance",
        "stateful": True,
        "is_default": _on_default_network(index, network),
        "network": network,
        "rules": [] if disabled is True else rules,
        "disabled": disabled,
        "targets": targets,
    }
    if disabled is True:
        attrs["disabled_rules"] = rules
    out: Out = [_res(raw, index, Kind.FIREWALL, attrs)]
    # Instances of the plan that this rule applies to: same network, and target tags / accounts match.
    if isinstance(network, str) and network in index.by_address:
        for inst in index.by_type.get("google_compute_instance", []):
            nets = [
                n
                for i in range(len(listed(blocks(inst.values, "network_interface"))))
                for n in index.targets(inst, f"network_interface.{i}.network", NETWORK_TYPES, _LINK_ATTRS)
            ]
            nets += [
                n
                for i in range(len(listed(blocks(inst.values, "network_interface"))))
                for s in index.targets(inst, f"network_interface.{i}.subnetwork", SUBNET_TYPES, _LINK_ATTRS)
                for n in index.targets(index.by_address[s], "network", NETWORK_TYPES, _LINK_ATTRS)
            ]
            if network not in nets:
                continue
            inst_sas = [sa.get("email") for sa in listed(blocks(inst.values, "service_account"))]
            if applies(targets, str_list(inst.get("tags")), [s for s in inst_sas if isinstance(s, str)]):
                out.append(edge(inst.address, raw.address, EdgeKind.PROTECTED_BY))
    return out
