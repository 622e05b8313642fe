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
5. hands each resource to the normaliser the clouds registered in :mod:`.dispatch` (``<cloud>/terraform``:
   pure functions of the resource and the read-only index).

Values under ``variables``, ``outputs``, ``prior_state`` and configuration ``constant_value`` are never
copied into the inventory (Terraform does not mark sensitivity there), with one exception: the provider
block's literal ``region``/``project``/``subscription_id``.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

from posture import inputs
from posture.errors import InputError
from posture.gcpause import gc_paused
from posture.knowledge.network import terraform_provider
from posture.model import Edge, Gap, Inventory, Location, Resource, freeze
from posture.providers.terraform.dispatch import tables
from posture.providers.terraform.plan_index import PlanIndex, RawResource, _Checker, _json_type, split_address
from posture.providers.terraform.plan_masks import _clean
from posture.providers.terraform.plan_refs import _read_module_config, _Resolver

SUPPORTED_MAJOR_VERSIONS = (0, 1)
"""Plan ``format_version`` majors understood: 0.1/0.2 (Terraform 0.12-0.15) and 1.x (Terraform 1.0+)."""

_SKIPPED_ACTIONS = (("delete",),)
_KNOWN_ACTIONS = {"no-op", "create", "read", "update", "delete", "forget"}


# ----------------------------------------------------------------------------------------------------------
# loading
# ----------------------------------------------------------------------------------------------------------
def load_plan(path: str | os.PathLike[str]) -> Inventory:
    """Read a Terraform plan JSON file (``terraform show -json <planfile>``) into an :class:`Inventory`.

    Raises :class:`InputError` (naming the file and, for bad fields, the JSON path) for unreadable files,
    invalid or truncated JSON, and documents that are not a supported Terraform plan.
    """
    origin = os.fspath(path)
    raw = inputs.read_bytes(origin, "plan", "plan file")
    with gc_paused():  # the plan's many small acyclic containers made full collections dominate big loads
        data = inputs.parse_json(raw, origin, shape=False)  # its size limit bounds it; its readers do not recurse
        del raw
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
    inventory = _normalise(index, meta_base)
    hidden = {e["address"]: e["hidden"] for e in entries if e["hidden"] and e["mode"] == "managed"}
    if not hidden:
        return inventory
    return dataclasses.replace(inventory, gaps=(*inventory.gaps, *_sensitive_gaps(hidden)))


def _provider_settings(config: dict, chk: _Checker) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for key, pc in (chk.get(config, "provider_config", "$.configuration", dict) or {}).items():
        if not isinstance(pc, dict):
            raise chk.fail(f"$.configuration.provider_config.{key}", f"expected an object, got {_json_type(pc)}")
        got = pc.get("expressions")
        exprs: dict[str, Any] = got if isinstance(got, dict) else {}
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
            hidden: list[str] = []
            yield {
                "address": address,
                "type": rtype,
                "name": name,
                "mode": mode,
                "index": rc.get("index"),
                "provider_name": rc.get("provider_name") if isinstance(rc.get("provider_name"), str) else "",
                "values": _clean(after, unknown, sensitive, hidden),
                "hidden": hidden,
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
        hidden: list[str] = []
        yield {
            "address": chk.get(res, "address", rpath, str, required=True),
            "type": chk.get(res, "type", rpath, str, required=True),
            "name": chk.get(res, "name", rpath, str) or "",
            "mode": chk.get(res, "mode", rpath, str) or "managed",
            "index": res.get("index"),
            "provider_name": res.get("provider_name") if isinstance(res.get("provider_name"), str) else "",
            "values": _clean(values, None, sensitive, hidden),
            "hidden": hidden,
        }
    for i, child in enumerate(chk.get(module, "child_modules", path, list) or []):
        cpath = f"{path}.child_modules[{i}]"
        if not isinstance(child, dict):
            raise chk.fail(cpath, f"expected an object, got {_json_type(child)}")
        yield from _module_values(child, cpath, chk)


def _provider_of(rtype: str) -> str:
    return terraform_provider(rtype) or rtype.split("_", 1)[0]


def _raw(entry: dict[str, Any], resolver: _Resolver | None) -> RawResource:
    module, mode, _rtype, name = split_address(entry["address"])
    refs: dict[str, list[str]] = defaultdict(list)
    configured: frozenset[str] | None = None
    provider_key = ""
    if resolver is not None:
        cfg_module = resolver.module_config(module)
        cfg = cfg_module.resources.get(f"{mode}.{entry['type']}.{entry['name'] or name}") if cfg_module else None
        if cfg is not None:
            key = cfg.get("provider_config_key")
            provider_key = key if isinstance(key, str) else ""
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


def _sensitive_gaps(hidden: dict[str, list[str]]) -> list[Gap]:
    """One ``sensitive_value`` gap per resource block (its instances counted), naming paths, never values."""
    by_block: dict[str, dict[str, list[str]]] = {}
    for address, paths in hidden.items():
        by_block.setdefault(re.sub(r"\[[^\]]*\]", "", address), {})[address] = paths
    out = []
    for block, instances in by_block.items():
        first, *others = instances
        paths = list(dict.fromkeys(p for ps in instances.values() for p in ps))
        shown = ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
        more = f" (and {len(others)} other instance(s))" if others else ""
        out.append(Gap("terraform", f"{first}{more}: values marked sensitive in the plan are not read "
                       f"(unknown to the rules): {shown}", code="sensitive_value", target=block))
    return out


def location_for(index: PlanIndex) -> Location:
    """Where plan resources are declared (the plan file; .tf lines are mapped by a later pass)."""
    return Location(file=index.origin, line=None)
