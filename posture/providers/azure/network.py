"""Pure normalisers for Azure networking: VNets, subnets, NSGs, NICs, VMs, application gateways.

NSG semantics: rules are evaluated in priority order (lower number first, first match decides) per
direction; Azure's six default rules are appended with ``implied: true``; the ``*`` and ``Internet``
address prefixes mean the whole internet (``0.0.0.0/0``); other service tags become ``tag:<Name>``
and application security groups ``sg:<id>``. An NSG on a subnet and one on a NIC both filter the
NIC's traffic, so an interface lists both in ``firewalls``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from posture.knowledge.network import protocol_name
from posture.model import UNKNOWN, Edge, EdgeKind, Kind
from posture.providers.azure.facts.nsg_defaults import DEFAULT_SECURITY_RULES
from posture.providers.azure.facts.peers import peer
from posture.providers.azure.records import Index, Produced, props, resource, rid
from posture.providers.kit.ports import port_span

# --------------------------------------------------------------------------- NSG rules


def port_ranges(single: Any, many: Sequence[Any] | None) -> list[list[int]]:
    """``"22"``, ``"1000-2000"``, ``"*"`` and lists of them as inclusive ``[from, to]`` pairs."""
    values = [v for v in [single, *(many or [])] if v not in (None, "")]
    out: list[list[int]] = []
    for v in values or ["*"]:
        text = str(v).strip()
        if text == "*":
            return [[0, 65535]]
        out.append(port_span(text))
    return out


def nsg_rule(raw: Mapping[str, Any], *, implied: bool) -> dict[str, Any]:
    """One NSG security rule (ARM shape) as a normalised firewall rule."""
    p = props(raw) or raw
    ingress = str(p.get("direction", "")).lower() == "inbound"
    side = "source" if ingress else "destination"
    prefixes = [p.get(f"{side}AddressPrefix"), *(p.get(f"{side}AddressPrefixes") or [])]
    peers = [peer(str(x)) for x in prefixes if x not in (None, "")]
    peers += [f"sg:{rid(asg)}" for asg in p.get(f"{side}ApplicationSecurityGroups") or []]
    protocol = protocol_name(str(p.get("protocol", "*")).lower())
    return {
        "name": raw.get("name"),
        "direction": "ingress" if ingress else "egress",
        "action": str(p.get("access", "")).lower(),
        "protocol": protocol,
        "ports": [] if protocol == "icmp" else port_ranges(p.get("destinationPortRange"),
                                                          p.get("destinationPortRanges")),
        "peers": sorted(set(peers)) or ["0.0.0.0/0"],
        "priority": int(p["priority"]) if p.get("priority") is not None else None,
        "description": p.get("description") or None,
        "implied": implied,
    }


def nsg_rules(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Custom rules then Azure's default rules (from the answer, or the documented table)."""
    p = props(data)
    custom = [nsg_rule(r, implied=False) for r in p.get("securityRules") or []]
    defaults = [nsg_rule(r, implied=True) for r in (p.get("defaultSecurityRules") or DEFAULT_SECURITY_RULES)]
    key = lambda r: (r["direction"], r["priority"] if r["priority"] is not None else 1 << 30)  # noqa: E731
    return sorted(custom, key=key) + sorted(defaults, key=key)


# --------------------------------------------------------------------------- TLS of app gateways


