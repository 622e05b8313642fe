"""Parsed ``.tf`` files: blocks and attributes of python-hcl2's parse tree, and ``posture:ignore`` comments."""

from __future__ import annotations

import os
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lark import Token, Tree

from posture.errors import InputError
from posture.providers.terraform.hcl_values import kids, unwrap

_META_ATTRS = {"count", "for_each", "provider", "depends_on"}
_META_BLOCKS = {"lifecycle", "provisioner", "connection", "precondition", "postcondition"}


# ----------------------------------------------------------------------------------------------------------
# parsed files
# ----------------------------------------------------------------------------------------------------------
@dataclass
class Attr:
    name: str
    expr: Any
    line: int


@dataclass
class Block:
    type: str
    labels: list[str]
    body: Body
    file: str  # path relative to the scanned root (or a registry pseudo-path)
    line: int


@dataclass
class Body:
    attrs: dict[str, Attr] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)


def _name_of(node: Any) -> str:
    node = unwrap(node)
    if isinstance(node, Token):
        return str(node)
    if node.data == "string":
        return "".join(str(p.children[0]) for p in node.children if isinstance(p, Tree) and p.children
                       and isinstance(p.children[0], Token))
    return str(node.children[0])


def _body(tree: Tree, file: str) -> Body:
    out = Body()
    for node in tree.children:
        if not isinstance(node, Tree):
            continue
        if node.data == "attribute":
            ks = kids(node)
            name = _name_of(ks[0])
            out.attrs[name] = Attr(name, ks[-1], _line(node))
        elif node.data == "block":
            names: list[str] = []
            inner = None
            for c in node.children:
                if isinstance(c, Tree) and c.data == "body":
                    inner = c
                    break
                if isinstance(c, Tree) and c.data in ("identifier", "keyword", "literal_value", "string"):
                    names.append(_name_of(c))
            out.blocks.append(Block(names[0], names[1:], _body(inner, file) if inner is not None else Body(),
                                    file, _line(node)))
    return out


_PARSER: list[Any] = []


def _parser_cache(grammar: str) -> str | bool:
    """A private file for Lark's parse-table cache: under the user's cache directory (mode 0700), never the
    shared temporary directory (Lark unpickles its cache), and apart from python-hcl2's own cache, which is
    keyed on different options. Named by the grammar's hash, so checkouts with different grammars do not
    rebuild each other's tables. False (build the tables each run) when no such directory can be made."""
    import hashlib

    import lark

    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "posture"
    try:
        base.mkdir(mode=0o700, parents=True, exist_ok=True)
        if base.stat().st_uid != os.getuid() or not os.access(base, os.W_OK):
            return False
    except (OSError, RuntimeError, AttributeError):
        return False
    digest = hashlib.sha256(grammar.encode()).hexdigest()[:12]
    return str(base / f"hcl2-{lark.__version__}-py{sys.version_info[0]}{sys.version_info[1]}-{digest}.lark")


def parse_hcl(text: str) -> Tree:
    """Parse HCL text into python-hcl2's Lark tree (the grammar is loaded once per process).

    python-hcl2's grammar and post-lexer, without ``propagate_positions``: copying positions into every tree
    node cost ~40% of parse time, and the only lines posture needs (blocks, attributes) are read from the
    tokens (:func:`_line`).
    """
    if not _PARSER:
        import hcl2.parser
        from hcl2.postlexer import PostLexer
        from lark import Lark

        grammar = (Path(hcl2.parser.__file__).parent / "hcl2.lark").read_text(encoding="utf-8")
        for old, new in _LINEAR_TERMINALS:
            grammar = grammar.replace(old, new)
        _PARSER.append(Lark(grammar, parser="lalr", postlex=PostLexer(), propagate_positions=False,
                            cache=_parser_cache(grammar)))
    tree = _PARSER[0].parse(text + "\n")
    for sub in tree.iter_subtrees():  # rule names as plain str: Lark's Token compares in Python, and the
        sub.data = str(sub.data)      # evaluator compares node kinds millions of times (a third of a big scan)
    return tree


# python-hcl2's terminals for quoted strings, block comments and heredocs repeat a group ("(.|\n)*?", "(?:a|b)+"):
# Python's regex engine keeps backtracking state for every character such a group matches, ~200 bytes each, so
# one 15 MiB string literal cost 3 GB to lex. The same languages, matched without that state: one character
# class instead of the group, a possessive repeat where nothing follows it. (A pattern not found, in another
# python-hcl2 version, is left as it is.)
_LINEAR_TERMINALS = (
    ("|(?:%(?!%?\\{)))+/", "|(?:%(?!%?\\{)))++/"),
    ("/\\/\\*(.|\\n)*?(\\*\\/)/", "/\\/\\*[\\s\\S]*?\\*\\//"),
    ("(?:(?:.|\\n)*?\\r?\\n)??", "(?:[\\s\\S]*?\\r?\\n)??"),
)


def _line(node: Tree) -> int:
    """The line a subtree starts on: that of its first token."""
    while isinstance(node, Tree):
        if not node.children:
            return 0
        node = node.children[0]
    return int(getattr(node, "line", 0) or 0)


_IGNORE_RE = re.compile(r"(?:#|//)\s*posture:ignore\b(.*)$")
_UNTIL_RE = re.compile(r"\[?\s*until:\s*(\S+?)\s*\]?\s*$")


@dataclass
class ParsedFile:
    rel: str
    body: Body
    ignores: dict[int, list[dict[str, Any]]]  # line -> suppressions written on that line
    comment_lines: frozenset[int]


def _ignores(text: str, rel: str) -> tuple[dict[int, list[dict[str, Any]]], frozenset[int]]:
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    comments = set()
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith(("#", "//", "/*", "*")):
            comments.add(n)
        item = _ignore(line, rel, n)
        if item:
            found[n].append(item)
    return dict(found), frozenset(comments)


def _ignore(comment: str, rel: str, n: int) -> dict[str, Any] | None:
    """The suppression a ``posture:ignore RULE reason [until: YYYY-MM-DD]`` comment at ``rel:n`` writes."""
    m = _IGNORE_RE.search(comment)
    if not m:
        return None
    words = m.group(1).strip()
    until = None
    um = _UNTIL_RE.search(words)
    if um:
        until = um.group(1)
        words = words[: um.start()].strip()
    rule_id, _, reason = words.partition(" ")
    reason = reason.strip().lstrip("-—:").strip()
    if not rule_id:
        raise InputError("posture:ignore needs a rule id and a reason", where=f"{rel}:{n}")
    if not reason:
        raise InputError(f"posture:ignore {rule_id} has no reason (write why it is accepted)", where=f"{rel}:{n}")
    if until is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", until):
        raise InputError(f"posture:ignore {rule_id}: until must be YYYY-MM-DD, got {until!r}", where=f"{rel}:{n}")
    return {"rule": rule_id, "reason": reason, "expires": until, "file": rel, "line": n}
