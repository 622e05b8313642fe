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
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from posture import __version__
from posture.commands.base import (  # noqa: F401  (the shared plumbing, importable from here as before)
    EXIT_FINDINGS,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    ScanSource,
    add_output_options,
    add_scan_options,
    default_format,
    emit,
    run_scan,
)
from posture.errors import InputError, PostureError
from posture.model import Category
from posture.packaging import install_hint
from posture.registry import Registry

_EXTRAS = {"boto3": "aws", "botocore": "aws", "azure": "azure", "google": "gcp", "googleapiclient": "gcp",
           "sslyze": "tls", "nmap": "tls", "dask": "dask", "distributed": "dask", "psycopg2": "postgres"}
"""Top-level module -> the pyproject extra that installs it (for the one-line error)."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"posture: error: {message} (see `{self.prog} --help`)\n")


def _command_modules() -> list[Any]:
    import posture.commands as pkg

    return [importlib.import_module(f"{pkg.__name__}.{m.name}")
            for m in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name)]


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


MAX_ERROR_CHARS = 1000


def one_line(message: str) -> str:
    """An error message as one bounded line: it may echo a value from a hostile file (line breaks, escape
    sequences, half a megabyte of it), and the contract is one line that names the file."""
    from posture.report.sanitize import plain

    text = plain(message)
    if len(text) > MAX_ERROR_CHARS:
        text = f"{text[:MAX_ERROR_CHARS]}... ({len(text) - MAX_ERROR_CHARS:,} more characters)"
    return text


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``posture`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except (InputError, PostureError) as e:
        print(f"posture: error: {one_line(str(e))}", file=sys.stderr)
        return EXIT_USAGE
    except ModuleNotFoundError as e:
        extra = _EXTRAS.get((e.name or "").split(".")[0], "all")
        print(f"posture: error: missing optional dependency {e.name!r}: {install_hint(extra)}",
              file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("posture: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # never a traceback for users; POSTURE_DEBUG=1 shows it
        if os.environ.get("POSTURE_DEBUG"):
            raise
        print(f"posture: internal error: {type(e).__name__}: {one_line(str(e))} (set POSTURE_DEBUG=1 for details)",
              file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
