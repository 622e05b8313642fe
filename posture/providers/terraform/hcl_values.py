"""HCL values and syntax-tree helpers shared by the evaluator and its built-in functions (UNKNOWN-aware)."""

from __future__ import annotations

import json
from typing import Any

from lark import Token, Tree

from posture.model import UNKNOWN
from posture.providers.terraform.hcl_sensitive import Marked

_SKIP_TOKENS = {"LPAR", "RPAR", "NL_OR_COMMENT", "LSQB", "RSQB", "LBRACE", "RBRACE", "COMMA", "EQ", "COLON",
                "DBLQUOTE", "QMARK", "INTERP_START", "FOR_OBJECT_ARROW", "DOT", "FOR", "IN", "IF"}



class EvalError(Exception):
    """A type or lookup error while evaluating (caught by ``try``/``can``; UNKNOWN elsewhere)."""



def kids(node: Tree) -> list[Any]:
    """Children of a parse-tree node that carry meaning (no punctuation tokens, no newline/comment trees)."""
    out = []
    for c in node.children:
        if isinstance(c, Token):
            if c.type in _SKIP_TOKENS:
                continue
        elif isinstance(c, Tree) and c.data == "new_line_or_comment":
            continue
        out.append(c)
    return out



def unwrap(node: Any) -> Any:
    """The expression inside (possibly nested) ``expr_term`` wrappers."""
    while isinstance(node, Tree) and node.data == "expr_term":
        ks = kids(node)
        if len(ks) != 1:
            break
        node = ks[0]
    return node



def has_unknown(value: Any) -> bool:
    """True when ``value`` is or contains UNKNOWN (marked or not)."""
    if value is UNKNOWN:
        return True
    if isinstance(value, Marked):
        return has_unknown(value.value)
    if isinstance(value, dict):
        return any(has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unknown(v) for v in value)
    return False



class JsonDocument(dict):  # type: ignore[type-arg]
    """The JSON text of an object some of whose leaves are UNKNOWN until apply (``jsonencode`` of a policy
    naming ``aws_s3_bucket.b.arn``). Terraform would make the whole string unknown; a normaliser that can
    decide from the known parts (an S3 policy's Deny statements) reads the object, every other consumer
    sees something that is not a string. Functions and templates treat it as UNKNOWN."""



def json_text(value: Any) -> Any:
    """``jsonencode``: the JSON text; a :class:`JsonDocument` for an object with unknown leaves."""
    if value is UNKNOWN:
        return UNKNOWN
    if has_unknown(value):
        return JsonDocument(value) if isinstance(value, dict) else UNKNOWN
    return json.dumps(value, separators=(",", ":"))



def _to_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float, str)):
        return str(value)
    if value is None:
        raise EvalError("null in a string template")
    raise EvalError(f"cannot use a {type(value).__name__} in a string template")



def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value == "true":
        return True
    if value == "false":
        return False
    raise EvalError("condition is not a bool")



def _norm_eq(v: Any) -> Any:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v



def _num(v: Any) -> float | int:
    if isinstance(v, bool):
        raise EvalError("bool is not a number")
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, str):
        try:
            return int(v)
        except ValueError:
            return float(v)
    raise EvalError("not a number")



def _clean_num(v: float | int) -> float | int:
    if isinstance(v, int) and v.bit_length() > 1024:  # squaring forty times would be a number of 2**40 digits
        raise EvalError("number out of range")
    return int(v) if isinstance(v, float) and v.is_integer() else v
