"""Static evaluation of HCL expressions (python-hcl2's Lark parse tree) and reference collection.

Only what is knowable without running Terraform is computed: literals, variables, locals, module
inputs/outputs, resource attributes that are themselves literal, operators, conditionals, ``for``
expressions, splats and a set of pure built-in functions. Everything else (data sources, computed
attributes, ``file()``, unknown functions, type errors) is :data:`UNKNOWN` — never a guess.

A :class:`Scope` answers the roots of a traversal (``var``, ``local``, ``module``, resources, ``each``,
``count``, iterators); :func:`evaluate` computes a value and :func:`references` the Terraform addresses
an expression refers to (through variables, locals, module outputs and iterators).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from lark import Token, Tree

from posture.model import UNKNOWN
from posture.providers.terraform.hcl_functions import _UNKNOWN_TOLERANT, FUNCTIONS, before_call
from posture.providers.terraform.hcl_limits import LimitHit, scan_budget
from posture.providers.terraform.hcl_limits import current as current_budget
from posture.providers.terraform.hcl_sensitive import MARK_FUNCTIONS, mark_if, unmark, unmark_args, unmark_deep
from posture.providers.terraform.hcl_values import (
    EvalError,
    JsonDocument,
    _clean_num,
    _norm_eq,
    _num,
    _to_str,
    _truthy,
    has_unknown,
    kids,
    unwrap,
)


# ----------------------------------------------------------------------------------------------------------
# scopes
# ----------------------------------------------------------------------------------------------------------
class Scope:
    """Resolves traversal roots. Subclassed by the module loader; ``locals_`` holds iterator/for variables.

    ``lookup(root, steps)`` returns ``(value, consumed)`` where ``consumed`` is how many steps the root used
    (``var.x`` consumes 1, ``aws_vpc.main[0].cidr_block`` consumes 3); ``refs(root, steps)`` returns the
    resource addresses the traversal points to.
    """

    def __init__(self, parent: Scope | None = None, names: dict[str, tuple[Any, list[str]]] | None = None):
        self.parent = parent
        self.names = names or {}

    def child(self, names: dict[str, tuple[Any, list[str]]]) -> Scope:
        return Scope(self, names)

    def _local(self, root: str) -> tuple[Any, list[str]] | None:
        s: Scope | None = self
        while s is not None:
            if root in s.names:
                return s.names[root]
            s = s.parent
        return None

    def _base(self) -> Scope:
        s = self
        while s.parent is not None:
            s = s.parent
        return s

    def lookup(self, root: str, steps: list[tuple[str, Any]]) -> tuple[Any, int]:
        hit = self._local(root)
        if hit is not None:
            return hit[0], 0
        base = self._base()
        if base is self:
            return UNKNOWN, len(steps)
        return base.lookup(root, steps)

    def refs(self, root: str, steps: list[tuple[str, Any]]) -> list[str]:
        hit = self._local(root)
        if hit is not None:
            return hit[1]
        base = self._base()
        return [] if base is self else base.refs(root, steps)


# ----------------------------------------------------------------------------------------------------------
# evaluation
# ----------------------------------------------------------------------------------------------------------
def evaluate(node: Any, scope: Scope) -> Any:
    """The static value of an expression node; UNKNOWN where it cannot be known.

    Evaluation runs under the scan's :class:`~.hcl_limits.EvalBudget` (a fresh one outside a scan): an
    expression over a limit is UNKNOWN and the hit is recorded there, for the loader's ``limit_exceeded`` gap.
    """
    budget = current_budget()
    if budget is None:
        with scan_budget():
            return evaluate(node, scope)
    try:
        return _ev(node, scope)
    except LimitHit as hit:
        budget.record(hit)
        return UNKNOWN
    except (EvalError, RecursionError, TypeError, ValueError, KeyError, IndexError, ZeroDivisionError,
            OverflowError, AttributeError):  # a built-in given a value of the wrong type (split on a list)
        return UNKNOWN


def _ev(node: Any, scope: Scope) -> Any:
    budget = current_budget()
    if budget is not None:
        budget.step()
    node = unwrap(node)
    if isinstance(node, Token):
        return _token(node)
    kind = node.data
    fn = _NODES.get(kind)
    if fn is None:
        ks = kids(node)
        if len(ks) == 1:
            return _ev(ks[0], scope)
        raise EvalError(f"unsupported expression {kind}")
    return fn(node, scope)


def _checked(value: Any) -> Any:
    """``value`` when within the scan's string and collection limits (LimitHit otherwise)."""
    budget = current_budget()
    return budget.check(value) if budget is not None else value


