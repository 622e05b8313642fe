"""The declarative rule language: YAML files in ``rules.d/`` compiled to :class:`Rule`.

The language is small and safe: loaded with a safe loader, never evaluated as
code. A rule file that does not validate raises :class:`RuleFileError` naming
the file, the line and the field. See docs/rules-language.md for the reference.

Condition grammar (``when`` selects the resources a rule applies to,
``fails_when`` is the violation)::

    cond := {all: [cond, ...]} | {any: [cond, ...]} | {not: cond}
          | {attr: PATH, OP: VALUE}                      # OP from the operator table
          | {any_of: PATH, where: cond}                  # list quantifiers; also all_of,
          | {all_of: PATH, where: cond}                  # none_of; PATH "." inside an element
          | {none_of: PATH, where: cond}                 # is the element itself
          | {related: {edge: KIND, direction: out|in|both, kind: KIND, match: any|all|none, where: cond}}
          | {reachable: {from: internet} | {to: {kind: KIND, where: cond}},
                         edges: [KIND, ...], direction: out|in|both, max_hops: N}
    VALUE := literal | {param: NAME}
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import re
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from posture.contract import Scope, edge_error, kind_error, path_scope, scope_of
from posture.errors import InputError
from posture.graph import INTERNET
from posture.inputs import LineDict, parse_yaml, read_text
from posture.model import UNKNOWN, Category, Resource, Severity, get_path
from posture.rules.base import Rule, RuleContext, RuleFixture, RuleMeta, Violation, unknown_words
from posture.rules.operators import OPERATORS, tri_all, tri_any


class RuleFileError(InputError):
    """A rule file that does not validate: names file, line and field."""


# --------------------------------------------------------------------------- loading with lines
_LineDict = LineDict  # mappings read by posture.inputs remember their lines


def _line(node: Any, key: str | None = None) -> int:
    if isinstance(node, _LineDict):
        if key is not None and key in node.key_lines:
            return node.key_lines[key]
        return node.line
    return 0


# --------------------------------------------------------------------------- compiled conditions
Witness = dict[str, Any]
Outcome = tuple["bool | None", list[Witness]]
Cond = Callable[[Any, Resource, RuleContext], Outcome]


def _true(_scope: Any, _res: Resource, _ctx: RuleContext) -> Outcome:
    return True, []


@dataclass
class _Compiler:
    file: str
    params: Mapping[str, Any]
    scope: Scope | None = None
    """The attribute contract paths are checked against (posture/model_contract.yaml); None: not checked."""

    def check_path(self, node: Any, field: str, path: str) -> Scope | None:
        """Fail on a path the contract does not declare in the current scope; the scope below it."""
        if self.scope is None:
            return None
        below, error = path_scope(self.scope, path)
        if error:
            raise self.fail(node, field, error)
        return below

    def within(self, scope: Scope | None, node: Any, field: str) -> Cond:
        """Compile the condition ``node`` with ``scope`` as the attribute scope."""
        outer, self.scope = self.scope, scope
        try:
            return self.cond(node, field)
        finally:
            self.scope = outer

    def kind_scope(self, node: Any, field: str, kind: Any) -> Scope | None:
        """The scope of a resource of ``kind`` (any kind when None); fails on an undeclared kind."""
        if kind is not None:
            error = kind_error(str(kind))
            if error:
                raise self.fail(node, field, error)
        return scope_of([kind] if kind is not None else None) if self.scope is not None else None

    def fail(self, node: Any, field: str, message: str) -> RuleFileError:
        line = _line(node, field.rsplit(".", 1)[-1]) if field else _line(node)
        return RuleFileError(f"{field}: {message}" if field else message, where=f"{self.file}:{line}")

    # value: literal or {param: name}
    def value(self, node: Any, raw: Any, field: str) -> Callable[[RuleContext], Any]:
        if isinstance(raw, Mapping) and set(raw) == {"param"}:
            name = raw["param"]
            if name not in self.params:
                raise self.fail(node, field, f"unknown parameter {name!r} (declared: {sorted(self.params)})")
            return lambda ctx: ctx.params[name]
        return lambda ctx: raw

    def cond(self, node: Any, field: str) -> Cond:
        if not isinstance(node, Mapping) or not node:
            raise self.fail(node, field, "a condition must be a mapping such as {attr: ..., eq: ...}")
        keys = set(node)
        if "all" in keys or "any" in keys:
            op = "all" if "all" in keys else "any"
            self._only(node, field, {op})
            items = node[op]
            if not isinstance(items, list) or not items:
                raise self.fail(node, f"{field}.{op}", "expects a non-empty list of conditions")
            subs = [self.cond(c, f"{field}.{op}[{i}]") for i, c in enumerate(items)]
            return _combine(subs, tri_all if op == "all" else tri_any, op == "all")
        if "not" in keys:
            self._only(node, field, {"not"})
            sub = self.cond(node["not"], f"{field}.not")

            def negate(scope: Any, res: Resource, ctx: RuleContext) -> Outcome:
                r, w = sub(scope, res, ctx)
                return (None if r is None else not r), w

            return negate
        for q in ("any_of", "all_of", "none_of"):
            if q in keys:
                self._only(node, field, {q, "where"})
                return self.quantifier(node, field, q)
        if "related" in keys:
            self._only(node, field, {"related"})
            return self.related(node["related"], f"{field}.related")
        if "reachable" in keys:
            self._only(node, field, {"reachable"})
            return self.reachable(node["reachable"], f"{field}.reachable")
        if "attr" in keys:
            return self.attr_test(node, field)
        raise self.fail(
            node, field, f"unknown condition keys {sorted(keys)} (expected attr/all/any/not/any_of/all_of/"
            "none_of/related/reachable)"
        )

    def _only(self, node: Mapping[str, Any], field: str, allowed: set[str]) -> None:
        extra = set(node) - allowed
        if extra:
            raise self.fail(node, f"{field}.{sorted(extra)[0]}", f"unexpected key next to {sorted(allowed)}")

    def attr_test(self, node: Mapping[str, Any], field: str) -> Cond:
        path = node["attr"]
        if not isinstance(path, str) or not path:
            raise self.fail(node, f"{field}.attr", "must be a dotted attribute path")
        self.check_path(node, f"{field}.attr", path)
        ops = [k for k in node if k != "attr"]
        if len(ops) != 1:
            raise self.fail(node, field, f"an attribute test needs exactly one operator, got {ops or 'none'}")
        op = ops[0]
        if op not in OPERATORS:
            raise self.fail(node, f"{field}.{op}", f"unknown operator {op!r} (known: {', '.join(sorted(OPERATORS))})")
        fn = OPERATORS[op]
        expected = self.value(node, node[op], f"{field}.{op}")

        def test(scope: Any, res: Resource, ctx: RuleContext) -> Outcome:
            observed = _resolve(scope, res, path)
            exp = expected(ctx)
            try:
                r = fn(observed, exp)
            except (TypeError, ValueError):
                r = False  # values of a shape the operator does not apply to never match
            return r, [{"attr": path, "op": op, "value": exp, "observed": observed}]

        return test

    def quantifier(self, node: Mapping[str, Any], field: str, q: str) -> Cond:
        path = node[q]
        if not isinstance(path, str) or not path:
            raise self.fail(node, f"{field}.{q}", "must be a dotted attribute path")
        elements = self.check_path(node, f"{field}.{q}", path)
        where = self.within(elements, node["where"], f"{field}.where") if "where" in node else _true

        def test(scope: Any, res: Resource, ctx: RuleContext) -> Outcome:
            items = _resolve(scope, res, path)
            if items is UNKNOWN:
                return None, [{"attr": path, "observed": UNKNOWN}]
            results = []
            matched: list[Any] = []
            for item in items or ():
                r, _ = where(item, res, ctx)
                results.append(r)
                if r:
                    matched.append(item)
            if q == "any_of":
                verdict = tri_any(results)
            elif q == "all_of":
                verdict = tri_all(results)
            else:
                r_any = tri_any(results)
                verdict = None if r_any is None else not r_any
            return verdict, [{"attr": path, "quantifier": q, "matched": matched}]

        return test

    def related(self, node: Any, field: str) -> Cond:
        if not isinstance(node, Mapping) or "edge" not in node:
            raise self.fail(node, field, "needs at least {edge: KIND}")
        self._only(node, field, {"edge", "direction", "kind", "where", "match"})
        edge, direction = node["edge"], node.get("direction", "out")
        kind, match = node.get("kind"), node.get("match", "any")
        if direction not in ("out", "in", "both"):
            raise self.fail(node, f"{field}.direction", "must be out, in or both")
        if match not in ("any", "all", "none"):
            raise self.fail(node, f"{field}.match", "must be any, all or none")
        bad_edge = edge_error(str(edge))
        if bad_edge:
            raise self.fail(node, f"{field}.edge", bad_edge)
        scope = self.kind_scope(node, f"{field}.kind", kind)
        where = self.within(scope, node["where"], f"{field}.where") if "where" in node else _true

        def test(scope: Any, res: Resource, ctx: RuleContext) -> Outcome:
            others = [o for o in ctx.graph.neighbours(res.id, edge, direction) if kind is None or o.kind == kind]
            results, hits = [], []
            for o in others:
                r, _ = where(o, o, ctx)
                results.append(r)
                if r:
                    hits.append(o.id)
            if match == "any":
                verdict = tri_any(results)
            elif match == "all":
                verdict = tri_all(results)
            else:
                r_any = tri_any(results)
                verdict = None if r_any is None else not r_any
            return verdict, [{"related": edge, "match": match, "resources": hits or [o.id for o in others]}]

        return test

    def reachable(self, node: Any, field: str) -> Cond:
        if not isinstance(node, Mapping):
            raise self.fail(node, field, "must be a mapping")
        self._only(node, field, {"from", "to", "edges", "direction", "max_hops"})
        edges = node.get("edges")
        if not isinstance(edges, list) or not edges or not all(isinstance(e, str) for e in edges):
            raise self.fail(node, f"{field}.edges", "must be a non-empty list of edge kinds")
        bad_edge = next(filter(None, map(edge_error, edges)), None)
        if bad_edge:
            raise self.fail(node, f"{field}.edges", bad_edge)
        max_hops = node.get("max_hops", 8)
        if not isinstance(max_hops, int) or max_hops < 1:
            raise self.fail(node, f"{field}.max_hops", "must be a positive integer")
        if ("from" in node) == ("to" in node):
            raise self.fail(node, field, "needs exactly one of from: internet or to: {kind, where}")
        kinds = frozenset(edges)
        if "from" in node:
            if node["from"] != "internet":
                raise self.fail(node, f"{field}.from", "only 'internet' is supported; use to: for other targets")
            direction = "in"

            def is_target(rid: str, ctx: RuleContext) -> bool | None:
                return rid == INTERNET

        else:
            to = node["to"]
            if not isinstance(to, Mapping):
                raise self.fail(node, f"{field}.to", "must be {kind: KIND, where: cond}")
            to_kind = to.get("kind")
            scope = self.kind_scope(to, f"{field}.to.kind", to_kind)
            to_where = self.within(scope, to["where"], f"{field}.to.where") if "where" in to else _true
            direction = node.get("direction", "out")

            memo_key = f"reachable-targets:{field}"  # one verdict per node per rule evaluation: targets are shared

            def is_target(rid: str, ctx: RuleContext) -> bool | None:
                seen = ctx.memo.setdefault(memo_key, {})
                if rid not in seen:
                    r = ctx.graph.resource(rid)
                    seen[rid] = False if r is None or (to_kind and r.kind != to_kind) else to_where(r, r, ctx)[0]
                return seen[rid]

        def test(scope: Any, res: Resource, ctx: RuleContext) -> Outcome:
            path, verdict = _search(res.id, ctx, kinds, direction, max_hops, is_target)
            if direction == "in":
                path = list(reversed(path))
            return verdict, [{"reachable": sorted(kinds), "path": _expand(path, ctx, kinds)}]

        return test


def _combine(subs: list[Cond], join: Callable[[list[bool | None]], bool | None], conj: bool) -> Cond:
    def test(scope: Any, res: Resource, ctx: RuleContext) -> Outcome:
        results, witnesses = [], []
        for s in subs:
            r, w = s(scope, res, ctx)
            results.append(r)
            # keep the witnesses that explain the verdict (an unknown branch explains an unknown "any")
            if conj or r is not False:
                witnesses.extend(w)
            if not conj and r:
                break
        return join(results), witnesses

    return test


def _search(
    start: str,
    ctx: RuleContext,
    kinds: frozenset[str],
    direction: str,
    max_hops: int,
    is_target: Callable[[str, RuleContext], bool | None],
) -> tuple[list[str], bool | None]:
    """Breadth-first search over the named edge kinds; returns the shortest proving path."""
    parent: dict[str, str | None] = {start: None}
    frontier = deque([(start, 0)])
    unknown = False
    while frontier:
        rid, depth = frontier.popleft()
        if rid != start:
            hit = is_target(rid, ctx)
            if hit:
                path = [rid]
                while parent[path[-1]] is not None:
                    path.append(parent[path[-1]])  # type: ignore[arg-type]
                return list(reversed(path)), True
            if hit is None:
                unknown = True
        if depth >= max_hops:
            continue
        for n in ctx.graph.step(rid, kinds, direction):
            if n not in parent:
                parent[n] = rid
                frontier.append((n, depth + 1))
    return [], (None if unknown else False)


def _expand(path: list[str], ctx: RuleContext, kinds: frozenset[str]) -> list[str]:
    """Splice in the proving path carried by derived edges (e.g. internet -> igw -> ... -> resource)."""
    out = path[:1]
    for a, b in pairwise(path):
        hop = next((e for e in ctx.graph.out_edges(a) if e.dst == b and e.kind in kinds and e.attrs.get("path")), None)
        out.extend(list(hop.attrs["path"])[1:] if hop is not None else [b])
    return out


_SPECIAL = {"@id", "@name", "@kind", "@native_type", "@provider", "@account", "@region"}


def _resolve(scope: Any, res: Resource, path: str) -> Any:
    """Resolve an attribute path in a scope: a resource's attrs, or a list element (``.``)."""
    if path == ".":
        return scope
    if path.startswith("@"):
        if path in _SPECIAL:
            return getattr(res if not isinstance(scope, Resource) else scope, path[1:])
        if path.startswith("@tags."):
            target = scope if isinstance(scope, Resource) else res
            return target.tags.get(path[6:])
        return None
    if isinstance(scope, Resource):
        return scope.get(path)
    if isinstance(scope, Mapping):
        return get_path(scope, path)
    return None


