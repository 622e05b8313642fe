"""TLS probe throughput: posture vs the sslyze command line (and testssl.sh when installed), same local lab.

Builds a lab of N (default 50) endpoints on 127.0.0.1 by cycling through the 15 misconfigured configurations
of tests/helpers/tls_lab.py (TLS 1.0-only, NULL/anonymous suites, expired, self-signed, weak DH ...), then times on
exactly the same endpoints:

  posture (versions)     posture.probe_tls, protocol versions + cipher suites (version pre-check on)
  sslyze CLI (versions)  python -m sslyze with the same six cipher-suite scan commands, all targets in one run
  posture (full)         every posture check (certificate, vulnerabilities, Mozilla profile ...)
  sslyze CLI (full)      python -m sslyze with its default scan commands
  testssl.sh             (only when installed, on --testssl N endpoints) testssl.sh --quiet per endpoint

and checks that posture and sslyze found identical accepted cipher suites per version on every endpoint.
posture runs with --per-server = the sslyze CLI's own concurrency on one host (all endpoints share 127.0.0.1).
Usage: python benchmarks/tls_probe.py [--endpoints 50] [--concurrency 10] [--testssl 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from posture.api import probe_tls
from posture.tls import ProbeOptions
from tests.helpers.tls_lab import LAB
from tests.helpers.tls_servers import CertFactory, require_binary

VERSION_KEYS = {"ssl_2_0_cipher_suites": "ssl2", "ssl_3_0_cipher_suites": "ssl3", "tls_1_0_cipher_suites": "1.0",
                "tls_1_1_cipher_suites": "1.1", "tls_1_2_cipher_suites": "1.2", "tls_1_3_cipher_suites": "1.3"}


def timed(label: str, n: int, fn) -> float:
    start = time.perf_counter()
    detail = fn()
    seconds = time.perf_counter() - start
    print(f"{label:<24} {n:>4} targets  {seconds:7.2f} s  {n / seconds:7.2f} targets/s  {detail}", flush=True)
    return seconds


def sslyze_suites(doc: dict) -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {}
    for server in doc["server_scan_results"]:
        loc = server["server_location"]
        result = server.get("scan_result") or {}
        versions = {}
        for key, version in VERSION_KEYS.items():
            attempt = result.get(key) or {}
            accepted = [a["cipher_suite"]["name"]
                        for a in (attempt.get("result") or {}).get("accepted_cipher_suites", [])]
            if accepted:
                versions[version] = sorted(accepted)
        out[f"{loc['hostname']}:{loc['port']}"] = versions
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--endpoints", type=int, default=50)
    ap.add_argument("--concurrency", type=int, default=10, help="posture: targets at once")
    ap.add_argument("--testssl", type=int, default=3, help="endpoints for testssl.sh (0: skip)")
    args = ap.parse_args()
    require_binary("openssl")
    with tempfile.TemporaryDirectory() as tmp:
        certs = CertFactory(Path(tmp))
        servers = [LAB[i % len(LAB)].start(certs) for i in range(args.endpoints)]
        targets = [s.target for s in servers]
        n = len(targets)
        print(f"{n} local TLS endpoints ({len(LAB)} lab configurations, cycled); posture concurrency "
              f"{args.concurrency}, 50 connections per host, 5 per target (sslyze CLI defaults: 10 servers x 5)")
        seen: dict[str, dict] = {}
        try:
            def posture_run(checks: frozenset[str], key: str) -> str:
                opts = ProbeOptions(checks=checks, concurrency=args.concurrency, per_server=50, per_target=5,
                                    connect_timeout=5, ca_file=certs.ca_file)
                result = probe_tls(targets, options=opts)
                seen[key] = {r.id.removeprefix("tls://"): {v: sorted(c) for v, c in
                                                          (r.get("tls.ciphers_by_version") or {}).items() if c}
                             for r in result.graph.by_kind("endpoint")}
                return f"{len(result.graph.by_kind('endpoint'))} ok, {len(result.findings)} finding(s)"

            def sslyze_cli(extra: list[str], key: str) -> str:
                out = Path(tmp) / f"{key}.json"
                cmd = [sys.executable, "-m", "sslyze", "--quiet", "--json_out", str(out), *extra, *targets]
                done = subprocess.run(cmd, capture_output=True, text=True, check=False)
                seen[key] = sslyze_suites(json.loads(out.read_text()))
                return f"exit {done.returncode}"

            versions = ["--sslv2", "--sslv3", "--tlsv1", "--tlsv1_1", "--tlsv1_2", "--tlsv1_3"]
            a = timed("posture (versions)", n, lambda: posture_run(frozenset({"versions"}), "posture"))
            b = timed("sslyze CLI (versions)", n, lambda: sslyze_cli(versions, "sslyze"))
            c = timed("posture (full)", n, lambda: posture_run(ProbeOptions().checks, "posture_full"))
            d = timed("sslyze CLI (full)", n, lambda: sslyze_cli([], "sslyze_full"))
            same = seen["posture"] == seen["sslyze"] and seen["posture_full"] == seen["sslyze_full"]
            differ = sorted(t for t in seen["sslyze"] if seen["posture"].get(t) != seen["sslyze"][t])
            print(f"throughput vs sslyze CLI: versions {b / a:.2f}x, full {d / c:.2f}x; accepted suites per "
                  f"version identical on all {n} endpoints: {same}" + (f" (differ: {differ})" if differ else ""))
            testssl = shutil.which("testssl.sh") or shutil.which("testssl")
            if testssl and args.testssl:
                some = targets[: args.testssl]

                def testssl_run() -> str:
                    for t in some:
                        subprocess.run([testssl, "--quiet", "--color", "0", "--warnings", "off", t],
                                       capture_output=True, check=False)
                    return "sequential, one process per endpoint"

                timed("testssl.sh", len(some), testssl_run)
        finally:
            for s in servers:
                s.stop()


if __name__ == "__main__":
    main()
