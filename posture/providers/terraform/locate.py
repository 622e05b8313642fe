"""Source locations for Terraform resources: ``.tf`` file and line per address.

HCL resources get the line of their block; plan resources get the ``.tf`` block of their address when the
plan's directory holds the configuration (instance keys are ignored for the match), else the plan file.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from pathlib import Path

from posture.errors import InputError
from posture.model import Inventory, Location, Resource, freeze

CONFIG_SUFFIXES = (".tf", ".tf.json")
"""Names of Terraform configuration files: HCL and Terraform's JSON syntax."""


def config_files(directory: Path) -> list[Path]:
    """The Terraform configuration files (``*.tf``, ``*.tf.json``) directly in ``directory``, sorted."""
    return sorted([*directory.glob("*.tf"), *directory.glob("*.tf.json")])


_INDEX_RE = re.compile(r"\[(?:\"(?:[^\"\\]|\\.)*\"|[^\]]*)\]")


def strip_keys(address: str) -> str:
    """``module.a["x"].aws_vpc.v[0]`` -> ``module.a.aws_vpc.v``."""
    return _INDEX_RE.sub("", address)


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


def plan_config(plan_path: str | Path) -> tuple[dict[str, Location], list[dict], Path] | None:
    """Locations and ``posture:ignore`` comments of the ``.tf`` files next to a plan, or None without any.

    Locations are keyed by index-free address; suppressions match index-free resource ids
    (``by_config``), since a plan may expand a ``count`` the HCL evaluation could not. File names are
    relative to the plan's directory. A ``posture:ignore`` without a reason is an InputError as for HCL.
    """
    directory = Path(plan_path).resolve().parent
    if not config_files(directory):
        return None
    from posture.providers.terraform.hcl import load_hcl_sources

    try:
        loaded = load_hcl_sources(directory, recursive=False)  # the plan's own root module, not the tree below
    except InputError:
        raise
    except Exception:  # the plan is the source of truth; the .tf files only add lines and suppressions
        return None
    locations: dict[str, Location] = {}
    for address, loc in loaded.locations.items():
        locations.setdefault(strip_keys(address), loc)
    suppressions = [{**s, "resource": strip_keys(s["resource"]), "by_config": True} for s in loaded.suppressions]
    return locations, suppressions, directory
