"""Terraform sources: plan JSON (``terraform show -json``) and, later, HCL.

``load_terraform(path)`` dispatches on the input; ``load_plan(path)`` / ``parse_plan(data, origin)``
return an :class:`~posture.model.Inventory` for plans.
"""

from __future__ import annotations

import os
from pathlib import Path

from posture.errors import InputError
from posture.model import Inventory
from posture.providers.terraform.plan import load_plan, parse_plan

__all__ = ["load_plan", "load_terraform", "parse_plan"]


def load_terraform(path: str | os.PathLike[str]) -> Inventory:
    """Load a Terraform plan JSON file into an Inventory."""
    p = Path(path)
    if not p.exists():
        raise InputError("no such file or directory", where=str(p))
    if p.is_dir() or p.suffix == ".tf":
        raise InputError("HCL directories and .tf files are not supported yet; pass a plan JSON "
                         "(terraform show -json plan.out > plan.json)", where=str(p))
    return load_plan(p)