def _app_gateway_tls(ssl_policy: Mapping[str, Any] | None) -> dict[str, Any]:
    """``tls`` of an HTTPS listener from the gateway's (or its SSL profile's) ``sslPolicy``."""
    from posture.knowledge import TLS_VERSIONS, normalise_tls_version, tls_version_key
    from posture.providers.kit.builders import default_tls_policy, tls_policy

    sp = ssl_policy or {}
    ptype = str(sp.get("policyType", "")).lower()
    if ptype == "predefined" or (not ptype and sp.get("policyName")):
        return tls_policy("azure", str(sp.get("policyName", "")), "app_gateway")
    if ptype.startswith("custom"):
        minimum = normalise_tls_version(sp.get("minProtocolVersion"))
        if minimum is None:
            return tls_policy("azure", None, "app_gateway") | {"policy": sp.get("policyType")}
        # a custom policy accepts every TLS version from its minimum up (SSL was never offered)
        versions = [v for v in TLS_VERSIONS if v[0].isdigit() and tls_version_key(v) >= tls_version_key(minimum)]
        return {"policy": sp.get("policyType"), "min_version": minimum, "versions": versions,
                "ciphers": list(sp.get("cipherSuites") or []) or UNKNOWN}
    tls = default_tls_policy("azure", "app_gateway")
    disabled = {normalise_tls_version(v) for v in sp.get("disabledSslProtocols") or []}
    if disabled and isinstance(tls["versions"], list):  # legacy shape: the default policy minus disabled versions
        tls["versions"] = [v for v in tls["versions"] if v not in disabled]
        tls["min_version"] = tls["versions"][0] if tls["versions"] else None
    return tls


# --------------------------------------------------------------------------- normaliser


def normalise_network(ix: Index) -> Produced:
    """VNets, subnets, NSGs, NICs, VMs and application gateways with their edges."""
    subnet_nsg: dict[str, str] = {}
    for rec in ix.of("Microsoft.Network/virtualNetworks"):
        data, vnet = rec["data"], rid(rec["data"])
        p = props(data)
        yield resource(rec, Kind.NETWORK, {
            "cidrs": list((p.get("addressSpace") or {}).get("addressPrefixes") or []),
            "is_default": False,
            "flow_logs": UNKNOWN,  # flow logs live in Network Watcher, which is not read
        })
        for peering in p.get("virtualNetworkPeerings") or []:
            remote = rid(props(peering).get("remoteVirtualNetwork"))
            if remote:
                yield Edge(vnet, remote, EdgeKind.PEERS_WITH)
        for sn in p.get("subnets") or []:
            sp, sid = props(sn), rid(sn)
            nsg = rid(sp.get("networkSecurityGroup"))
            cidrs = [sp["addressPrefix"]] if sp.get("addressPrefix") else list(sp.get("addressPrefixes") or [])
            yield resource(rec, Kind.SUBNET, {"cidrs": cidrs, "network": vnet, "map_public_ip": False}, rid_=sid,
                           name=str(sn.get("name", "")), native_type="Microsoft.Network/virtualNetworks/subnets")
            yield Edge(vnet, sid, EdgeKind.CONTAINS)
            if nsg:
                subnet_nsg[sid] = nsg
                yield Edge(sid, nsg, EdgeKind.PROTECTED_BY, {"layer": "subnet"})

    for rec in ix.of("Microsoft.Network/networkSecurityGroups"):
        p = props(rec["data"])
        subnets = [rid(s) for s in p.get("subnets") or []]
        yield resource(rec, Kind.FIREWALL, {
            "layer": "subnet" if subnets else "instance",
            "stateful": True,
            "is_default": False,
            "network": subnets[0].rsplit("/subnets/", 1)[0] if subnets else None,
            "rules": nsg_rules(rec["data"]),
        })

    public_ip = {rid(r["data"]): props(r["data"]).get("ipAddress")
                 for r in ix.of("Microsoft.Network/publicIPAddresses")}
    nic_view: dict[str, dict[str, Any]] = {}
    for rec in ix.of("Microsoft.Network/networkInterfaces"):
        nic, p = rid(rec["data"]), props(rec["data"])
        configs = [props(c) for c in p.get("ipConfigurations") or []]
        subnets = list(dict.fromkeys(rid(c.get("subnet")) for c in configs if rid(c.get("subnet"))))
        own_nsg = rid(p.get("networkSecurityGroup"))
        firewalls = list(dict.fromkeys([own_nsg] * bool(own_nsg) + [subnet_nsg[s] for s in subnets if s in subnet_nsg]))
        view = {
            "subnet": subnets[0] if subnets else None,
            "private_ips": [c["privateIPAddress"] for c in configs if c.get("privateIPAddress")],
            "public_ips": [public_ip[i] for c in configs if (i := rid(c.get("publicIPAddress"))) and public_ip.get(i)],
            "firewalls": firewalls,
        }
        nic_view[nic] = view
        yield resource(rec, Kind.INTERFACE, view)
        for s in subnets:
            yield Edge(s, nic, EdgeKind.CONTAINS)
        if own_nsg:
            yield Edge(nic, own_nsg, EdgeKind.PROTECTED_BY, {"layer": "instance"})
        vm = rid(p.get("virtualMachine"))
        if vm:
            yield Edge(nic, vm, EdgeKind.ATTACHED_TO)

    for rec in ix.of("Microsoft.Compute/virtualMachines"):
        p = props(rec["data"])
        nics = [nic_view.get(rid(n), {}) for n in (p.get("networkProfile") or {}).get("networkInterfaces") or []]
        image = (p.get("storageProfile") or {}).get("imageReference") or {}
        subnet = next((n["subnet"] for n in nics if n.get("subnet")), None)
        tags = rec["data"].get("tags") or {}
        yield resource(rec, Kind.COMPUTE, {
            "public_ips": [ip for n in nics for ip in n.get("public_ips", [])],
            "network_tags": [],
            "service_accounts": [],
            "subnet": subnet,
            "image": image.get("id") or ":".join(str(image[k]) for k in ("publisher", "offer", "sku", "version")
                                                 if image.get(k)) or None,
            "role": tags.get("role"),
            "firewalls": list(dict.fromkeys(f for n in nics for f in n.get("firewalls", []))),
        })
        if subnet:
            yield Edge(subnet, rid(rec["data"]), EdgeKind.CONTAINS)

    for rec in ix.of("Microsoft.Network/applicationGateways"):
        yield from _app_gateway(rec, public_ip)


