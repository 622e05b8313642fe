"""Snapshots: the normalised estate saved as JSON Lines, and loaded back.

Line 1 is a header ``{"posture_snapshot": 1, ...}``; every other line is
``{"type": "resource"|"edge"|"gap", ...}``. Snapshots hold only normalised
resources (already stripped of sensitive values and secret-named attributes),
never credentials.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from posture import inputs
from posture.errors import InputError
from posture.gcpause import gc_paused
from posture.model import Edge, Gap, Inventory, Resource, freeze, thaw

FORMAT_VERSION = 1

try:  # a faster parser when installed (snapshots of 1M resources are ~1 GB of JSON lines)
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - depends on the environment
    _fast_loads = json.loads  # type: ignore[assignment]


def save_snapshot(inventory: Inventory, path: str | os.PathLike[str]) -> Path:
    """Write ``inventory`` to ``path`` atomically (temp file + rename)."""
    from posture.version import __version__

    p = Path(path)
    tmp = p.with_name(p.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        header = {
            "posture_snapshot": FORMAT_VERSION,
            "tool_version": __version__,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "meta": thaw(inventory.meta),
        }
        fh.write(json.dumps(header, sort_keys=True) + "\n")
        for r in inventory.resources:
            fh.write(json.dumps({"type": "resource", **r.to_dict()}, sort_keys=True) + "\n")
        for e in inventory.edges:
            fh.write(json.dumps({"type": "edge", **e.to_dict()}, sort_keys=True) + "\n")
        for g in inventory.gaps:
            fh.write(json.dumps({"type": "gap", **g.to_dict()}, sort_keys=True) + "\n")
    os.replace(tmp, p)
    return p


def _objects(lines: Iterable[str], where: str) -> Iterator[tuple[int, dict[str, Any]]]:
    limits = inputs.Limits.from_env()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = inputs.check_shape(_fast_loads(line), f"{where}:{n}", limits, json_text=line)
        except ValueError:  # the standard parser decides, and words errors as file:line
            obj = inputs.parse_json(line, where, limits, line=n)
        if not isinstance(obj, dict):
            raise InputError("each line must be a JSON object", where=f"{where}:{n}")
        yield n, obj


def read_snapshot(path: str | os.PathLike[str]) -> Inventory:
    """Read a snapshot into an :class:`Inventory`; a malformed line is an InputError naming file:line."""
    p = Path(path)
    inventory = parse_snapshot(inputs.iter_lines(p, "snapshot", "snapshot"), str(p))
    meta = dict(inventory.meta)
    meta.setdefault("snapshot", str(p))
    return Inventory(inventory.resources, inventory.edges, inventory.gaps, freeze(meta))


def parse_snapshot(lines: Iterable[str], where: str = "snapshot") -> Inventory:
    """Parse snapshot lines (e.g. ``text.splitlines()``); errors name ``where`` and the line number."""
    resources: list[Resource] = []
    edges: list[Edge] = []
    gaps: list[Gap] = []
    meta: dict[str, Any] | None = None
    with gc_paused():
        for n, obj in _objects(lines, where):
            if meta is None:
                version = obj.get("posture_snapshot")
                if version is None:
                    raise InputError("not a posture snapshot (missing header line)", where=f"{where}:{n}")
                if version != FORMAT_VERSION:
                    raise InputError(f"unsupported snapshot version {version!r} (supported: {FORMAT_VERSION})",
                                     where=f"{where}:{n}")
                meta = obj.get("meta") or {}
                continue
            kind = obj.get("type")
            try:
                if kind == "resource":
                    resources.append(Resource.from_dict(obj))
                elif kind == "edge":
                    edges.append(Edge.from_dict(obj))
                elif kind == "gap":
                    gaps.append(Gap.from_dict(obj))
                else:
                    raise InputError(f"unknown record type {kind!r}", where=f"{where}:{n}")
            except KeyError as e:
                raise InputError(f"{kind} record is missing field {e.args[0]!r}", where=f"{where}:{n}") from None
            except (TypeError, ValueError, AttributeError, RecursionError) as e:
                raise InputError(f"malformed {kind} record: {e}", where=f"{where}:{n}") from None
    if meta is None:
        raise InputError("empty snapshot", where=where)
    return Inventory(tuple(resources), tuple(edges), tuple(gaps), freeze(meta))
