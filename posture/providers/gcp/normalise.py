"""Pure normalisers: GCP raw records (REST JSON shapes) -> Resources and Edges of docs/model.md.

No SDK and no network here. Provider facts (TLS policy profiles, encryption
defaults, key specs) come from :mod:`posture.knowledge`; the few GCP firewall
and KMS semantics the API itself defines are the data tables below, with sources.

Resource ids are Cloud Asset Inventory full names
(``//compute.googleapis.com/projects/p/global/firewalls/f``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from posture import knowledge
from posture.knowledge.network import DEFAULT_ROUTES, protocol_name
from posture.model import UNKNOWN, Edge, EdgeKind, Gap, Kind, Resource
from posture.providers.gcp.facts import kms as gcp_kms
from posture.providers.gcp.facts.firewall import DEFAULT_FIREWALL_PRIORITY, implied_firewall_rules
from posture.providers.gcp.facts.sql import SSL_MODE_REQUIRES_TLS
from posture.providers.gcp.facts.targeting import TargetKey, instance_keys, target_keys
from posture.providers.kit.ports import port_span

Record = Mapping[str, Any]

_PORTED = {"tcp", "udp", "sctp", "all"}

_COMPUTE_URL = re.compile(r"^https://(?:www|compute)\.googleapis\.com/compute/(?:v1|beta|alpha)/")
_SOURCE = "live"


# --------------------------------------------------------------------------- ids


def compute_id(url: str | None) -> str | None:
    """``https://www.googleapis.com/compute/v1/projects/p/...`` -> ``//compute.googleapis.com/projects/p/...``."""
    if not url:
        return None
    return "//compute.googleapis.com/" + _COMPUTE_URL.sub("", url).lstrip("/")


def kms_key_id(name: str | None) -> str | None:
    """A crypto key (or key version) resource name -> the crypto key's full name."""
    if not name:
        return None
    return "//cloudkms.googleapis.com/" + name.split("/cryptoKeyVersions/")[0]


def bucket_id(name: str) -> str:
    return f"//storage.googleapis.com/projects/_/buckets/{name}"


def sql_id(project: str, name: str) -> str:
    return f"//cloudsql.googleapis.com/projects/{project}/instances/{name}"


def _last(url: str | None) -> str:
    return url.rsplit("/", 1)[-1] if url else ""


def _region_of_zone(zone: str) -> str:
    return zone.rsplit("-", 1)[0] if zone.count("-") >= 2 else zone


def _location(data: Mapping[str, Any]) -> tuple[str, str | None]:
    """(region, zone) of a compute resource."""
    if data.get("zone"):
        zone = _last(data["zone"])
        return _region_of_zone(zone), zone
    return (_last(data["region"]) if data.get("region") else "global"), None


