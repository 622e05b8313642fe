"""A statement as sentences: plain text, Markdown or a saved HTML page reduced to blocks, then sentences.

Blocks are headings, paragraphs and list items; a sentence never spans two blocks. HTML goes through the
standard library's :mod:`html.parser` (scripts, styles and navigation dropped, entities decoded).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from posture import inputs
from posture.errors import InputError

HEADING, PARAGRAPH, ITEM = "heading", "paragraph", "item"


@dataclass(frozen=True, slots=True)
class Block:
    """A heading, paragraph or list item of the statement, with the line it starts on."""

    kind: str
    text: str
    line: int


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence: its number (1-based, statement order), text, the block it sits in and its section."""

    number: int
    text: str
    line: int
    block: int
    section: str = ""


_HTML_BLOCKS = {"p", "div", "li", "dt", "dd", "tr", "td", "th", "section", "article", "header", "footer", "main",
                "aside", "blockquote", "pre", "table", "ul", "ol", "dl", "br", "hr", "figcaption", "summary"}
_HTML_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6", "title"}
_HTML_SKIP = {"script", "style", "nav", "noscript", "template", "svg", "head", "button", "form"}


class _HtmlText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self._buf: list[str] = []
        self._kind = PARAGRAPH
        self._line = 1
        self._skip = 0

    def _flush(self) -> None:
        text = " ".join("".join(self._buf).split())
        if text:
            self.blocks.append(Block(self._kind, text, self._line))
        self._buf, self._kind = [], PARAGRAPH

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HTML_SKIP and tag != "head":
            self._skip += 1
            return
        if tag in _HTML_BLOCKS or tag in _HTML_HEADINGS:
            self._flush()
            self._line = self.getpos()[0]
            if tag in _HTML_HEADINGS:
                self._kind = HEADING
            elif tag == "li":
                self._kind = ITEM

    def handle_endtag(self, tag: str) -> None:
        if tag in _HTML_SKIP and tag != "head":
            self._skip = max(0, self._skip - 1)
            return
        if tag in _HTML_BLOCKS or tag in _HTML_HEADINGS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if not self._buf:
            self._line = self.getpos()[0]
        self._buf.append(data)


def html_blocks(text: str) -> list[Block]:
    parser = _HtmlText()
    parser.feed(text)
    parser.close()
    parser._flush()
    return parser.blocks


_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_MD_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.*)$")
# Every repetition is bounded (a link text, an emphasis, a tag of at most a few hundred characters) and none
# can run across an opening of its own kind: a hostile text of thousands of '[' or '**' stays linear.
_MD_INLINE = [(re.compile(r"!?\[([^\[\]]{0,500})\]\([^()]{0,2000}\)"), r"\1"),
              (re.compile(r"(\*\*|__)(.{1,500}?)\1"), r"\2"),
              (re.compile(r"(?<![\w*])[*_](\S(?:[^*_]{0,500}?\S)?)[*_](?![\w*])"), r"\1"),
              (re.compile(r"`([^`]{0,2000})`"), r"\1"), (re.compile(r"<[^<>\n]{1,500}>"), "")]


def _inline(text: str) -> str:
    for pattern, repl in _MD_INLINE:
        text = pattern.sub(repl, text)
    return " ".join(text.split())


def markdown_blocks(text: str) -> list[Block]:
    """Headings (ATX and setext), list items and paragraphs; plain text is Markdown without markers."""
    blocks: list[Block] = []
    buf: list[str] = []
    kind, start = PARAGRAPH, 1
    in_fence = False

    def flush() -> None:
        nonlocal buf, kind
        joined = _inline(" ".join(buf))
        if joined:
            blocks.append(Block(kind, joined, start))
        buf, kind = [], PARAGRAPH

    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if line.lstrip().startswith(("```", "~~~")):
            flush()
            in_fence = not in_fence
            continue
        if in_fence or line.lstrip().startswith(("|---", "| ---", "---|")):
            continue
        if not line.strip():
            flush()
            continue
        if (m := _MD_HEADING.match(line)) is not None:
            flush()
            blocks.append(Block(HEADING, _inline(m.group(2)), n))
            continue
        if _MD_SETEXT.match(line) and buf and kind == PARAGRAPH and len(buf) == 1:
            kind = HEADING
            flush()
            continue
        if (m := _MD_ITEM.match(line)) is not None:
            flush()
            kind, start, buf = ITEM, n, [m.group(1)]
            continue
        if line.lstrip().startswith("|"):  # a table row: its cells are one block
            flush()
            start, buf = n, [" ".join(c.strip() for c in line.strip().strip("|").split("|"))]
            flush()
            continue
        if not buf:
            start = n
        buf.append(line.strip().lstrip(">").strip())
    flush()
    return blocks


_ABBREV = re.compile(r"\b(?:e\.g|i\.e|etc|inc|ltd|co|no|vs|approx|incl|fig|mr|ms|dr|st|u\.s)\.$", re.IGNORECASE)
_BOUNDARY = re.compile(r"(?<=[.!?])[\"')\]\u201d\u2019]*\s+(?=[\"'(\[\u201c\u2018]?[A-Z0-9])")


_UNICODE = str.maketrans({"\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2010": "-", "\u2011": "-",
                          "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-"})


def split_sentences(text: str) -> list[str]:
    """Sentences of one block: ends at . ! ? before a capital or digit, not after a known abbreviation.

    Non-breaking spaces and hyphens (``AES&#8209;256``, ``TLS&nbsp;1.2``) become plain ones first.
    """
    text = text.translate(_UNICODE)
    out: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        piece = text[start:m.start()].strip()
        if _ABBREV.search(piece):
            continue
        if piece:
            out.append(piece)
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


def is_html(text: str, name: str = "") -> bool:
    if name.lower().endswith((".html", ".htm", ".xhtml")):
        return True
    head = text.lstrip()[:512].lower()
    return head.startswith(("<!doctype html", "<html")) or bool(re.search(r"<(?:body|p|div|h[1-6])\b", head))


def parse(text: str, name: str = "") -> tuple[list[Block], list[Sentence]]:
    """The statement's blocks and its sentences in order, each with its line and the heading of its section."""
    blocks = html_blocks(text) if is_html(text, name) else markdown_blocks(text)
    source_lines = [" ".join(line.translate(_UNICODE).split()) for line in text.splitlines()]
    out: list[Sentence] = []
    section = ""
    for i, b in enumerate(blocks):
        if b.kind == HEADING:
            section = b.text
            continue
        line = b.line
        for s in split_sentences(b.text):
            line = _line_of(s, source_lines, line)
            out.append(Sentence(len(out) + 1, s, line, i, section))
    return blocks, out


def _line_of(sentence: str, lines: list[str], start: int) -> int:
    """The line (at or after ``start``) where the sentence's first words appear; ``start`` if not found."""
    head = " ".join(sentence.split()[:3])
    for n in range(max(start, 1), min(len(lines), start + 200) + 1):
        if head and head in lines[n - 1]:
            return n
    return start


def sentences(text: str, name: str = "") -> list[Sentence]:
    """The statement's sentences in order (headings are context, not sentences)."""
    return parse(text, name)[1]


def read_statement(path: str | Path) -> str:
    """The text of a statement file (UTF-8; a non-regular file or unreadable one is an input error)."""
    p = Path(path)
    text = inputs.decode_utf8(inputs.read_bytes(p, "statement", "statement"), str(p))
    if not text.strip():
        raise InputError("the statement is empty", where=str(p))
    return text
