"""Live probing: observe what the configuration promises.

:func:`observe_tls` probes TLS endpoints with sslyze and returns an inventory of ``endpoint`` resources
(linked with ``observed_as`` edges to the inventory resources that serve them); :func:`posture.api.probe_tls`
evaluates the rules on it, so the same rules judge configured and observed TLS.
:func:`posture.discovery.external.observe_external` adds nmap discovery inside a scope file. Every contacted
address has passed the scope.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from posture.discovery.addresses import Resolver, resolve_host
from posture.errors import InputError
from posture.model import Edge, Gap, Inventory, Resource, freeze
from posture.tls.sslyze_probe import CHECKS, Outcome, ProbeOptions, probe
from posture.tls.targets import Planned, Refused, Target, graph_probe_plan, parse_target, plan

if TYPE_CHECKING:  # kept out of import time: ``import posture`` stays light
    from posture.discovery.scope import Scope

__all__ = ["CHECKS", "ProbeOptions", "Target", "observe_tls"]


def endpoint_id(planned: Planned, shared_name: bool = False) -> str:
    """``tls://host:port`` (``@address`` added when one name is probed at several addresses)."""
    return f"tls://{planned.label if shared_name else planned.target.label}"


def endpoint_resource(planned: Planned, rid: str, attrs: Mapping[str, Any],
                      native_type: str = "tls_endpoint") -> Resource:
    """An ``endpoint`` resource for what was observed at ``planned``."""
    t = planned.target
    return Resource(rid, "endpoint", native_type, "probe", name=rid.split("://", 1)[-1],
                    attrs={"host": t.host, "port": t.port, "address": planned.address, "protocol": "tcp", **attrs},
                    source="probe")


def outcomes_to_inventory(outcomes: Sequence[Outcome], refused: Sequence[Refused],
                          known: Iterable[str] = ()) -> Inventory:
    """Endpoints, ``observed_as`` edges (to resources in ``known``), error and refusal gaps."""
    known_ids = set(known)
    per_name: dict[tuple[str, int], int] = {}
    for o in outcomes:
        key = (o.planned.target.host, o.planned.target.port)
        per_name[key] = per_name.get(key, 0) + 1
    resources: list[Resource] = []
    edges: list[Edge] = []
    gaps: list[Gap] = [Gap("probe", f"refused: {r.reason}", r.code, service="tls", target=r.target) for r in refused]
    for o in outcomes:
        p = o.planned
        if o.tls is None:
            gaps.append(Gap("probe", o.error, o.error_code, service="tls", target=p.label))
            continue
        rid = endpoint_id(p, per_name[(p.target.host, p.target.port)] > 1)
        resources.append(endpoint_resource(p, rid, {"tls": o.tls, "probe": {"seconds": o.seconds}}))
        if p.target.resource and p.target.resource in known_ids:
            edges.append(Edge(p.target.resource, rid, "observed_as"))
        gaps.extend(Gap("probe", f"{cmd}: {msg}", "scan_command_error", service="tls", target=p.label)
                    for cmd, msg in o.command_errors.items())
    return Inventory(tuple(resources), tuple(edges), tuple(gaps))


