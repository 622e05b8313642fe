"""Core data types: resources, edges, findings, evidence, gaps.

Everything here is frozen. Sources produce :class:`Resource` and :class:`Edge`
values, the graph holds them, rules read them and produce :class:`Finding`
values. The normalised attribute vocabulary per kind is documented in
``docs/model.md``; it is the contract between sources and rules.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import Any

from posture.redact import REDACTED, is_secret_key


class Severity(str, Enum):
    """Finding severity, ordered from most to least severe."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is more severe (critical=4 ... info=0)."""
        return _SEVERITY_RANK[self]

    def at_least(self, other: Severity) -> bool:
        """True when this severity is as severe as ``other`` or more."""
        return self.rank >= other.rank


_SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


class Category(str, Enum):
    """The fixed finding taxonomy used for filtering and accuracy measurement."""

    NETWORK_EXPOSURE = "network.exposure"
    NETWORK_SEGMENTATION = "network.segmentation"
    ENCRYPTION_AT_REST = "encryption.at_rest"
    ENCRYPTION_IN_TRANSIT = "encryption.in_transit"
    KEYS_ROTATION = "keys.rotation"
    KEYS_STRENGTH = "keys.strength"
    LOGGING_AUDIT = "logging.audit"
    RESILIENCE_BACKUP = "resilience.backup"
    IDENTITY_ACCESS = "identity.access"


class Kind(str, Enum):
    """Normalised, cross-cloud resource kinds (see docs/model.md for attributes)."""

    ACCOUNT = "account"  # account/subscription/project-wide settings
    NETWORK = "network"
    SUBNET = "subnet"
    ROUTE_TABLE = "route_table"
    GATEWAY = "gateway"
    FIREWALL = "firewall"
    INTERFACE = "interface"
    COMPUTE = "compute"
    LOAD_BALANCER = "load_balancer"
    LISTENER = "listener"
    DATASTORE = "datastore"
    KEY = "key"
    CERTIFICATE = "certificate"
    ENDPOINT = "endpoint"
    LOG_SINK = "log_sink"
    IDENTITY = "identity"
    TLS_POLICY = "tls_policy"
    CLUSTER = "cluster"  # managed Kubernetes control plane (EKS, AKS, GKE)


class EdgeKind(str, Enum):
    """Edge kinds. ``src -> dst`` reads as "src <kind> dst"."""

    CONTAINS = "contains"  # network -> subnet, subnet -> interface/compute/datastore
    ATTACHED_TO = "attached_to"  # interface -> compute, listener -> load_balancer
    PROTECTED_BY = "protected_by"  # interface/subnet/compute -> firewall
    ROUTES_TO = "routes_to"  # subnet -> route_table -> gateway
    PEERS_WITH = "peers_with"  # network <-> network
    ALLOWS = "allows"  # firewall -> resource (protocol, ports, peer)
    ENCRYPTED_BY = "encrypted_by"  # datastore/log_sink -> key
    SERVES_TLS = "serves_tls"  # listener/endpoint -> certificate
    USES_POLICY = "uses_policy"  # listener -> tls_policy
    OBSERVED_AS = "observed_as"  # listener/compute -> endpoint (live probe)
    REACHABLE_FROM_INTERNET = "reachable_from_internet"  # derived: internet -> resource


class _Unknown:
    """Sentinel for a value not known until apply (Terraform ``after_unknown``).

    Truth-testing it is an error on purpose: code must decide explicitly what
    an unknown value means instead of silently treating it as false.
    """

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        raise TypeError("UNKNOWN has no truth value; test `value is UNKNOWN` first")

    def __reduce__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()
"""The single unknown value. Serialised as ``{"$unknown": true}``."""


def kleene_and(values: Iterable[Any], unknown: Any) -> Any:
    """The one Kleene AND: False if any is False, else ``unknown`` if any is ``unknown``, else True.

    Values read from a source mark unknown with :data:`UNKNOWN`; a condition's verdict marks it with None (a rule
    could not decide). Both speak this one logic, each passing its own marker.
    """
    undecided = False
    for v in values:
        if v is False:
            return False
        if v is unknown:
            undecided = True
    return unknown if undecided else True


