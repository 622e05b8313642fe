"""``posture verify``: claim-by-claim verdicts on a security statement, from a profile or from its own words.

    posture verify PROFILE PATH...              a profile (bundled name or YAML file) on estates
    posture verify --statement FILE [PATH...]   a published statement (txt, Markdown, HTML) read sentence by sentence
    posture verify --statement FILE --emit-profile   the statement as profile YAML, to review and pin
    posture verify --list                       bundled profiles and the claim topics

Exit codes: 0 no claim fails, 1 a claim does not hold (with --strict: also when one cannot be verified),
2 input error (one line). Statement lint findings are reported but do not change the exit code.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from posture.report.sanitize import md_text, plain

_MARK = {"holds": "HOLDS", "does not hold": "FAILS", "cannot be verified": "UNVERIFIED"}


def add_commands(sub: Any) -> None:
    p = sub.add_parser("verify", help="verify a security statement (a profile or the published text) against estates")
    p.add_argument("profile", nargs="?", help="profile file, or a bundled profile name (posture verify --list)")
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="plan JSON, Terraform directory or snapshot .jsonl (live scans: use --snapshot-out)")
    p.add_argument("--statement", metavar="FILE",
                   help="a published statement (plain text, Markdown or saved HTML) to read claim by claim; "
                        "every positional argument is then an estate")
    p.add_argument("--emit-profile", action="store_true",
                   help="with --statement: print the statement as profile YAML and exit")
    p.add_argument("--list", action="store_true", help="list the bundled profiles and the claim topics")
    p.add_argument("--history", metavar="PATH_OR_URL",
                   help="scan history deciding external-scan claims (default $POSTURE_HISTORY)")
    p.add_argument("--scan-scope", metavar="NAME", default="",
                   help="the external-scan scope (name or scope file) those claims are about (default: any)")
    p.add_argument("--format", choices=["table", "json", "markdown", "html"], default=None)
    p.add_argument("--output", "-o", metavar="FILE")
    p.add_argument("--rules", action="append", default=[], metavar="DIR")
    p.add_argument("--strict", action="store_true", help="exit 1 also when a claim cannot be verified")
    p.set_defaults(handler=run)


def render_table(report: Any) -> str:
    lines = [f"{report.title} ({report.profile})",
             f"Providers: {', '.join(report.providers) or 'not restricted'}",
             f"Estates: {', '.join(report.targets) or 'none'}", ""]
    for c in report.claims:
        lines.append(plain(f"[{_MARK[c.verdict]:<10}] {c.id}: {c.text}"))
        for r in c.reasons:
            lines.append(f"{'':13}{plain(r)}")
        for f in c.findings[:5]:
            lines.append(f"{'':13}- {plain(f'{f.rule_id} {f.resource.id}: {f.message}')}")
        if len(c.findings) > 5:
            lines.append(f"{'':13}- ... and {len(c.findings) - 5} more")
    for n in report.not_checkable:
        lines.append(f"[{'NOTE':<10}] {n.text} ({n.reason})")
    lines += ["", f"Overall: {report.verdict} - {report.counts_text()}"]
    return "\n".join(lines) + "\n"


def render_markdown(report: Any) -> str:
    lines = [f"## {report.title}", "",
             f"Profile `{report.profile}`; providers: {', '.join(report.providers) or 'not restricted'}; "
             f"estates: {', '.join(report.targets) or 'none'}.", "",
             f"**Overall: {report.verdict}** ({report.counts_text()})", "",
             "| claim | verdict | why |", "|---|---|---|"]
    for c in report.claims:
        why = "; ".join(md_text(r, in_table=True) for r in c.reasons)
        lines.append(f"| {md_text(c.text, in_table=True)} | **{c.verdict}** | {why} |")
    return "\n".join(lines) + "\n"


def _list() -> str:
    from posture.profiles import load_profile, profiles_dir
    from posture.statement.catalogue import load_catalogue

    lines = ["Bundled profiles (posture verify NAME PATH...):"]
    for f in sorted(profiles_dir().glob("*.yaml")):
        spec = load_profile(f.stem)
        lines.append(f"  {f.stem:<18} {spec.title} [{', '.join(spec.providers) or 'any provider'}; "
                     f"{len(spec.claims)} claims]")
    lines += ["", "Claim topics read from statements (posture verify --statement FILE PATH...):"]
    lines += [f"  {t.id:<22} {t.title}" for t in load_catalogue().topics]
    return "\n".join(lines) + "\n"


def _run_statement(args: argparse.Namespace, fmt: str) -> int:
    from posture.commands.base import emit
    from posture.profiles import FAILS, UNVERIFIABLE
    from posture.statement import read_statement, verify_statement
    from posture.statement.render import render

    estates = ([args.profile] if args.profile else []) + list(args.paths)
    text = read_statement(args.statement)
    name = os.path.basename(args.statement)
    if args.emit_profile:
        from posture.statement.catalogue import load_catalogue
        from posture.statement.extract import extract
        from posture.statement.report import build_profile
        from posture.statement.text import sentences

        ss = sentences(text, name)
        emit(build_profile(name, ss, extract(ss), load_catalogue(), args.scan_scope).to_yaml(), args.output)
        return 0
    history = args.history or os.environ.get("POSTURE_HISTORY") or None
    report = verify_statement(text, estates, name=name, history=history, scope=args.scan_scope,
                              rule_dirs=args.rules)
    emit(render(report, fmt), args.output)
    if fmt != "table" or args.output:
        sys.stderr.write(f"posture: {report.verdict} - {report.counts_text()}; {len(report.lint)} lint finding(s)\n")
    bad = {FAILS, UNVERIFIABLE} if args.strict else {FAILS}
    return 1 if any(c.verdict in bad for c in report.claims) else 0


def run(args: argparse.Namespace) -> int:
    from posture.commands.base import default_format, emit
    from posture.errors import InputError
    from posture.profiles import FAILS, UNVERIFIABLE, verify

    if args.list:
        emit(_list(), args.output)
        return 0
    fmt = default_format(args)
    if args.statement:
        return _run_statement(args, fmt)
    if args.emit_profile:
        raise InputError("--emit-profile needs --statement FILE")
    if not args.profile:
        raise InputError("give a profile (posture verify --list) or --statement FILE, then the estates to verify")
    history = args.history or os.environ.get("POSTURE_HISTORY") or None
    report = verify(args.profile, args.paths, rule_dirs=args.rules, history=history)
    if fmt == "html":
        from posture.report import render

        text = render(report.result, "html", {"profile": report, "title": report.title})
    elif fmt == "json":
        import json

        text = json.dumps(report.to_dict(), indent=2) + "\n"
    else:
        text = render_markdown(report) if fmt == "markdown" else render_table(report)
    emit(text, args.output)
    bad = {FAILS, UNVERIFIABLE} if args.strict else {FAILS}
    if fmt != "table" or args.output:
        sys.stderr.write(f"posture: {report.verdict} - {report.counts_text()}\n")
    return 1 if any(c.verdict in bad for c in report.claims) else 0