def observe_tls(
    targets: Iterable[str | Target] = (),
    *,
    scope: Scope | str | os.PathLike[str] | None = None,
    inventory: Inventory | None = None,
    from_graph: bool = False,
    ca_file: str | os.PathLike[str] | None = None,
    checks: Iterable[str] | None = None,
    options: ProbeOptions | None = None,
    resolver: Resolver = resolve_host,
    progress: bool | None = False,
) -> tuple[Inventory, dict[str, Any]]:
    """Probe TLS endpoints: ``inventory`` (if given) merged with what was observed, and the scan source.

    ``targets`` are ``host:port`` strings, URLs or :class:`Target` values. With ``from_graph``
    the public TLS listeners / load balancers / IPs of ``inventory`` are probed too, which needs a
    ``scope``. Without a scope, the implicit scope is exactly the hosts and ports named.
    :func:`posture.api.probe_tls` evaluates the rules on the result.
    """
    from posture.discovery.scope import Scope, explicit_scope, load_scope
    from posture.engine import graph_from_inventory
    from posture.progress import Progress

    wanted = [t if isinstance(t, Target) else parse_target(t) for t in targets]
    unreachable: list[tuple[str, str]] = []
    known: set[str] = set()
    if inventory is not None:
        known = {r.id for r in inventory.resources}
        if from_graph:
            if scope is None:
                raise InputError("probing the endpoints of an inventory needs --scope (scope is law)")
            graph, _ = graph_from_inventory(inventory, enrich=False)
            found, unreachable = graph_probe_plan(graph)
            wanted.extend(found)
    if not wanted:
        why = "; ".join(f"{rid}: {reason}" for rid, reason in unreachable[:5])
        raise InputError("no targets: give HOST:PORT or URLs, or --from-graph with a source"
                         + (f" (the inventory's TLS listeners have nothing to probe: {why})" if why else ""))
    if scope is None:
        scope_obj = explicit_scope([t.host for t in wanted], [t.port for t in wanted], resolver)
    else:
        scope_obj = scope if isinstance(scope, Scope) else load_scope(scope)
        scope_obj.check_window()
    opts = _options(scope_obj, options, ca_file, checks)
    planned, refused = plan(wanted, scope_obj, resolver)
    with Progress("probing TLS", total=len(planned), enabled=progress) as bar:
        outcomes = probe(planned, opts, on_done=lambda o: bar.advance(note=o.planned.label))
    observed = outcomes_to_inventory(outcomes, refused, known)
    observed = Inventory(observed.resources, observed.edges, observed.gaps + tuple(
        Gap("probe", reason, "no_public_address", service="tls", target=rid) for rid, reason in unreachable))
    merged = (inventory or Inventory()).merge(observed)
    meta = dict(merged.meta)
    meta["probe"] = probe_meta(planned, refused, outcomes)
    source = {"type": "probe", "target": ", ".join(t.label for t in wanted[:10]) + (" ..." if len(wanted) > 10 else "")}
    return Inventory(merged.resources, merged.edges, merged.gaps, freeze(meta)), source


def _options(scope: Scope, options: ProbeOptions | None, ca_file: str | os.PathLike[str] | None,
             checks: Iterable[str] | None) -> ProbeOptions:
    """``options`` (or the scope's limits), never exceeding the limits of a scope file."""
    lim = scope.limits
    ca = Path(ca_file) if ca_file is not None else None
    if ca is not None and not ca.is_file():
        raise InputError("CA file does not exist", where=str(ca))
    if options is None:
        try:
            return ProbeOptions(checks=frozenset(checks) if checks else frozenset(CHECKS), ca_file=ca,
                                connect_timeout=lim.connect_timeout, retries=lim.retries,
                                target_timeout=lim.target_timeout, concurrency=lim.concurrency,
                                per_server=lim.per_server, rate=lim.rate)
        except ValueError as e:
            raise InputError(str(e), where="--checks") from None
    if scope.origin == "<command line>":
        return options
    return dataclasses.replace(options, concurrency=min(options.concurrency, lim.concurrency),
                               per_server=min(options.per_server, lim.per_server), rate=min(options.rate, lim.rate))


def probe_meta(planned: Sequence[Planned], refused: Sequence[Refused], outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """What the probe touched and refused (kept in the inventory meta and the JSON source)."""
    return {
        "touched": [p.label for p in planned],
        "refused": [{"target": r.target, "reason": r.reason, "code": r.code} for r in refused],
        "errors": [{"target": o.planned.label, "code": o.error_code, "reason": o.error}
                   for o in outcomes if o.tls is None],
        "seconds": round(sum(o.seconds for o in outcomes), 3),
    }
