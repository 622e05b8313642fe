"""TLS probe throughput: posture vs the sslyze command line vs nmap ssl-enum-ciphers, same local endpoints.

Starts N (default 50) TLS endpoints on 127.0.0.1 — openssl s_server processes with mixed protocol
settings and Python ssl servers — then times, on exactly the same endpoints:

  posture (versions)   posture.probe_tls, protocol versions + cipher suites only
  sslyze CLI           python -m sslyze with the same six scan commands, all targets in one run
                       (its own default concurrency)
  nmap                 nmap -sT -Pn --script ssl-enum-ciphers on the same ports (versions + ciphers)
  posture (full)       every posture check (certificate, vulnerabilities, Mozilla profile ...)

and prints targets per second. Usage: python benchmarks/tls_probe.py [--endpoints 50] [--concurrency 10]
"""

from __future__ import annotations

import argparse
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from posture.tls import ProbeOptions, probe_tls
from tests.tls_servers import CertFactory, OpenSSLServer, PythonTLSServer, require_binary

OPENSSL_FLAVOURS = (("-cipher", "DEFAULT@SECLEVEL=0"), ("-tls1_2",), ("-tls1_3",), ())


def start_endpoints(n: int, certs: CertFactory) -> list:
    leaf = certs.leaf("bench")
    servers = []
    for i in range(n):
        if i % 5 == 4:
            servers.append(PythonTLSServer(leaf, minimum=ssl.TLSVersion.TLSv1_2).start())
        else:
            servers.append(OpenSSLServer(leaf, *OPENSSL_FLAVOURS[i % len(OPENSSL_FLAVOURS)]).start())
    return servers


def timed(label: str, n: int, fn) -> float:
    start = time.perf_counter()
    detail = fn()
    seconds = time.perf_counter() - start
    print(f"{label:<22} {n:>4} targets  {seconds:7.2f} s  {n / seconds:7.2f} targets/s  {detail}", flush=True)
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--endpoints", type=int, default=50)
    ap.add_argument("--concurrency", type=int, default=10, help="posture: targets at once")
    ap.add_argument("--skip-nmap", action="store_true")
    args = ap.parse_args()
    require_binary("openssl")
    with tempfile.TemporaryDirectory() as tmp:
        certs = CertFactory(Path(tmp))
        servers = start_endpoints(args.endpoints, certs)
        targets = [s.target for s in servers]
        n = len(targets)
        print(f"{n} local TLS endpoints ({sum(isinstance(s, OpenSSLServer) for s in servers)} openssl s_server, "
              f"{sum(isinstance(s, PythonTLSServer) for s in servers)} Python ssl); concurrency {args.concurrency}")
        try:
            def posture_run(checks: frozenset[str]) -> str:
                opts = ProbeOptions(checks=checks, concurrency=args.concurrency, per_server=2, connect_timeout=5,
                                    ca_file=certs.ca_file)
                result = probe_tls(targets, options=opts)
                return f"{len(result.graph.by_kind('endpoint'))} ok, {len(result.gaps)} gap(s)"

            def sslyze_cli() -> str:
                cmd = [sys.executable, "-m", "sslyze", "--quiet", "--json_out", str(Path(tmp) / "sslyze.json"),
                       "--sslv2", "--sslv3", "--tlsv1", "--tlsv1_1", "--tlsv1_2", "--tlsv1_3",
                       *targets]
                done = subprocess.run(cmd, capture_output=True, text=True, check=False)
                return f"exit {done.returncode}"

            def nmap_run() -> str:
                ports = ",".join(str(s.port) for s in servers)
                cmd = [require_binary("nmap"), "-sT", "-Pn", "-n", "-p", ports, "--script", "ssl-enum-ciphers",
                       "-oX", "-", "127.0.0.1"]
                out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
                enumerated = out.count('id="ssl-enum-ciphers"')
                return f"{enumerated} port(s) enumerated"

            timed("posture (versions)", n, lambda: posture_run(frozenset({"versions"})))
            timed("sslyze CLI (versions)", n, sslyze_cli)
            if not args.skip_nmap:
                timed("nmap ssl-enum-ciphers", n, nmap_run)
            timed("posture (full)", n, lambda: posture_run(ProbeOptions().checks))
        finally:
            for s in servers:
                s.stop()


if __name__ == "__main__":
    main()
