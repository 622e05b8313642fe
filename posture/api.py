"""The Python API: scan a source, load a snapshot, evaluate a graph."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Executor
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from posture.discovery.addresses import Resolver
    from posture.discovery.scope import Scope
    from posture.incremental import EvaluationState
    from posture.providers.gcp.collect import RetryPolicy
    from posture.providers.gcp.replay import Replay
    from posture.tls import ProbeOptions, Target

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


def scan_inventory(
    inventory: Inventory,
    *,
    rules: Sequence[Rule] | None = None,
    rule_dirs: Iterable[PathLike] = (),
    categories: Iterable[str | Category] | None = None,
    rule_params: Mapping[str, Mapping[str, Any]] | None = None,
    segmentation_policy: PathLike | None = None,
    enable: Iterable[str] = (),
    skip: Iterable[str] = (),
    only: Iterable[str] | None = None,
    now: datetime | None = None,
    source: Mapping[str, Any] | None = None,
) -> ScanResult:
    """Build the graph for an inventory (from any source) and evaluate it (keywords as in :func:`evaluate`)."""
    graph, _ = graph_from_inventory(inventory)
    return evaluate(graph, inventory=inventory, source=source, rules=rules, rule_dirs=rule_dirs, categories=categories,
                          rule_params=rule_params, segmentation_policy=segmentation_policy, enable=enable, skip=skip,
                          only=only, now=now)


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
    only: Iterable[str] | None = None,
    now: datetime | None = None,
    source: Mapping[str, Any] | None = None,
    gate: bool = False,
    suppressions: Iterable[Suppression] | PathLike | None = None,
    baseline: Iterable[str] | PathLike | None = None,
    repo_root: PathLike | None = None,
    skip_paths: Iterable[str] = (),
) -> ScanResult:
    """Scan a Terraform plan JSON (``terraform show -json``), a ``.tf`` file or a directory of them.

    ``var_files`` are ``.tfvars`` files applied to HCL in order (after ``terraform.tfvars`` and
    ``*.auto.tfvars``). File locations are relative to ``repo_root`` (default: the working directory), the
    same for plans and HCL (:mod:`posture.locations`). ``skip_paths`` are globs of files and directories an
    HCL scan does not read. ``rules`` ... ``now`` select and parameterise the rules as in :func:`evaluate`.

    With ``gate=True`` the result is gated as the CLI gates it: inline ``posture:ignore`` comments,
    ``suppressions`` (Suppression objects or a suppressions YAML file) and ``baseline`` (fingerprints or a
    baseline file) mark findings suppressed/baselined, and each expired suppression is reported once as a
    :class:`UserWarning`. Without it, the inline comments are only returned, in
    ``result.inventory.meta["suppressions"]``, for :func:`posture.gate.apply_gate`.
    """
    from posture.locations import rebase_inventory, source_root
    from posture.providers.terraform import load_terraform

    if not gate and (suppressions is not None or baseline is not None):
        raise TypeError("suppressions and baseline apply only with gate=True")
    base = Path(repo_root or Path.cwd()).resolve()
    inventory = load_terraform(path, var_files, skip_paths=list(skip_paths))
    inventory = rebase_inventory(inventory, source_root(path, inventory), base)
    source = source if source is not None else {"type": "terraform", "target": str(path), "root": base.as_posix()}
    result = scan_inventory(inventory, source=source, rules=rules, rule_dirs=rule_dirs, categories=categories,
                            rule_params=rule_params, segmentation_policy=segmentation_policy, enable=enable, skip=skip,
                            only=only, now=now)
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


def scan_snapshot(
    path: PathLike,
    *,
    rules: Sequence[Rule] | None = None,
    rule_dirs: Iterable[PathLike] = (),
    categories: Iterable[str | Category] | None = None,
    rule_params: Mapping[str, Mapping[str, Any]] | None = None,
    segmentation_policy: PathLike | None = None,
    enable: Iterable[str] = (),
    skip: Iterable[str] = (),
    only: Iterable[str] | None = None,
    now: datetime | None = None,
    source: Mapping[str, Any] | None = None,
) -> ScanResult:
    """Evaluate a saved snapshot (keywords as in :func:`evaluate`)."""
    from posture.providers.snapshot import read_snapshot

    inventory = read_snapshot(path)
    source = source if source is not None else {"type": "snapshot", "target": str(Path(path))}
    return scan_inventory(inventory, source=source, rules=rules, rule_dirs=rule_dirs, categories=categories,
                          rule_params=rule_params, segmentation_policy=segmentation_policy, enable=enable, skip=skip,
                          only=only, now=now)


def scan_aws(
    session: Any = None,
    regions: Iterable[str] | None = None,
    executor: Executor | None = None,
    *,
    profile: str | None = None,
    role_arn: str | None = None,
    external_id: str | None = None,
    organization: bool = False,
    org_role_name: str | None = None,
    services: Iterable[str] | None = None,
    max_workers: int | None = None,
    progress: bool | None = False,
    client: Any = None,
    dask_scheduler: str | None = None,
    rules: Sequence[Rule] | None = None,
    rule_dirs: Iterable[PathLike] = (),
    categories: Iterable[str | Category] | None = None,
    rule_params: Mapping[str, Mapping[str, Any]] | None = None,
    segmentation_policy: PathLike | None = None,
    enable: Iterable[str] = (),
    skip: Iterable[str] = (),
    only: Iterable[str] | None = None,
    now: datetime | None = None,
    source: Mapping[str, Any] | None = None,
) -> ScanResult:
    """Scan live AWS and evaluate the rules.

    The collection keywords are the fields of :class:`posture.providers.aws.AwsOptions` (see
    :func:`posture.providers.aws.collect_aws`); the rest are those of :func:`evaluate`.
    """
    from posture.providers.aws import AwsOptions, collect_aws

    inventory = collect_aws(AwsOptions(
        session=session, regions=regions, executor=executor, profile=profile, role_arn=role_arn,
        external_id=external_id, organization=organization, org_role_name=org_role_name, services=services,
        max_workers=max_workers, progress=progress, client=client, dask_scheduler=dask_scheduler))
    aws_meta = inventory.meta.get("aws", {})
    if source is None:
        source = {"type": "aws", "target": ",".join(aws_meta.get("accounts", ())),
                  "api_calls": aws_meta.get("api_calls")}
    return scan_inventory(inventory, source=source, rules=rules, rule_dirs=rule_dirs, categories=categories,
                          rule_params=rule_params, segmentation_policy=segmentation_policy, enable=enable, skip=skip,
                          only=only, now=now)


def scan_azure(
    credential: Any = None,
    subscriptions: Iterable[str] | None = None,
    executor: Executor | None = None,
    *,
    services: Iterable[str] | None = None,
    max_workers: int = 8,
    client_kwargs: Mapping[str, Any] | None = None,
    progress: bool | None = None,
    client: Any = None,
    dask_scheduler: str | None = None,
    rules: Sequence[Rule] | None = None,
    rule_dirs: Iterable[PathLike] = (),
    categories: Iterable[str | Category] | None = None,
    rule_params: Mapping[str, Mapping[str, Any]] | None = None,
    segmentation_policy: PathLike | None = None,
    enable: Iterable[str] = (),
    skip: Iterable[str] = (),
    only: Iterable[str] | None = None,
    now: datetime | None = None,
    source: Mapping[str, Any] | None = None,
) -> ScanResult:
    """Scan live Azure subscriptions and evaluate the rules.

    The collection keywords are the fields of :class:`posture.providers.azure.AzureOptions` (see
    :func:`posture.providers.azure.collect_azure`); the rest are those of :func:`evaluate`.
    """
    from posture.providers.azure import AzureOptions, collect_azure

    inventory = collect_azure(AzureOptions(
        credential=credential, subscriptions=subscriptions, executor=executor, services=services,
        max_workers=max_workers, client_kwargs=client_kwargs, progress=progress, client=client,
        dask_scheduler=dask_scheduler))
    if source is None:
        source = {"type": "azure", "target": ",".join(inventory.meta.get("subscriptions", ())) or "azure"}
    return scan_inventory(inventory, source=source, rules=rules, rule_dirs=rule_dirs, categories=categories,
                          rule_params=rule_params, segmentation_policy=segmentation_policy, enable=enable, skip=skip,
                          only=only, now=now)


def scan_gcp(
    credentials: Any = None,
    projects: Iterable[str] | None = None,
    executor: Executor | None = None,
    *,
    max_workers: int = 8,
    services: Iterable[str] | None = None,
    retry: RetryPolicy | None = None,
    replay: Replay | None = None,
    progress: bool | None = None,
    client: Any = None,
    dask_scheduler: str | None = None,
    rules: Sequence[Rule] | None = None,
    rule_dirs: Iterable[PathLike] = (),
    categories: Iterable[str | Category] | None = None,
    rule_params: Mapping[str, Mapping[str, Any]] | None = None,
    segmentation_policy: PathLike | None = None,
    enable: Iterable[str] = (),
    skip: Iterable[str] = (),
    only: Iterable[str] | None = None,
    now: datetime | None = None,
    source: Mapping[str, Any] | None = None,
) -> ScanResult:
    """Scan live GCP projects and evaluate the rules.

    The collection keywords are the fields of :class:`posture.providers.gcp.GcpOptions` (see
    :func:`posture.providers.gcp.collect_gcp`); the rest are those of :func:`evaluate`.
    """
    from posture.providers.gcp import GcpOptions, collect_gcp

    inventory = collect_gcp(GcpOptions(
        credentials=credentials, projects=projects, executor=executor, max_workers=max_workers, services=services,
        retry=retry, replay=replay, progress=progress, client=client, dask_scheduler=dask_scheduler))
    if source is None:
        source = {"type": "gcp", "target": ",".join(inventory.meta.get("projects") or ())}
    return scan_inventory(inventory, source=source, rules=rules, rule_dirs=rule_dirs, categories=categories,
                          rule_params=rule_params, segmentation_policy=segmentation_policy, enable=enable, skip=skip,
                          only=only, now=now)


def probe_tls(
    targets: Iterable[str | Target] = (),
    *,
    scope: Scope | PathLike | None = None,
    inventory: Inventory | None = None,
    from_graph: bool = False,
    ca_file: PathLike | None = None,
    checks: Iterable[str] | None = None,
    options: ProbeOptions | None = None,
    resolver: Resolver | None = None,
    progress: bool | None = False,
    rules: Sequence[Rule] | None = None,
    rule_dirs: Iterable[PathLike] = (),
    categories: Iterable[str | Category] | None = None,
    rule_params: Mapping[str, Mapping[str, Any]] | None = None,
    segmentation_policy: PathLike | None = None,
    enable: Iterable[str] = (),
    skip: Iterable[str] = (),
    only: Iterable[str] | None = None,
    now: datetime | None = None,
    source: Mapping[str, Any] | None = None,
) -> ScanResult:
    """Probe TLS endpoints with sslyze and evaluate the rules on them (with ``inventory``, on the whole estate).

    ``targets`` are ``host:port`` strings, URLs or :class:`posture.tls.Target` values; ``from_graph`` adds the
    public TLS listeners of ``inventory`` and needs a ``scope`` (without one, the scope is exactly the hosts and
    ports named). ``checks`` are groups of :data:`posture.tls.CHECKS`; ``options`` (a
    :class:`posture.tls.ProbeOptions`) replaces ``checks``/``ca_file`` and is capped by a scope file's limits;
    ``resolver`` replaces DNS (tests). The rule keywords are those of :func:`evaluate`. See docs/probe.md.
    """
    from posture.tls import observe_tls

    extra: dict[str, Any] = {} if resolver is None else {"resolver": resolver}
    observed, probed = observe_tls(targets, scope=scope, inventory=inventory, from_graph=from_graph, ca_file=ca_file,
                                   checks=checks, options=options, progress=progress, **extra)
    return scan_inventory(observed, source=probed if source is None else source, rules=rules, rule_dirs=rule_dirs,
                          categories=categories, rule_params=rule_params, segmentation_policy=segmentation_policy,
                          enable=enable, skip=skip, only=only, now=now)


def external_scan(
    scope: Scope | PathLike,
    *,
    inventory: Inventory | None = None,
    service_detection: bool | None = None,
    checks: Iterable[str] | None = None,
    ca_file: PathLike | None = None,
    mozilla_profile: str = "intermediate",
    resolver: Resolver | None = None,
    progress: bool | None = False,
    rules: Sequence[Rule] | None = None,
    rule_dirs: Iterable[PathLike] = (),
    categories: Iterable[str | Category] | None = None,
    rule_params: Mapping[str, Mapping[str, Any]] | None = None,
    segmentation_policy: PathLike | None = None,
    enable: Iterable[str] = (),
    skip: Iterable[str] = (),
    only: Iterable[str] | None = None,
    now: datetime | None = None,
    source: Mapping[str, Any] | None = None,
) -> ScanResult:
    """Discover open ports inside ``scope`` with nmap, probe the TLS ones, compare them with ``inventory`` (what
    the configuration says should be open) and evaluate the rules.

    ``scope`` is a scope file or a :class:`posture.discovery.scope.Scope`; only addresses and ports it allows
    are contacted, inside its time window and limits. ``service_detection`` overrides the scope's setting;
    ``checks``, ``ca_file`` and ``mozilla_profile`` shape the TLS probe; ``resolver`` replaces DNS (tests). The
    rule keywords are those of :func:`evaluate`. Needs the ``nmap`` binary. See docs/probe.md.
    """
    from posture.discovery.external import observe_external

    extra: dict[str, Any] = {} if resolver is None else {"resolver": resolver}
    observed, scanned = observe_external(scope, inventory=inventory, service_detection=service_detection,
                                         checks=checks, ca_file=ca_file, mozilla_profile=mozilla_profile,
                                         progress=progress, **extra)
    return scan_inventory(observed, source=scanned if source is None else source, rules=rules, rule_dirs=rule_dirs,
                          categories=categories, rule_params=rule_params, segmentation_policy=segmentation_policy,
                          enable=enable, skip=skip, only=only, now=now)


def scan_shards(
    paths: Iterable[PathLike],
    executor: Executor | None = None,
    *,
    dask_scheduler: str | None = None,
    client: Any = None,
    max_workers: int | None = None,
    previous: Inventory | PathLike | None = None,
    previous_state: EvaluationState | None = None,
    state_out: PathLike | None = None,
    progress: bool | None = False,
    timeout: float | None = None,
    now: datetime | None = None,
    rules: Sequence[Rule] | None = None,
    rule_dirs: Iterable[PathLike] = (),
    categories: Iterable[str | Category] | None = None,
    rule_params: Mapping[str, Mapping[str, Any]] | None = None,
    segmentation_policy: PathLike | None = None,
    enable: Iterable[str] = (),
    skip: Iterable[str] = (),
    only: Iterable[str] | None = None,
) -> ScanResult:
    """Merge shard files (see :func:`posture.providers.shards.collect_shards`) and evaluate the rules incrementally.

    With ``previous`` as a snapshot path, its evaluation state (``<snapshot>.eval``) is used too, unless
    ``previous_state`` is given; ``state_out`` saves this run's state. The rule keywords are those of
    :func:`select_rules`.
    """
    from posture.incremental import evaluate_incremental, load_state, save_state, state_path
    from posture.providers.shards import collect_shards

    got = collect_shards(paths, executor, dask_scheduler=dask_scheduler, client=client, max_workers=max_workers,
                         previous=previous, progress=progress, timeout=timeout)
    chosen = select_rules(rules, rule_dirs=rule_dirs, categories=categories, rule_params=rule_params,
                          segmentation_policy=segmentation_policy, enable=enable, skip=skip, only=only)
    graph, _ = graph_from_inventory(got.inventory)
    if previous_state is None and previous is not None and not isinstance(previous, Inventory):
        previous_state = load_state(state_path(previous))
    findings, rule_gaps, state, stats = evaluate_incremental(graph, chosen, got.inventory, previous_state, now=now)
    if state_out is not None:
        save_state(state, state_out)
    shard_source = {"type": "snapshots", "target": f"{len(got.outputs) + len(got.failed)} shard(s)",
                    "tasks_reused": len(got.reused), "tasks_failed": len(got.failed),
                    "rule_task_pairs_reused": stats.reused_pairs}
    return ScanResult(findings=findings, graph=graph, gaps=tuple(graph.gaps) + tuple(rule_gaps),
                      rules=tuple(r.meta for r in chosen), inventory=got.inventory, source=freeze(shard_source),
                      checked=freeze(stats.applied))


def save_snapshot(result_or_inventory: ScanResult | Inventory, path: PathLike) -> Path:
    """Save the normalised estate of a scan (or an inventory) as a JSON Lines snapshot."""
    from posture.providers.snapshot import save_snapshot as _save

    inv = result_or_inventory.inventory if isinstance(result_or_inventory, ScanResult) else result_or_inventory
    return _save(inv, path)
