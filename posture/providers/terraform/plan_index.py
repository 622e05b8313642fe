"""Planned resources and the read-only index the normalisers read; the field checker of the plan loader."""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from posture.errors import InputError
from posture.model import get_path


# ----------------------------------------------------------------------------------------------------------
# raw resources and the read-only index handed to normalisers
# ----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RawResource:
    """One resource instance as it will be after apply (sensitive values already removed).

    ``values`` is a plain nested dict/list structure in which unknown-at-plan-time values are
    :data:`UNKNOWN`. ``refs`` maps an attribute path (``bucket``, ``rule.0.kms_master_key_id`` and the same
    path without list indices) to the resource addresses its configuration expression references.
    ``configured`` holds the attribute paths that appear in the configuration at all.
    """

    address: str
    type: str
    name: str
    mode: str
    module: str
    index: Any
    values: dict[str, Any]
    provider: str
    provider_key: str
    refs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    configured: frozenset[str] | None = None

    def get(self, path: str, default: Any = None) -> Any:
        """Read a dotted path (``viewer_certificate.0.minimum_protocol_version``); UNKNOWN propagates."""
        return get_path(self.values, path, default)

    def is_configured(self, path: str) -> bool | None:
        """Whether the configuration sets ``path`` (None when the plan has no configuration)."""
        if self.configured is None:
            return None
        return path in self.configured


_REF_RE = re.compile(
    r"^(?P<data>data\.)?(?P<type>[a-z][a-z0-9_]*)\.(?P<name>[A-Za-z_][A-Za-z0-9_-]*)(?P<index>\[[^\]]*\])?"
)
_MODULE_REF_RE = re.compile(
    r"^module\.(?P<call>[A-Za-z_][A-Za-z0-9_-]*)(?P<key>\[[^\]]*\])?(?:\.(?P<out>[A-Za-z0-9_-]+))?"
)
_MODULE_SEG_RE = re.compile(r"module\.([A-Za-z_][A-Za-z0-9_-]*)(\[[^\]]*\])?")
_NON_RESOURCE_ROOTS = {"var", "local", "module", "each", "count", "path", "self", "terraform"}


@functools.lru_cache(maxsize=1 << 16)
def split_address(address: str) -> tuple[str, str, str, str]:
    """``module.a["k"].aws_s3_bucket.b[0]`` -> (module prefix, mode, type, name without index)."""
    module = ""
    rest = address
    while True:
        m = _MODULE_SEG_RE.match(rest)
        if not m or not rest[m.end() :].startswith("."):
            break
        module = f"{module}.{m.group(0)}" if module else m.group(0)
        rest = rest[m.end() + 1 :]
    mode = "managed"
    if rest.startswith("data."):
        mode, rest = "data", rest[5:]
    m = _REF_RE.match(rest)
    if not m:
        return module, mode, "", rest
    return module, mode, m.group("type"), m.group("name")


def address_type(address: str) -> str:
    """The resource type of an address (``module.x.aws_vpc.v[0]`` -> ``aws_vpc``)."""
    return split_address(address)[2]


def _config_path(module_instance: str) -> str:
    """Module instance path without instance keys: ``module.a["x"].module.b`` -> ``module.a.module.b``."""
    return ".".join(f"module.{m.group(1)}" for m in _MODULE_SEG_RE.finditer(module_instance))