_PLACEHOLDER = re.compile(r"\{([@A-Za-z0-9_.]+)\}")


def render(template: str, res: Resource, params: Mapping[str, Any]) -> str:
    """Fill ``{name}``, ``{id}``, ``{params.x}``, ``{attrs.path}`` placeholders (no format())."""

    def sub(m: re.Match[str]) -> str:
        key = m.group(1)
        if key.startswith("params."):
            v = get_path(params, key[7:])
        elif key.startswith("attrs."):
            v = res.get(key[6:])
        elif key in ("id", "name", "kind", "native_type", "provider", "account", "region"):
            v = getattr(res, key)
        else:
            return m.group(0)
        if isinstance(v, (list, tuple)):
            return ", ".join(str(x) for x in v)
        return str(v)

    return _PLACEHOLDER.sub(sub, template)


# --------------------------------------------------------------------------- rules
_RULE_KEYS = {
    "id", "title", "severity", "category", "kinds", "providers", "params", "when", "fails_when",
    "message", "expected", "discriminator", "rationale", "remediation", "controls", "fixtures",
    "on_unknown", "tags", "enabled",
}
_REQUIRED = ("id", "title", "severity", "category", "kinds", "fails_when", "message")
_INSTANCE_KEYS = {"of", "id", "params", "title", "severity", "rationale", "remediation",
                  "controls", "expected", "fixtures", "tags", "enabled"}
