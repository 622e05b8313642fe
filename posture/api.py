"""The Python API: scan a source, load a snapshot, evaluate a graph."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from posture.engine import evaluate_rules, graph_from_inventory
from posture.errors import InputError
from posture.gate import (  # noqa: F401  (the CI gate is part of the Python API)
    Suppression,
    apply_gate,
    load_suppressions,
    read_baseline,
    write_baseline,
)
from posture.graph import Graph
from posture.model import Category, Inventory, freeze
from posture.result import ScanResult
from posture.rules.base import Rule
from posture.rules.catalog import load_rules

PathLike = str | os.PathLike[str]


def select_rules(
    rules: Sequence[Rule] | None = None,
    *,
    rule_dirs: Iterable[PathLike] = (),
    categories: Iterable[str | Category] | None = None,
    rule_params: Mapping[str, Mapping[str, Any]] | None = None,
    segmentation_policy: PathLike | None = None,
    enable: Iterable[str] = (),
    skip: Iterable[str] = (),
) -> list[Rule]:
    """The rules to run: ``rules`` if given, else every built-in rule plus ``rule_dirs``; filtered by category.

    ``rule_params`` overrides parameters per rule id; ``segmentation_policy`` (a policy file, see
    docs/segmentation.md) is the parameter of POSTURE-SEG-100.
    """
    if rules is None:
        available = load_rules(list(rule_dirs))
        enable, skip = set(enable), set(skip)
        unknown_ids = (enable | skip) - {r.id for r in available}
        if unknown_ids:
            raise InputError(f"unknown rule id(s) {', '.join(sorted(unknown_ids))} (see posture rules list)")
        chosen = [r for r in available if (r.meta.enabled or r.id in enable) and r.id not in skip]
    else:
        chosen = list(rules)
    overrides = {k: dict(v) for k, v in (rule_params or {}).items()}
    if segmentation_policy is not None:
        from posture.segmentation import load_policy

        overrides.setdefault("POSTURE-SEG-100", {})["policy"] = load_policy(segmentation_policy)
    if overrides:
        known = {r.id for r in chosen}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise InputError(f"parameters given for unknown rule(s) {', '.join(unknown)}")
        try:
            chosen = [r.instantiate(r.id, overrides[r.id]) if r.id in overrides else r for r in chosen]
        except ValueError as e:
            raise InputError(str(e)) from None
    if categories:
        wanted = {Category(c) for c in categories}
        chosen = [r for r in chosen if r.meta.category in wanted]
    return chosen


def evaluate(
    graph: Graph,
    rules: Sequence[Rule] | None = None,
    *,
    rule_dirs: Iterable[PathLike] = (),
    categories: Iterable[str | Category] | None = None,
    rule_params: Mapping[str, Mapping[str, Any]] | None = None,
    segmentation_policy: PathLike | None = None,
    enable: Iterable[str] = (),
    skip: Iterable[str] = (),
    now: datetime | None = None,
    inventory: Inventory | None = None,
    source: Mapping[str, Any] | None = None,
) -> ScanResult:
    """Evaluate ``rules`` (default: all built-in rules) on a built graph."""
    chosen = select_rules(rules, rule_dirs=rule_dirs, categories=categories, rule_params=rule_params,
                          segmentation_policy=segmentation_policy, enable=enable, skip=skip)
    checked: dict[str, int] = {}
    checked_by: dict[str, int] = {}
    findings, rule_gaps = evaluate_rules(graph, chosen, now=now, stats=checked, checked_by=checked_by)
    return ScanResult(
        findings=findings,
        graph=graph,
        gaps=tuple(graph.gaps) + tuple(rule_gaps),
        rules=tuple(r.meta for r in chosen),
        inventory=inventory or Inventory(),
        source=freeze(dict(source or {})),
        checked=freeze(checked),
        checked_by_control=freeze(_checked_by_control(chosen, checked_by)),
    )


def _checked_by_control(rules: Sequence[Rule], checked_by: Mapping[str, int]) -> dict[str, int]:
    """Distinct resources checked per control, over every rule mapped to it (from per-resource rule masks)."""
    wanted: dict[str, int] = {}
    for bit, r in enumerate(rules):
        for control in r.meta.controls:
            wanted[control] = wanted.get(control, 0) | (1 << bit)
    resources_by_mask = Counter(checked_by.values())  # few distinct masks: resources of a kind share one
    return {c: sum(n for mask, n in resources_by_mask.items() if mask & m) for c, m in sorted(wanted.items())}


def scan_inventory(inventory: Inventory, **options: Any) -> ScanResult:
    """Build the graph for an inventory (from any source) and evaluate it."""
    graph, _ = graph_from_inventory(inventory)
    return evaluate(graph, inventory=inventory, **options)


def scan_terraform(
    path: PathLike,
    *,
    var_files: Iterable[PathLike] = (),
    rules: Sequence[Rule] | None = None,
    rule_dirs: Iterable[PathLike] = (),
    categories: Iterable[str | Category] | None = None,
    rule_params: Mapping[str, Mapping[str, Any]] | None = None,
    segmentation_policy: PathLike | None = None,
    enable: Iterable[str] = (),
    skip: Iterable[str] = (),
    now: datetime | None = None,
    source: Mapping[str, Any] | None = None,
    gate: bool = False,
    suppressions: Iterable[Suppression] | PathLike | None = None,
    baseline: Iterable[str] | PathLike | None = None,
) -> ScanResult:
    """Scan a Terraform plan JSON (``terraform show -json``), a ``.tf`` file or a directory of them.

    ``var_files`` are ``.tfvars`` files applied to HCL in order (after ``terraform.tfvars`` and
    ``*.auto.tfvars``). ``rules`` ... ``now`` select and parameterise the rules as in :func:`evaluate`.

    With ``gate=True`` the result is gated as the CLI gates it: inline ``posture:ignore`` comments,
    ``suppressions`` (Suppression objects or a suppressions YAML file) and ``baseline`` (fingerprints or a
    baseline file) mark findings suppressed/baselined, and each expired suppression is reported once as a
    :class:`UserWarning`. Without it, the inline comments are only returned, in
    ``result.inventory.meta["suppressions"]``, for :func:`posture.gate.apply_gate`.
    """
    from posture.providers.terraform import load_terraform

    if not gate and (suppressions is not None or baseline is not None):
        raise TypeError("suppressions and baseline apply only with gate=True")
    inventory = load_terraform(path, var_files)
    result = scan_inventory(
        inventory, rules=rules, rule_dirs=rule_dirs, categories=categories, rule_params=rule_params,
        segmentation_policy=segmentation_policy, enable=enable, skip=skip, now=now,
        source=source if source is not None else {"type": "terraform", "target": str(path)},
    )
    return _gated(result, suppressions, baseline) if gate else result


def _gated(result: ScanResult, suppressions: Iterable[Suppression] | PathLike | None,
           baseline: Iterable[str] | PathLike | None) -> ScanResult:
    """The CLI's gate for Python callers: inline and given suppressions, then the baseline."""
    import warnings

    if isinstance(suppressions, (str, os.PathLike)):
        suppressions = load_suppressions(suppressions)
    if isinstance(baseline, (str, os.PathLike)):
        baseline = read_baseline(baseline)
    gated, notes = apply_gate(result, suppressions=suppressions or (), baseline=baseline or ())
    for line in notes:
        warnings.warn(line.removeprefix("posture: warning: "), UserWarning, stacklevel=3)
    return gated


def load_snapshot(path: PathLike) -> Graph:
    """Load a snapshot into a built, enriched, frozen graph (source gaps in ``graph.gaps``)."""
    from posture.providers.snapshot import read_snapshot

    graph, _ = graph_from_inventory(read_snapshot(path))
    return graph


def scan_snapshot(path: PathLike, **options: Any) -> ScanResult:
    """Evaluate a saved snapshot."""
    from posture.providers.snapshot import read_snapshot

    inventory = read_snapshot(path)
    return scan_inventory(inventory, source={"type": "snapshot", "target": str(Path(path))}, **options)


def save_snapshot(result_or_inventory: ScanResult | Inventory, path: PathLike) -> Path:
    """Save the normalised estate of a scan (or an inventory) as a JSON Lines snapshot."""
    from posture.providers.snapshot import save_snapshot as _save

    inv = result_or_inventory.inventory if isinstance(result_or_inventory, ScanResult) else result_or_inventory
    return _save(inv, path)