def kleene_or(values: Iterable[Any], unknown: Any) -> Any:
    """The one Kleene OR: True if any is True, else ``unknown`` if any is ``unknown``, else False."""
    undecided = False
    for v in values:
        if v is True:
            return True
        if v is unknown:
            undecided = True
    return unknown if undecided else False


class FrozenDict(dict):  # type: ignore[type-arg]
    """A read-only dict: JSON-serialisable and picklable, unlike MappingProxyType."""

    __slots__ = ()

    def _readonly(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("resource attributes are read-only")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _readonly  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenDict, (dict(self),))

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items(), key=lambda kv: kv[0])))


_SCALARS = frozenset({str, int, float, bool, type(None)})


def freeze(value: Any) -> Any:
    """Recursively turn dicts into FrozenDict and lists/sets into tuples.

    Values under keys that name a secret (see :mod:`posture.redact`) are replaced
    by ``<redacted>``: this is the last door before anything is stored.
    """
    t = type(value)
    if t in _SCALARS or t is FrozenDict:  # fast paths: most values are scalars (hot on big plans)
        return value
    if t is dict or isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            k = k if type(k) is str else str(k)
            if v is not None and is_secret_key(k):
                out[k] = REDACTED
            else:
                out[k] = v if type(v) in _SCALARS else freeze(v)
        return FrozenDict(out)
    if t is list or t is tuple:
        return tuple(v if type(v) in _SCALARS else freeze(v) for v in value)
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return tuple(sorted(freeze(v) for v in value))
    return value


