"""Data sources whose result is a pure function of their arguments, computed from HCL.

Everything else a ``data`` block returns comes from the provider's API and stays UNKNOWN. :data:`STATIC_DATA`
maps a data source type to ``{attribute: function(evaluated arguments) -> value}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from posture.model import UNKNOWN
from posture.providers.terraform.hcl_values import json_text

_MERGED = ("source_policy_documents", "override_policy_documents", "source_json", "override_json")


def iam_policy_document(args: dict[str, Any]) -> Any:
    """The policy object ``aws_iam_policy_document`` renders (UNKNOWN where the arguments are not known).

    Documents merged from other documents (``source_policy_documents`` ...) are not modelled: UNKNOWN.
    """
    if any(args.get(k) not in (None, []) for k in _MERGED):
        return UNKNOWN
    statements = args.get("statement")
    if statements is UNKNOWN:
        return UNKNOWN
    out = []
    for st in statements or []:
        if not isinstance(st, dict):
            return UNKNOWN
        rendered: dict[str, Any] = {"Effect": "Allow" if st.get("effect") in (None, "") else st["effect"]}
        if st.get("sid") not in (None, ""):
            rendered["Sid"] = st["sid"]
        for arg, key in (("actions", "Action"), ("not_actions", "NotAction"), ("resources", "Resource"),
                         ("not_resources", "NotResource")):
            if st.get(arg) not in (None, []):
                rendered[key] = st[arg]
        for arg, key in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
            principal = _principals(st.get(arg))
            if principal is not None:
                rendered[key] = principal
        conditions: dict[str, dict[str, Any]] = {}
        if st.get("condition") is UNKNOWN:
            return UNKNOWN
        for c in st.get("condition") or []:
            if not isinstance(c, dict) or not isinstance(c.get("test"), str) or not isinstance(c.get("variable"), str):
                return UNKNOWN
            conditions.setdefault(c["test"], {})[c["variable"]] = c.get("values")
        if conditions:
            rendered["Condition"] = conditions
        out.append(rendered)
    version = args.get("version")
    doc: dict[str, Any] = {"Version": "2012-10-17" if version in (None, "") else version, "Statement": out}
    if args.get("policy_id") not in (None, ""):
        doc["Id"] = args["policy_id"]
    return doc


def _principals(blocks: Any) -> Any:
    if blocks is UNKNOWN:
        return UNKNOWN
    if not blocks:
        return None
    out: dict[Any, Any] = {}
    for b in blocks:
        if not isinstance(b, dict) or not isinstance(b.get("type"), str):
            return UNKNOWN
        kind, ids = b["type"], b.get("identifiers")
        if kind == "*":
            return "*"  # Terraform renders type "*" as the bare wildcard principal
        out.setdefault(kind, []).extend(ids if isinstance(ids, list) else [ids])
    return out


def _policy_json(args: dict[str, Any]) -> Any:
    return json_text(iam_policy_document(args))


STATIC_DATA: dict[str, dict[str, Callable[[dict[str, Any]], Any]]] = {
    "aws_iam_policy_document": {"json": _policy_json, "minified_json": _policy_json},
}
"""Data source type -> attribute -> function of the evaluated arguments."""
