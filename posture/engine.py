"""Evaluation: rules over a frozen graph -> findings. Pure: no network, no mutation.

Also holds the graph steps that run once per graph before it is frozen, never once per rule: the providers'
linkers (edges derived from attributes, such as the instances a GCP firewall rule targets), then the enrichers
(derived edges such as internet reachability).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from posture.gcpause import gc_paused
from posture.graph import Graph, build_graph
from posture.model import Edge, Evidence, Finding, Gap, Inventory, Resource, Severity, module_knowledge, sorted_findings
from posture.registry import Registry
from posture.rules.base import Rule, RuleContext
from posture.rules.operators import EVALUATION_TIME

Enricher = Callable[[Graph], Iterable[Edge]]
LINKERS: Registry[Enricher] = Registry("linkers")
"""Provider graph steps: edges a cloud derives from attributes once every source is merged (a GCP firewall rule
protects the instances it targets), run in name order before the enrichers, which read them (plugins:
``posture.linkers``)."""
ENRICHERS: Registry[Enricher] = Registry("enrichers")
"""Derived-edge producers, run in name order on every built graph (plugins: ``posture.enrichers``)."""

PROVIDER_LINKERS = ("posture.providers.gcp.links",)
"""Modules that register a cloud's linkers on import (by name: the engine imports no provider)."""


def graph_from_inventory(inventory: Inventory, *, enrich: bool = True) -> tuple[Graph, list[Gap]]:
    """Build, enrich and freeze the graph for an inventory; returns it with the graph gaps."""
    with gc_paused():
        return _graph_from_inventory(inventory, enrich)


def _graph_from_inventory(inventory: Inventory, enrich: bool) -> tuple[Graph, list[Gap]]:
    graph, gaps = build_graph(inventory.resources, inventory.edges)
    if enrich:
        _load_builtin_enrichers()
        for registry in (LINKERS, ENRICHERS):
            registry.load_entry_points()
            for name, enricher in registry.items():
                try:
                    derived = list(enricher(graph))
                except Exception as e:  # an enricher bug must not hide the rest of the scan
                    gaps.append(Gap("enricher", f"{registry.name[:-1]} {name} failed: {type(e).__name__}: {e}",
                                    "enricher_error", target=name))
                    continue
                for edge in derived:
                    graph.add_edge(edge)
    graph.gaps = tuple(inventory.gaps) + tuple(gaps)
    return graph.freeze(), gaps


def _load_builtin_enrichers() -> None:
    # Importing the module registers its enrichers (once; the registry rejects duplicates).
    import importlib
    import pkgutil

    import posture.enrich as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"{pkg.__name__}.{info.name}")
    for module in PROVIDER_LINKERS:
        importlib.import_module(module)


Selector = Callable[[Rule, list[Resource]], list[Resource]]
"""Picks, for a rule, which of its candidate resources to check (incremental re-scans skip unchanged ones)."""


def evaluate_rules(
    graph: Graph,
    rules: Sequence[Rule],
    *,
    now: datetime | None = None,
    select: Selector | None = None,
    stats: dict[str, int] | None = None,
    checked_by: dict[str, int] | None = None,
) -> tuple[tuple[Finding, ...], list[Gap]]:
    """Run each rule over the resources of its kinds. A rule that crashes becomes a gap.

    ``select`` may narrow a rule's candidate resources (incremental re-scans skip unchanged ones).
    ``stats``, when given, receives per rule id the number of resources the rule applied to;
    ``checked_by`` per resource id a bit mask of the rules (bit i: ``rules[i]``) that checked it, from
    which per-requirement compliance counts are derived without a set of ids per requirement.
    """
    findings: list[Finding] = []
    gaps: list[Gap] = []
    token = EVALUATION_TIME.set(now)
    try:
        with gc_paused():
            for bit, rule in enumerate(rules):
                _evaluate_rule(graph, rule, select, stats, (checked_by, 1 << bit), findings, gaps)
    finally:
        EVALUATION_TIME.reset(token)
    return sorted_findings(findings), gaps


def _evaluate_rule(graph: Graph, rule: Rule, select: Selector | None, stats: dict[str, int] | None,
                   checked_by: tuple[dict[str, int] | None, int], findings: list[Finding], gaps: list[Gap]) -> None:
    meta = rule.meta
    ctx = RuleContext(graph, rule.params, meta)
    resource = None
    candidates = graph.by_kind(*meta.kinds)
    if meta.providers:
        candidates = [r for r in candidates if r.provider in meta.providers]
    if select is not None:
        candidates = select(rule, candidates)
    masks, bit = checked_by
    try:
        checked = 0
        for resource in candidates:
            if rule.applies is not None and rule.applies(resource, ctx) is False:
                continue
            checked += 1
            knowledge = module_knowledge(resource.source)
            if masks is not None:
                masks[resource.id] = masks.get(resource.id, 0) | bit
            for v in rule.check(resource, ctx):
                details = {**v.details, "module_knowledge": knowledge} if knowledge else v.details
                findings.append(
                    Finding(
                        rule_id=meta.id,
                        title=meta.title,
                        severity=Severity.INFO if v.unverified else (v.severity or meta.severity),
                        category=meta.category,
                        resource=resource,
                        message=v.message,
                        evidence=Evidence(v.observed, v.expected or meta.expected, v.path, details),
                        remediation=meta.remediation,
                        controls=meta.controls,
                        discriminator=v.discriminator,
                        unverified=v.unverified,
                    )
                )
        if stats is not None:
            stats[meta.id] = checked
    except Exception as e:
        where = f" on {resource.id}" if resource is not None else ""
        gaps.append(Gap("rule", f"rule {meta.id} failed{where}: {type(e).__name__}: {e}", "rule_error",
                        target=meta.id))