def _checked_string(n: int) -> None:
    budget = current_budget()
    if budget is not None:
        budget.check_string(n)


def _token(tok: Token) -> Any:
    if tok.type == "INT_LITERAL":
        return int(tok)
    if tok.type == "FLOAT_LITERAL":
        return float(tok)
    if tok.type in ("TRUE", "FALSE", "NULL"):
        return {"TRUE": True, "FALSE": False, "NULL": None}[tok.type]
    return str(tok)


def _literal_value(node: Tree, scope: Scope) -> Any:
    return _token(node.children[0])  # type: ignore[arg-type]


def _int(node: Tree, scope: Scope) -> Any:
    return int(str(node.children[0]))


def _float(node: Tree, scope: Scope) -> Any:
    v = float(str(node.children[0]))
    return int(v) if v.is_integer() and "e" not in str(node.children[0]).lower() else v


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _unescape(s: str) -> str:
    if "\\" not in s:
        return s
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            nxt = s[i + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
            if nxt == "u" and i + 5 < len(s) + 1:
                try:
                    out.append(chr(int(s[i + 2 : i + 6], 16)))
                    i += 6
                    continue
                except ValueError:
                    pass
        out.append(c)
        i += 1
    return "".join(out)


def _string(node: Tree, scope: Scope) -> Any:
    parts: list[Any] = []
    hidden = False  # an interpolated sensitive value marks the whole string
    for part in node.children:
        if isinstance(part, Token):
            continue
        inner = part.children[0] if part.children else ""
        if isinstance(inner, Token):
            if inner.type == "ESCAPED_INTERPOLATION" or inner.type == "ESCAPED_DIRECTIVE":
                parts.append(str(inner)[1:])
            else:
                parts.append(_unescape(str(inner)))
        elif isinstance(inner, Tree) and inner.data == "interpolation":
            value, m = unmark_deep(_ev(kids(inner)[0], scope))
            hidden = hidden or m
            if value is UNKNOWN or isinstance(value, JsonDocument):
                return mark_if(hidden, UNKNOWN)
            parts.append(_to_str(value))
        else:
            return mark_if(hidden, UNKNOWN)  # template directives (%{if}/%{for})
    _checked_string(sum(map(len, parts)))
    return mark_if(hidden, "".join(parts))


def _heredoc(node: Tree, scope: Scope) -> Any:
    raw = str(node.children[0])
    first, _, rest = raw.partition("\n")
    marker = first[2:].lstrip("-").strip()
    body = rest.rstrip("\n")
    body = body[: body.rfind("\n") + 1] if "\n" in body else ""
    if node.data == "heredoc_template_trim":
        lines = body.split("\n")
        indents = [len(ln) - len(ln.lstrip()) for ln in lines if ln.strip()]
        cut = min(indents) if indents else 0
        body = "\n".join(ln[cut:] for ln in lines)
    if "${" in body.replace("$${", "") or "%{" in body.replace("%%{", ""):
        return UNKNOWN
    del marker
    return body.replace("$${", "${").replace("%%{", "%{")


def _tuple(node: Tree, scope: Scope) -> Any:
    return _checked([_ev(k, scope) for k in kids(node)])


def _object(node: Tree, scope: Scope) -> Any:
    out: dict[str, Any] = {}
    hidden = False  # a sensitive key marks the whole object
    for elem in kids(node):
        ks = kids(elem)
        key_node = unwrap(ks[0].children[0]) if ks[0].children else ks[0]
        if isinstance(key_node, Tree) and key_node.data == "identifier":
            key: Any = str(key_node.children[0])
        elif isinstance(key_node, Tree) and key_node.data == "keyword":
            key = str(key_node.children[0])
        else:
            key, m = unmark_deep(_ev(key_node, scope))
            hidden = hidden or m
        if key is UNKNOWN:
            return mark_if(hidden, UNKNOWN)
        out[_to_str(key)] = _ev(ks[1], scope)
    return mark_if(hidden, _checked(out))


def _conditional(node: Tree, scope: Scope) -> Any:
    cond, a, b = kids(node)
    c, hidden = unmark(_ev(cond, scope))
    if c is UNKNOWN:
        return mark_if(hidden, UNKNOWN)
    return mark_if(hidden, _ev(a, scope) if _truthy(c) else _ev(b, scope))


def _binary_op(node: Tree, scope: Scope) -> Any:
    left_node, term = kids(node)
    op_node, right_node = kids(term)
    op = str(op_node.children[0])
    left, hidden = unmark_deep(_ev(left_node, scope))  # a sensitive operand marks the result
    short = (op == "&&" and left is False) or (op == "||" and left is True)
    right, m = (None, False) if short else unmark_deep(_ev(right_node, scope))
    return mark_if(hidden or m, _binary(op, left, right))


def _binary(op: str, left: Any, right: Any) -> Any:
    if op == "&&" and left is False:
        return False
    if op == "||" and left is True:
        return True
    if op in ("&&", "||"):
        if left is UNKNOWN or right is UNKNOWN:
            return UNKNOWN
        return (_truthy(left) and _truthy(right)) if op == "&&" else (_truthy(left) or _truthy(right))
    if op in ("==", "!="):
        if has_unknown(left) or has_unknown(right):
            return UNKNOWN
        eq = _norm_eq(left) == _norm_eq(right)
        return eq if op == "==" else not eq
    if left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    a, b = _num(left), _num(right)
    if op == "+":
        return _clean_num(a + b)
    if op == "-":
        return _clean_num(a - b)
    if op == "*":
        return _clean_num(a * b)
    if op == "/":
        return _clean_num(a / b)
    if op == "%":
        return _clean_num(math.fmod(a, b))
    if op == "<":
        return a < b
    if op == ">":
        return a > b
    if op == "<=":
        return a <= b
    if op == ">=":
        return a >= b
    raise EvalError(f"operator {op}")


def _unary_op(node: Tree, scope: Scope) -> Any:
    op = node.children[0]
    value, hidden = unmark_deep(_ev(node.children[1], scope))
    if value is UNKNOWN:
        return mark_if(hidden, UNKNOWN)
    return mark_if(hidden, not _truthy(value) if str(op) == "!" else _clean_num(-_num(value)))


# -- traversals ----------------------------------------------------------------------------------------------
_TRAVERSALS = {"get_attr_expr_term", "index_expr_term", "attr_splat_expr_term", "full_splat_expr_term"}


def flatten_traversal(node: Any, scope: Scope | None) -> tuple[str | None, list[tuple[str, Any]], Any]:
    """``a.b[0].c`` -> ("a", [("attr","b"), ("index",0), ("attr","c")], None).

    Returns (root identifier or None, steps, base expression when the chain does not start at an
    identifier). Index steps hold the evaluated key (UNKNOWN when unknown; None without a scope);
    splats appear as ("splat", [steps applied to each element]).
    """
    steps: list[tuple[str, Any]] = []
    node = unwrap(node)
    while isinstance(node, Tree) and node.data in _TRAVERSALS:
        base, op = node.children[0], node.children[1]
        if node.data == "get_attr_expr_term":
            steps.insert(0, ("attr", str(kids(op)[0].children[0])))
        elif node.data == "index_expr_term":
            steps.insert(0, ("index", _index_key(op, scope)))
        else:
            sub = []
            for s in kids(op):
                if isinstance(s, Token):
                    continue
                if s.data == "get_attr":
                    sub.append(("attr", str(kids(s)[0].children[0])))
                else:
                    sub.append(("index", _index_key(s, scope)))
            steps = [("splat", sub + steps)]
        node = unwrap(base)
    if isinstance(node, Tree) and node.data == "identifier":
        return str(node.children[0]), steps, None
    return None, steps, node


def _index_key(op: Tree, scope: Scope | None) -> Any:
    if op.data == "short_index":
        return int(kids(op)[0])
    if scope is None:
        return None
    return evaluate(kids(op)[0], scope)


def apply_steps(value: Any, steps: Iterable[tuple[str, Any]]) -> Any:
    """Follow attribute/index/splat steps through a value (UNKNOWN propagates; bad steps raise).

    Through a marked collection, or with a marked key, the result is marked."""
    hidden = False
    for kind, arg in steps:
        value, m = unmark(value)
        arg, k = unmark(arg)
        hidden = hidden or m or k
        if value is UNKNOWN:
            return mark_if(hidden, UNKNOWN)
        if kind == "splat":
            if value is None:
                return mark_if(hidden, [])
            items = value if isinstance(value, list) else [value]
            budget = current_budget()
            if budget is not None:
                budget.step(len(items))
            return mark_if(hidden, [apply_steps(v, arg) for v in items])
        if arg is UNKNOWN:
            return mark_if(hidden, UNKNOWN)
        if isinstance(value, dict):
            key = _to_str(arg) if not isinstance(arg, str) else arg
            if key not in value:
                raise EvalError(f"no attribute {key!r}")
            value = value[key]
        elif isinstance(value, list):
            try:
                value = value[int(arg)]
            except (ValueError, TypeError, IndexError):
                raise EvalError(f"bad index {arg!r}") from None
        else:
            raise EvalError("cannot index a primitive")
    return mark_if(hidden, value)


def _traversal(node: Tree, scope: Scope) -> Any:
    root, steps, base = flatten_traversal(node, scope)
    if root is None:
        return apply_steps(_ev(base, scope), steps)
    value, used = scope.lookup(root, steps)
    return apply_steps(value, steps[used:])


def _identifier(node: Tree, scope: Scope) -> Any:
    value, _ = scope.lookup(str(node.children[0]), [])
    return value


# -- for expressions -----------------------------------------------------------------------------------------
def _for_parts(node: Tree) -> tuple[list[str], Any, list[Any], Any]:
    ks = [k for k in kids(node) if not (isinstance(k, Token))]
    intro = ks[0]
    ik = kids(intro)
    names = [str(k.children[0]) for k in ik if isinstance(k, Tree) and k.data == "identifier"]
    coll = [k for k in ik if not (isinstance(k, Tree) and k.data == "identifier")][-1]
    rest = ks[1:]
    cond = None
    if rest and isinstance(rest[-1], Tree) and rest[-1].data == "for_cond":
        cond = kids(rest[-1])[-1]
        rest = rest[:-1]
    return names, coll, rest, cond


def _items(coll: Any) -> list[tuple[Any, Any]]:
    if isinstance(coll, dict):
        return list(coll.items())
    if isinstance(coll, list):
        return list(enumerate(coll))
    raise EvalError("for over a non-collection")


def _for_iter(node: Tree, scope: Scope) -> Any:
    """(the scopes of the iterations kept, the body, whether the result is marked: over a marked collection or
    with a marked condition)."""
    names, coll_node, body, cond = _for_parts(node)
    coll, hidden = unmark(_ev(coll_node, scope))
    if coll is UNKNOWN:
        return UNKNOWN, None, hidden
    refs = references(coll_node, scope)
    out = []
    budget = current_budget()
    for k, v in _items(coll):
        if budget is not None:
            budget.step()
        bind = {names[0]: (k, refs), names[1]: (v, refs)} if len(names) == 2 else {names[0]: (v, refs)}
        inner = scope.child(bind)
        if cond is not None:
            c, m = unmark_deep(_ev(cond, inner))
            hidden = hidden or m
            if c is UNKNOWN:
                return UNKNOWN, None, hidden
            if not _truthy(c):
                continue
        out.append(inner)
    return out, body, hidden


def _for_tuple(node: Tree, scope: Scope) -> Any:
    scopes, body, hidden = _for_iter(node, scope)
    if scopes is UNKNOWN:
        return mark_if(hidden, UNKNOWN)
    return mark_if(hidden, _checked([_ev(body[0], s) for s in scopes]))


def _for_object(node: Tree, scope: Scope) -> Any:
    scopes, body, hidden = _for_iter(node, scope)
    if scopes is UNKNOWN:
        return mark_if(hidden, UNKNOWN)
    grouping = any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in node.children)
    out: dict[str, Any] = {}
    for s in scopes:
        k, m = unmark_deep(_ev(body[0], s))
        hidden = hidden or m  # a sensitive key marks the whole object
        if k is UNKNOWN:
            return mark_if(hidden, UNKNOWN)
        v = _ev(body[1], s)
        if grouping:
            out.setdefault(_to_str(k), []).append(v)
        else:
            out[_to_str(k)] = v
    return mark_if(hidden, _checked(out))


