"""Bounds on HCL evaluation: a hostile ``.tf`` file ends as a named gap, never an exhausted machine.

Terraform code is a small program: ``count = 100000000``, ``range(1e9)``, a string or list doubled forty times,
nested ``for`` expressions of 1e10 iterations, all fit in a few bytes. The evaluator therefore runs under an
:class:`EvalBudget` (one per scan, in a context variable so the evaluator's pure functions need no extra
argument) that bounds:

- instances expanded from one block (``count``, ``for_each``, module fan-out) and in the whole scan;
- the size of every string and the number of values (nested values counted as often as reachable, so shared
  sub-lists cannot hide a blow-up) of every collection evaluation produces, checked *before* the functions
  that could build a big one (``range``, ``join``, ``replace`` ...) run;
- evaluation work, counted in expression steps, per block and per scan;
- module nesting depth.

An exceedance inside an expression makes that expression UNKNOWN and is recorded as a :class:`LimitHit`; the
loader reports each as a ``limit_exceeded`` gap (class ``input_not_read``) naming the block (``file:line``) and
the limit, and scans everything else. Limits are configurable by environment (:meth:`HclLimits.from_env`);
the table is in docs/inputs.md.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from posture.inputs import env_int
from posture.providers.terraform.hcl_sensitive import Marked

#: name -> (default, environment variable, what it bounds): the documented table (docs/inputs.md).
DEFAULTS: dict[str, tuple[int, str, str]] = {
    "instances": (10_000, "POSTURE_MAX_INSTANCES", "instances of one block (count, for_each, module fan-out)"),
    "total_instances": (100_000, "POSTURE_MAX_TOTAL_INSTANCES", "resource and module instances in one scan"),
    "string": (1 << 20, "POSTURE_MAX_STRING", "characters of one string evaluation produces"),
    "collection": (100_000, "POSTURE_MAX_COLLECTION", "values in one list, map or object evaluation produces"),
    "steps": (1_000_000, "POSTURE_MAX_EVAL_STEPS", "evaluation steps for one block"),
    "total_steps": (10_000_000, "POSTURE_MAX_TOTAL_EVAL_STEPS", "evaluation steps in one scan"),
    "module_depth": (32, "POSTURE_MAX_MODULE_DEPTH", "nested module calls"),
}


class LimitHit(Exception):
    """An evaluation limit was exceeded (never caught by ``try()``/``can()``: it is not the code's error)."""

    def __init__(self, limit: str, message: str):
        super().__init__(message)
        self.limit = limit


@dataclass(frozen=True)
class HclLimits:
    """The evaluation limits (:data:`DEFAULTS`); :meth:`from_env` reads the ``POSTURE_MAX_*`` overrides."""

    instances: int = DEFAULTS["instances"][0]
    total_instances: int = DEFAULTS["total_instances"][0]
    string: int = DEFAULTS["string"][0]
    collection: int = DEFAULTS["collection"][0]
    steps: int = DEFAULTS["steps"][0]
    total_steps: int = DEFAULTS["total_steps"][0]
    module_depth: int = DEFAULTS["module_depth"][0]

    @classmethod
    def from_env(cls) -> HclLimits:
        return cls(**{name: env_int(var, default) for name, (default, var, _) in DEFAULTS.items()})

    def env(self, name: str) -> str:
        """``POSTURE_MAX_...`` for a limit: how to raise it."""
        return DEFAULTS[name][1]


@dataclass
class EvalBudget:
    """What one scan has spent against :class:`HclLimits`, and the limits it hit (by block)."""

    limits: HclLimits = field(default_factory=HclLimits.from_env)
    steps: int = 0
    """Steps spent by the current block."""
    total_steps: int = 0
    instances: int = 0
    where: str = ""
    """The block being evaluated (``file:line``), named by the gaps."""
    hits: dict[tuple[str, str], str] = field(default_factory=dict)
    """(where, limit) -> message: one gap per block and limit, however many expressions hit it."""

    def step(self, n: int = 1) -> None:
        """Spend ``n`` evaluation steps."""
        self.steps += n
        self.total_steps += n
        if self.steps > self.limits.steps:
            raise self.exceeded("steps", f"more than {self.limits.steps:,} evaluation steps for one block")
        if self.total_steps > self.limits.total_steps:
            raise self.exceeded("total_steps", f"more than {self.limits.total_steps:,} evaluation steps in one scan")

    def exceeded(self, limit: str, message: str) -> LimitHit:
        return LimitHit(limit, f"{message} ({self.limits.env(limit)})")

    def record(self, hit: LimitHit) -> None:
        self.hits.setdefault((self.where, hit.limit), str(hit))

    @contextlib.contextmanager
    def block(self, where: str) -> Iterator[None]:
        """Evaluate one block (a fresh per-block step budget, its name in gaps); nests (a lazy reference)."""
        saved = (self.where, self.steps)
        self.where, self.steps = where, 0
        try:
            yield
        finally:
            self.where, self.steps = saved

    def take_instances(self, n: float, what: str) -> LimitHit | None:
        """Count ``n`` more instances of ``what``; the hit (nothing counted) when that is over a limit."""
        if n > self.limits.instances:
            many = "infinitely many" if n == float("inf") else f"{int(n):,}"
            return self.exceeded("instances", f"{what} expands to {many} instances, over the limit of "
                                 f"{self.limits.instances:,}")
        if self.instances + n > self.limits.total_instances:
            return self.exceeded("total_instances", f"{what}: {n:,} more instances would exceed the limit of "
                                 f"{self.limits.total_instances:,} in one scan")
        self.instances += int(n)
        return None

    # -- sizes -------------------------------------------------------------------------------------------
    def check_string(self, n: int) -> None:
        """Refuse a string of ``n`` characters (before it is built, where it can be)."""
        if n > self.limits.string:
            raise self.exceeded("string", f"a string of {n:,} characters, over the limit of {self.limits.string:,}")

    def check_count(self, n: int) -> None:
        """Refuse a collection of ``n`` values (before it is built, where it can be)."""
        if n > self.limits.collection:
            raise self.exceeded("collection", f"a collection of {n:,} values, over the limit of "
                                f"{self.limits.collection:,}")

    def check(self, value: Any) -> Any:
        """``value`` when its strings and its values counted as often as reachable are within the limits."""
        if isinstance(value, str):
            self.check_string(len(value))
        elif isinstance(value, (list, dict, Marked)):
            self.weigh(value)
        return value

    def weigh(self, value: Any) -> tuple[int, int]:
        """(values inside ``value``, characters) counted as often as reachable; each distinct container is
        walked once (a list of itself twice, forty times over, is 40 steps, not 2**40); stops at a limit."""
        memo: dict[int, tuple[Any, int, int]] = {}

        def visit(v: Any) -> tuple[int, int]:
            """(values inside v, characters in v)."""
            inner = v.value if isinstance(v, Marked) else v
            if isinstance(inner, str):
                return 0, len(inner)
            if not isinstance(inner, (list, dict)):
                return 0, 0
            hit = memo.get(id(inner))
            if hit is not None:
                return hit[1], hit[2]
            self.step()
            count, chars = 0, 0
            for item in inner.values() if isinstance(inner, dict) else inner:
                c, n = visit(item)
                count += 1 + c
                chars += n
                if count > self.limits.collection:
                    self.check_count(count)
            memo[id(inner)] = (inner, count, chars)  # the object is kept so its id is not reused meanwhile
            return count, chars

        return visit(value)

    def check_text_of(self, args: Any) -> None:
        """Refuse to build text from ``args`` (``join``, ``jsonencode`` ...) longer than the string limit."""
        count, chars = self.weigh(args)
        self.check_string(chars + count)


_BUDGET: ContextVar[EvalBudget | None] = ContextVar("posture_hcl_budget", default=None)


def current() -> EvalBudget | None:
    """The budget of the scan being evaluated in this context, if any."""
    return _BUDGET.get()


@contextlib.contextmanager
def scan_budget(budget: EvalBudget | None = None) -> Iterator[EvalBudget]:
    """Evaluate under ``budget`` (a fresh one from the environment by default) until the block ends."""
    b = budget if budget is not None else EvalBudget()
    token = _BUDGET.set(b)
    try:
        yield b
    finally:
        _BUDGET.reset(token)


__all__ = ["DEFAULTS", "EvalBudget", "HclLimits", "LimitHit", "current", "scan_budget"]
