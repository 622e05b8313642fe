"""The Python API: scan a source, load a snapshot, evaluate a graph."""

from __future__ import annotations

import os
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
    only: Iterable[str] | None = None,
) -> list[Rule]:
    """The rules to run: ``rules`` if given, else every built-in rule plus ``rule_dirs``; filtered by category.

    ``enable`` (opt-in rules to run too), ``skip`` (rules not to run) and ``only`` (an allowlist: nothing else
    runs) take rule ids and globs (``POSTURE-NET-*``); a pattern that matches no rule is an error. An id named
    exactly in ``only`` runs even if it is opt-in. ``rule_params`` overrides parameters per rule id;
    ``segmentation_policy`` (a policy file, see docs/segmentation.md) is the parameter of POSTURE-SEG-100.
    """
    if rules is None:
        available = load_rules(list(rule_dirs))
        ids = [r.id for r in available]
        enabled, skipped = match_rule_ids(enable, ids), match_rule_ids(skip, ids)
        allowed = match_rule_ids(only, ids) if only is not None else None
        named = set(only or ()) & set(ids)
        chosen = [r for r in available
                  if (r.meta.enabled or r.id in enabled or r.id in named) and r.id not in skipped
                  and (allowed is None or r.id in allowed)]
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


def match_rule_ids(patterns: Iterable[str], ids: Sequence[str]) -> set[str]:
    """The rule ids matched by ids and globs (``POSTURE-NET-*``); a pattern matching none is an error."""
    import difflib
    import fnmatch

    out: set[str] = set()
    for pattern in patterns:
        hits = fnmatch.filter(ids, pattern) if any(c in pattern for c in "*?[") else [i for i in ids if i == pattern]
        if not hits:
            near = difflib.get_close_matches(pattern, ids, n=1)
            hint = f"; did you mean {near[0]}?" if near else ""
            raise InputError(f"unknown rule id(s) {pattern}: no rule matches{hint} (see posture rules list)")
        out.update(hits)
    return out


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
    only: Iterable[str] | None = None,
    now: datetime | None = None,
    inventory: Inventory | None = None,
    source: Mapping[str, Any] | None = None,
) -> ScanResult:
    """Evaluate ``rules`` (default: all built-in rules) on a built graph."""
    chosen = select_rules(rules, rule_dirs=rule_dirs, categories=categories, rule_params=rule_params,
                          segmentation_policy=segmentation_policy, enable=enable, skip=skip, only=only)
    checked: dict[str, int] = {}
    findings, rule_gaps = evaluate_rules(graph, chosen, now=now, stats=checked)
    return ScanResult(
        findings=findings,
        graph=graph,
        gaps=tuple(graph.gaps) + tuple(rule_gaps),
        rules=tuple(r.meta for r in chosen),
        inventory=inventory or Inventory(),
        source=freeze(dict(source or {})),
        checked=freeze(checked),
    )


def scan_inventory(inventory: Inventory, **options: Any) -> ScanResult:
    """Build the graph for an inventory (from any source) and evaluate it."""
    graph, _ = graph_from_inventory(inventory)
    return evaluate(graph, inventory=inventory, **options)


def scan_terraform(
    path: PathLike,
    *,
    var_files: Iterable[PathLike] = (),
    repo_root: PathLike | None = None,
    skip_paths: Iterable[str] = (),
    **options: Any,
) -> ScanResult:
    """Scan a Terraform plan JSON (``terraform show -json``), a ``.tf`` file or a directory of them.

    ``var_files`` are ``.tfvars`` files applied to HCL in order (after ``terraform.tfvars`` and
    ``*.auto.tfvars``). File locations are relative to ``repo_root`` (default: the working directory), the
    same for plans and HCL (:mod:`posture.locations`). ``skip_paths`` are globs of files and directories an
    HCL scan does not read. Inline ``posture:ignore`` comments are returned in
    ``result.inventory.meta["suppressions"]`` and applied by :func:`posture.gate.apply_gate`.
    """
    from posture.locations import rebase_inventory, source_root
    from posture.providers.terraform import load_terraform

    base = Path(repo_root or Path.cwd()).resolve()
    inventory = load_terraform(path, var_files, skip_paths=list(skip_paths))
    inventory = rebase_inventory(inventory, source_root(path, inventory), base)
    source = {"type": "terraform", "target": str(path), "root": base.as_posix()}
    return scan_inventory(inventory, source=options.pop("source", source), **options)


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
