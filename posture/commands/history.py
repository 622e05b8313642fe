"""``posture history list|show|diff|trend``: read the scan history (``--history`` or ``POSTURE_HISTORY``)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from posture.errors import InputError

ENV = "POSTURE_HISTORY"


def history_url(value: str | None) -> str:
    """The history URL from the option or ``POSTURE_HISTORY``; an error when neither is set."""
    url = value or os.environ.get(ENV)
    if not url:
        raise InputError(f"no history: pass --history PATH_OR_URL or set {ENV}")
    return url


def add_commands(sub: Any) -> None:
    from posture.history.render import FORMATS

    hist = sub.add_parser("history", help="list, show, diff and trend recorded scans")
    hsub = hist.add_subparsers(dest="history_command", required=True, parser_class=type(hist))

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--history", metavar="PATH_OR_URL", help=f"history database (default: ${ENV})")
        p.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
        p.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")

    p = hsub.add_parser("list", help="list recorded scans, newest first")
    common(p)
    p.add_argument("--source", metavar="TYPE:TARGET", help="only scans of this source")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(handler=_list)

    p = hsub.add_parser("show", help="show one scan with its findings and gaps")
    common(p)
    p.add_argument("scan_id", type=int, metavar="ID")
    p.set_defaults(handler=_show)

    p = hsub.add_parser("diff", help="new / resolved / persisting findings between two scans")
    common(p)
    p.add_argument("old", type=int, nargs="?", metavar="OLD", help="older scan id (default: the one before NEW)")
    p.add_argument("new", type=int, nargs="?", metavar="NEW", help="newer scan id (default: the latest)")
    p.add_argument("--source", metavar="TYPE:TARGET", help="with no ids: the last two scans of this source")
    p.set_defaults(handler=_diff)

    p = hsub.add_parser("trend", help="open findings by severity and category over time")
    common(p)
    p.add_argument("--source", metavar="TYPE:TARGET", help="default: the source of the latest scan")
    p.add_argument("--by", choices=("scan", "month", "quarter"), default="scan", help="one point per ...")
    p.set_defaults(handler=_trend)


def _emit(args: argparse.Namespace, text: str) -> int:
    from posture.commands.base import emit

    emit(text, args.output)
    return 0


def _open(args: argparse.Namespace) -> Any:
    from posture.history import open_history

    return open_history(history_url(args.history), readonly=True)


def _list(args: argparse.Namespace) -> int:
    from posture.history.render import render_list

    with _open(args) as h:
        return _emit(args, render_list(h.scans(source=args.source, limit=args.limit), args.format))


def _show(args: argparse.Namespace) -> int:
    from posture.history.render import render_show

    with _open(args) as h:
        scan = h.get(args.scan_id)
        trend = h.trend(scan.source_key) if args.format == "html" else []
        return _emit(args, render_show(scan, args.format, [t for t in trend if t.scan_id <= scan.id]))


def _diff(args: argparse.Namespace) -> int:
    from posture.history.render import render_diff

    old, new = args.old, args.new
    if old is not None and new is None:  # one id: diff it against the scan before it
        old, new = None, old
    with _open(args) as h:
        return _emit(args, render_diff(h.diff(old, new, source=args.source), args.format))


def _trend(args: argparse.Namespace) -> int:
    from posture.history.render import render_trend

    with _open(args) as h:
        return _emit(args, render_trend(h.trend(args.source, period=args.by), args.format))
