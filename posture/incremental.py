"""Incremental evaluation: reuse the previous scan's findings where neither the rule nor the input changed.

A fanned-out collection records a digest per task (:mod:`posture.fanout`). For a *local* rule
(``RuleMeta.local``: it reads only the resource and its parameters, never the graph or the clock), the
violations on a resource depend only on that resource, so for every task whose digest is unchanged the
previous findings are reused and only resources of changed tasks are checked. Other rules (reachability,
segmentation, relations, ages) run in full: their input is the whole graph.

The state of one evaluation (:class:`EvaluationState`) is saved next to the snapshot (``<snapshot>.eval``,
JSON Lines) and read back with ``--previous``. A rule's key covers its metadata, parameters, the posture
version and what defines it (the YAML rule, or the Python check's file), so an edited rule is never
served from the cache.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from posture import inputs
from posture.engine import evaluate_rules
from posture.errors import InputError
from posture.fanout import task_outputs
from posture.gcpause import gc_paused
from posture.graph import Graph
from posture.model import (
    Category,
    Evidence,
    Finding,
    Gap,
    Inventory,
    Location,
    Resource,
    Severity,
    revive_frozen,
    sorted_findings,
    thaw,
)
from posture.rules.base import Rule, RuleContext
from posture.rules.lang import SOURCE_DIGEST

STATE_VERSION = 1


@dataclass
class EvaluationState:
    """What a later scan needs to reuse findings: rule keys, task digests, local-rule findings per task."""

    rules: dict[str, str] = field(default_factory=dict)  # rule id -> rule key
    tasks: dict[str, str] = field(default_factory=dict)  # task key -> digest
    findings: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)  # (rule, task) -> findings


@dataclass
class IncrementalStats:
    """How much was reused (for reports and benchmarks)."""

    reused_pairs: int = 0  # (local rule, unchanged task) pairs served from the previous state
    checked: int = 0  # (rule, resource) checks run by local rules
    applied: dict[str, int] = field(default_factory=dict)  # rule id -> resources it applies to (as a full run)


def rule_key(rule: Rule) -> str:
    """Identity of a rule's behaviour: metadata, parameters, posture version and its defining file."""
    from posture.version import __version__

    h = hashlib.sha256()
    h.update(repr((__version__, rule.meta, json.dumps(thaw(rule.params), sort_keys=True, default=str))).encode())
    compiled = getattr(rule.check, SOURCE_DIGEST, None)  # a YAML rule (or an instance of one)
    if compiled is None:
        try:
            source = inspect.getsourcefile(rule.check)
        except TypeError:
            source = None
        compiled = _file_digest(source) if source else "-"
    h.update(str(compiled).encode())
    return h.hexdigest()[:32]


@lru_cache(maxsize=256)
def _file_digest(path: str) -> str:
    try:
        return hashlib.sha256(inputs.read_bytes(path, "rules", "rule file")).hexdigest()
    except InputError:
        return "-"


