"""Shared pieces of the AWS normalisers: the record index, output builder, ids, encryption, keys.

Normalisers are pure: they read raw batches (plain dicts) and produce Resources and Edges in
the vocabulary of docs/model.md. Nothing here calls AWS.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from posture import knowledge
from posture.knowledge.network import protocol_name
from posture.model import UNKNOWN, Edge, EdgeKind, Kind, Resource
from posture.providers.kit.ports import ALL_PORTS

SOURCE = "aws"



class Index:
    """Raw records by type, which (type, account, region) lists were read, and lookups across them."""

    def __init__(self, batches: Iterable[Mapping[str, Any]]) -> None:
        self.by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.read_ok: set[tuple[str, str, str]] = set()
        self.tasks: set[tuple[str, str]] = set()
        for batch in batches:
            self.tasks.add((batch["task"], batch["account"]))
            for rtype, items in batch["records"].items():
                self.by_type[rtype].extend(items)
                self.read_ok.add((rtype, batch["account"], batch["region"]))
        self._keys: dict[str, dict[str, Any]] | None = None
        self._aliases: dict[tuple[str, str, str], str] | None = None

    def records(self, rtype: str) -> list[dict[str, Any]]:
        return self.by_type.get(rtype, [])

    def was_read(self, rtype: str, rec: Mapping[str, Any]) -> bool:
        """True when the list of ``rtype`` was read in ``rec``'s account and region."""
        return (rtype, rec["_account"], rec["_region"]) in self.read_ok

    def by(self, rtype: str, field: str) -> dict[tuple[str, str, Any], dict[str, Any]]:
        """Records of ``rtype`` keyed by (account, region, record[field])."""
        return {(r["_account"], r["_region"], r.get(field)): r for r in self.records(rtype)}

    # -- KMS lookups ---------------------------------------------------------------------------
    def key_record(self, arn: str) -> dict[str, Any] | None:
        if self._keys is None:
            self._keys = {k["Arn"]: k for k in self.records("kms.key") if k.get("Arn")}
        return self._keys.get(arn)

    def resolve_key(self, key: str | None, account: str, region: str) -> str | None:
        """A KMS key ARN for any reference form: key ARN, key id, alias name or alias ARN."""
        if not key:
            return None
        if self._aliases is None:
            self._aliases = {(a["_account"], a["_region"], a["AliasName"]): a["TargetKeyId"]
                             for a in self.records("kms.alias") if a.get("TargetKeyId")}
        parts = key.split(":")
        if key.startswith("arn:") and len(parts) >= 6:
            partition, region, account, resource = parts[1], parts[3], parts[4], ":".join(parts[5:])
            if resource.startswith("key/"):
                return key
            target = self._aliases.get((account, region, resource))
            return f"arn:{partition}:kms:{region}:{account}:key/{target}" if target else key
        if key.startswith("alias/"):
            target = self._aliases.get((account, region, key))
            return arn("kms", region, account, f"key/{target}") if target else arn("kms", region, account, key)
        return arn("kms", region, account, f"key/{key}")

    def key_manager(self, key_arn: str, original: str | None = None) -> Any:
        """``customer`` | ``provider`` for a key, UNKNOWN when the key was not read."""
        rec = self.key_record(key_arn)
        if rec is not None:
            return "provider" if rec.get("KeyManager") == "AWS" else "customer"
        if (original or "").split(":")[-1].startswith("alias/aws/") or ":alias/aws/" in key_arn:
            return "provider"
        return UNKNOWN


class Out:
    """Collects resources and edges; an edge is only emitted once."""

    def __init__(self) -> None:
        self.resources: list[Resource] = []
        self.edges: dict[tuple[str, str, str], Edge] = {}

    def add(self, rec: Mapping[str, Any], rid: str, kind: Kind, native_type: str, attrs: dict[str, Any], *,
            name: str | None = None, tags: Mapping[str, str] | None = None, region: str | None = None) -> str:
        self.resources.append(Resource(
            id=rid, kind=kind, native_type=native_type, provider="aws", name=name or rid.rsplit("/", 1)[-1],
            account=rec.get("_account", ""), region=region if region is not None else rec.get("_region", ""),
            tags=dict(tags or {}), attrs=attrs, source=SOURCE,
        ))
        return rid

    def edge(self, src: str | None, dst: str | None, kind: EdgeKind, **attrs: Any) -> None:
        if src and dst:
            self.edges.setdefault((src, dst, kind.value), Edge(src, dst, kind, attrs))


def arn(service: str, region: str, account: str, resource: str) -> str:
    """An ARN in the region's partition."""
    partition = "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"
    return f"arn:{partition}:{service}:{region}:{account}:{resource}"