def _days(duration: Any) -> int | None:
    """A protobuf JSON duration (``"7776000s"``) in whole days."""
    if not duration:
        return None
    return int(float(str(duration).rstrip("s")) // 86400)


# --------------------------------------------------------------------------- shared pieces


def _encryption(key_name: str | None, native_type: str, *, customer_supplied: bool = False) -> dict[str, Any]:
    if key_name:
        return {"at_rest": True, "algorithm": "AES-256", "key_id": kms_key_id(key_name), "key_manager": "customer",
                "basis": "explicit", "default_source": None}
    if customer_supplied:  # CSEK: Google never stores the key, only its hash
        return {"at_rest": True, "algorithm": "AES-256", "key_id": None, "key_manager": "customer",
                "basis": "explicit", "default_source": None}
    entry = knowledge.encryption_default(native_type)
    if entry is None:
        return {"at_rest": UNKNOWN, "algorithm": None, "key_id": None, "key_manager": None, "basis": None,
                "default_source": None}
    return {"at_rest": entry["at_rest"], "algorithm": entry.get("algorithm"), "key_id": None,
            "key_manager": entry.get("key_manager"), "basis": "provider_default", "default_source": entry["id"],
            "default_since": entry.get("since")}


def _tls_from(entry: Mapping[str, Any] | None, policy: str | None) -> dict[str, Any]:
    if entry is None:
        return {"policy": policy, "min_version": UNKNOWN, "versions": UNKNOWN, "ciphers": UNKNOWN}
    ciphers = entry.get("ciphers")
    return {"policy": policy, "min_version": entry["min_version"], "versions": list(entry["versions"]),
            "ciphers": list(ciphers) if ciphers is not None else UNKNOWN}


def _ssl_policy_entry(data: Mapping[str, Any]) -> dict[str, Any] | None:
    custom = data.get("customFeatures") if data.get("profile") == "CUSTOM" else None
    return knowledge.gcp_ssl_policy(data.get("profile") or "COMPATIBLE", data.get("minTlsVersion"), custom or None)


def _resource(kind: Kind, rid: str, native: str, project: str, data: Mapping[str, Any], attrs: dict[str, Any],
              region: str = "global") -> Resource:
    return Resource(rid, kind, native, "gcp", name=str(data.get("name", "")), account=project, region=region,
                    tags=dict(data.get("labels") or {}), attrs=attrs, source=_SOURCE)


# --------------------------------------------------------------------------- firewall semantics


def _protocol(value: Any) -> str:
    p = str(value or "all").lower()
    return protocol_name(p)


def _ports(protocol: str, ports: Iterable[str] | None) -> list[list[int]]:
    out: list[list[int]] = []
    for spec in ports or ():
        out.append(port_span(spec))
    if not out and protocol in _PORTED:
        out = [[0, 65535]]
    return out


def firewall_targets(data: Mapping[str, Any]) -> dict[str, Any]:
    tags, sas = list(data.get("targetTags") or []), list(data.get("targetServiceAccounts") or [])
    return {"all": not tags and not sas, "tags": tags, "service_accounts": sas}


def firewall_rules(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The normalised rule entries of one GCP firewall rule (one per allowed/denied protocol entry)."""
    direction = str(data.get("direction") or "INGRESS").lower()
    if direction == "ingress":
        peers = (list(data.get("sourceRanges") or []) + [f"tag:{t}" for t in data.get("sourceTags") or []]
                 + [f"sa:{s}" for s in data.get("sourceServiceAccounts") or []]) or ["0.0.0.0/0"]
    else:
        peers = list(data.get("destinationRanges") or []) or ["0.0.0.0/0"]
    priority = int(data.get("priority", DEFAULT_FIREWALL_PRIORITY))
    out = []
    for action, key in (("allow", "allowed"), ("deny", "denied")):
        for entry in data.get(key) or []:
            protocol = _protocol(entry.get("IPProtocol"))
            out.append({"direction": direction, "action": action, "protocol": protocol,
                        "ports": _ports(protocol, entry.get("ports")), "peers": peers, "priority": priority,
                        "description": data.get("description") or None, "implied": False,
                        "disabled": bool(data.get("disabled")), "rule": data.get("name")})
    return out


def _covers(outer: Mapping[str, Any], inner: Mapping[str, Any]) -> bool:
    """Does a rule with targets ``outer`` apply to every instance a rule with targets ``inner`` applies to?"""
    if outer["all"]:
        return True
    if inner["all"]:
        return False
    if inner["tags"]:
        return set(inner["tags"]) <= set(outer["tags"])
    return set(inner["service_accounts"]) <= set(outer["service_accounts"])


# --------------------------------------------------------------------------- per-type normalisers


@dataclass(frozen=True)
class _Rule:
    """A firewall rule's facts that other normalisers look up (computed once per rule)."""

    id: str
    name: str
    direction: str
    priority: int
    enabled: bool
    targets: dict[str, Any]
    denies: list[dict[str, Any]]  # its normalised entries when it is an enabled deny rule, else []


class _Index:
    """Lookups across records that some normalisers need (built once per scan)."""

    def __init__(self, records: Iterable[Record]) -> None:
        self.by_type: dict[str, list[Record]] = defaultdict(list)
        for r in records:
            self.by_type[r["type"]].append(r)
        self.networks = {compute_id(r["data"].get("selfLink")): r["data"] for r in self.by_type["compute.network"]}
        self.subnets_of: dict[str | None, list[Mapping[str, Any]]] = defaultdict(list)
        for r in self.by_type["compute.subnetwork"]:
            self.subnets_of[compute_id(r["data"].get("network"))].append(r["data"])
        self.ssl_policies = {compute_id(r["data"].get("selfLink")): r["data"]
                             for r in self.by_type["compute.sslPolicy"]}
        # per network: enabled deny rules (cancel allows) and enabled rules by target (protect instances)
        self.denies_of: dict[str | None, list[_Rule]] = defaultdict(list)
        self.targeting: dict[tuple[str | None, TargetKey], list[str]] = defaultdict(list)
        for r in self.by_type["compute.firewall"]:
            data = r["data"]
            if not data.get("selfLink"):
                continue  # reported by the firewall normaliser
            enabled = not data.get("disabled")
            rule = _Rule(compute_id(data["selfLink"]) or "", str(data.get("name")),
                         str(data.get("direction") or "INGRESS"),
                         int(data.get("priority", DEFAULT_FIREWALL_PRIORITY)), enabled, firewall_targets(data),
                         firewall_rules(data) if enabled and data.get("denied") else [])
            net = compute_id(data.get("network"))
            if rule.denies:
                self.denies_of[net].append(rule)
            if enabled:
                for key in target_keys(rule.targets):
                    self.targeting[(net, key)].append(rule.id)

    def firewalls_for(self, network: str | None, tags: list[str], service_accounts: list[str]) -> list[str]:
        """Ids of the enabled firewall rules of ``network`` that apply to an instance."""
        keys = instance_keys(tags, service_accounts)
        return list(dict.fromkeys(fid for k in keys for fid in self.targeting.get((network, k), ())))


Out = tuple[list[Resource], list[Edge]]


def network(rec: Record, ix: _Index) -> Out:
    data, project = rec["data"], rec["project"]
    rid = compute_id(data["selfLink"]) or ""
    subnets = ix.subnets_of.get(rid, [])
    cidrs = sorted({s["ipCidrRange"] for s in subnets if s.get("ipCidrRange")} | (
        {data["IPv4Range"]} if data.get("IPv4Range") else set()))
    flow = bool(subnets) and all(_subnet_flow_logs(s) for s in subnets)
    peerings = [compute_id(p.get("network")) for p in data.get("peerings") or []]
    attrs = {"cidrs": cidrs, "is_default": data.get("name") == "default", "flow_logs": flow,
             "auto_create_subnetworks": bool(data.get("autoCreateSubnetworks")), "peerings": peerings,
             "routing_mode": (data.get("routingConfig") or {}).get("routingMode")}
    edges = [Edge(rid, p, EdgeKind.PEERS_WITH) for p in peerings if p and p in ix.networks]
    return [_resource(Kind.NETWORK, rid, "compute.v1.network", project, data, attrs)], edges


def _subnet_flow_logs(data: Mapping[str, Any]) -> bool:
    log = data.get("logConfig")
    return bool(log.get("enable")) if isinstance(log, Mapping) and "enable" in log else bool(data.get("enableFlowLogs"))


def subnetwork(rec: Record, ix: _Index) -> Out:
    data, project = rec["data"], rec["project"]
    rid = compute_id(data["selfLink"]) or ""
    net = compute_id(data.get("network"))
    cidrs = [data["ipCidrRange"]] if data.get("ipCidrRange") else []
    cidrs += [r["ipCidrRange"] for r in data.get("secondaryIpRanges") or [] if r.get("ipCidrRange")]
    cidrs += [c for c in (data.get("ipv6CidrRange"), data.get("externalIpv6Prefix")) if c]
    attrs = {"cidrs": cidrs, "network": net, "zone": None, "flow_logs": _subnet_flow_logs(data),
             "private_access": bool(data.get("privateIpGoogleAccess")), "purpose": data.get("purpose")}
    region, _ = _location(data)
    edges = [Edge(net, rid, EdgeKind.CONTAINS)] if net else []
    return [_resource(Kind.SUBNET, rid, "compute.v1.subnetwork", project, data, attrs, region)], edges


def firewall(rec: Record, ix: _Index) -> Out:
    """One GCP firewall rule as a ``firewall`` resource holding everything that decides its effect.

    Its ``rules`` are its own entries, the other enabled *deny* rules of the network at the same or a
    higher priority whose targets cover all of its targets (tagged ``from_rule``; a deny wins a tie),
    and the network's implied rules. So "does this rule let the internet in?" is answered by the
    generic firewall logic without knowing GCP.
    """
    data, project = rec["data"], rec["project"]
    rid = compute_id(data["selfLink"]) or ""
    net = compute_id(data.get("network"))
    targets = firewall_targets(data)
    own = firewall_rules(data)
    priority = int(data.get("priority", DEFAULT_FIREWALL_PRIORITY))
    direction = str(data.get("direction") or "INGRESS")
    cancelling = [{**entry, "from_rule": other.name} for other in ix.denies_of.get(net, [])
                  if other.id != rid and other.direction == direction and other.priority <= priority
                  and _covers(other.targets, targets) for entry in other.denies]
    network_data = ix.networks.get(net) or {}
    attrs = {"layer": "instance", "stateful": True, "is_default": network_data.get("name") == "default"
             if network_data else _last(data.get("network")) == "default",
             "network": net, "rules": cancelling + own + implied_firewall_rules(),
             "targets": targets, "disabled": bool(data.get("disabled")), "direction": direction.lower(),
             "priority": priority, "logging": bool((data.get("logConfig") or {}).get("enable"))}
    return [_resource(Kind.FIREWALL, rid, "compute.v1.firewall", project, data, attrs)], []


def instance(rec: Record, ix: _Index) -> Out:
    data, project = rec["data"], rec["project"]
    rid = compute_id(data["selfLink"]) or ""
    region, zone = _location(data)
    nics = data.get("networkInterfaces") or []
    public = [ac["natIP"] for n in nics for ac in n.get("accessConfigs") or [] if ac.get("natIP")]
    public += [ac["externalIpv6"] for n in nics for ac in n.get("ipv6AccessConfigs") or [] if ac.get("externalIpv6")]
    tags = list((data.get("tags") or {}).get("items") or [])
    sas = [sa["email"] for sa in data.get("serviceAccounts") or [] if sa.get("email")]
    subnets = [compute_id(n.get("subnetwork")) for n in nics if n.get("subnetwork")]
    disks = [compute_id(d.get("source")) for d in data.get("disks") or [] if d.get("source")]
    attrs = {"public_ips": public, "private_ips": [n["networkIP"] for n in nics if n.get("networkIP")],
             "network_tags": tags, "service_accounts": sas, "subnet": subnets[0] if subnets else None,
             "networks": [compute_id(n.get("network")) for n in nics], "image": None,
             "role": (data.get("labels") or {}).get("role"), "zone": zone, "status": data.get("status"),
             "disks": disks, "can_ip_forward": bool(data.get("canIpForward"))}
    edges = [Edge(s, rid, EdgeKind.CONTAINS) for s in subnets if s]
    edges += [Edge(d, rid, EdgeKind.ATTACHED_TO) for d in disks if d]
    for net in dict.fromkeys(compute_id(n.get("network")) for n in nics):
        edges += [Edge(rid, fid, EdgeKind.PROTECTED_BY) for fid in ix.firewalls_for(net, tags, sas)]
    return [_resource(Kind.COMPUTE, rid, "compute.v1.instance", project, data, attrs, region)], edges


def disk(rec: Record, ix: _Index) -> Out:
    data, project = rec["data"], rec["project"]
    rid = compute_id(data["selfLink"]) or ""
    region, zone = _location(data)
    native = "compute.v1.disk" if zone else "compute.v1.regionDisk"
    key = data.get("diskEncryptionKey") or {}
    enc = _encryption(key.get("kmsKeyName"), native, customer_supplied=bool(key.get("sha256")))
    attrs = {"store_type": "disk", "encryption": enc, "public": False, "zone": zone,
             "size_gb": int(data["sizeGb"]) if data.get("sizeGb") else None,
             "attached_to": [compute_id(u) for u in data.get("users") or []]}
    edges = [Edge(rid, enc["key_id"], EdgeKind.ENCRYPTED_BY)] if enc["key_id"] else []
    return [_resource(Kind.DATASTORE, rid, native, project, data, attrs, region)], edges


def ssl_policy(rec: Record, ix: _Index) -> Out:
    data, project = rec["data"], rec["project"]
    rid = compute_id(data["selfLink"]) or ""
    entry = _ssl_policy_entry(data)
    tls = _tls_from(entry, data.get("name"))
    attrs = {"profile": data.get("profile") or "COMPATIBLE", "min_version": tls["min_version"],
             "versions": tls["versions"], "ciphers": tls["ciphers"],
             "min_tls_version_setting": data.get("minTlsVersion") or None,
             "source": entry["source"] if entry else None}
    region, _ = _location(data)
    return [_resource(Kind.TLS_POLICY, rid, "compute.v1.sslPolicy", project, data, attrs, region)], []


def _proxy(native: str, protocol: str) -> Callable[[Record, _Index], Out]:
    def normalise_proxy(rec: Record, ix: _Index) -> Out:
        """A target HTTPS/SSL proxy: where the load balancer terminates TLS (no policy -> GCP default)."""
        data, project = rec["data"], rec["project"]
        rid = compute_id(data["selfLink"]) or ""
        policy_id = compute_id(data.get("sslPolicy"))
        edges: list[Edge] = []
        if policy_id:
            policy = ix.ssl_policies.get(policy_id)
            tls = _tls_from(_ssl_policy_entry(policy) if policy else None, _last(data["sslPolicy"]))
            tls["default_policy"] = False
            edges.append(Edge(rid, policy_id, EdgeKind.USES_POLICY))
        else:
            entry = knowledge.default_tls_policy("gcp", "gcp_ssl_policy")
            tls = _tls_from(entry, entry["name"] if entry else None)
            tls["default_policy"] = True
        attrs = {"protocol": protocol, "port": None, "tls": tls, "redirects_to_https": False,
                 "load_balancer": None,
                 "certificates": [compute_id(c) for c in data.get("sslCertificates") or []],
                 "url_map": compute_id(data.get("urlMap")), "backend_service": compute_id(data.get("service"))}
        region, _ = _location(data)
        return [_resource(Kind.LISTENER, rid, native, project, data, attrs, region)], edges

    return normalise_proxy


def crypto_key(rec: Record, ix: _Index) -> Out:
    data, project = rec["data"], rec["project"]
    rid = kms_key_id(data["name"]) or ""
    template = data.get("versionTemplate") or {}
    purpose = data.get("purpose") or "ENCRYPT_DECRYPT"
    spec = knowledge.key_spec("gcp", template.get("algorithm") or "", "kms") or {}
    period = _days(data.get("rotationPeriod"))
    primary = data.get("primary") or {}
    parts = data["name"].split("/")
    attrs = {"manager": "customer", "algorithm": spec.get("algorithm"), "bits": spec.get("bits"),
             "usage": gcp_kms.key_usage(purpose), "purpose": purpose,
             "spec": template.get("algorithm"),
             "rotation": {"enabled": period is not None, "period_days": period,
                          "next": data.get("nextRotationTime"),
                          "supported": purpose in gcp_kms.AUTO_ROTATION_PURPOSES},
             "enabled": primary.get("state") == "ENABLED" if primary else None, "expires": None,
             "protection": gcp_kms.protection(template.get("protectionLevel")),
             "key_ring": "/".join(parts[:6])}
    return [_resource(Kind.KEY, rid, "cloudkms.v1.cryptoKey", project, {**data, "name": parts[-1]}, attrs,
                      parts[3] if len(parts) > 3 else "")], []


def bucket(rec: Record, ix: _Index) -> Out:
    data, project = rec["data"], rec["project"]
    rid = bucket_id(data["name"])
    enc = _encryption(data.get("defaultKmsKeyName"), "storage.v1.bucket")
    pap = data.get("publicAccessPrevention")
    attrs = {"store_type": "object_storage", "encryption": enc,
             # public access is decided by IAM, which is not read: only "enforced" prevention proves private
             "public": False if pap == "enforced" else UNKNOWN,
             "uniform_access": bool(data.get("uniformBucketLevelAccess")), "public_access_prevention": pap,
             "versioning": bool(data.get("versioning")), "storage_class": data.get("storageClass")}
    edges = [Edge(rid, enc["key_id"], EdgeKind.ENCRYPTED_BY)] if enc["key_id"] else []
    return [_resource(Kind.DATASTORE, rid, "storage.v1.bucket", project, data, attrs,
                      str(data.get("location") or "").lower())], edges


def sql_instance(rec: Record, ix: _Index) -> Out:
    data, project = rec["data"], rec["project"]
    rid = sql_id(project, data["name"])
    settings = data.get("settings") or {}
    ip = settings.get("ipConfiguration") or {}
    mode = ip.get("sslMode")
    tls_required = SSL_MODE_REQUIRES_TLS.get(mode, bool(ip.get("requireSsl"))) if mode else bool(
        ip.get("requireSsl"))
    networks = [n.get("value") for n in ip.get("authorizedNetworks") or [] if n.get("value")]
    ipv4 = bool(ip.get("ipv4Enabled"))
    backup = settings.get("backupConfiguration") or {}
    retained = (backup.get("backupRetentionSettings") or {}).get("retainedBackups")
    version = str(data.get("databaseVersion") or "")
    key = (data.get("diskEncryptionConfiguration") or {}).get("kmsKeyName")
    enc = _encryption(key, "sqladmin.v1.instance")
    attrs = {"store_type": "database", "encryption": enc,
             "public": ipv4 and any(n in DEFAULT_ROUTES for n in networks),
             "public_ip": ipv4, "authorized_networks": networks,
             "public_ips": [a["ipAddress"] for a in data.get("ipAddresses") or [] if a.get("type") == "PRIMARY"],
             "transport": {"tls_required": tls_required, "min_tls_version": None, "ssl_mode": mode},
             # automated backups are daily, so N retained backups cover about N days
             "backup": {"enabled": bool(backup.get("enabled")),
                        "retention_days": int(retained) if retained and backup.get("enabled") else None,
                        "point_in_time_recovery": bool(backup.get("pointInTimeRecoveryEnabled")
                                                       or backup.get("binaryLogEnabled"))},
             "multi_az": settings.get("availabilityType") == "REGIONAL",
             "engine": version.split("_", 1)[0].lower() or None, "engine_version": version or None,
             "tier": settings.get("tier")}
    edges = [Edge(rid, enc["key_id"], EdgeKind.ENCRYPTED_BY)] if enc["key_id"] else []
    return [_resource(Kind.DATASTORE, rid, "sqladmin.v1.instance", project, data, attrs,
                      str(data.get("region") or ""))], edges


NORMALISERS: dict[str, Callable[[Record, _Index], Out]] = {
    "compute.network": network,
    "compute.subnetwork": subnetwork,
    "compute.firewall": firewall,
    "compute.instance": instance,
    "compute.disk": disk,
    "compute.sslPolicy": ssl_policy,
    "compute.targetHttpsProxy": _proxy("compute.v1.targetHttpsProxy", "https"),
    "compute.targetSslProxy": _proxy("compute.v1.targetSslProxy", "tls"),
    "kms.cryptoKey": crypto_key,
    "storage.bucket": bucket,
    "sqladmin.instance": sql_instance,
}
"""Raw record type -> pure normaliser. Key rings carry no attributes of their own (keys name theirs)."""


def normalise(records: Iterable[Record]) -> tuple[list[Resource], list[Edge], list[Gap]]:
    """Turn raw records into resources and edges; a record that cannot be read becomes a gap."""
    records = list(records)
    ix = _Index(records)
    resources: list[Resource] = []
    edges: list[Edge] = []
    gaps: list[Gap] = []
    for rec in records:
        fn = NORMALISERS.get(rec["type"])
        if fn is None:
            continue
        try:
            res, eds = fn(rec, ix)
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            name = str((rec.get("data") or {}).get("name", "?"))
            gaps.append(Gap("gcp", f"cannot normalise {rec['type']} {name}: {type(e).__name__}: {e}",
                            "normalise_error", service=rec["type"].split(".")[0], account=rec.get("project", ""),
                            target=name))
            continue
        resources += res
        edges += eds
    return resources, edges, gaps
