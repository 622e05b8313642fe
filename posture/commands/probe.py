"""``posture probe tls`` and ``posture external``: live observation, inside a scope.

Both produce a normal ScanResult, so output formats, ``--fail-on`` exit codes (0/1, 2 for bad
input) and ``--snapshot-out`` work as for ``posture scan``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

# The scan plumbing (options, rendering, exit codes) is shared with ``posture scan``.
from posture.commands.base import EXIT_OK, ScanSource, add_scan_options, run_scan
from posture.errors import InputError
from posture.model import Inventory
from posture.result import ScanResult


def _source_args(p: argparse.ArgumentParser) -> None:
    src = p.add_mutually_exclusive_group()
    src.add_argument("--snapshot", metavar="FILE", help="the inventory: a snapshot (JSON Lines)")
    src.add_argument("--terraform", metavar="PLAN", help="the inventory: a Terraform plan JSON")


def _probe_args(p: argparse.ArgumentParser) -> None:
    from posture.tls.sslyze_probe import CHECKS, MOZILLA_PROFILES

    p.add_argument("--ca-file", metavar="PEM", help="also trust these CA certificates (PEM)")
    p.add_argument("--checks", metavar="LIST", type=lambda s: [c.strip() for c in s.split(",") if c.strip()],
                   help=f"comma-separated subset of: {', '.join(CHECKS)} (default: all)")
    p.add_argument("--mozilla-profile", default="intermediate", metavar="PROFILE",
                   help=f"Mozilla TLS profile the endpoints are held to: {', '.join(MOZILLA_PROFILES)} "
                   "(default intermediate)")


def _inventory(args: argparse.Namespace) -> Inventory | None:
    if getattr(args, "snapshot", None):
        from posture.providers.snapshot import read_snapshot

        return read_snapshot(args.snapshot)
    if getattr(args, "terraform", None):
        from posture.providers.terraform import load_terraform

        return load_terraform(args.terraform)
    return None


def _tls_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("targets", nargs="*", metavar="TARGET", help="host:port, host (port 443) or https://host[:port]")
    p.add_argument("--from-graph", action="store_true",
                   help="also probe the public TLS listeners, load balancers and IPs of the inventory (needs --scope)")
    p.add_argument("--scope", metavar="FILE", help="scope file; without it only the named targets are allowed")
    _source_args(p)
    _probe_args(p)
    p.add_argument("--timeout", type=float, default=5.0, metavar="S", help="per-connection timeout (default 5)")
    p.add_argument("--target-timeout", type=float, default=120.0, metavar="S",
                   help="give up on one target after S seconds (default 120)")
    p.add_argument("--concurrency", type=int, default=10, metavar="N", help="targets at once (default 10)")
    p.add_argument("--per-server", type=int, default=5, metavar="N",
                   help="connections to one host address, all its ports together (default 5)")
    p.add_argument("--per-target", type=int, default=5, metavar="N",
                   help="connections to one address:port (default 5, never more than --per-server)")


def _tls_run(args: argparse.Namespace, options: dict[str, Any]) -> ScanResult:
    from pathlib import Path

    from posture.api import probe_tls
    from posture.tls import CHECKS, ProbeOptions

    inventory = _inventory(args)
    if args.from_graph and inventory is None:
        raise InputError("--from-graph needs an inventory: --snapshot FILE or --terraform PLAN")
    if args.ca_file:  # sslyze opens it later: refuse a pipe or a device (and check its size) first
        from posture.inputs import read_bytes

        read_bytes(args.ca_file, "config", "CA file")
    try:
        ca = Path(args.ca_file) if args.ca_file else None
        opts = ProbeOptions(checks=frozenset(args.checks or CHECKS), ca_file=ca,
                            connect_timeout=args.timeout, target_timeout=args.target_timeout,
                            concurrency=max(1, args.concurrency), per_server=max(1, args.per_server),
                            per_target=max(1, args.per_target), mozilla_profile=args.mozilla_profile)
    except ValueError as e:
        raise InputError(str(e), where="--mozilla-profile" if "Mozilla" in str(e) else "--checks") from None
    return probe_tls(args.targets, scope=args.scope, inventory=inventory, from_graph=args.from_graph, options=opts,
                     progress=None if not args.quiet else False, **options)


def _external_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scope", required=True, metavar="FILE", help="the scope file (required: no scan without one)")
    p.add_argument("--dry-run", action="store_true", help="print exactly what would be touched, send nothing")
    p.add_argument("--service-detection", "-sV", action="store_true", default=None,
                   help="nmap version detection (slower; finds known-weak service versions)")
    _source_args(p)
    _probe_args(p)


def _external_run(args: argparse.Namespace, options: dict[str, Any]) -> ScanResult:
    from posture.api import external_scan

    return external_scan(args.scope, inventory=_inventory(args), service_detection=args.service_detection,
                         checks=args.checks, ca_file=args.ca_file, mozilla_profile=args.mozilla_profile,
                         progress=None if not args.quiet else False, **options)


def _cmd_external(args: argparse.Namespace) -> int:
    if not args.dry_run:
        return run_scan(args)
    from posture.discovery.external import plan_external
    from posture.discovery.scope import load_scope

    scope = load_scope(args.scope)
    xplan = plan_external(scope, inventory=_inventory(args), service_detection=args.service_detection,
                          checks=args.checks, ca_file=args.ca_file)
    sys.stdout.write(xplan.describe())
    return EXIT_OK


def add_commands(subparsers: Any) -> None:
    """Add ``posture probe tls`` and ``posture external``."""
    probe = subparsers.add_parser("probe", help="probe live endpoints (TLS) and evaluate the rules on them")
    probe_sub = probe.add_subparsers(dest="probe_command", required=True, parser_class=type(probe))
    tls = probe_sub.add_parser("tls", help="sslyze TLS probe of host:port / URL targets or of an inventory")
    _tls_args(tls)
    add_scan_options(tls)
    tls.set_defaults(handler=run_scan, scan_source=ScanSource("TLS probe", _tls_args, _tls_run))

    ext = subparsers.add_parser("external", help="external scan inside a scope file: nmap discovery + TLS probe")
    _external_args(ext)
    add_scan_options(ext)
    ext.set_defaults(handler=_cmd_external, scan_source=ScanSource("external scan", _external_args, _external_run))
