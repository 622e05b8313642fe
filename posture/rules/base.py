"""The rule type shared by Python rules and compiled YAML rules.

A rule is metadata plus a pure check function. The engine hands the check
each resource of the rule's kinds (from the graph's kind index) with a
:class:`RuleContext`; the check yields :class:`Violation` values, which the
engine turns into findings with stable fingerprints.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from posture.graph import Graph
from posture.model import SENSITIVE_HIDDEN, Category, FrozenDict, Resource, Severity, freeze


@dataclass(frozen=True, slots=True)
class RuleFixture:
    """A small estate (plan JSON or snapshot) and the resource ids the rule must fail and pass.

    ``source`` is relative to ``tests/fixtures/rules/``.
    """

    source: str
    fail: tuple[str, ...] = ()
    pass_: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=FrozenDict)


@dataclass(frozen=True, slots=True)
class RuleMeta:
    """Everything about a rule except its logic."""

    id: str
    title: str
    severity: Severity
    category: Category
    kinds: tuple[str, ...]
    rationale: str = ""
    remediation: str = ""
    controls: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()  # empty: every provider
    expected: str = ""  # what a compliant resource looks like, for evidence
    on_unknown: str = "info"  # "info": an info "cannot verify" finding; "skip": nothing
    fixtures: tuple[RuleFixture, ...] = ()
    origin: str = ""  # file (and line) or module the rule came from
    tags: tuple[str, ...] = ()
    local: bool = False
    """The check reads only the resource and the parameters (no graph, no clock): an incremental re-scan
    may reuse its violations for a resource whose collection task is unchanged (docs/scale.md)."""
    enabled: bool = True  # False: opt-in (a strict profile, --enable RULE_ID, or a statement profile)

    def frameworks(self) -> set[str]:
        """Lower-case framework prefixes of the controls (``soc2``, ``iso27001``, ``cis-aws``...)."""
        return {c.split(":", 1)[0].lower() for c in self.controls}


@dataclass(frozen=True, slots=True)
class Violation:
    """What a check reports about one resource.

    ``discriminator`` distinguishes several findings of one rule on one
    resource (a port, a listener); it is part of the fingerprint.
    ``unverified`` marks a check that could not be decided (unknown values).
    """

    message: str
    observed: Any = None
    expected: Any = None
    discriminator: str = ""
    path: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=FrozenDict)
    unverified: bool = False
    severity: Severity | None = None  # override the rule's severity for this violation


def unknown_words(resource: Resource) -> str:
    """Why a value of ``resource`` is unknown, in the words of its source: a Terraform plan or HCL scan says
    'known only after apply', a live scan (or its snapshot) 'not returned by the API', a probe 'not observed by
    the probe'. Live scans never say 'until apply': there is no apply."""
    source = resource.source or ""
    if source.startswith("terraform"):
        return "known only after apply" + (" or hidden as sensitive" if SENSITIVE_HIDDEN in source else "")
    if source == "probe":
        return "not observed by the probe"
    return "not returned by the API"


@dataclass(frozen=True)
class RuleContext:
    """What a check may read: the (frozen) graph and the rule's parameters.

    ``memo`` lives for one rule over one graph: a check may cache graph-wide work there (zones,
    indexes) instead of recomputing it per resource. Nothing survives between evaluations.
    """

    graph: Graph
    params: Mapping[str, Any]
    rule: RuleMeta
    memo: dict[str, Any] = field(default_factory=dict)


Check = Callable[[Resource, RuleContext], Iterable[Violation]]
Applies = Callable[[Resource, RuleContext], "bool | None"]


@dataclass(frozen=True, slots=True)
class Rule:
    """A stateless rule: metadata, parameters and a check over resources of ``meta.kinds``."""

    meta: RuleMeta
    check: Check
    params: Mapping[str, Any] = field(default_factory=FrozenDict)
    applies: Applies | None = None
    """Which resources of ``meta.kinds`` the rule is about (False: not counted as checked)."""

    def __post_init__(self) -> None:
        if not isinstance(self.params, FrozenDict):
            object.__setattr__(self, "params", freeze(self.params))

    @property
    def id(self) -> str:
        return self.meta.id

    def instantiate(self, rule_id: str, params: Mapping[str, Any] | None = None, **meta: Any) -> Rule:
        """A copy with another id, merged parameters and overridden metadata (title, severity...)."""
        merged = dict(self.params)
        unknown = set(params or {}) - set(merged)
        if unknown:
            raise ValueError(f"rule {self.meta.id} has no parameter(s) {sorted(unknown)}")
        merged.update(params or {})
        return Rule(dataclasses.replace(self.meta, id=rule_id, **meta), self.check, merged, self.applies)


def rule(
    *,
    id: str,
    title: str,
    severity: str | Severity,
    category: str | Category,
    kinds: Iterable[str],
    controls: Iterable[str] = (),
    rationale: str = "",
    remediation: str = "",
    providers: Iterable[str] = (),
    expected: str = "",
    params: Mapping[str, Any] | None = None,
    fixtures: Iterable[RuleFixture] = (),
    on_unknown: str = "info",
    local: bool = False,
    applies: Applies | None = None,
    enabled: bool = True,
) -> Callable[[Check], Rule]:
    """Decorator turning a check function into a :class:`Rule` (the Python rule API).

    Example::

        @rule(id="POSTURE-EX-001", title="...", severity="high",
              category="encryption.at_rest", kinds=["datastore"], controls=["SOC2:CC6.1"])
        def unencrypted(resource, ctx):
            if resource.get("encryption.at_rest") is False:
                yield Violation("not encrypted", observed=False, expected=True)
    """

    def wrap(fn: Check) -> Rule:
        meta = RuleMeta(
            id=id,
            title=title,
            severity=Severity(severity),
            category=Category(category),
            kinds=tuple(str(getattr(k, "value", k)) for k in kinds),
            rationale=rationale or (fn.__doc__ or "").strip(),
            remediation=remediation,
            controls=tuple(controls),
            providers=tuple(providers),
            expected=expected,
            on_unknown=on_unknown,
            fixtures=tuple(fixtures),
            origin=f"{fn.__module__}.{fn.__qualname__}",
            local=local,
            enabled=enabled,
        )
        return Rule(meta, fn, params or {}, applies)

    return wrap