# -- functions -----------------------------------------------------------------------------------------------
def _function_call(node: Tree, scope: Scope) -> Any:
    ks = kids(node)
    names = [str(k.children[0]) for k in ks if isinstance(k, Tree) and k.data == "identifier"]
    name = names[-1]
    args_node = next((k for k in ks if isinstance(k, Tree) and k.data == "arguments"), None)
    arg_nodes = kids(args_node) if args_node is not None else []
    expand = args_node is not None and any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in args_node.children)
    if name in ("try", "can"):
        for a in arg_nodes:
            try:
                v = _ev(a, scope)
            except (EvalError, TypeError, ValueError, KeyError, IndexError, AttributeError):
                if name == "can":
                    return False
                continue
            if name == "can":
                return mark_if(unmark_deep(v)[1], UNKNOWN if has_unknown(v) else True)
            return v
        if name == "try":
            raise EvalError("no try() argument succeeded")
    if name in MARK_FUNCTIONS and len(arg_nodes) == 1 and not expand:
        return MARK_FUNCTIONS[name](_ev(arg_nodes[0], scope))
    fn = FUNCTIONS.get(name)
    if fn is None:
        return UNKNOWN
    args = [_ev(a, scope) for a in arg_nodes]
    if expand and args:
        last, m = unmark(args.pop())
        if last is UNKNOWN:
            return mark_if(m, UNKNOWN)
        args.extend(mark_if(m, a) for a in (last if isinstance(last, list) else list(last.values())))
    args, hidden = unmark_args(name, args)
    if name not in _UNKNOWN_TOLERANT and any(a is UNKNOWN for a in args):
        return mark_if(hidden, UNKNOWN)
    if any(isinstance(a, JsonDocument) for a in args):
        return mark_if(hidden, dict(args[0]) if name == "jsondecode" else UNKNOWN)
    budget = current_budget()
    if budget is not None:
        before_call(name, args, budget)
    return mark_if(hidden, _checked(fn(*args)))


