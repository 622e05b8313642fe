"""Print a sorted, stable digest of the findings and gaps on every fixture and corpus input.

Run it before and after a refactor that must not change behaviour and diff the two outputs:

    PYTHONPATH=$PWD python scripts/findings_digest.py > /tmp/before.txt

Inputs: every plan JSON, ``.tf.json`` file, HCL directory and snapshot under ``tests/fixtures`` (scanned
through the public API), and the recorded Azure and GCP estates (replayed through ``scan_azure`` and
``scan_gcp``). The moto AWS estate is left out: moto mints random resource ids on every run.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import posture

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


def _inputs() -> Iterator[tuple[str, Callable[[], posture.api.ScanResult]]]:
    estates = (FIXTURES / "azure" / "estate", FIXTURES / "gcp" / "estate")
    files = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and not any(e in p.parents for e in estates))
    for path in files:
        rel = path.relative_to(ROOT).as_posix()
        if path.name.endswith(".json") and not path.name.endswith(".tf.json"):
            yield f"plan {rel}", lambda p=path: posture.scan_terraform(p)
        elif path.name.endswith(".tf.json"):
            yield f"tfjson {rel}", lambda p=path: posture.scan_terraform(p)
        elif path.suffix == ".jsonl":
            yield f"snapshot {rel}", lambda p=path: posture.scan_snapshot(p)
    for folder in sorted({p.parent for p in files if p.suffix == ".tf" or p.name.endswith(".tf.json")}):
        yield f"hcl {folder.relative_to(ROOT).as_posix()}", lambda p=folder: posture.scan_terraform(p)
    yield "azure-estate", _azure
    yield "gcp-estate", _gcp


def _azure() -> posture.api.ScanResult:
    from posture.providers.azure.replay import ReplayTransport, StaticTokenCredential

    transport = ReplayTransport.from_directory(FIXTURES / "azure" / "estate")
    return posture.scan_azure(StaticTokenCredential(), client_kwargs={"transport": transport,
                                                                      "retry_backoff_factor": 0.0}, progress=False)


def _gcp() -> posture.api.ScanResult:
    from google.auth.credentials import AnonymousCredentials

    from posture.providers.gcp.collect import RetryPolicy
    from posture.providers.gcp.replay import Replay

    replay = Replay.from_directory(FIXTURES / "gcp" / "estate")
    return posture.scan_gcp(AnonymousCredentials(), replay=replay, retry=RetryPolicy(sleep=lambda _s: None),
                            max_workers=1)


def digest(name: str, run: Callable[[], posture.api.ScanResult]) -> list[str]:
    try:
        result = run()
    except Exception as exc:  # an input that fails to load is part of the digest
        first = str(exc).splitlines()[0] if str(exc) else ""
        return [f"{name}\tERROR\t{type(exc).__name__}: {first.replace(str(ROOT), '')}"]
    lines = [
        "\t".join((name, "finding", f.rule_id, f.resource.id, f.fingerprint, f.severity.value,
                   "unverified" if f.unverified else "verified", f.status))
        for f in result.findings
    ]
    lines += [
        "\t".join((name, "gap", g.source, g.code, g.service, g.region, g.account, g.reason.replace(str(ROOT), "")))
        for g in result.gaps
    ]
    lines.append(f"{name}\tcount\tresources={len(result.inventory.resources)}\tedges={len(result.inventory.edges)}"
                 f"\tfindings={len(result.findings)}\tgaps={len(result.gaps)}")
    return sorted(lines)


def main() -> int:
    for name, run in _inputs():
        for line in digest(name, run):
            print(line)
    print(json.dumps({"inputs": "done"}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
