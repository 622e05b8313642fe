"""Known-weak service versions (data in ``weak_services.yaml``) for nmap ``-sV`` results."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

import yaml


@cache
def _table() -> tuple[dict[str, Any], ...]:
    text = resources.files(__package__).joinpath("weak_services.yaml").read_text(encoding="utf-8")
    return tuple(yaml.safe_load(text)["services"])


def _numbers(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", version.split(" ")[0])[:4])


def weak_service_match(product: str, version: str) -> dict[str, Any] | None:
    """The table entry ``product``/``version`` falls under (older than ``fixed_in``), or None."""
    found = _numbers(version)
    if not product or not found:
        return None
    for entry in _table():
        if re.fullmatch(entry["product"], product.strip(), re.IGNORECASE) and found < _numbers(entry["fixed_in"]):
            return dict(entry)
    return None
