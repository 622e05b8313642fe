"""Terraform plan JSON (``terraform show -json plan``) as a posture :class:`Inventory`.

The loader is the only place that sees the raw plan. It:

1. validates the document (format versions 0.x and 1.x; every field it reads is type-checked and a bad one
   is an :class:`InputError` naming the file and the JSON path);
2. picks the resource instances that will exist after apply (``resource_changes``, or ``planned_values``
   when there are no changes recorded) and turns ``after_unknown`` values into :data:`UNKNOWN`;
3. drops every value marked sensitive (``after_sensitive`` / ``sensitive_values``) *before* anything else
   reads the values, so a secret can never reach the graph, findings, snapshots or output;
4. builds a reference index from ``configuration`` (expression ``references``, through module variables
   and outputs) so separately configured resources are joined to what they configure even when ids are
   unknown at plan time, with literal value matching as the fallback (format 0.1 plans);
5. hands each resource to the per-provider normaliser tables in :mod:`.aws`, :mod:`.azure` and
   :mod:`.gcp` (pure functions of the resource and the read-only index).

Values under ``variables``, ``outputs``, ``prior_state`` and configuration ``constant_value`` are never
copied into the inventory (Terraform does not mark sensitivity there), with one exception: the provider
block's literal ``region``/``project``/``subscription_id``.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from posture.errors import InputError
from posture.gcpause import gc_paused
from posture.model import UNKNOWN, Edge, Gap, Inventory, Location, Resource, freeze
from posture.providers.terraform.dispatch import tables

SUPPORTED_MAJOR_VERSIONS = (0, 1)
"""Plan ``format_version`` majors understood: 0.1/0.2 (Terraform 0.12-0.15) and 1.x (Terraform 1.0+)."""

_SKIPPED_ACTIONS = (("delete",),)
_KNOWN_ACTIONS = {"no-op", "create", "read", "update", "delete", "forget"}
_PROVIDER_PREFIXES = (("aws_", "aws"), ("azurerm_", "azure"), ("google_", "gcp"))


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
        return dig(self.values, path, default)

    def is_configured(self, path: str) -> bool | None:
        """Whether the configuration sets ``path`` (None when the plan has no configuration)."""
        if self.configured is None:
            return None
        return path in self.configured


def dig(value: Any, path: str, default: Any = None) -> Any:
    """Walk a dotted path through dicts and lists; UNKNOWN anywhere on the way yields UNKNOWN."""
    cur = value
    for part in path.split("."):
        if cur is UNKNOWN:
            return UNKNOWN
        if isinstance(cur, dict):
            if part not in cur:
                return default
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit():
            i = int(part)
            if i >= len(cur):
                return default
            cur = cur[i]
        else:
            return default
    return cur


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


# ----------------------------------------------------------------------------------------------------------
# unknown and sensitive masks
# ----------------------------------------------------------------------------------------------------------
def apply_unknown(value: Any, mask: Any) -> Any:
    """Overlay an ``after_unknown`` mask: ``true`` leaves become UNKNOWN (also for keys absent in ``after``).

    Copy-on-write: containers on a path to a ``true`` leaf are copied, the rest of ``value`` is shared, so
    the cost follows the mask, not the (much larger) values, and the caller's document is never modified.
    """
    if mask is True:
        return UNKNOWN
    if isinstance(mask, dict):
        if value is not None and not isinstance(value, dict):
            return value
        base = value if value is not None else {}
        out = None if value is not None else base
        for k, m in mask.items():
            if m is True:
                new = UNKNOWN  # the common case, inlined: most masks are flat {"id": true, "arn": true}
            elif isinstance(m, (dict, list)) and k in base:
                cur = base[k]
                new = apply_unknown(cur, m)
                if new is cur:
                    continue
            else:
                continue
            if out is None:
                out = dict(base)
            out[k] = new
        return base if out is None else out
    if isinstance(mask, list) and isinstance(value, list):
        items = None
        for i, m in enumerate(mask):
            if i < len(value):
                new = apply_unknown(value[i], m)
                if new is value[i]:
                    continue
            elif m is True:
                new = UNKNOWN
            else:
                continue
            if items is None:
                items = list(value)
            if i < len(value):
                items[i] = new
            else:
                items.append(new)
        return value if items is None else items
    return value


_DROP = object()


def strip_sensitive(value: Any, mask: Any) -> Any:
    """Remove every value marked ``true`` in a sensitivity mask (dict keys dropped, list items removed).

    Copy-on-write like :func:`apply_unknown`: only containers holding a sensitive value are copied.
    """
    if mask is True:
        return _DROP
    if isinstance(mask, dict) and isinstance(value, dict):
        out = None
        for k, m in mask.items():
            if m and k in value:
                cur = value[k]
                new = strip_sensitive(cur, m)
                if new is not cur:
                    if out is None:
                        out = dict(value)
                    if new is _DROP:
                        del out[k]
                    else:
                        out[k] = new
        return value if out is None else out
    if isinstance(mask, list) and isinstance(value, list):
        changed = {}
        for i, m in enumerate(mask[: len(value)]):
            if m:
                new = strip_sensitive(value[i], m)
                if new is not value[i]:
                    changed[i] = new
        if not changed:
            return value
        return [changed.get(i, v) for i, v in enumerate(value) if changed.get(i) is not _DROP]
    return value


def _clean(values: Any, unknown: Any, sensitive: Any) -> dict[str, Any]:
    merged = apply_unknown(values if values is not None else {}, unknown)
    stripped = strip_sensitive(merged, sensitive)
    if stripped is _DROP or not isinstance(stripped, dict):
        return {}
    return stripped


# ----------------------------------------------------------------------------------------------------------
# configuration: references per resource, resolved through module variables and outputs
# ----------------------------------------------------------------------------------------------------------
def _is_expression(obj: dict) -> bool:
    return bool(obj) and set(obj) <= {"constant_value", "references"}


def _walk_expressions(exprs: Any, prefix: str, refs: dict[str, list[str]], configured: set[str]) -> None:
    if not isinstance(exprs, dict):
        return
    for key, val in exprs.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(val, dict) and (_is_expression(val) or not val):
            configured.add(path)
            r = val.get("references")
            if isinstance(r, list):
                refs[path].extend(x for x in r if isinstance(x, str))
        elif isinstance(val, dict):
            configured.add(path)
            _walk_expressions(val, path, refs, configured)
        elif isinstance(val, list):
            configured.add(path)
            for i, block in enumerate(val):
                _walk_expressions(block, f"{path}.{i}", refs, configured)
                _walk_expressions(block, path, refs, configured)


@dataclass
class _ModuleConfig:
    resources: dict[str, dict]  # "mode.type.name" -> config resource
    calls: dict[str, tuple[dict, _ModuleConfig]]  # call name -> (call config, module config)
    outputs: dict[str, list[str]]


def _read_module_config(obj: Any, path: str, chk: _Checker) -> _ModuleConfig:
    if not isinstance(obj, dict):
        raise chk.fail(path, f"expected an object, got {_json_type(obj)}")
    resources: dict[str, dict] = {}
    for i, res in enumerate(chk.get(obj, "resources", path, list) or []):
        rpath = f"{path}.resources[{i}]"
        if not isinstance(res, dict):
            raise chk.fail(rpath, f"expected an object, got {_json_type(res)}")
        rtype = chk.get(res, "type", rpath, str) or ""
        rname = chk.get(res, "name", rpath, str) or ""
        mode = chk.get(res, "mode", rpath, str) or "managed"
        chk.get(res, "expressions", rpath, dict)
        resources[f"{mode}.{rtype}.{rname}"] = res
    calls: dict[str, tuple[dict, _ModuleConfig]] = {}
    for name, call in (chk.get(obj, "module_calls", path, dict) or {}).items():
        cpath = f"{path}.module_calls.{name}"
        if not isinstance(call, dict):
            raise chk.fail(cpath, f"expected an object, got {_json_type(call)}")
        calls[name] = (call, _read_module_config(call.get("module") or {}, f"{cpath}.module", chk))
    outputs: dict[str, list[str]] = {}
    for name, out in (chk.get(obj, "outputs", path, dict) or {}).items():
        expr = out.get("expression") if isinstance(out, dict) else None
        r = expr.get("references") if isinstance(expr, dict) else None
        outputs[name] = [x for x in r if isinstance(x, str)] if isinstance(r, list) else []
    return _ModuleConfig(resources, calls, outputs)


class _Resolver:
    """Turns configuration reference strings into resource instance addresses."""

    def __init__(self, root: _ModuleConfig, instances: Iterable[str]):
        self.root = root
        self._walked: dict[int, tuple[dict[str, list[str]], frozenset[str]]] = {}
        self.instances: dict[tuple[str, str], list[str]] = defaultdict(list)  # (module inst, mode.type.name)
        modules: dict[str, None] = {}
        for addr in instances:
            module, mode, rtype, name = split_address(addr)
            self.instances[(module, f"{mode}.{rtype}.{name}")].append(addr)
            modules[module] = None
        found: dict[str, dict[str, None]] = defaultdict(dict)  # parent inst + call -> instances (ordered set)
        for module in modules:
            parent = ""
            for m in _MODULE_SEG_RE.finditer(module):
                inst = f"{parent}.{m.group(0)}" if parent else m.group(0)
                found[f"{parent}|{m.group(1)}"][inst] = None
                parent = inst
        self.module_instances: dict[str, list[str]] = {k: list(v) for k, v in found.items()}

    def expressions(self, cfg: dict) -> tuple[dict[str, list[str]], frozenset[str]]:
        """References per attribute path and the configured paths of one configuration block (walked once,
        however many ``count``/``for_each`` instances share it)."""
        walked = self._walked.get(id(cfg))
        if walked is None:
            raw_refs: dict[str, list[str]] = defaultdict(list)
            paths: set[str] = set()
            _walk_expressions(cfg.get("expressions") or {}, "", raw_refs, paths)
            walked = self._walked[id(cfg)] = (dict(raw_refs), frozenset(paths))
        return walked

    def module_config(self, module_instance: str) -> _ModuleConfig | None:
        cfg: _ModuleConfig | None = self.root
        for m in _MODULE_SEG_RE.finditer(module_instance):
            if cfg is None or m.group(1) not in cfg.calls:
                return None
            cfg = cfg.calls[m.group(1)][1]
        return cfg

    def resolve(self, ref: str, module_instance: str, own_index: Any, depth: int = 0) -> list[str]:
        if depth > 20:
            return []
        root = ref.split(".", 1)[0].split("[", 1)[0]
        if root == "var":
            return self._resolve_var(ref, module_instance, depth)
        if root == "module":
            return self._resolve_module_output(ref, module_instance, depth)
        if root in _NON_RESOURCE_ROOTS:
            return []
        m = _REF_RE.match(ref)
        if not m:
            return []
        mode = "data" if m.group("data") else "managed"
        key = f"{mode}.{m.group('type')}.{m.group('name')}"
        base = f"{'data.' if mode == 'data' else ''}{m.group('type')}.{m.group('name')}"
        prefix = f"{module_instance}." if module_instance else ""
        if m.group("index"):
            return [f"{prefix}{base}{m.group('index')}"]
        candidates = self.instances.get((module_instance, key), [])
        if len(candidates) <= 1:
            return list(candidates) or [f"{prefix}{base}"]
        if own_index is not None:
            aligned = f"{prefix}{base}[{json.dumps(own_index)}]"
            if aligned in candidates:
                return [aligned]
        return list(candidates)

    def _resolve_var(self, ref: str, module_instance: str, depth: int) -> list[str]:
        segs = [m for m in _MODULE_SEG_RE.finditer(module_instance)]
        if not segs:
            return []  # root variables are literal inputs, never resources
        var = ref.split(".")[1].split("[")[0] if "." in ref else ""
        parent = module_instance[: segs[-1].start()].rstrip(".")
        parent_cfg = self.module_config(parent)
        if parent_cfg is None or segs[-1].group(1) not in parent_cfg.calls:
            return []
        call = parent_cfg.calls[segs[-1].group(1)][0]
        expr = (call.get("expressions") or {}).get(var)
        refs = expr.get("references") if isinstance(expr, dict) else None
        out: list[str] = []
        for r in refs if isinstance(refs, list) else []:
            if isinstance(r, str):
                out.extend(self.resolve(r, parent, None, depth + 1))
        return list(dict.fromkeys(out))

    def _resolve_module_output(self, ref: str, module_instance: str, depth: int) -> list[str]:
        m = _MODULE_REF_RE.match(ref)
        if not m or not m.group("out"):
            return []
        cfg = self.module_config(module_instance)
        if cfg is None or m.group("call") not in cfg.calls:
            return []
        child_cfg = cfg.calls[m.group("call")][1]
        prefix = f"{module_instance}." if module_instance else ""
        if m.group("key"):
            instances = [f"{prefix}module.{m.group('call')}{m.group('key')}"]
        else:
            instances = self.module_instances.get(f"{module_instance}|{m.group('call')}", [])
        out: list[str] = []
        for inst in instances:
            for r in child_cfg.outputs.get(m.group("out"), []):
                out.extend(self.resolve(r, inst, None, depth + 1))
        return list(dict.fromkeys(out))


# ----------------------------------------------------------------------------------------------------------
# loading
# ----------------------------------------------------------------------------------------------------------
def load_plan(path: str | os.PathLike[str]) -> Inventory:
    """Read a Terraform plan JSON file (``terraform show -json <planfile>``) into an :class:`Inventory`.

    Raises :class:`InputError` (naming the file and, for bad fields, the JSON path) for unreadable files,
    invalid or truncated JSON, and documents that are not a supported Terraform plan.
    """
    origin = os.fspath(path)
    try:
        with open(origin, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise InputError(f"cannot read plan file: {exc.strerror or exc}", origin) from None
    with gc_paused():  # the plan's many small acyclic containers made full collections dominate big loads
        try:
            data = json.loads(raw)
        except UnicodeDecodeError as exc:
            raise InputError(f"plan is not UTF-8 text: {exc.reason}", origin) from None
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", origin) from None
        except RecursionError:
            raise InputError("invalid JSON: nested too deeply", origin) from None
        return parse_plan(data, origin)


def parse_plan(data: Any, origin: str) -> Inventory:
    """Normalise an already-parsed plan document; ``origin`` names it in errors, sources and locations."""
    chk = _Checker(origin)
    if not isinstance(data, dict):
        raise chk.fail("$", f"expected a JSON object (a Terraform plan), got {_json_type(data)}")
    fmt = chk.get(data, "format_version", "$", str, required=True)
    m = re.fullmatch(r"(\d+)\.(\d+)(?:\.\d+)?", fmt)
    if not m:
        raise chk.fail("$.format_version", f"not a version number: {fmt!r}")
    if int(m.group(1)) not in SUPPORTED_MAJOR_VERSIONS:
        raise InputError(f"unsupported plan format_version {fmt!r} (supported: 0.x and 1.x)", origin)
    tf_version = chk.get(data, "terraform_version", "$", str) or ""

    config = chk.get(data, "configuration", "$", dict)
    root_cfg = (
        _read_module_config(config.get("root_module") or {}, "$.configuration.root_module", chk) if config else None
    )
    provider_settings = _provider_settings(config, chk) if config else {}

    entries = list(_entries(data, chk))
    resolver = _Resolver(root_cfg, [e["address"] for e in entries]) if root_cfg else None
    raws = [_raw(e, resolver) for e in entries]

    meta_base = {"format_version": fmt, "terraform_version": tf_version}
    index = PlanIndex(raws, origin, meta_base, provider_settings)
    return _normalise(index, meta_base)


def _provider_settings(config: dict, chk: _Checker) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for key, pc in (chk.get(config, "provider_config", "$.configuration", dict) or {}).items():
        if not isinstance(pc, dict):
            raise chk.fail(f"$.configuration.provider_config.{key}", f"expected an object, got {_json_type(pc)}")
        exprs = pc.get("expressions") if isinstance(pc.get("expressions"), dict) else {}
        settings = {}
        for name in ("region", "project", "subscription_id", "location"):
            expr = exprs.get(name)
            if isinstance(expr, dict) and isinstance(expr.get("constant_value"), str):
                settings[name] = expr["constant_value"]
        out[key] = settings
        pname = pc.get("name")
        if isinstance(pname, str) and not pc.get("alias") and ":" not in key:
            out.setdefault(pname, settings)
    return out


def _entries(data: dict, chk: _Checker) -> Iterator[dict[str, Any]]:
    """Resource instances that exist after apply, as dicts with cleaned values."""
    changes = chk.get(data, "resource_changes", "$", list)
    if changes is not None:
        for i, rc in enumerate(changes):
            path = f"$.resource_changes[{i}]"
            if not isinstance(rc, dict):
                raise chk.fail(path, f"expected an object, got {_json_type(rc)}")
            address = chk.get(rc, "address", path, str, required=True)
            rtype = chk.get(rc, "type", path, str, required=True)
            name = chk.get(rc, "name", path, str) or ""
            mode = chk.get(rc, "mode", path, str) or "managed"
            chk.get(rc, "module_address", path, str)
            if rc.get("deposed") is not None:
                continue  # a deposed object is on its way out
            change = chk.get(rc, "change", path, dict, required=True)
            cpath = f"{path}.change"
            actions = chk.get(change, "actions", cpath, list, required=True)
            for j, a in enumerate(actions):
                if not isinstance(a, str):
                    raise chk.fail(f"{cpath}.actions[{j}]", f"expected a string, got {_json_type(a)}")
                if a not in _KNOWN_ACTIONS:
                    raise chk.fail(f"{cpath}.actions[{j}]", f"unknown action {a!r}")
            if tuple(actions) in _SKIPPED_ACTIONS or "forget" in actions:
                continue
            after = chk.get(change, "after", cpath, dict)
            unknown = chk.get(change, "after_unknown", cpath, (dict, bool))
            sensitive = chk.get(change, "after_sensitive", cpath, (dict, bool))
            yield {
                "address": address,
                "type": rtype,
                "name": name,
                "mode": mode,
                "index": rc.get("index"),
                "provider_name": rc.get("provider_name") if isinstance(rc.get("provider_name"), str) else "",
                "values": _clean(after, unknown, sensitive),
            }
        return
    planned = chk.get(data, "planned_values", "$", dict)
    if planned is not None:
        root = chk.get(planned, "root_module", "$.planned_values", dict) or {}
        yield from _module_values(root, "$.planned_values.root_module", chk)
        return
    state = chk.get(data, "values", "$", dict)  # `terraform show -json` of a state file
    if state is not None:
        root = chk.get(state, "root_module", "$.values", dict) or {}
        yield from _module_values(root, "$.values.root_module", chk)


def _module_values(module: dict, path: str, chk: _Checker) -> Iterator[dict[str, Any]]:
    for i, res in enumerate(chk.get(module, "resources", path, list) or []):
        rpath = f"{path}.resources[{i}]"
        if not isinstance(res, dict):
            raise chk.fail(rpath, f"expected an object, got {_json_type(res)}")
        values = chk.get(res, "values", rpath, dict)
        sensitive = chk.get(res, "sensitive_values", rpath, (dict, bool))
        yield {
            "address": chk.get(res, "address", rpath, str, required=True),
            "type": chk.get(res, "type", rpath, str, required=True),
            "name": chk.get(res, "name", rpath, str) or "",
            "mode": chk.get(res, "mode", rpath, str) or "managed",
            "index": res.get("index"),
            "provider_name": res.get("provider_name") if isinstance(res.get("provider_name"), str) else "",
            "values": _clean(values, None, sensitive),
        }
    for i, child in enumerate(chk.get(module, "child_modules", path, list) or []):
        cpath = f"{path}.child_modules[{i}]"
        if not isinstance(child, dict):
            raise chk.fail(cpath, f"expected an object, got {_json_type(child)}")
        yield from _module_values(child, cpath, chk)


def _provider_of(rtype: str) -> str:
    for prefix, name in _PROVIDER_PREFIXES:
        if rtype.startswith(prefix):
            return name
    return rtype.split("_", 1)[0]


def _raw(entry: dict[str, Any], resolver: _Resolver | None) -> RawResource:
    module, mode, _rtype, name = split_address(entry["address"])
    refs: dict[str, list[str]] = defaultdict(list)
    configured: frozenset[str] | None = None
    provider_key = ""
    if resolver is not None:
        cfg_module = resolver.module_config(module)
        cfg = cfg_module.resources.get(f"{mode}.{entry['type']}.{entry['name'] or name}") if cfg_module else None
        if cfg is not None:
            provider_key = cfg.get("provider_config_key") if isinstance(cfg.get("provider_config_key"), str) else ""
            raw_refs, configured = resolver.expressions(cfg)
            for path, rs in raw_refs.items():
                for r in rs:
                    refs[path].extend(resolver.resolve(r, module, entry["index"]))
    return RawResource(
        address=entry["address"],
        type=entry["type"],
        name=entry["name"] or name,
        mode=entry["mode"],
        module=module,
        index=entry["index"],
        values=entry["values"],
        provider=_provider_of(entry["type"]),
        provider_key=provider_key,
        refs={k: tuple(dict.fromkeys(v)) for k, v in refs.items()},
        configured=configured,
    )


# ----------------------------------------------------------------------------------------------------------
# normalisation
# ----------------------------------------------------------------------------------------------------------
def _normalise(index: PlanIndex, meta_base: dict[str, Any]) -> Inventory:
    normalisers, joined = tables()
    resources: list[Resource] = []
    edges: list[Edge] = []
    seen: Counter[str] = Counter()
    normalised: Counter[str] = Counter()
    unsupported: Counter[str] = Counter()
    gaps: list[Gap] = []
    for raw in index.raws:
        if raw.mode != "managed":
            continue  # data sources describe existing infrastructure, read elsewhere
        seen[raw.type] += 1
        fn = normalisers.get(raw.type)
        if fn is None:
            if raw.type in joined:
                normalised[raw.type] += 1
            else:
                unsupported[raw.type] += 1
            continue
        try:
            items = list(fn(raw, index))
        except (TypeError, AttributeError, ValueError, KeyError, IndexError) as exc:
            # A value of an unexpected shape: report a coverage gap for this resource, never crash the
            # scan, and never echo the value itself (only the error class) into the output.
            gaps.append(
                Gap(
                    "terraform",
                    f"{raw.address}: attributes of an unexpected shape could not be normalised ({type(exc).__name__})",
                    "normalise_error",
                    target=raw.address,
                )
            )
            continue
        normalised[raw.type] += 1
        for item in items:
            if isinstance(item, Resource):
                resources.append(item)
            else:
                edges.append(item)
    meta = dict(meta_base)
    meta.update(
        {
            "source": "terraform-plan",
            "path": index.origin,
            "resource_count": sum(seen.values()),
            "normalised_count": len(resources),
            "types": dict(sorted(seen.items())),
            "normalised_types": dict(sorted(normalised.items())),
            "unsupported_types": dict(sorted(unsupported.items())),
        }
    )
    return Inventory(tuple(resources), tuple(dict.fromkeys(edges)), tuple(gaps), freeze(meta))


def location_for(index: PlanIndex) -> Location:
    """Where plan resources are declared (the plan file; .tf lines are mapped by a later pass)."""
    return Location(file=index.origin, line=None)
