"""``posture config show``: the effective scan configuration and where each value came from."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from posture.commands.base import EXIT_OK, add_scan_options


def add_commands(sub: Any) -> None:
    c = sub.add_parser("config", help="show the effective configuration (.posture.yaml, POSTURE_*, flags)")
    csub = c.add_subparsers(dest="config_command", required=True, parser_class=type(c))
    p = csub.add_parser("show", help="print every scan option, its value and where it came from",
                        description="Precedence: flags > POSTURE_* environment > configuration file > defaults.")
    p.add_argument("--command", dest="for_command", default="scan terraform", metavar="COMMAND",
                   help="defaults of this command, e.g. 'scan aws' (default: 'scan terraform')")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    add_scan_options(p)
    p.set_defaults(handler=_show)


def _show(args: argparse.Namespace) -> int:
    from posture.config import ScanConfig, resolve, show

    flags = {field: getattr(args, field, None) for field in ScanConfig.model_fields}
    settings, path = resolve(args.for_command, flags, config_file=args.config)
    if args.json:
        doc = {"file": str(path) if path else None,
               "settings": {k.replace("_", "-"): {"value": s.value, "origin": s.origin}
                            for k, s in settings.items()}}
        sys.stdout.write(json.dumps(doc, indent=2, default=list) + "\n")
    else:
        sys.stdout.write(show(settings, path))
    return EXIT_OK
