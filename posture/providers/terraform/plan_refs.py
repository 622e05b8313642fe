"""The plan's ``configuration``: which resources each expression refers to, through module variables and outputs."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from posture.providers.terraform.plan_index import (
    _MODULE_REF_RE,
    _MODULE_SEG_RE,
    _NON_RESOURCE_ROOTS,
    _REF_RE,
    _Checker,
    _json_type,
    split_address,
)


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


def add_index_free(refs: dict[str, list[str]], configured: set[str]) -> None:
    """Add the index-free form of every path with block indices (``a.0.b`` -> ``a.b``: in any instance).

    Done once, over the indexed paths: a block nested d deep costs 2 paths, not the 2**d mixes of indexed and
    index-free steps (``a.0.b.c``, ``a.b.0.c`` ...) that made a 150-byte file nested 22 deep cost 2 GB. A path
    is asked for fully indexed (``site_config.0.x``) or index-free (``route.cidr_block``), never mixed.
    """
    for path in [p for p in configured if _INDEX_STEP.search(p)]:
        configured.add(_INDEX_STEP.sub("", path))
    for path, found in [(p, r) for p, r in refs.items() if _INDEX_STEP.search(p)]:
        refs.setdefault(_INDEX_STEP.sub("", path), []).extend(found)


_INDEX_STEP = re.compile(r"\.\d+(?=\.|$)")


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
            add_index_free(raw_refs, paths)
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