_NODES: dict[str, Callable[[Tree, Scope], Any]] = {
    "literal_value": _literal_value,
    "int_lit": _int,
    "float_lit": _float,
    "string": _string,
    "template_string": lambda n, s: UNKNOWN,
    "heredoc_template": _heredoc,
    "heredoc_template_trim": _heredoc,
    "tuple": _tuple,
    "object": _object,
    "conditional": _conditional,
    "binary_op": _binary_op,
    "unary_op": _unary_op,
    "identifier": _identifier,
    "get_attr_expr_term": _traversal,
    "index_expr_term": _traversal,
    "attr_splat_expr_term": _traversal,
    "full_splat_expr_term": _traversal,
    "for_tuple_expr": _for_tuple,
    "for_object_expr": _for_object,
    "function_call": _function_call,
    "interpolation": lambda n, s: _ev(kids(n)[0], s),
}


# ----------------------------------------------------------------------------------------------------------
# references
# ----------------------------------------------------------------------------------------------------------
def references(node: Any, scope: Scope) -> list[str]:
    """Resource addresses an expression refers to, followed through variables, locals, outputs, iterators.

    Bounded by the evaluation budget like :func:`evaluate` (the addresses found until a limit, which is recorded).
    """
    budget = current_budget()
    if budget is None:
        with scan_budget():
            return references(node, scope)
    out: list[str] = []
    try:
        _collect(node, scope, out)
    except LimitHit as hit:
        budget.record(hit)
    return list(dict.fromkeys(out))


