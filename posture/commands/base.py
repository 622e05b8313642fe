"""What every command shares: scan options, configuration, the gate, rendering and exit codes.

Command modules import this module, never :mod:`posture.cli` (which discovers them), so the import
graph has no cycle.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from posture.errors import InputError
from posture.model import Category, GapClass, Severity
from posture.result import ScanResult

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


@dataclass(frozen=True)
class ScanSource:
    """A ``posture scan <name>`` subcommand: its options and how it produces a ScanResult.

    Modules in :mod:`posture.commands` declare these in a ``SCAN_SOURCES`` dict and may add
    other top-level commands with ``add_commands(subparsers)``; plugins register sources
    through the ``posture.sources`` entry-point group.
    """

    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, dict[str, Any]], ScanResult]
    gaps: str = "fail"
    """Default ``--gaps`` policy: ``fail`` (input not read fails the gate) or ``warn`` (live cloud scans, where
    partial read permissions are normal)."""


def add_output_options(p: argparse.ArgumentParser) -> None:
    """--format, --output, --quiet: for every command that writes a report."""
    from posture.report import formats

    p.add_argument("--format", choices=formats(), help="output format (default: table on a terminal, else json)")
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress or summary on stderr")


def _report_spec(value: str) -> tuple[str, str]:
    """``FORMAT=FILE`` for --report."""
    from posture.report import formats

    fmt, sep, path = value.partition("=")
    if not sep or not path:
        raise argparse.ArgumentTypeError(f"expected FORMAT=FILE, got {value!r}")
    if fmt not in formats():
        raise argparse.ArgumentTypeError(f"unknown format {fmt!r} (choose from {', '.join(formats())})")
    return fmt, path


def comma_list(value: str) -> list[str]:
    """``A,B`` -> ``[A, B]`` (with ``action="extend"``, repeated flags and comma lists add up)."""
    return [v.strip() for v in value.split(",") if v.strip()]


def _severities(value: str) -> list[str]:
    out = [v.lower() for v in comma_list(value)]
    names = [s.value for s in Severity]
    bad = [v for v in out if v not in names]
    if bad:
        raise argparse.ArgumentTypeError(f"unknown severity {bad[0]!r} (choose from {', '.join(names)})")
    return out


def add_scan_options(p: argparse.ArgumentParser) -> None:
    """Every option a scan command shares (formats, gate, rules, history...).

    Options that a configuration file may also set default to ``None`` here: :func:`configure` fills
    them from the environment, the file or the built-in default (posture.config).
    """
    add_output_options(p)
    p.add_argument("--config", metavar="FILE",
                   help="configuration file (default: the nearest .posture.yaml or [tool.posture] in pyproject.toml "
                        "up to the repository root; $POSTURE_CONFIG)")
    p.add_argument("--report", action="append", type=_report_spec, metavar="FORMAT=FILE",
                   help="also write the report in FORMAT to FILE, from the same scan (repeatable), "
                   "e.g. --report sarif=posture.sarif --report junit=posture.xml")
    p.add_argument(
        "--fail-on",
        choices=[s.value for s in Severity] + ["none"],
        help="exit 1 when a finding at or above this severity is open (default: low)",
    )
    p.add_argument("--gaps", choices=["fail", "warn"],
                   help="whether coverage gaps where input was not read fail the gate (exit 1): default fail, "
                   "warn for live cloud scans (docs/ci.md)")
    p.add_argument("--severity", action="extend", type=_severities, metavar="LIST",
                   help="only show findings of these severities in reports, e.g. high,critical (the gate "
                        "still follows --fail-on)")
    p.add_argument("--category", action="append", choices=[c.value for c in Category], metavar="CAT",
                   help="only rules of this category (repeatable)")
    p.add_argument("--rules", action="append", metavar="DIR", help="extra rule directory (repeatable)")
    p.add_argument("--rule", action="extend", type=comma_list, metavar="IDS",
                   help="run only these rules: ids, globs (POSTURE-NET-*) or comma lists (repeatable)")
    p.add_argument("--enable", action="extend", type=comma_list, metavar="IDS",
                   help="also run these opt-in rules, e.g. the strict TLS 1.3 check (ids, globs, comma lists)")
    p.add_argument("--skip", action="extend", type=comma_list, metavar="IDS",
                   help="do not run these rules (ids, globs, comma lists; repeatable)")
    p.add_argument("--skip-path", action="extend", type=comma_list, metavar="GLOB",
                   help="do not scan files or directories matching GLOB, relative to the scanned directory (HCL "
                        "scans; repeatable, comma lists), e.g. --skip-path tests/fixtures,examples")
    p.add_argument("--framework", action="extend", type=comma_list, metavar="NAME",
                   help="report the per-requirement view of a compliance framework (soc2, iso27001, cis-aws, "
                   "cis-azure, cis-gcp, pci, nist) in table/markdown/html/json/csv (repeatable, comma lists)")
    p.add_argument("--include-passed", action="store_true",
                   help="ocsf-compliance: also emit a Compliance Finding for every passed requirement")
    p.add_argument("--repo-root", metavar="DIR",
                   help="report file locations relative to DIR (default: the working directory)")
    p.add_argument("--snapshot-out", metavar="FILE", help="also save the normalised estate as a snapshot")
    p.add_argument("--baseline", metavar="FILE",
                   help="findings recorded in this baseline stay visible as 'baselined' and do not fail the gate")
    p.add_argument("--write-baseline", metavar="FILE", help="record the current findings as a baseline")
    p.add_argument("--suppressions", action="append", metavar="FILE",
                   help="YAML suppressions (rule, resource glob, reason, expires); repeatable")
    p.add_argument("--segmentation-policy", metavar="FILE",
                   help="zones and forbidden flows to check (docs/segmentation.md)")
    p.add_argument("--history", metavar="PATH_OR_URL",
                   help="record the scan in this history (SQLite path or postgresql:// URL; default $POSTURE_HISTORY)")


def command_name(args: argparse.Namespace) -> str:
    """``scan terraform``, ``probe tls``, ``external`` ...: how configuration defaults name a command."""
    words = [args.command]
    for sub in ("source", "probe_command"):
        if getattr(args, sub, None):
            words.append(getattr(args, sub))
    return " ".join(words)


def configure(args: argparse.Namespace) -> None:
    """Fill the namespace from flags > environment > configuration file > defaults (posture.config)."""
    from posture.config import apply

    source = getattr(args, "scan_source", None)
    apply(args, command_name(args), gaps_default=getattr(source, "gaps", None))


def default_format(args: argparse.Namespace) -> str:
    """--format if given, else table on a terminal and json otherwise."""
    if args.format:
        return str(args.format)
    return "table" if sys.stdout.isatty() and not getattr(args, "output", None) else "json"


def emit(text: str, output: str | None) -> None:
    """Write a report to --output or stdout (an unwritable file is an input error)."""
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as e:
            raise InputError(f"cannot write output: {e.strerror}", where=output) from None
    else:
        sys.stdout.write(text)


def scan_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword options every ``scan_*`` function takes, from a configured namespace."""
    return {"rule_dirs": args.rules, "categories": args.category or None,
            "segmentation_policy": args.segmentation_policy, "rule_params": args.rule_params or None,
            "enable": args.enable, "skip": args.skip, "only": args.rule or None}