_ID = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")


def _str_list(c: _Compiler, node: Mapping[str, Any], key: str) -> tuple[str, ...]:
    v = node.get(key, [])
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise c.fail(node, key, "must be a list of strings")
    return tuple(v)


def _fixtures(c: _Compiler, node: Mapping[str, Any]) -> tuple[RuleFixture, ...]:
    raw = node.get("fixtures", [])
    if not isinstance(raw, list):
        raise c.fail(node, "fixtures", "must be a list of {source, fail, pass}")
    out = []
    for i, f in enumerate(raw):
        if not isinstance(f, Mapping) or "source" not in f or set(f) - {"source", "fail", "pass", "params"}:
            raise c.fail(f if isinstance(f, Mapping) else node, f"fixtures[{i}]",
                         "must be {source, fail, pass, params}")
        out.append(RuleFixture(str(f["source"]), tuple(f.get("fail", [])), tuple(f.get("pass", [])),
                               dict(f.get("params") or {})))
    return tuple(out)


def _meta(c: _Compiler, node: Mapping[str, Any], origin: str) -> RuleMeta:
    rid = node["id"]
    if not isinstance(rid, str) or not _ID.match(rid):
        raise c.fail(node, "id", f"{rid!r} is not a rule id like POSTURE-NET-001 (upper case, dash separated)")
    try:
        severity = Severity(node["severity"])
    except ValueError:
        raise c.fail(node, "severity", f"{node['severity']!r} is not one of "
                     f"{', '.join(s.value for s in Severity)}") from None
    try:
        category = Category(node["category"])
    except ValueError:
        raise c.fail(node, "category", f"{node['category']!r} is not one of "
                     f"{', '.join(k.value for k in Category)}") from None
    on_unknown = node.get("on_unknown", "info")
    if on_unknown not in ("info", "skip"):
        raise c.fail(node, "on_unknown", "must be info or skip")
    for text_key in ("title", "message", "rationale", "remediation", "expected", "discriminator"):
        if text_key in node and not isinstance(node[text_key], str):
            raise c.fail(node, text_key, "must be a string")
    return RuleMeta(
        id=rid,
        title=node["title"],
        severity=severity,
        category=category,
        kinds=_str_list(c, node, "kinds"),
        rationale=node.get("rationale", "").strip(),
        remediation=node.get("remediation", "").strip(),
        controls=_str_list(c, node, "controls"),
        providers=_str_list(c, node, "providers"),
        expected=node.get("expected", ""),
        on_unknown=on_unknown,
        fixtures=_fixtures(c, node),
        origin=origin,
        tags=_str_list(c, node, "tags"),
        enabled=_bool(c, node, "enabled"),
    )