def _app_gateway(rec: Mapping[str, Any], public_ip: Mapping[str, Any]) -> Produced:
    data, gw = rec["data"], rid(rec["data"])
    p = props(data)
    ips = [public_ip.get(rid(props(f).get("publicIPAddress"))) for f in p.get("frontendIPConfigurations") or []]
    public = [ip for ip in ips if ip]
    yield resource(rec, Kind.LOAD_BALANCER, {
        "scheme": "internet-facing" if any(props(f).get("publicIPAddress") for f in p.get("frontendIPConfigurations")
                                           or []) else "internal",
        "lb_type": "app_gateway",
        "public_ips": public,
    })
    ports = {rid(fp): props(fp).get("port") for fp in p.get("frontendPorts") or []}
    profiles = {rid(sp): props(sp).get("sslPolicy") for sp in p.get("sslProfiles") or []}
    listeners = {rid(lst): lst for lst in p.get("httpListeners") or []}
    redirects = {rid(rc): props(rc) for rc in p.get("redirectConfigurations") or []}
    redirected: set[str] = set()
    for rule in p.get("requestRoutingRules") or []:
        rp = props(rule)
        target = redirects.get(rid(rp.get("redirectConfiguration")))
        if target is None:
            continue
        to = listeners.get(rid(target.get("targetListener")))
        if (to is not None and str(props(to).get("protocol", "")).lower() == "https") or str(
                target.get("targetUrl", "")).lower().startswith("https://"):
            redirected.add(rid(rp.get("httpListener")))
    for lid, lst in listeners.items():
        lp = props(lst)
        protocol = str(lp.get("protocol", "")).lower()
        profile = rid(lp.get("sslProfile"))
        policy = profiles.get(profile) if profile else p.get("sslPolicy")
        tls = _app_gateway_tls(policy) if protocol == "https" else None
        yield resource(rec, Kind.LISTENER, {
            "protocol": protocol,
            "port": ports.get(rid(lp.get("frontendPort"))),
            "tls": tls,
            "redirects_to_https": lid in redirected,
            "load_balancer": gw,
            "certificates": [rid(lp["sslCertificate"])] if lp.get("sslCertificate") else [],
        }, rid_=lid, name=f"{data.get('name')}/{lst.get('name')}",
            native_type="Microsoft.Network/applicationGateways/httpListeners")
        yield Edge(lid, gw, EdgeKind.ATTACHED_TO)
