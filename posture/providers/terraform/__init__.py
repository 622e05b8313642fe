"""Terraform as a source: plan JSON (``terraform show -json``), ``.tf`` files and directories of them."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from posture.errors import InputError
from posture.model import Inventory
from posture.providers.terraform.locate import CONFIG_SUFFIXES, config_files, relocate
from posture.providers.terraform.plan import load_plan, parse_plan

__all__ = ["load_hcl", "load_plan", "load_terraform", "parse_plan"]


def load_terraform(path: str | os.PathLike[str], var_files: Iterable[str | os.PathLike[str]] = (),
                   skip_paths: Iterable[str] = ()) -> Inventory:
    """Load a plan JSON file, a ``.tf`` file or a directory of Terraform code into an Inventory.

    ``var_files`` (``.tfvars`` / ``.tfvars.json``) only apply to HCL; a plan already holds its values.
    ``skip_paths`` are globs of files and directories an HCL directory scan does not read.
    Plan resources point to their ``.tf`` block when the plan's directory holds the configuration.
    """
    p = Path(path)
    if not p.exists():
        raise InputError("no such file or directory", where=str(p))
    if p.is_dir() or p.name.endswith(CONFIG_SUFFIXES):
        from posture.providers.terraform.hcl import load_hcl

        return load_hcl(p, var_files, skip_paths)
    inv = load_plan(p)
    if not config_files(p.resolve().parent):
        return inv
    from posture.providers.terraform.hcl import plan_config  # lark loads only when .tf files sit beside the plan

    found = plan_config(p)
    if found is None:
        return inv
    locations, suppressions, directory = found
    try:
        base = directory.relative_to(Path.cwd())
    except ValueError:
        base = directory
    prefixed = {k: type(v)(str(base / v.file) if v.file else None, v.line) for k, v in locations.items()}
    for s in suppressions:
        s["file"] = str(base / s["file"])
    return relocate(inv, prefixed, by_config=True, meta={"suppressions": suppressions})


def load_hcl(path: str | os.PathLike[str], var_files: Iterable[str | os.PathLike[str]] = ()) -> Inventory:
    """Load a ``.tf`` file or a directory of Terraform code (see :mod:`.hcl`)."""
    from posture.providers.terraform.hcl import load_hcl as _load

    return _load(path, var_files)