def ec2_arn(rec: Mapping[str, Any], kind: str, ident: str) -> str:
    """ARN of an EC2 resource of ``kind`` (vpc, subnet, security-group ...) in ``rec``'s account/region."""
    return arn("ec2", rec["_region"], rec["_account"], f"{kind}/{ident}")


def ec2_ref(rec: Mapping[str, Any], kind: str, ident: str | None) -> str | None:
    """Like :func:`ec2_arn` for an optional reference (``None`` stays ``None``)."""
    return ec2_arn(rec, kind, ident) if ident else None


def tags_of(rec: Mapping[str, Any], key: str = "Tags") -> dict[str, str]:
    tags = rec.get(key) or []
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    return {t["Key"]: t.get("Value", "") for t in tags if "Key" in t}


def name_tag(rec: Mapping[str, Any], fallback: str) -> str:
    return tags_of(rec).get("Name") or fallback


def protocol(value: Any) -> str:
    return protocol_name(str(value).lower())


def ports(proto: str, lo: Any, hi: Any) -> list[list[int]]:
    """Normalised port ranges; -1/absent means every port for tcp/udp/all, none for ICMP."""
    if proto == "all":
        return ALL_PORTS
    if proto in ("icmp", "icmpv6"):
        return []
    if lo is None or lo == -1 or hi is None:
        return ALL_PORTS
    return [[int(lo), int(hi)]]


# -- encryption ----------------------------------------------------------------------------------
def encryption(at_rest: Any, *, algorithm: Any = None, key_id: Any = None, key_manager: Any = None,
               basis: Any = None, default_source: Any = None) -> dict[str, Any]:
    """The normalised ``encryption`` object (docs/model.md, ``datastore``)."""
    return {"at_rest": at_rest, "algorithm": algorithm, "key_id": key_id, "key_manager": key_manager,
            "basis": basis, "default_source": default_source}


def unread_encryption() -> dict[str, Any]:
    """The encryption setting could not be read: unknown, never assumed."""
    return encryption(UNKNOWN)


def not_encrypted() -> dict[str, Any]:
    """Observed: the store is not encrypted at rest."""
    return encryption(False, basis="explicit")


def provider_default(native_type: str) -> dict[str, Any]:
    """Encryption by the provider's documented default for ``native_type`` (knowledge table)."""
    entry = knowledge.encryption_default(native_type)
    if entry is None:
        return unread_encryption()
    if entry.get("at_rest") is False:
        return encryption(False, basis="provider_default", default_source=entry["id"])
    return encryption(entry.get("at_rest", UNKNOWN), algorithm=entry.get("algorithm"),
                      key_manager=entry.get("key_manager") or "provider", basis="provider_default",
                      default_source=entry["id"])


def kms_encryption(idx: Index, out: Out, src: str, key: str | None, account: str, region: str
                   ) -> dict[str, Any]:
    """Encrypted under a KMS key (``None`` key: the service's AWS managed key); adds ``encrypted_by``."""
    key_arn = idx.resolve_key(key, account, region)
    if key_arn is None:
        return encryption(True, algorithm="AES-256", key_manager="provider", basis="explicit")
    out.edge(src, key_arn, EdgeKind.ENCRYPTED_BY)
    rec = idx.key_record(key_arn)
    algorithm = "AES-256"
    if rec is not None:
        spec = knowledge.key_spec("aws", rec.get("KeySpec") or "SYMMETRIC_DEFAULT", "kms")
        algorithm = spec["algorithm"] if spec else UNKNOWN
    return encryption(True, algorithm=algorithm, key_id=key_arn, key_manager=idx.key_manager(key_arn, key),
                      basis="explicit")


# -- TLS -----------------------------------------------------------------------------------------
def tls_from_knowledge(policy: str | None, family: str) -> dict[str, Any]:
    """``tls`` for a named policy from the knowledge table (versions UNKNOWN for an unknown name)."""
    entry = knowledge.tls_policy("aws", policy, family) if policy else knowledge.default_tls_policy("aws", family)
    if entry is None:
        return {"policy": policy, "min_version": UNKNOWN, "versions": UNKNOWN, "ciphers": UNKNOWN}
    return {"policy": entry["name"], "min_version": entry["min_version"], "versions": entry["versions"],
            "ciphers": entry["ciphers"] if entry["ciphers"] is not None else UNKNOWN, "policy_source": "knowledge"}


def tls_from_live(policy: str, protocols: Iterable[str], ciphers: Iterable[str]) -> dict[str, Any] | None:
    """``tls`` from a policy as the API describes it (live data wins over the table)."""
    versions = sorted({v for v in (knowledge.normalise_tls_version(p) for p in protocols) if v},
                      key=knowledge.tls_version_key)
    if not versions:
        return None
    return {"policy": policy, "min_version": versions[0], "versions": versions, "ciphers": list(ciphers),
            "policy_source": "api"}
