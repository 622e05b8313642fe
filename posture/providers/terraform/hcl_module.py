"""Module instances: the evaluation scope of one (expanded) module, and block bodies evaluated in it."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from posture.model import UNKNOWN
from posture.providers.terraform.hcl_data import STATIC_DATA
from posture.providers.terraform.hcl_eval import Scope, evaluate, flatten_traversal, references
from posture.providers.terraform.hcl_limits import LimitHit
from posture.providers.terraform.hcl_limits import current as current_budget
from posture.providers.terraform.hcl_sensitive import Marked, declared_sensitive, mark, mark_if, unmark, unmark_deep
from posture.providers.terraform.hcl_syntax import _META_ATTRS, _META_BLOCKS, Block, Body
from posture.providers.terraform.hcl_workspace import ModuleDir

if TYPE_CHECKING:
    from posture.providers.terraform.hcl import HclLoader


# ----------------------------------------------------------------------------------------------------------
# module instances: the evaluation scope of one (expanded) module
# ----------------------------------------------------------------------------------------------------------
@dataclass
class Instance:
    address: str
    index: Any
    scope: Scope
    decl: Block
    module: ModuleInstance


def _key(value: Any) -> str:
    return f"[{json.dumps(value)}]"


class ModuleInstance(Scope):
    """One instance of a module: answers ``var``/``local``/``module``/resource references."""

    def __init__(self, loader: HclLoader, mod: ModuleDir, prefix: str, parent: ModuleInstance | None,
                 call: Block | None, call_scope: Scope | None, var_values: dict[str, Any] | None = None,
                 chain: tuple[str, ...] = (), call_path: tuple[str, ...] = ()):
        super().__init__()
        self.loader = loader
        self.mod = mod
        self.prefix = prefix
        self.parent_instance = parent
        self.call = call
        self.call_scope = call_scope
        self.var_values = var_values or {}
        self.chain = (*chain, mod.key)
        self.call_path = call_path
        self._vars: dict[str, Any] = {}
        self._locals: dict[str, Any] = {}
        self._refs: dict[str, list[str]] = {}
        self._busy: set[str] = set()
        self._instances: dict[str, list[Instance]] | None = None
        self._children: dict[str, list[tuple[Any, ModuleInstance]]] | None = None

    # -- Scope ---------------------------------------------------------------------------------------------
    def lookup(self, root: str, steps: list[tuple[str, Any]]) -> tuple[Any, int]:
        first = steps[0][1] if steps and steps[0][0] == "attr" else None
        if root == "var":
            return (self.var(first), 1) if first else (UNKNOWN, len(steps))
        if root == "local":
            return (self.local(first), 1) if first else (UNKNOWN, len(steps))
        if root == "path":
            if first in ("module", "root", "cwd"):
                d = self.mod.dir if first == "module" else self.loader.root
                return (self.loader.ws.rel(d) if d is not None else UNKNOWN), 1
            return UNKNOWN, len(steps)
        if root == "terraform":
            return ("default" if first == "workspace" else UNKNOWN), len(steps) if first != "workspace" else 1
        if root == "module":
            return self._module_output(steps)
        if root == "data" and first in STATIC_DATA:
            return self._data_attr(first, steps)
        if root in ("data", "count", "each", "self") or first is None:
            return UNKNOWN, len(steps)
        return self._resource_attr(root, steps)

    def refs(self, root: str, steps: list[tuple[str, Any]]) -> list[str]:
        first = steps[0][1] if steps and steps[0][0] == "attr" else None
        if first is None or root in ("path", "terraform", "count", "each", "self"):
            return []
        key = f"{root}.{first}"
        if key in self._refs:  # a variable's or local's references are collected once: local.s1 = "${local.s0}${
            return self._refs[key]  # local.s0}" forty times over would otherwise be 2**40 walks
        if key in self._busy:
            return []
        self._busy.add(key)
        try:
            if root in ("var", "local"):
                self._refs[key] = found = self._var_local_refs(root, first)
                return found
            if root == "module":
                out: list[str] = []
                for child, out_name in self._module_targets(steps):
                    block = child.mod.outputs.get(out_name)
                    if block is not None and "value" in block.body.attrs:
                        out.extend(references(block.body.attrs["value"].expr, child))
                return out
            if root == "data":
                if len(steps) < 2 or steps[1][0] != "attr":
                    return []
                return [f"{self._p}data.{first}.{steps[1][1]}"]
            insts = self.instances().get(f"{root}.{first}")
            if not insts:
                return []
            if len(steps) > 1 and steps[1][0] == "index" and steps[1][1] is not UNKNOWN and steps[1][1] is not None \
                    and not isinstance(steps[1][1], Marked):  # a sensitive key: any instance (never the key)
                wanted = f"{self._p}{root}.{first}{_key(steps[1][1])}"
                return [i.address for i in insts if i.address == wanted] or [i.address for i in insts]
            return [i.address for i in insts]
        finally:
            self._busy.discard(key)

    def _var_local_refs(self, root: str, name: str) -> list[str]:
        if root == "var":
            if self.call is None or self.call_scope is None:
                return []
            attr = self.call.body.attrs.get(name)
            return references(attr.expr, self.call_scope) if attr else []
        attr = self.mod.locals.get(name)
        return references(attr.expr, self) if attr else []

    @property
    def _p(self) -> str:
        return f"{self.prefix}." if self.prefix else ""

    # -- variables and locals ------------------------------------------------------------------------------
    def var(self, name: str) -> Any:
        if name in self._vars:
            return self._vars[name]
        if f"var.{name}" in self._busy:
            return UNKNOWN
        self._busy.add(f"var.{name}")
        try:
            value: Any = UNKNOWN
            decl = self.mod.variables.get(name)
            if self.call is not None and self.call_scope is not None and name in self.call.body.attrs:
                value = evaluate(self.call.body.attrs[name].expr, self.call_scope)
            elif name in self.var_values:
                value = self.var_values[name]
            elif decl is not None and "default" in decl.body.attrs:
                value = evaluate(decl.body.attrs["default"].expr, Scope())
            if value is None and decl is not None and "default" in decl.body.attrs:
                nullable = decl.body.attrs.get("nullable")
                if nullable is not None and evaluate(nullable.expr, Scope()) is False:
                    value = evaluate(decl.body.attrs["default"].expr, Scope())
            if decl is not None and _sensitive(decl):
                value = mark(value)
            self._vars[name] = value
            return value
        finally:
            self._busy.discard(f"var.{name}")

    def local(self, name: str) -> Any:
        if name in self._locals:
            return self._locals[name]
        attr = self.mod.locals.get(name)
        if attr is None or f"local.{name}" in self._busy:
            return UNKNOWN
        self._busy.add(f"local.{name}")
        try:
            value = evaluate(attr.expr, self)
        finally:
            self._busy.discard(f"local.{name}")
        self._locals[name] = value
        return value

    # -- resources -----------------------------------------------------------------------------------------
    def instances(self) -> dict[str, list[Instance]]:
        """Resource instances by ``type.name`` / ``data.type.name`` (count/for_each expanded)."""
        if self._instances is None:
            self._instances = {}
            for decl in self.mod.resources:
                rtype, name = decl.labels[0], decl.labels[1]
                key = f"{'data.' if decl.type == 'data' else ''}{rtype}.{name}"
                base = f"{self._p}{key}"
                self._instances[key] = [
                    Instance(base + suffix, index, scope, decl, self)
                    for suffix, index, scope in self.loader.expand(decl, self, base)
                ]
        return self._instances

    def _instance(self, key: str, steps: list[tuple[str, Any]], pos: int) -> tuple[Instance | None, int, bool]:
        """The instance of ``key`` that ``steps[pos]`` selects (an index step, or none for an unexpanded block),
        the position of the step after the selection, and whether the selecting key is sensitive."""
        insts = self.instances().get(key) or []
        if len(steps) > pos and steps[pos][0] == "index":
            index, hidden = unmark(steps[pos][1])
            wanted = f"{self._p}{key}{_key(index)}" if index is not UNKNOWN else None
            return next((i for i in insts if i.address == wanted), None), pos + 1, hidden
        return (insts[0] if len(insts) == 1 and insts[0].index is None else None), pos, False

    def _resource_attr(self, root: str, steps: list[tuple[str, Any]]) -> tuple[Any, int]:
        inst, pos, hidden = self._instance(f"{root}.{steps[0][1]}", steps, 1)
        if inst is None or len(steps) <= pos or steps[pos][0] != "attr":
            return UNKNOWN, len(steps)
        attr = inst.decl.body.attrs.get(steps[pos][1])
        if attr is None or steps[pos][1] in _META_ATTRS:
            return UNKNOWN, len(steps)
        busy = f"{inst.address}.{attr.name}"
        if busy in self._busy:
            return UNKNOWN, len(steps)
        self._busy.add(busy)
        try:
            return mark_if(hidden, evaluate(attr.expr, inst.scope)), pos + 1
        finally:
            self._busy.discard(busy)

    def _data_attr(self, dtype: str, steps: list[tuple[str, Any]]) -> tuple[Any, int]:
        """``data.<type>.<name>[key].<attr>`` of a data source computed statically (hcl_data.STATIC_DATA)."""
        if len(steps) < 3 or steps[1][0] != "attr":
            return UNKNOWN, len(steps)
        inst, pos, hidden = self._instance(f"data.{dtype}.{steps[1][1]}", steps, 2)
        fn = STATIC_DATA[dtype].get(steps[pos][1]) if len(steps) > pos and steps[pos][0] == "attr" else None
        if inst is None or fn is None or inst.address in self._busy:
            return UNKNOWN, len(steps)
        self._busy.add(inst.address)
        try:
            args: dict[str, Any] = {}
            _eval_body(inst.decl.body, inst.scope, "", args, defaultdict(list), set(), top=True)
            plain, m = unmark_deep(args)  # a document rendered from a sensitive argument is sensitive
            return mark_if(hidden or m, fn(plain)), pos + 1
        finally:
            self._busy.discard(inst.address)

    # -- child modules -------------------------------------------------------------------------------------
    def children(self) -> dict[str, list[tuple[Any, ModuleInstance]]]:
        if self._children is None:
            self._children = {}
            for call in self.mod.calls:
                self._children[call.labels[0]] = self.loader.expand_call(call, self)
        return self._children

    def _module_targets(self, steps: list[tuple[str, Any]]) -> list[tuple[ModuleInstance, str]]:
        name = steps[0][1]
        children_ = self.children().get(name, [])
        rest = steps[1:]
        if rest and rest[0][0] == "index":
            children_ = [(k, m) for k, m in children_ if k == unmark(rest[0][1])[0]]
            rest = rest[1:]
        elif rest and rest[0][0] == "splat":
            rest = rest[0][1]
        if not rest or rest[0][0] != "attr":
            return []
        return [(m, rest[0][1]) for _, m in children_]

    def _module_output(self, steps: list[tuple[str, Any]]) -> tuple[Any, int]:
        if not steps or steps[0][0] != "attr":
            return UNKNOWN, len(steps)
        children_ = self.children().get(steps[0][1], [])
        if len(steps) > 2 and steps[1][0] == "index" and steps[2][0] == "attr":
            index, hidden = unmark(steps[1][1])
            match = [m for k, m in children_ if k == index]
            return mark_if(hidden, self._output(match[0], steps[2][1]) if match else UNKNOWN), 3
        if len(children_) == 1 and children_[0][0] is None and len(steps) > 1 and steps[1][0] == "attr":
            return self._output(children_[0][1], steps[1][1]), 2
        return UNKNOWN, len(steps)

    @staticmethod
    def _output(child: ModuleInstance, name: str) -> Any:
        block = child.mod.outputs.get(name)
        if block is None or "value" not in block.body.attrs:
            return UNKNOWN
        return mark_if(_sensitive(block), evaluate(block.body.attrs["value"].expr, child))

    def walk(self) -> Iterator[ModuleInstance]:
        yield self
        for children_ in self.children().values():
            for _, child in children_:
                yield from child.walk()


def _eval_body(body: Body, scope: Scope, prefix: str, values: dict[str, Any], refs: dict[str, list[str]],
               configured: set[str], top: bool = False) -> None:
    for name, attr in body.attrs.items():
        if top and name in _META_ATTRS:
            continue
        path = f"{prefix}{name}"
        values[name] = evaluate(attr.expr, scope)
        configured.add(path)
        r = references(attr.expr, scope)
        if r:
            refs[path].extend(r)
    blocks: dict[str, list[Any]] = {}
    for b in body.blocks:
        if top and b.type in _META_BLOCKS:
            continue
        if b.type == "dynamic" and b.labels:
            _dynamic(b, scope, prefix, blocks, refs, configured)
            continue
        lst = blocks.setdefault(b.type, [])
        if lst is UNKNOWN:
            continue
        _block_instance(b.body, scope, prefix, b.type, lst, refs, configured)
    values.update(blocks)


def _block_instance(body: Body, scope: Scope, prefix: str, btype: str, lst: list[Any], refs: dict[str, list[str]],
                    configured: set[str]) -> None:
    i = len(lst)
    sub: dict[str, Any] = {}
    sub_refs: dict[str, list[str]] = defaultdict(list)
    sub_conf: set[str] = set()
    _eval_body(body, scope, "", sub, sub_refs, sub_conf)
    lst.append(sub)
    configured.add(f"{prefix}{btype}")
    for p in sub_conf:  # indexed paths only: the index-free ones are added once, at the top (add_index_free)
        configured.add(f"{prefix}{btype}.{i}.{p}")
    for p, r in sub_refs.items():
        refs[f"{prefix}{btype}.{i}.{p}"].extend(r)
        refs[f"{prefix}{btype}"].extend(r)


def _dynamic(b: Block, scope: Scope, prefix: str, blocks: dict[str, Any], refs: dict[str, list[str]],
             configured: set[str]) -> None:
    btype = b.labels[0]
    configured.add(f"{prefix}{btype}")
    content = next((c for c in b.body.blocks if c.type == "content"), None)
    fe = b.body.attrs.get("for_each")
    iterator = btype
    if "iterator" in b.body.attrs:
        root, _, _ = flatten_traversal(b.body.attrs["iterator"].expr, None)
        iterator = root or btype
    if content is None or fe is None:
        return
    coll, hidden = unmark(evaluate(fe.expr, scope))  # over a sensitive collection every block is sensitive
    coll_refs = references(fe.expr, scope)
    if isinstance(coll, dict):
        items = list(coll.items())
    elif isinstance(coll, list):
        items = list(enumerate(coll))
    else:
        blocks[btype] = UNKNOWN  # how many blocks there are is not known
        return
    lst = blocks.setdefault(btype, [])
    if lst is UNKNOWN:
        return
    budget = current_budget()
    for k, v in items:
        if budget is not None:
            try:
                budget.step()
            except LimitHit as hit:  # over the work budget: the blocks are not all known
                budget.record(hit)
                blocks[btype] = UNKNOWN
                return
        inner = scope.child({iterator: ({"key": mark_if(hidden, k), "value": mark_if(hidden, v)}, coll_refs)})
        _block_instance(content.body, inner, prefix, btype, lst, refs, configured)


def _sensitive(block: Block) -> bool:
    """A ``variable`` or ``output`` block declared ``sensitive = true``."""
    attr = block.body.attrs.get("sensitive")
    return attr is not None and declared_sensitive(evaluate(attr.expr, Scope()))
