"""Find and load rules: built-in Python rules, built-in and extra ``rules.d`` directories, plugins.

Everything goes through one :class:`~posture.registry.Registry`, so a
duplicate rule id is an error wherever the two rules come from.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from posture.errors import DuplicateError, InputError
from posture.registry import Registry
from posture.rules.base import Rule
from posture.rules.lang import load_rule_file

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def builtin_rules_dir() -> Path:
    """``rules.d`` shipped in the wheel (posture/rules.d) or, in a source checkout, at the repo root."""
    packaged = _PACKAGE_DIR / "rules.d"
    return packaged if packaged.is_dir() else _PACKAGE_DIR.parent / "rules.d"


def _python_rules() -> Iterable[tuple[Rule, str]]:
    import posture.rules.builtin as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{pkg.__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, Rule):
                yield value, module.__name__


def rule_files(directory: Path) -> list[Path]:
    """YAML rule files under ``directory`` (recursively), excluding statement profiles and claim catalogues."""
    if not directory.is_dir():
        raise InputError("rule directory does not exist", where=str(directory))
    return sorted(
        p
        for p in directory.rglob("*")
        if p.suffix in (".yaml", ".yml") and not {"profiles", "claims"} & set(p.relative_to(directory).parts)
    )


def _plugin_rules(value: Any, origin: str) -> Iterable[tuple[Rule, str]]:
    if isinstance(value, Rule):
        yield value, origin
    elif isinstance(value, (str, Path)):
        yield from _dir_rules([Path(value)], {})
    elif callable(value):
        yield from _plugin_rules(value(), origin)
    elif isinstance(value, Iterable):
        for v in value:
            yield from _plugin_rules(v, origin)


def _dir_rules(directories: Iterable[Path], known: dict[str, Rule]) -> Iterable[tuple[Rule, str]]:
    for d in directories:
        for f in rule_files(d):
            for r in load_rule_file(f, known):
                known[r.id] = r
                yield r, r.meta.origin


def load_rules(
    extra_dirs: Iterable[str | os.PathLike[str]] = (),
    *,
    builtin: bool = True,
    plugins: bool = True,
) -> list[Rule]:
    """All rules, sorted by id. Raises InputError on an invalid file or a duplicate id."""
    registry: Registry[Rule] = Registry("rules")
    known: dict[str, Rule] = {}
    sources: list[Iterable[tuple[Rule, str]]] = []
    if builtin:
        sources.append(_python_rules())
        sources.append(_dir_rules([builtin_rules_dir()], known))
    else:
        # built-in rules are not run, but instances in other directories may still build on them
        known.update({r.id: r for r, _ in _python_rules()})
        known.update({r.id: r for r, _ in _dir_rules([builtin_rules_dir()], dict(known))})
    sources.append(_dir_rules([Path(d) for d in extra_dirs], known))
    if plugins:
        from importlib.metadata import entry_points

        for ep in entry_points(group="posture.rules"):
            sources.append(_plugin_rules(ep.load(), f"entry point {ep.value}"))
    try:
        for source in sources:
            for r, origin in source:
                registry.register(r.id, r, origin)
                known[r.id] = r
    except DuplicateError as e:
        raise InputError(str(e)) from None
    return [r for _, r in registry.items()]
