"""``posture tickets sync``: findings -> Jira, GitHub Issues or a webhook (config: docs/tickets.md)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from posture.errors import InputError


def add_commands(sub: Any) -> None:
    t = sub.add_parser("tickets", help="open, update, close and reopen tickets for findings")
    tsub = t.add_subparsers(dest="tickets_command", required=True, parser_class=type(t))
    p = tsub.add_parser("sync", help="sync a scan result (or the latest recorded scan) to a ticket system",
                        description="Tokens come from the environment or a credentials file named in the config, "
                        "never from the command line.")
    p.add_argument("result", nargs="?", metavar="RESULT.json", help="a scan result written by --format json")
    p.add_argument("--to", choices=("jira", "github", "webhook"), help="ticket system (default: `to:` in the config)")
    p.add_argument("--config", required=True, metavar="FILE", help="ticket config (YAML or JSON)")
    p.add_argument("--from-history", metavar="URL", help="use a recorded scan instead of RESULT.json")
    p.add_argument("--scan", type=int, metavar="ID", help="with --from-history: this scan (default: the latest)")
    p.add_argument("--source", metavar="TYPE:TARGET", help="with --from-history: latest scan of this source")
    p.add_argument("--dry-run", action="store_true", help="only search and print what would be done")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(handler=_sync)


def _load_findings(args: argparse.Namespace) -> Any:
    if args.from_history:
        if args.result:
            raise InputError("give RESULT.json or --from-history, not both")
        from posture.history import open_history

        with open_history(args.from_history, readonly=True) as h:
            scan_id = args.scan if args.scan is not None else h.latest(args.source).id
            return h.get(scan_id)
    if not args.result:
        raise InputError("give a RESULT.json (posture scan ... --format json) or --from-history URL")
    from posture.inputs import load_json
    from posture.tickets.sync import finding_documents

    try:  # checked here, where the file is known, so the one-line error names it
        return finding_documents(load_json(args.result, "result", "scan result"))
    except InputError as e:
        if e.where:
            raise
        raise InputError(str(e), where=args.result) from None


def _sync(args: argparse.Namespace) -> int:
    from posture.tickets import sync
    from posture.tickets.config import load_config, make_sink

    config = load_config(args.config)
    to = args.to or config.to
    if not to:
        raise InputError("no ticket system: pass --to or set `to:` in the config", where=args.config)
    findings = _load_findings(args)
    sink = make_sink(to, config)
    report = sync(findings, sink, group_by=config.group_by, min_severity=config.min_severity,
                  include_unverified=config.include_unverified, priority=config.priority, dry_run=args.dry_run)
    if args.format == "json":
        sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")
    else:
        verb = "would" if args.dry_run else "did"
        for a in report.actions:
            if a.kind != "unchanged":
                print(f"{a.kind:9} {a.ticket or '-':>10}  {a.title or a.key}  {a.reason}".rstrip())
        counts = ", ".join(f"{n} {k}" for k, n in sorted(report.counts().items())) or "nothing"
        print(f"posture: {to} sync {verb}: {counts}", file=sys.stderr)
    return 0
