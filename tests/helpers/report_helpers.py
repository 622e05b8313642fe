"""Shared helpers for report, history and ticket tests: the example estate and scan results."""

from __future__ import annotations

import importlib.util

from posture.api import scan_inventory
from posture.model import Inventory, Resource
from tests.helpers.paths import ROOT

_spec = importlib.util.spec_from_file_location("posture_example_estate", ROOT / "examples/report/estate.py")
assert _spec and _spec.loader
estate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(estate)

PLAIN = {"at_rest": False, "algorithm": None, "key_id": None, "key_manager": None, "basis": "explicit"}
ENCRYPTED = {"at_rest": True, "algorithm": "AES-256", "key_id": None, "key_manager": "provider",
             "basis": "explicit"}


def store(name: str, encrypted: bool = False, account: str = "111122223333", **attrs) -> Resource:
    return Resource(f"arn:aws:s3:::{name}", "datastore", "aws_s3_bucket", "aws", name=name, account=account,
                    region="eu-west-1",
                    attrs={"store_type": "object_storage", "encryption": ENCRYPTED if encrypted else PLAIN, **attrs})


def scan_stores(plain: list[str], encrypted: list[str] = (), source: dict | None = None, **kw):
    """Scan a few buckets with the built-in rules: every plain one is a POSTURE-ENC-001 finding."""
    resources = [store(n) for n in plain] + [store(n, True) for n in encrypted]
    return scan_inventory(Inventory(tuple(resources)), source=source or {"type": "test", "target": "estate"}, **kw)