def thaw(value: Any) -> Any:
    """Inverse of :func:`freeze`, for serialisation: plain dicts and lists.

    UNKNOWN becomes ``{"$unknown": true}``.
    """
    t = type(value)
    if t in _SCALARS:  # fast paths by exact type, as in freeze: ABC checks dominate big reports
        return value
    if t is FrozenDict or t is dict:
        return {k: v if type(v) in _SCALARS else thaw(v) for k, v in value.items()}
    if t is tuple or t is list:
        return [v if type(v) in _SCALARS else thaw(v) for v in value]
    if value is UNKNOWN:
        return {"$unknown": True}
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [thaw(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    return value


def revive(value: Any) -> Any:
    """Inverse of :func:`thaw`: restores UNKNOWN markers (used by snapshots)."""
    if isinstance(value, dict):
        if value == {"$unknown": True}:
            return UNKNOWN
        return {k: revive(v) for k, v in value.items()}
    if isinstance(value, list):
        return [revive(v) for v in value]
    return value


def revive_frozen(value: Any) -> Any:
    """``freeze(revive(value))`` in one pass, for JSON-decoded data (snapshots): the hot path of loading."""
    t = type(value)
    if t is dict:
        if len(value) == 1 and value == _UNKNOWN_MARK:
            return UNKNOWN
        return FrozenDict(
            {str(k): (REDACTED if v is not None and is_secret_key(str(k)) else revive_frozen(v))
             for k, v in value.items()}
        )
    if t is list:
        return tuple([revive_frozen(v) for v in value])
    return value if t in _SCALARS else freeze(revive(value))


_UNKNOWN_MARK = {"$unknown": True}


def get_path(attrs: Mapping[str, Any], path: str, default: Any = None) -> Any:
    """Read a dotted path (``encryption.at_rest``) from nested mappings.

    An UNKNOWN anywhere on the way yields UNKNOWN; a missing key yields ``default``.
    """
    cur: Any = attrs
    for part in _split_path(path):
        if cur is UNKNOWN:
            return UNKNOWN
        t = type(cur)
        if t is FrozenDict or t is dict or isinstance(cur, Mapping):  # exact types first: ABC checks are slow
            cur = cur.get(part, _MISSING)
            if cur is _MISSING:
                return default
        elif (t is tuple or t is list or isinstance(cur, (list, tuple))) and part.isdigit():
            idx = int(part)
            if idx >= len(cur):
                return default
            cur = cur[idx]
        else:
            return default
    return cur


_MISSING = object()


@lru_cache(maxsize=4096)
def _split_path(path: str) -> tuple[str, ...]:
    return tuple(path.split("."))


@dataclass(frozen=True, slots=True)
class Location:
    """Where a resource is declared: a file and line (plans, HCL), or neither (live)."""

    file: str | None = None
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line}


MODULE_KNOWLEDGE = " | registry module knowledge: "
"""Separates a resource's ``source`` from the registry-module knowledge entry (module, version range, why) it was
built from; the engine repeats that part in the evidence of every finding on the resource."""


SENSITIVE_HIDDEN = " | sensitive values hidden"
"""Appended to the ``source`` of an HCL resource some of whose values came from sensitive variables or outputs
(:mod:`posture.providers.terraform.hcl_sensitive`): they read as unknown, and "cannot verify" findings say why."""


def module_knowledge(source: str) -> str | None:
    """The registry-module knowledge a resource was built from (see :data:`MODULE_KNOWLEDGE`), or None."""
    _, sep, note = source.partition(MODULE_KNOWLEDGE)
    return note if sep else None


@dataclass(frozen=True, slots=True)
class Resource:
    """One normalised resource.

    ``id`` is the ARN / Azure resource id / GCP full name for live sources and
    the Terraform address for plans. ``attrs`` follow the per-kind vocabulary
    in docs/model.md and are deep-frozen on construction.
    """

    id: str
    kind: str
    native_type: str
    provider: str
    name: str = ""
    account: str = ""
    region: str = ""
    tags: Mapping[str, str] = field(default_factory=FrozenDict)
    attrs: Mapping[str, Any] = field(default_factory=FrozenDict)
    source: str = ""
    location: Location | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", str(getattr(self.kind, "value", self.kind)))
        if not isinstance(self.attrs, FrozenDict):
            object.__setattr__(self, "attrs", freeze(self.attrs))
        if not isinstance(self.tags, FrozenDict):
            object.__setattr__(self, "tags", freeze(self.tags))

    def get(self, path: str, default: Any = None) -> Any:
        """Read a dotted attribute path; see :func:`get_path`."""
        return get_path(self.attrs, path, default)

    def to_dict(self) -> dict[str, Any]:
        """Full serialisation (used by snapshots)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "native_type": self.native_type,
            "provider": self.provider,
            "name": self.name,
            "account": self.account,
            "region": self.region,
            "tags": thaw(self.tags),
            "attrs": thaw(self.attrs),
            "source": self.source,
            "location": self.location.to_dict() if self.location else None,
        }

    def ref(self) -> dict[str, Any]:
        """The short reference carried by findings in reports."""
        return {
            "id": self.id,
            "kind": self.kind,
            "native_type": self.native_type,
            "provider": self.provider,
            "account": self.account,
            "region": self.region,
            "name": self.name,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Resource:
        loc = data.get("location")
        return cls(
            id=data["id"],
            kind=data["kind"],
            native_type=data.get("native_type", ""),
            provider=data.get("provider", ""),
            name=data.get("name", ""),
            account=data.get("account", ""),
            region=data.get("region", ""),
            tags=data.get("tags") or {},
            attrs=revive_frozen(data.get("attrs") or {}),
            source=data.get("source", ""),
            location=Location(loc.get("file"), loc.get("line")) if loc else None,
        )


@dataclass(frozen=True, slots=True)
class Edge:
    """A directed edge between two resource ids, resolved when the graph is built."""

    src: str
    dst: str
    kind: str
    attrs: Mapping[str, Any] = field(default_factory=FrozenDict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", str(getattr(self.kind, "value", self.kind)))
        if not isinstance(self.attrs, FrozenDict):
            object.__setattr__(self, "attrs", freeze(self.attrs))

    def to_dict(self) -> dict[str, Any]:
        return {"src": self.src, "dst": self.dst, "kind": self.kind, "attrs": thaw(self.attrs)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Edge:
        return cls(data["src"], data["dst"], data["kind"], revive_frozen(data.get("attrs") or {}))


@dataclass(frozen=True, slots=True)
class Gap:
    """Something that could not be read or resolved: a coverage gap, never a silent pass."""

    source: str  # "aws", "terraform", "graph", "rule", ...
    reason: str  # one line, human readable
    code: str = ""  # AccessDenied, dangling_reference, unknown_module, ...
    service: str = ""
    region: str = ""
    account: str = ""
    target: str = ""  # resource id, file, endpoint ... that the gap is about

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "reason": self.reason,
            "code": self.code,
            "service": self.service,
            "region": self.region,
            "account": self.account,
            "target": self.target,
            "class": self.gap_class.value,
        }

    @property
    def gap_class(self) -> GapClass:
        """``input_not_read`` or ``value_unknown`` (see :data:`GAP_CLASSES`)."""
        return gap_class(self.code)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Gap:
        return cls(**{k: data.get(k, "") for k in cls.__dataclass_fields__})


class GapClass(str, Enum):
    """What a coverage gap means for a verdict.

    ``input_not_read``: part of the input was never looked at (a file that does not parse or cannot be read,
    a module not on disk, a refused/unresolvable/timed-out probe target, an API call that was denied or
    throttled, a crashed rule). A verdict over such input is not a verdict: under ``--gaps fail`` it fails
    the gate. ``value_unknown``: the input was read but a value in it is not known (known only after apply,
    a reference to something outside the scanned input, a value the API does not expose); the rules that
    needed it report "cannot verify" findings and the gate is not failed by the gap itself.
    """

    INPUT_NOT_READ = "input_not_read"
    VALUE_UNKNOWN = "value_unknown"


GAP_CLASSES: Mapping[str, GapClass] = {
    # files and modules (scan terraform)
    "hcl_parse_error": GapClass.INPUT_NOT_READ,
    "tf_json_parse_error": GapClass.INPUT_NOT_READ,
    "unreadable_file": GapClass.INPUT_NOT_READ,
    "limit_exceeded": GapClass.INPUT_NOT_READ,  # a file or block over a resource limit (docs/inputs.md): not read
    "unknown_module": GapClass.INPUT_NOT_READ,
    "unknown_module_version": GapClass.INPUT_NOT_READ,
    "module_not_found": GapClass.INPUT_NOT_READ,
    "circular_module": GapClass.INPUT_NOT_READ,
    "normalise_error": GapClass.INPUT_NOT_READ,
    "duplicate_id": GapClass.INPUT_NOT_READ,  # the second description was dropped unread
    "unresolved_count": GapClass.VALUE_UNKNOWN,  # checked as one instance with an unknown count.index
    "unresolved_for_each": GapClass.VALUE_UNKNOWN,
    "sensitive_for_each": GapClass.VALUE_UNKNOWN,  # Terraform refuses it; checked as one instance with unknown keys
    "sensitive_value": GapClass.VALUE_UNKNOWN,  # from a sensitive variable/output: never read, reads as unknown
    "dangling_reference": GapClass.VALUE_UNKNOWN,  # the other end lies outside the scanned input
    # evaluation
    "enricher_error": GapClass.INPUT_NOT_READ,
    "rule_error": GapClass.INPUT_NOT_READ,
    # collection tasks and live APIs (API error codes not listed here, e.g. AccessDenied, are input_not_read)
    "timeout": GapClass.INPUT_NOT_READ,
    "not_implemented": GapClass.VALUE_UNKNOWN,  # the endpoint does not offer the call: the value is not exposed
    "SubscriptionDisabled": GapClass.INPUT_NOT_READ,
    # probe targets (probe tls, external)
    "out_of_scope": GapClass.INPUT_NOT_READ,
    "unresolvable": GapClass.INPUT_NOT_READ,
    "target_timeout": GapClass.INPUT_NOT_READ,
    "probe_error": GapClass.INPUT_NOT_READ,
    "scan_command_error": GapClass.INPUT_NOT_READ,
    "no_response": GapClass.INPUT_NOT_READ,
    "connection_refused": GapClass.INPUT_NOT_READ,
    "connection_reset": GapClass.INPUT_NOT_READ,
    "connection_failed": GapClass.INPUT_NOT_READ,
    "connection_closed": GapClass.INPUT_NOT_READ,
    "connection_rejected": GapClass.INPUT_NOT_READ,
    "not_tls": GapClass.INPUT_NOT_READ,
    "tls_handshake_timeout": GapClass.INPUT_NOT_READ,
    "tls_handshake_failed": GapClass.INPUT_NOT_READ,
    # --from-graph: a listener the graph gives no public address or name for (nothing to probe, nothing refused)
    "no_public_address": GapClass.VALUE_UNKNOWN,
}
"""Every gap code posture emits, by class (a test walks the code base for codes missing here). Codes that come
from a cloud API (AccessDenied, AuthorizationFailed, 403, Throttling ...) are not listed: an unlisted code is
``input_not_read``, so a new failure fails closed."""


def gap_class(code: str) -> GapClass:
    """The class of a gap code (unlisted codes: :attr:`GapClass.INPUT_NOT_READ`)."""
    return GAP_CLASSES.get(code, GapClass.INPUT_NOT_READ)


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a finding was raised: what was observed, what was expected, and the proof path."""

    observed: Any = None
    expected: Any = None
    path: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=FrozenDict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "observed", freeze(self.observed))
        object.__setattr__(self, "expected", freeze(self.expected))
        object.__setattr__(self, "path", tuple(self.path))
        if not isinstance(self.details, FrozenDict):
            object.__setattr__(self, "details", freeze(self.details))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"observed": thaw(self.observed), "expected": thaw(self.expected)}
        if self.path:
            out["path"] = list(self.path)
        if self.details:
            out["details"] = thaw(self.details)
        return out


