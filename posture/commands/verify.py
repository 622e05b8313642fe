"""``posture verify PROFILE PATH...``: claim-by-claim verdicts on a published security statement."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from posture.report.sanitize import md_text, plain

_MARK = {"holds": "HOLDS", "does not hold": "FAILS", "cannot be verified": "UNVERIFIED"}


def add_commands(sub: Any) -> None:
    p = sub.add_parser("verify", help="verify a statement profile's claims against estates")
    p.add_argument("profile", help="profile file, or a bundled profile name (posture verify --list)")
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="plan JSON, Terraform directory or snapshot .jsonl (live scans: use --snapshot-out)")
    p.add_argument("--format", choices=["table", "json", "markdown", "html"], default=None)
    p.add_argument("--output", "-o", metavar="FILE")
    p.add_argument("--rules", action="append", default=[], metavar="DIR")
    p.add_argument("--strict", action="store_true", help="exit 1 also when a claim cannot be verified")
    p.set_defaults(handler=run)


def render_table(report: Any) -> str:
    lines = [f"{report.title} ({report.profile})", ""]
    for c in report.claims:
        lines.append(plain(f"[{_MARK[c.verdict]:<10}] {c.id}: {c.text}"))
        for r in c.reasons:
            lines.append(f"{'':13}{plain(r)}")
        for f in c.findings[:5]:
            lines.append(f"{'':13}- {plain(f'{f.rule_id} {f.resource.id}: {f.message}')}")
        if len(c.findings) > 5:
            lines.append(f"{'':13}- ... and {len(c.findings) - 5} more")
    n = report.counts()
    lines += ["", f"{n['holds']} hold, {n['does not hold']} do not hold, {n['cannot be verified']} cannot be verified"]
    return "\n".join(lines) + "\n"


def render_markdown(report: Any) -> str:
    lines = [f"## {report.title}", "", "| claim | verdict | why |", "|---|---|---|"]
    for c in report.claims:
        why = "; ".join(md_text(r, in_table=True) for r in c.reasons)
        lines.append(f"| {md_text(c.text, in_table=True)} | **{c.verdict}** | {why} |")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    from posture.commands.base import default_format, emit
    from posture.profiles import FAILS, UNVERIFIABLE, verify

    report = verify(args.profile, args.paths, rule_dirs=args.rules)
    fmt = default_format(args)
    if fmt == "html":
        from posture.report import render

        text = render(report.result, "html", {"profile": report, "title": report.title})
    else:
        text = (json.dumps(report.to_dict(), indent=2) + "\n" if fmt == "json"
                else render_markdown(report) if fmt == "markdown" else render_table(report))
    emit(text, args.output)
    bad = {FAILS, UNVERIFIABLE} if args.strict else {FAILS}
    if fmt != "table" and not args.output:
        sys.stderr.write(f"posture: {report.counts()}\n")
    return 1 if any(c.verdict in bad for c in report.claims) else 0