def _collect(node: Any, scope: Scope, out: list[str]) -> None:
    budget = current_budget()
    if budget is not None:
        budget.step()
    node = unwrap(node)
    if not isinstance(node, Tree):
        return
    if node.data in _TRAVERSALS or node.data == "identifier":
        root, steps, base = flatten_traversal(node, scope)
        if root is not None:
            try:
                out.extend(scope.refs(root, steps))
            except (EvalError, RecursionError):
                pass
        else:
            _collect(base, scope, out)
        _collect_index_exprs(node, scope, out)
        return
    if node.data in ("for_tuple_expr", "for_object_expr"):
        _collect(_for_parts(node)[1], scope, out)
        return
    if node.data == "function_call":
        for k in kids(node):
            if isinstance(k, Tree) and k.data == "arguments":
                for a in kids(k):
                    _collect(a, scope, out)
        return
    if node.data == "object":
        for elem in kids(node):
            _collect(kids(elem)[1], scope, out)
        return
    for c in node.children:
        if isinstance(c, Tree):
            _collect(c, scope, out)


def _collect_index_exprs(node: Any, scope: Scope, out: list[str]) -> None:
    node = unwrap(node)
    while isinstance(node, Tree) and node.data in _TRAVERSALS:
        op = node.children[1]
        if isinstance(op, Tree) and op.data == "braces_index":
            _collect(kids(op)[0], scope, out)
        node = unwrap(node.children[0])