SOURCE_DIGEST = "posture_source_digest"
"""Attribute of a compiled check: digest of the YAML rule it was compiled from."""

_NON_LOCAL = frozenset({"related", "reachable", "age_gt_days", "expires_within_days"})
"""Condition keys that read beyond the resource: the graph, or the clock."""


def _is_local(node: Any) -> bool:
    if isinstance(node, Mapping):
        return not (_NON_LOCAL & set(node)) and all(_is_local(v) for v in node.values())
    if isinstance(node, list):
        return all(_is_local(v) for v in node)
    return True


def _bool(c: _Compiler, node: Mapping[str, Any], key: str, default: bool = True) -> bool:
    v = node.get(key, default)
    if not isinstance(v, bool):
        raise c.fail(node, key, "must be true or false")
    return v


def compile_rule(node: Mapping[str, Any], file: str) -> Rule:
    """Compile one YAML rule mapping into a :class:`Rule`."""
    probe = _Compiler(file, {})
    if not isinstance(node, Mapping):
        raise probe.fail(node, "", "each entry of rules: must be a mapping")
    unknown = set(node) - _RULE_KEYS
    if unknown:
        key = sorted(unknown)[0]
        close = difflib.get_close_matches(str(key), sorted(_RULE_KEYS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise probe.fail(node, key, f"unknown field{hint}")
    for key in _REQUIRED:
        if key not in node:
            raise probe.fail(node, "", f"rule {node.get('id', '?')}: missing required field {key!r}")
    params = node.get("params", {})
    if not isinstance(params, Mapping):
        raise probe.fail(node, "params", "must be a mapping of parameter defaults")
    c = _Compiler(file, dict(params))
    meta = dataclasses.replace(_meta(c, node, f"{file}:{_line(node)}"),
                               local=_is_local(node.get("when")) and _is_local(node["fails_when"]))
    for kind in meta.kinds:
        error = kind_error(kind)
        if error:
            raise c.fail(node, "kinds", error)
    c.scope = scope_of(meta.kinds)
    when = c.cond(node["when"], "when") if "when" in node else _true
    fails_when = c.cond(node["fails_when"], "fails_when")
    message, discriminator = node["message"], node.get("discriminator", "")

    def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
        applies, when_witnesses = when(res, res, ctx)
        if applies is False:
            return
        verdict, witnesses = fails_when(res, res, ctx) if applies else (None, when_witnesses)
        if verdict is False:
            return
        observed = _observed(witnesses)
        path = next((tuple(w["path"]) for w in witnesses if w.get("path")), ())
        disc = render(discriminator, res, ctx.params) if discriminator else ""
        if verdict is None:
            if ctx.rule.on_unknown == "skip":
                return
            unknown = sorted({w["attr"] for w in witnesses if "attr" in w and w.get("observed") is UNKNOWN})
            yield Violation(
                f"cannot verify: {', '.join(unknown) or 'a value'} {unknown_words(res)}",
                observed=observed, expected=ctx.rule.expected, discriminator=disc, unverified=True,
            )
            return
        text = render(message, res, ctx.params)
        default = _provider_default(res, witnesses)
        if default:
            text += f" ({default})"
        yield Violation(text, observed=observed, expected=ctx.rule.expected, discriminator=disc, path=path)

    def applies(res: Resource, ctx: RuleContext) -> bool | None:
        return when(res, res, ctx)[0]

    # what the rule says, for caches keyed on behaviour (posture.incremental): instances share the check
    setattr(check, SOURCE_DIGEST, hashlib.sha256(repr(node).encode("utf-8")).hexdigest())
    return Rule(meta, check, params, applies if "when" in node else None)


def _provider_default(res: Resource, witnesses: list[Witness]) -> str:
    """What decided a failing value the configuration left unset: the object holding a witnessed attribute says
    ``basis: provider_default`` and names the knowledge entry (``default_source``)."""
    for w in witnesses:
        parent = str(w.get("attr", "")).rpartition(".")[0]
        holder = res.get(parent) if parent else None
        if isinstance(holder, Mapping) and holder.get("basis") == "provider_default":
            where = "not set in the configuration" if res.source.startswith("terraform") else "not set"
            return f"{where}: the provider default applies, {holder.get('default_source') or 'knowledge table'}"
    return ""


def _observed(witnesses: list[Witness]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for w in witnesses:
        if "attr" in w and "quantifier" in w:
            out[w["attr"]] = w["matched"]
        elif "attr" in w:
            out.setdefault(w["attr"], w["observed"])
        elif "related" in w:
            out[f"related:{w['related']}"] = w["resources"]
        elif "reachable" in w and w.get("path"):
            out["path"] = w["path"]
    return out


def load_rule_file(path: str | Path, known: Mapping[str, Rule] | None = None) -> list[Rule]:
    """Load and validate one YAML rule file (``rules:`` and ``instances:``).

    ``known`` lets instances refer to rules defined in other files.
    """
    p = Path(path)
    file = str(p)
    try:
        doc = parse_yaml(read_text(p, "rules", "rule file"), file)
    except RuleFileError:
        raise
    except InputError as e:  # unreadable, not UTF-8, invalid YAML, too big or too deep: still a rule file error
        raise RuleFileError(str(e)) from None
    c = _Compiler(file, {})
    if doc is None:
        return []
    if not isinstance(doc, Mapping):
        raise RuleFileError("top level must be a mapping with rules: and/or instances:", where=f"{file}:1")
    extra = set(doc) - {"rules", "instances"}
    if extra:
        raise c.fail(doc, sorted(extra)[0], "unknown top-level field (expected rules, instances)")
    rules: list[Rule] = []
    raw_rules = doc.get("rules", [])
    if not isinstance(raw_rules, list):
        raise c.fail(doc, "rules", "must be a list of rules")
    for node in raw_rules:
        rules.append(compile_rule(node, file))
    by_id = dict(known or {})
    by_id.update({r.id: r for r in rules})
    raw_instances = doc.get("instances", [])
    if not isinstance(raw_instances, list):
        raise c.fail(doc, "instances", "must be a list")
    for node in raw_instances:
        rules.append(_instance(c, node, by_id))
    return rules


def _instance(c: _Compiler, node: Any, by_id: Mapping[str, Rule]) -> Rule:
    if not isinstance(node, Mapping) or "of" not in node or "id" not in node:
        raise c.fail(node, "", "an instance needs of: RULE_ID and id: NEW_ID")
    extra = set(node) - _INSTANCE_KEYS
    if extra:
        raise c.fail(node, sorted(extra)[0], "unknown field in instance")
    base = by_id.get(node["of"])
    if base is None:
        raise c.fail(node, "of", f"unknown rule {node['of']!r}")
    if not _ID.match(str(node["id"])):
        raise c.fail(node, "id", f"{node['id']!r} is not a rule id like POSTURE-NET-001")
    overrides: dict[str, Any] = {"origin": f"{c.file}:{_line(node)}"}
    for key in ("title", "rationale", "remediation", "expected"):
        if key in node:
            overrides[key] = node[key]
    if "severity" in node:
        try:
            overrides["severity"] = Severity(node["severity"])
        except ValueError:
            raise c.fail(node, "severity", f"{node['severity']!r} is not a severity") from None
    for key in ("controls", "tags"):
        if key in node:
            overrides[key] = _str_list(c, node, key)
    if "fixtures" in node:
        overrides["fixtures"] = _fixtures(c, node)
    if "enabled" in node:
        overrides["enabled"] = _bool(c, node, "enabled")
    params = node.get("params", {})
    if not isinstance(params, Mapping):
        raise c.fail(node, "params", "must be a mapping")
    try:
        return base.instantiate(str(node["id"]), params, **overrides)
    except ValueError as e:
        raise c.fail(node, "params", str(e)) from None
