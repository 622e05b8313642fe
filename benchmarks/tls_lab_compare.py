"""Which planted TLS problems posture and testssl.sh each name, on the 15-endpoint local lab.

Starts every endpoint of tests/helpers/tls_lab.py on 127.0.0.1, probes them all with posture.probe_tls (lab CA
trusted) and runs testssl.sh once per endpoint (JSON output, ``--add-ca`` the same CA, a small parallel pool).
testssl findings at MEDIUM or above (plus LOW on deprecated protocols) that also appear on the clean ``modern``
endpoint are dropped as loopback-lab noise (no OCSP, no CT ...). "Names it" is decided by PLANTED below: the
testssl JSON ids that express each planted problem; for posture, each endpoint's ``expected`` rule ids.
Usage: PYTHONPATH=. python benchmarks/tls_lab_compare.py [--pool 4]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from posture.api import probe_tls
from posture.model import Severity
from posture.tls import ProbeOptions
from tests.helpers.tls_lab import LAB
from tests.helpers.tls_servers import CertFactory, require_binary

# planted problem (lab endpoint) -> testssl JSON ids that express it (verified on the lab with testssl 3.0.8)
PLANTED: dict[str, frozenset[str]] = {
    "tls10_only": frozenset({"TLS1"}),
    "tls11_only": frozenset({"TLS1_1"}),
    "weak_suites": frozenset({"cipherlist_NULL", "cipherlist_aNULL"}),
    "expired": frozenset({"cert_expirationStatus"}),
    "not_yet_valid": frozenset({"cert_chain_of_trust"}),  # 3.0.8: "failed (not yet valid)"
    "self_signed": frozenset({"cert_chain_of_trust"}),
    "rsa1024": frozenset({"cert_keySize"}),
    "sha1": frozenset({"cert_signatureAlgorithm"}),
    "mismatch": frozenset({"cert_trust", "cert_subjectAltName", "cert_commonName"}),
    "missing_intermediate": frozenset({"cert_chain_of_trust"}),
    "no_fs": frozenset({"PFS", "FS"}),  # "PFS" in testssl 3.0, "FS" in 3.2
    "weak_dh": frozenset({"DH_groups", "LOGJAM", "LOGJAM-common_primes", "FS_DH_groups"}),
}
SEVERE = {"MEDIUM", "HIGH", "CRITICAL"}
DEPRECATED = {"SSLv2", "SSLv3", "TLS1", "TLS1_1"}
# no --fast: it makes testssl use the local openssl for every cipher, and OpenSSL 3 cannot offer NULL/aNULL suites
TESTSSL_FLAGS = ["--quiet", "--color", "0", "--warnings", "off", "--ip", "127.0.0.1",
                 "-p", "-s", "-f", "-S", "-J", "--sneaky"]


def testssl_findings(path: Path) -> set[str]:
    """testssl ids at MEDIUM/HIGH/CRITICAL, or LOW on a deprecated protocol, from one --jsonfile output."""
    try:
        rows = json.loads(path.read_text())
    except (OSError, ValueError):
        return {"<no JSON output>"}
    return {r["id"] for r in rows if r.get("severity") in SEVERE
            or (r.get("severity") == "LOW" and r.get("id") in DEPRECATED)}


def run_testssl(testssl: str, ca: Path, target: str, out: Path) -> set[str]:
    cmd = [testssl, *TESTSSL_FLAGS, "--add-ca", str(ca), "--jsonfile", str(out), target]
    subprocess.run(cmd, capture_output=True, check=False, timeout=600)
    return testssl_findings(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pool", type=int, default=4, help="testssl.sh processes at once")
    args = ap.parse_args()
    require_binary("openssl")
    testssl = shutil.which("testssl") or shutil.which("testssl.sh")
    if not testssl:
        sys.exit("testssl.sh is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        certs = CertFactory(Path(tmp))
        servers = {e.name: e.start(certs) for e in LAB}
        try:
            targets = {name: f"localhost:{s.port}" for name, s in servers.items()}
            start = time.perf_counter()
            opts = ProbeOptions(ca_file=certs.ca_file, per_server=16, per_target=2)
            result = probe_tls(list(targets.values()), options=opts)
            posture_s = time.perf_counter() - start
            medium = Severity("medium").rank
            posture = {name: {f.rule_id for f in result.findings if f.resource.id == f"tls://{t}"
                              and f.severity.rank >= medium} for name, t in targets.items()}
            start = time.perf_counter()
            with ThreadPoolExecutor(args.pool) as pool:
                futures = {name: pool.submit(run_testssl, testssl, certs.ca_file, t, Path(tmp) / f"{name}.json")
                           for name, t in targets.items()}
                raw = {name: f.result() for name, f in futures.items()}
            testssl_s = time.perf_counter() - start
        finally:
            for s in servers.values():
                s.stop()
    baseline = raw["modern"]
    print("| endpoint | planted problem | testssl.sh names it | posture names it | extra: testssl.sh "
          "| extra: posture |")
    print("|---|---|---|---|---|---|")
    named_t = named_p = 0
    for e in LAB:
        found = raw[e.name] - baseline
        hit_t = sorted(found & PLANTED.get(e.name, frozenset()))
        hit_p = sorted(posture[e.name] & e.expected)
        extra_t = sorted(found - PLANTED.get(e.name, frozenset()))
        extra_p = sorted(posture[e.name] - e.expected)
        if e.problem:
            named_t += bool(hit_t)
            named_p += bool(hit_p)
        show = (lambda ids: ", ".join(ids) or "no") if e.problem else (lambda ids: "n/a")
        print(f"| {e.name} | {e.problem or '(clean control)'} | {show(hit_t)} | {show(hit_p)} | "
              f"{', '.join(extra_t) or '-'} | {', '.join(extra_p) or '-'} |")
    planted = sum(1 for e in LAB if e.problem)
    print(f"\ntestssl.sh named {named_t} of {planted}, posture {named_p} of {planted}")
    print(f"baseline dropped (testssl ids on the clean modern endpoint): {', '.join(sorted(baseline)) or '-'}")
    print(f"wall time: posture {posture_s:.1f} s (all {len(LAB)} endpoints, one call, every check); "
          f"testssl.sh {testssl_s:.1f} s ({len(LAB)} runs, pool of {args.pool})")


if __name__ == "__main__":
    main()