def fingerprint(rule_id: str, resource_id: str, discriminator: str = "") -> str:
    """Stable identity of a finding: rule id + resource id + declared discriminator.

    Never severity, message, line numbers or timestamps, so baselines,
    suppressions, history and tickets survive reformatting and re-scans.
    """
    raw = "\x1f".join((rule_id, resource_id, discriminator))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule violation (or, with ``unverified``, one check that could not be decided)."""

    rule_id: str
    title: str
    severity: Severity
    category: Category
    resource: Resource
    message: str
    evidence: Evidence
    remediation: str = ""
    controls: tuple[str, ...] = ()
    location: Location | None = None
    discriminator: str = ""
    unverified: bool = False
    status: str = "open"  # open | suppressed | baselined
    status_reason: str = ""
    fingerprint: str = ""

    def __post_init__(self) -> None:
        if not self.fingerprint:
            object.__setattr__(
                self, "fingerprint", fingerprint(self.rule_id, self.resource.id, self.discriminator)
            )
        if self.location is None and self.resource.location is not None:
            object.__setattr__(self, "location", self.resource.location)

    @property
    def sort_key(self) -> tuple[int, str, str, str]:
        return (-self.severity.rank, self.rule_id, self.resource.id, self.discriminator)

    def to_dict(self) -> dict[str, Any]:
        loc = self.location or Location()
        out: dict[str, Any] = {
            "rule_id": self.rule_id,
            "title": self.title,
            "severity": self.severity.value,
            "category": self.category.value,
            "resource": self.resource.ref(),
            "message": self.message,
            "evidence": self.evidence.to_dict(),
            "remediation": self.remediation,
            "controls": list(self.controls),
            "location": loc.to_dict(),
            "fingerprint": self.fingerprint,
            "unverified": self.unverified,
            "status": self.status,
        }
        if self.discriminator:
            out["discriminator"] = self.discriminator
        if self.status_reason:
            out["status_reason"] = self.status_reason
        return out


def sorted_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Deterministic report order: severity, then rule, resource, discriminator."""
    return tuple(sorted(findings, key=lambda f: f.sort_key))


@dataclass(frozen=True, slots=True)
class Inventory:
    """What a source produced: resources, id-based edges, coverage gaps, and metadata.

    Every source (plan, HCL, cloud collector, snapshot, probe) returns one of these;
    inventories from several sources can be merged before the graph is built.
    """

    resources: tuple[Resource, ...] = ()
    edges: tuple[Edge, ...] = ()
    gaps: tuple[Gap, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=FrozenDict)

    def merge(self, other: Inventory) -> Inventory:
        meta = dict(self.meta)
        meta.update(other.meta)
        return Inventory(
            self.resources + other.resources, self.edges + other.edges, self.gaps + other.gaps, freeze(meta)
        )
