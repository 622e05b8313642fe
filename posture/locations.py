"""File locations relative to one base directory, for every Terraform source and every format.

Sources say where a resource is declared relative to their own root (HCL: the scanned directory; plans: the
working directory). :func:`rebase_inventory` rewrites every location once, after loading, so JSON, SARIF,
JUnit and the rest all say ``infra/main.tf`` when ``infra/`` is scanned from the repository root. A file
outside the base directory keeps its absolute path.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from posture.model import Gap, Inventory, Location, freeze, thaw

_FILE_TARGET = re.compile(r"^(?P<file>.+?\.(?:tf|tf\.json|tfvars|tfvars\.json))(?P<line>:\d+)?$")


def source_root(path: str | os.PathLike[str], inventory: Inventory) -> Path:
    """The directory a Terraform source's locations are relative to."""
    if inventory.meta.get("source") == "terraform-hcl":
        p = Path(path)
        return (p if p.is_dir() else p.parent).resolve()
    return Path.cwd().resolve()  # plan locations are already relative to the working directory


def rebase(file: str, root: Path, base: Path) -> str:
    """``file`` (relative to ``root``, or absolute) as a POSIX path relative to ``base`` when inside it."""
    p = Path(file)
    full = Path(os.path.normpath(p if p.is_absolute() else root / p))
    try:
        return full.relative_to(base).as_posix()
    except ValueError:
        return full.as_posix()


def _gap(g: Gap, root: Path, base: Path) -> Gap:
    m = _FILE_TARGET.match(g.target or "")
    if not m:
        return g
    target = rebase(m["file"], root, base) + (m["line"] or "")
    reason = target + g.reason[len(g.target):] if g.reason.startswith(g.target) else g.reason
    return replace(g, target=target, reason=reason)


def rebase_inventory(inventory: Inventory, root: Path, base: Path) -> Inventory:
    """Every resource location, inline suppression and file gap of ``inventory`` relative to ``base``."""
    if root == base:
        return inventory

    def moved(loc: Location | None) -> Location | None:
        if loc is None or not loc.file:
            return loc
        return Location(rebase(loc.file, root, base), loc.line)

    resources = tuple(replace(r, location=moved(r.location)) if r.location and r.location.file else r
                      for r in inventory.resources)
    meta: dict[str, Any] = dict(inventory.meta)
    if meta.get("suppressions"):
        meta["suppressions"] = [
            {**thaw(s), "file": rebase(s["file"], root, base)} if s.get("file") else thaw(s)
            for s in meta["suppressions"]
        ]
    gaps = tuple(_gap(g, root, base) for g in inventory.gaps)
    return Inventory(resources, inventory.edges, gaps, freeze(meta))