def evaluate_incremental(
    graph: Graph,
    rules: Sequence[Rule],
    inventory: Inventory,
    previous: EvaluationState | None = None,
    *,
    now: datetime | None = None,
) -> tuple[tuple[Finding, ...], list[Gap], EvaluationState, IncrementalStats]:
    """Evaluate like :func:`posture.engine.evaluate_rules`, reusing ``previous`` where it is still valid.

    ``inventory`` must come from a fan-out merge (its ``meta["tasks"]`` maps resources to tasks); without
    it nothing is reused. Returns findings, rule gaps, the state to save for next time, and statistics.
    """
    outputs = task_outputs(inventory)
    task_of: dict[str, str] = {}
    for key, out in outputs.items():
        for r in out.inventory.resources if out.inventory else ():
            task_of.setdefault(r.id, key)
    state = EvaluationState({r.id: rule_key(r) for r in rules}, {k: o.digest for k, o in outputs.items()})
    stats = IncrementalStats()
    prev = previous or EvaluationState()
    unchanged = {k for k, d in state.tasks.items() if prev.tasks.get(k) == d}
    reusable = {r.id for r in rules if r.meta.local and task_of and prev.rules.get(r.id) == state.rules[r.id]}

    skipped_applying: dict[str, int] = {}

    def select(rule: Rule, candidates: list[Resource]) -> list[Resource]:
        if rule.id not in reusable:
            return candidates
        chosen: list[Resource] = []
        skipped: list[Resource] = []
        for r in candidates:
            (skipped if task_of.get(r.id) in unchanged else chosen).append(r)
        stats.checked += len(chosen)
        # applicability counts (statement verdicts) stay those of a full run
        ctx = RuleContext(graph, rule.params, rule.meta)
        skipped_applying[rule.id] = sum(1 for r in skipped if rule.applies is None or rule.applies(r, ctx) is not False)
        return chosen

    fresh, gaps = evaluate_rules(graph, rules, now=now, select=select, stats=stats.applied)
    for rule_id, n in skipped_applying.items():
        if rule_id in stats.applied:  # absent: the rule crashed
            stats.applied[rule_id] += n
    with gc_paused():
        reused = []
        for rule_id in sorted(reusable):
            for task in sorted(unchanged):
                stats.reused_pairs += 1
                got = prev.findings.get((rule_id, task))
                if got:
                    state.findings[(rule_id, task)] = got
                    reused += [_finding(d, graph) for d in got]
        findings = sorted_findings([*fresh, *reused])
        for rule_id in {g.target for g in gaps if g.code == "rule_error"}:
            state.rules.pop(rule_id, None)  # a rule that crashed is not cached: it runs in full next time
        local = {r.id for r in rules if r.meta.local and r.id in state.rules}
        for f in fresh:
            owner = task_of.get(f.resource.id)
            if f.rule_id in local and owner is not None:
                state.findings.setdefault((f.rule_id, owner), []).append(f.to_dict())
    return findings, gaps, state, stats


def _finding(d: Mapping[str, Any], graph: Graph) -> Finding:
    resource = graph.resource(d["resource"]["id"])
    if resource is None:  # cannot happen for an unchanged task; fail loudly rather than report a ghost
        raise InputError(f"cached finding for unknown resource {d['resource']['id']!r}", where="evaluation state")
    ev = d.get("evidence") or {}
    loc = d.get("location") or {}
    return Finding(
        rule_id=d["rule_id"], title=d["title"], severity=Severity(d["severity"]), category=Category(d["category"]),
        resource=resource, message=d["message"],
        evidence=Evidence(revive_frozen(ev.get("observed")), revive_frozen(ev.get("expected")),
                          tuple(ev.get("path") or ()), revive_frozen(ev.get("details") or {})),
        remediation=d.get("remediation", ""), controls=tuple(d.get("controls") or ()),
        location=Location(loc["file"], loc.get("line")) if loc.get("file") else None,
        discriminator=d.get("discriminator", ""), unverified=bool(d.get("unverified")),
    )


def save_state(state: EvaluationState, path: str | os.PathLike[str]) -> Path:
    """Write the state as JSON Lines (header, then one line per (rule, task)); atomic."""
    p = Path(path)
    tmp = p.with_name(p.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps({"posture_eval_state": STATE_VERSION, "rules": state.rules, "tasks": state.tasks}) + "\n")
        for (rule_id, task), found in sorted(state.findings.items()):
            fh.write(json.dumps({"rule": rule_id, "task": task, "findings": found}, default=str) + "\n")
    os.replace(tmp, p)
    return p


def load_state(path: str | os.PathLike[str]) -> EvaluationState | None:
    """Read a saved state; None when the file is missing or from another format version (nothing reused)."""
    p = Path(path)
    if inputs.check_file(p, "evaluation state") is None:
        return None
    lines = inputs.read_text(p, "snapshot", "evaluation state").splitlines()
    try:
        header = inputs.parse_json(lines[0], str(p), line=1) if lines else {}
        if header.get("posture_eval_state") != STATE_VERSION:
            return None
        state = EvaluationState(dict(header["rules"]), dict(header["tasks"]))
        for n, line in enumerate(lines[1:], 2):
            row = inputs.parse_json(line, str(p), line=n)
            state.findings[(row["rule"], row["task"])] = list(row["findings"])
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise InputError(f"malformed evaluation state: {e}", where=str(p)) from None
    return state


def state_path(snapshot: str | os.PathLike[str]) -> Path:
    """Where the evaluation state of a snapshot lives."""
    return Path(f"{os.fspath(snapshot)}.eval")
