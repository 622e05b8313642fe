"""Source locations for Terraform resources: ``.tf`` file and line per address.

HCL resources get the line of their block; plan resources get the ``.tf`` block of their address when the
plan's directory holds the configuration (instance keys are ignored for the match), else the plan file.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path

from posture.addresses import strip_keys
from posture.model import Inventory, Location, Resource, freeze

CONFIG_SUFFIXES = (".tf", ".tf.json")
"""Names of Terraform configuration files: HCL and Terraform's JSON syntax."""


def resolved(path: Path) -> Path:
    """``path`` made absolute with symbolic links followed; a link loop stays as far as it resolves.

    (``Path.resolve()`` raises RuntimeError on a loop before Python 3.13: a loop in a module directory
    then reads as a missing file or module, a gap, instead of an internal error.)
    """
    return Path(os.path.realpath(path))


def config_files(directory: Path) -> list[Path]:
    """The Terraform configuration files (``*.tf``, ``*.tf.json``) directly in ``directory``, sorted."""
    return sorted([*directory.glob("*.tf"), *directory.glob("*.tf.json")])


def _lookup(rid: str, locations: Mapping[str, Location]) -> Location | None:
    loc = locations.get(rid)
    while loc is None and "/" in rid:  # derived ids: "<address>/listener/443"
        rid = rid.rsplit("/", 1)[0]
        loc = locations.get(rid)
    return loc


def relocate(inv: Inventory, locations: Mapping[str, Location], *, source: str | None = None,
             by_config: bool = False, meta: Mapping[str, object] | None = None) -> Inventory:
    """A copy of ``inv`` whose resources carry ``locations`` (by address, or by index-free address)."""
    out: list[Resource] = []
    changed = False
    for r in inv.resources:
        loc = _lookup(strip_keys(r.id) if by_config else r.id, locations)
        if loc is None and source is None:
            out.append(r)
            continue
        out.append(dataclasses.replace(r, location=loc or r.location, source=source or r.source))
        changed = True
    new_meta = freeze({**inv.meta, **meta}) if meta else inv.meta
    if not changed:
        return Inventory(inv.resources, inv.edges, inv.gaps, new_meta) if meta else inv
    return Inventory(tuple(out), inv.edges, inv.gaps, new_meta)