class PlanIndex:
    """Read-only lookups over every resource of one plan (what normalisers may consult).

    Normalisers stay pure functions ``(raw, index) -> resources/edges``: they never mutate the index.
    """

    def __init__(self, raws: Iterable[RawResource], origin: str, meta: Mapping[str, Any], regions: Mapping[str, dict]):
        self.origin = origin
        self.meta = meta
        self.raws: tuple[RawResource, ...] = tuple(raws)
        self.by_address: dict[str, RawResource] = {r.address: r for r in self.raws}
        self.by_type: dict[str, list[RawResource]] = defaultdict(list)
        for r in self.raws:
            if r.mode == "managed":
                self.by_type[r.type].append(r)
        self._provider_settings = regions
        self._referrers: dict[tuple[Any, ...], dict[str, list[RawResource]]] = {}
        self._literals: dict[tuple[str, ...], dict[str, list[str]]] = {}

    # -- provider configuration ---------------------------------------------------------------------------
    def provider_setting(self, raw: RawResource, key: str) -> str:
        """A literal provider block setting (``region``, ``project``...) for ``raw``, or ""."""
        settings = self._provider_settings.get(raw.provider_key) or self._provider_settings.get(raw.provider) or {}
        value = settings.get(key)
        return value if isinstance(value, str) else ""

    # -- references ----------------------------------------------------------------------------------------
    def targets(
        self, raw: RawResource, path: str, types: Iterable[str], literal_attrs: Iterable[str] = ("id",)
    ) -> list[str]:
        """Addresses of resources of ``types`` that ``raw``'s attribute ``path`` points to.

        Configuration references win; without them each literal string value (or list element) is
        matched against the ``literal_attrs`` of the plan's resources of those types.
        """
        types = tuple(types)
        found = [a for a in raw.refs.get(path, ()) if address_type(a) in types]
        if found:
            return list(dict.fromkeys(found))
        value = raw.get(path)
        literals = value if isinstance(value, list) else [value]
        out: list[str] = []
        for lit in literals:
            if isinstance(lit, str) and lit:
                out.extend(self.find_literal(types, literal_attrs, lit))
        return list(dict.fromkeys(out))

    def target(
        self, raw: RawResource, path: str, types: Iterable[str], literal_attrs: Iterable[str] = ("id",)
    ) -> str | None:
        """The single address ``path`` points to, or None when there is none or it is ambiguous."""
        found = self.targets(raw, path, types, literal_attrs)
        return found[0] if len(found) == 1 else None

    def find_literal(self, types: Iterable[str], attrs: Iterable[str], value: str) -> list[str]:
        """Addresses of managed resources of ``types`` whose ``attrs`` literally equal ``value``."""
        attrs = tuple(attrs)
        out: list[str] = []
        for t in types:
            key = (t, *attrs)
            table = self._literals.get(key)
            if table is None:  # built once per (type, attrs): lookups stay O(1) on big plans
                table = defaultdict(list)
                for r in self.by_type.get(t, ()):
                    for v in dict.fromkeys(r.values.get(a) for a in attrs):
                        if isinstance(v, str) and v:
                            table[v].append(r.address)
                self._literals[key] = table
            out.extend(table.get(value, ()))
        return out

    def referrers(
        self, address: str, types: Iterable[str], path: str, literal_attrs: Iterable[str] = ("id",)
    ) -> list[RawResource]:
        """Resources of ``types`` whose attribute ``path`` points to ``address`` (reverse of :meth:`targets`)."""
        target_type = address_type(address)
        near = self._types_near(target_type)
        key = (path, tuple(types), tuple(literal_attrs), near)
        table = self._referrers.get(key)
        if table is None:
            table = defaultdict(list)
            for t in key[1]:
                for r in self.by_type.get(t, ()):
                    for a in self.targets(r, path, near, key[2]):
                        table[a].append(r)
            self._referrers[key] = table
        return list(table.get(address, ()))

    @staticmethod
    def _types_near(target_type: str) -> tuple[str, ...]:
        # aws_lb and aws_alb are the same resource under two names; so are the default variants.
        aliases = {
            "aws_lb": ("aws_lb", "aws_alb"),
            "aws_alb": ("aws_lb", "aws_alb"),
        }
        return aliases.get(target_type, (target_type,))

    def ref_or_value(
        self, raw: RawResource, path: str, types: Iterable[str], literal_attrs: Iterable[str] = ("id",)
    ) -> Any:
        """The referenced address when known, else the literal value (an external id), UNKNOWN or None."""
        t = self.target(raw, path, types, literal_attrs)
        return t if t is not None else raw.get(path)


# ----------------------------------------------------------------------------------------------------------
# validation helpers: every field read is checked, errors name the JSON path
# ----------------------------------------------------------------------------------------------------------
_TYPE_NAMES = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number"}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return _TYPE_NAMES.get(type(value), type(value).__name__)


class _Checker:
    def __init__(self, origin: str):
        self.origin = origin

    def fail(self, path: str, message: str) -> InputError:
        return InputError(f"{path}: {message}", self.origin)

    def get(self, obj: dict, key: str, path: str, kind: type | tuple[type, ...], *, required: bool = False) -> Any:
        value = obj.get(key)
        sub = f"{path}.{key}"
        if value is None:
            if required:
                raise self.fail(sub, "missing")
            return None
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            want = kind if isinstance(kind, type) else kind[0]
            raise self.fail(sub, f"expected {_TYPE_NAMES.get(want, want.__name__)}, got {_json_type(value)}")
        return value
