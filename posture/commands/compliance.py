"""``posture compliance FRAMEWORK RESULT.json``: the per-requirement view of a saved scan."""

from __future__ import annotations

import argparse
from typing import Any

from posture.errors import InputError


def add_commands(sub: Any) -> None:
    from posture.commands.base import add_output_options
    from posture.compliance import frameworks

    p = sub.add_parser("compliance", help="per-requirement compliance view of a scan result (--format json file)")
    p.add_argument("framework", metavar="FRAMEWORK", help=f"one of {', '.join(frameworks())}")
    p.add_argument("result", metavar="RESULT.json", help="a scan result written with --format json")
    add_output_options(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from posture.commands.base import EXIT_OK, default_format, emit
    from posture.compliance import compliance_view, framework
    from posture.report.compliance_view import VIEW_FORMATS, render_views

    framework(args.framework)
    fmt = default_format(args)
    if fmt not in VIEW_FORMATS:
        raise InputError(f"no compliance view in format {fmt!r} (choose from {', '.join(VIEW_FORMATS)})",
                         where="--format")
    from posture.inputs import load_json

    doc = load_json(args.result, "result", "scan result")
    if not isinstance(doc, dict) or not isinstance(doc.get("findings"), list):
        raise InputError("not a posture scan result (no 'findings' list)", where=args.result)
    emit(render_views([compliance_view(doc, args.framework)], fmt), args.output)
    return EXIT_OK
