"""The ``posture`` command line.

Exit codes: 0 no finding at or above ``--fail-on``; 1 findings at or above it;
2 usage or input error (one line on stderr, never a traceback); 3 internal error.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from posture import __version__
from posture.errors import InputError, PostureError
from posture.model import Category, GapClass, Severity
from posture.registry import Registry
from posture.result import ScanResult

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

_EXTRAS = {"boto3": "aws", "botocore": "aws", "azure": "azure", "google": "gcp", "googleapiclient": "gcp",
           "sslyze": "tls", "nmap": "tls", "dask": "dask", "distributed": "dask", "psycopg2": "postgres"}
"""Top-level module -> the pyproject extra that installs it (for the one-line error)."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"posture: error: {message} (see `{self.prog} --help`)\n")


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


def _command_modules() -> list[Any]:
    import posture.commands as pkg

    return [importlib.import_module(f"{pkg.__name__}.{m.name}")
            for m in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name)]


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


def add_scan_options(p: argparse.ArgumentParser) -> None:
    """Every option a scan command shares (formats, gate, rules, history...)."""
    add_output_options(p)
    p.add_argument("--report", action="append", default=[], type=_report_spec, metavar="FORMAT=FILE",
                   help="also write the report in FORMAT to FILE, from the same scan (repeatable), "
                   "e.g. --report sarif=posture.sarif --report junit=posture.xml")
    p.add_argument(
        "--fail-on",
        choices=[s.value for s in Severity] + ["none"],
        default="low",
        help="exit 1 when a finding at or above this severity is open (default: low)",
    )
    p.add_argument("--gaps", choices=["fail", "warn"], default=None,
                   help="whether coverage gaps where input was not read fail the gate (exit 1): default fail, "
                   "warn for live cloud scans (docs/ci.md)")
    p.add_argument("--category", action="append", choices=[c.value for c in Category], metavar="CAT",
                   help="only rules of this category (repeatable)")
    p.add_argument("--rules", action="append", default=[], metavar="DIR", help="extra rule directory (repeatable)")
    p.add_argument("--enable", action="append", default=[], metavar="RULE_ID",
                   help="run an opt-in rule, e.g. the strict TLS 1.3 check (repeatable)")
    p.add_argument("--skip", action="append", default=[], metavar="RULE_ID", help="do not run this rule (repeatable)")
    p.add_argument("--framework", action="append", default=[], metavar="NAME",
                   help="report the per-requirement view of a compliance framework (soc2, iso27001, cis-aws, "
                   "cis-azure, cis-gcp, pci, nist) in table/markdown/html/json/csv (repeatable)")
    p.add_argument("--include-passed", action="store_true",
                   help="ocsf-compliance: also emit a Compliance Finding for every passed requirement")
    p.add_argument("--snapshot-out", metavar="FILE", help="also save the normalised estate as a snapshot")
    p.add_argument("--baseline", metavar="FILE",
                   help="findings recorded in this baseline stay visible as 'baselined' and do not fail the gate")
    p.add_argument("--write-baseline", metavar="FILE", help="record the current findings as a baseline")
    p.add_argument("--suppressions", action="append", default=[], metavar="FILE",
                   help="YAML suppressions (rule, resource glob, reason, expires); repeatable")
    p.add_argument("--segmentation-policy", metavar="FILE",
                   help="zones and forbidden flows to check (docs/segmentation.md)")
    p.add_argument("--history", metavar="PATH_OR_URL",
                   help="record the scan in this history (SQLite path or postgresql:// URL; default $POSTURE_HISTORY)")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (exposed for docs and tests)."""
    parser = _Parser(prog="posture", description="Check that infrastructure does what its security statement says.")
    parser.add_argument("--version", action="version", version=f"posture {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    modules = _command_modules()
    sources: Registry[ScanSource] = Registry("sources")
    for mod in modules:
        for name, spec in getattr(mod, "SCAN_SOURCES", {}).items():
            sources.register(name, spec, origin=mod.__name__)
    sources.load_entry_points()

    scan = sub.add_parser("scan", help="scan a source and evaluate the rules")
    scan_sub = scan.add_subparsers(dest="source", required=True, parser_class=_Parser)
    for name, spec in sources.items():
        sp = scan_sub.add_parser(name, help=spec.help)
        spec.add_arguments(sp)
        add_scan_options(sp)
        sp.set_defaults(handler=run_scan, scan_source=spec)

    rules = sub.add_parser("rules", help="list or validate rules")
    rules_sub = rules.add_subparsers(dest="rules_command", required=True, parser_class=_Parser)
    rl = rules_sub.add_parser("list", help="list the available rules")
    rl.add_argument("--format", choices=["table", "json"], default=None)
    rl.add_argument("--category", action="append", choices=[c.value for c in Category], metavar="CAT")
    rl.add_argument("--framework", action="append", metavar="NAME",
                    help="only rules mapped to this framework (soc2, iso27001, cis-aws, pci, nist...)")
    rl.add_argument("--rules", action="append", default=[], metavar="DIR")
    rl.set_defaults(handler=_cmd_rules_list)
    rv = rules_sub.add_parser("validate", help="validate rule directories or files")
    rv.add_argument("paths", nargs="+", metavar="DIR")
    rv.set_defaults(handler=_cmd_rules_validate)

    for mod in modules:
        add = getattr(mod, "add_commands", None)
        if add is not None:
            add(sub)
    return parser


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


def run_scan(args: argparse.Namespace) -> int:
    """Run a scan source, apply the gate, render, record history; return the exit code."""
    from posture.report import render

    if args.framework:
        from posture.compliance import framework

        for name in args.framework:
            framework(name)  # an unknown name fails before the scan runs
    options: dict[str, Any] = {"rule_dirs": args.rules, "categories": args.category,
                               "segmentation_policy": args.segmentation_policy,
                               "enable": args.enable, "skip": args.skip}
    if args.snapshot_out:
        from posture.inputs import check_output

        check_output(args.snapshot_out, "snapshot")  # before the scan, not after it
    result: ScanResult = args.scan_source.run(args, options)
    result = _gate(args, result)
    threshold = None if args.fail_on == "none" else Severity(args.fail_on)
    result = result.judged(threshold, args.gaps or args.scan_source.gaps)
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
                                      "frameworks": args.framework, "include_passed": args.include_passed}
    history = args.history or os.environ.get("POSTURE_HISTORY")
    recorded = True
    if history:
        from posture.commands.history import record_scan

        recorded = record_scan(history, result, render_options)
    emit(render(result, fmt, render_options), args.output)
    for extra_fmt, path in args.report:
        emit(render(result, extra_fmt, {**render_options, "colour": False}), path)
    if not args.quiet and fmt != "table":
        s = result.summary()
        print(f"posture: {verdict.line()}; {s['open']} open finding(s), {s['resources']} resources", file=sys.stderr)
    if not recorded:
        return EXIT_USAGE
    return EXIT_OK if verdict.passed else EXIT_FINDINGS


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


def _cmd_rules_list(args: argparse.Namespace) -> int:
    from posture.rules.catalog import load_rules

    rules = load_rules(args.rules)
    if args.category:
        rules = [r for r in rules if r.meta.category.value in args.category]
    if args.framework:
        wanted = {f.lower() for f in args.framework}
        rules = [r for r in rules if any(fw == w or fw.startswith(w + "-") for fw in r.meta.frameworks()
                                         for w in wanted)]
    if default_format(args) == "json":
        doc = [
            {
                "id": r.id, "title": r.meta.title, "severity": r.meta.severity.value,
                "category": r.meta.category.value, "kinds": list(r.meta.kinds), "controls": list(r.meta.controls),
                "providers": list(r.meta.providers), "params": dict(r.params), "origin": r.meta.origin,
                "rationale": r.meta.rationale, "remediation": r.meta.remediation, "enabled": r.meta.enabled,
            }
            for r in rules
        ]
        sys.stdout.write(json.dumps(doc, indent=2, default=list) + "\n")
    else:
        w = max((len(r.id) for r in rules), default=4)
        for r in rules:
            print(f"{r.id.ljust(w)}  {r.meta.severity.value.ljust(8)}  {r.meta.category.value.ljust(22)}  "
                  f"{r.meta.title}{'' if r.meta.enabled else '  (opt-in)'}")
    return EXIT_OK


def _cmd_rules_validate(args: argparse.Namespace) -> int:
    from posture.rules.catalog import load_rules
    from posture.rules.lang import load_rule_file

    dirs = [p for p in args.paths if Path(p).is_dir()]
    files = [p for p in args.paths if not Path(p).is_dir()]
    for f in files:
        if not Path(f).exists():
            raise InputError("no such file or directory", where=f)
    count = len(load_rules(dirs, builtin=False, plugins=False)) if dirs else 0
    for f in files:
        count += len(load_rule_file(f))
    print(f"posture: {count} rule(s) valid in {', '.join(args.paths)}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``posture`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except (InputError, PostureError) as e:
        print(f"posture: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except ModuleNotFoundError as e:
        extra = _EXTRAS.get((e.name or "").split(".")[0], "all")
        print(f"posture: error: missing optional dependency {e.name!r}: pip install 'posture[{extra}]'",
              file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("posture: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # never a traceback for users; POSTURE_DEBUG=1 shows it
        if os.environ.get("POSTURE_DEBUG"):
            raise
        print(f"posture: internal error: {type(e).__name__}: {e} (set POSTURE_DEBUG=1 for details)",
              file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
