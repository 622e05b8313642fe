"""Every coverage-gap code posture emits has a class (input not read / value unknown), found by walking the code."""

from __future__ import annotations

import ast

import pytest

from posture.model import GAP_CLASSES, Gap, GapClass, gap_class
from tests.helpers.paths import ROOT

PACKAGE = ROOT / "posture"

# call name -> index of the positional argument that is the gap code (keywords: code / error_code)
_CODE_ARG = {"Gap": 2, "Refused": 2, "gap": 1, "_failure_gap": 2, "_skip_file": 2}
_CODE_NAMES = {"code", "error_code"}


def _literal(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value else None


def _emitted_codes() -> dict[str, str]:
    """Literal gap codes -> first place seen: gap constructors, code variables, probe error tables and returns."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        probe = path.name == "sslyze_probe.py"
        for node in ast.walk(tree):
            codes: list[str | None] = []
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in _CODE_ARG and len(node.args) > _CODE_ARG[name]:
                    codes.append(_literal(node.args[_CODE_ARG[name]]))
                if name in _CODE_ARG or name == "Outcome":
                    codes += [_literal(k.value) for k in node.keywords if k.arg in _CODE_NAMES]
            elif isinstance(node, (ast.Assign, ast.AnnAssign)) and _CODE_NAMES & {
                    getattr(t, "id", None) for t in getattr(node, "targets", [getattr(node, "target", None)])}:
                codes.append(_literal(node.value))
            elif probe and isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple) and node.value.elts:
                codes.append(_literal(node.value.elts[0]))  # sniff(): (code, reason)
            elif probe and isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "_ERROR_CODES":
                codes += [_literal(v) for v in node.value.values]  # type: ignore[attr-defined]
            for code in codes:
                if code:
                    found.setdefault(code, f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")  # type: ignore[attr-defined]
    return found


def test_every_gap_code_the_code_base_emits_is_classified():
    emitted = _emitted_codes()
    # the walk sees every kind of emitter (else it would pass vacuously)
    assert {"hcl_parse_error", "unresolved_count", "out_of_scope", "unresolvable", "connection_refused",
            "tls_handshake_failed", "target_timeout", "not_implemented", "timeout", "rule_error",
            "dangling_reference", "SubscriptionDisabled"} <= set(emitted)
    missing = {code: where for code, where in emitted.items() if code not in GAP_CLASSES}
    assert not missing, f"classify these gap codes in posture.model.GAP_CLASSES: {missing}"
    assert not set(GAP_CLASSES) - set(emitted), "GAP_CLASSES lists codes nothing emits"


def test_classes_follow_the_definition():
    for code in ("hcl_parse_error", "unreadable_file", "unknown_module", "connection_refused", "unresolvable",
                 "out_of_scope", "target_timeout"):
        assert GAP_CLASSES[code] is GapClass.INPUT_NOT_READ
    for code in ("unresolved_count", "unresolved_for_each", "dangling_reference", "not_implemented"):
        assert GAP_CLASSES[code] is GapClass.VALUE_UNKNOWN
    # cloud API error codes are not listed: an unknown code fails closed
    for code in ("AccessDenied", "AuthorizationFailed", "403", "Throttling", "ModuleNotFoundError"):
        assert gap_class(code) is GapClass.INPUT_NOT_READ
    assert Gap("aws", "denied", "AccessDenied").to_dict()["class"] == "input_not_read"


def _needs_a_missing_module(*_args):
    import importlib

    return importlib.import_module("posture_missing_optional_dependency")


def _never(_raw):  # pragma: no cover - collect fails first
    raise AssertionError


def test_a_missing_optional_dependency_in_a_collection_task_is_raised_not_a_gap():
    from posture.fanout import Task, run_tasks

    with pytest.raises(ModuleNotFoundError):
        run_tasks([Task("t", _needs_a_missing_module, _never)])