def run_scan(args: argparse.Namespace) -> int:
    """Run a scan source, apply the gate, render, record history; return the exit code."""
    from posture.report import render

    if not hasattr(args, "settings"):
        configure(args)
    if args.framework:
        from posture.compliance import framework

        for name in args.framework:
            framework(name)  # an unknown name fails before the scan runs
    if args.snapshot_out:
        from posture.inputs import check_output

        check_output(args.snapshot_out, "snapshot")  # before the scan, not after it
    _check_configured_rule_ids(args)
    result: ScanResult = args.scan_source.run(args, scan_options(args))
    result = _gate(args, result)
    threshold = None if args.fail_on == "none" else Severity(args.fail_on)
    result = result.judged(threshold, args.gaps)
    verdict = result.gate_verdict()
    if verdict.nothing_read:
        first = next(g for g in result.gaps if g.gap_class is GapClass.INPUT_NOT_READ)
        more = f" (+{len(result.gaps) - 1} more coverage gap(s))" if len(result.gaps) > 1 else ""
        raise InputError(f"nothing was read, so nothing was checked: [{first.code or first.source}] "
                         f"{first.reason}{more}")
    if args.snapshot_out:
        from posture.api import save_snapshot

        save_snapshot(result, args.snapshot_out)
    fmt = default_format(args)
    render_options: dict[str, Any] = {"colour": sys.stdout.isatty() and not args.output, "quiet": args.quiet,
                                      "frameworks": args.framework or [], "include_passed": args.include_passed}
    recorded = True
    if args.history:
        from posture.history.record import record_scan

        recorded = record_scan(args.history, result, render_options)
    shown = _shown(result, args.severity)
    emit(render(shown, fmt, render_options), args.output)
    for extra_fmt, path in args.report:
        emit(render(shown, extra_fmt, {**render_options, "colour": False}), path)
    if not args.quiet and fmt != "table":
        s = result.summary()
        hidden = len(result.findings) - len(shown.findings)
        print(f"posture: {verdict.line()}; {s['open']} open finding(s), {s['resources']} resources"
              + (f"; {hidden} finding(s) outside --severity not shown" if hidden else ""), file=sys.stderr)
    if not recorded:
        return EXIT_USAGE
    return EXIT_OK if verdict.passed else EXIT_FINDINGS


def _check_configured_rule_ids(args: argparse.Namespace) -> None:
    """Rule ids and globs from a config file or the environment match a rule, or the error names their origin
    (``.posture.yaml:7``); the scan itself would only say which pattern, not where it was written."""
    fields = [f for f in ("rule", "enable", "skip") if getattr(args, f, None)
              and not args.settings[f].origin.startswith(("flag", "default"))]
    if not fields:
        return
    from posture.api import match_rule_ids
    from posture.rules.catalog import load_rules

    ids = [r.id for r in load_rules(args.rules)]
    for field in fields:
        try:
            match_rule_ids(getattr(args, field), ids)
        except InputError as e:
            raise InputError(str(e), where=args.settings[field].origin) from None


def _shown(result: ScanResult, severities: list[str] | None) -> ScanResult:
    """``--severity``: what the reports show. The gate has already been decided on every finding."""
    if not severities:
        return result
    wanted = {Severity(s) for s in severities}
    return replace(result, findings=tuple(f for f in result.findings if f.severity in wanted))


def _gate(args: argparse.Namespace, result: ScanResult) -> ScanResult:
    """Suppressions (inline and --suppressions), --baseline, then --write-baseline."""
    from posture import gate

    known = None
    if args.suppressions:  # a suppression naming no known rule is a typo that would silently do nothing
        from posture.rules.catalog import load_rules

        known = [r.id for r in load_rules(args.rules)]
    suppressions = [s for path in args.suppressions for s in gate.load_suppressions(path, known)]
    baseline = gate.read_baseline(args.baseline) if args.baseline else set()
    result, warnings = gate.apply_gate(result, suppressions=suppressions, baseline=baseline)
    for line in warnings:
        print(line, file=sys.stderr)
    if args.write_baseline:
        gate.write_baseline(result, args.write_baseline)
    return result
