"""Text from the estate made inert for each output, in one place.

Resource names, tags, messages and gap reasons come from files and APIs posture does not trust. Before they
reach an output:

- :func:`plain` (terminal tables, JUnit XML, SARIF text) writes every control character as a visible escape
  (``\\x1b``, ``\\n``, ``\\u202e``): C0 and C1 controls (no terminal escape sequence can clear a screen or set
  a title), Unicode bidirectional overrides (no "Trojan source" reordering), line and paragraph separators,
  and the code points XML 1.0 forbids (lone surrogates, U+FFFE/U+FFFF), so the XML stays well-formed;
- :func:`md_text` (Markdown prose, table cells) additionally escapes HTML and Markdown punctuation and puts
  anything shaped like a URL (``scheme:...``, ``www.``) in a code span, so no raw HTML, image, link or
  autolink (``javascript:`` included) can render;
- :func:`md_code` (ids, targets) wraps the text in a code span long enough that it cannot be closed early.
"""

from __future__ import annotations

import re

_ESCAPES = {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}


def _escape(cp: int) -> str:
    return _ESCAPES.get(cp) or (f"\\x{cp:02x}" if cp < 0x100 else f"\\u{cp:04x}")


_UNSAFE = [*range(0x00, 0x20), *range(0x7F, 0xA0), 0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F),
           *range(0x2066, 0x206A), 0x2028, 0x2029, *range(0xD800, 0xE000), 0xFFFE, 0xFFFF]
_PLAIN = str.maketrans({cp: _escape(cp) for cp in _UNSAFE})
# Markdown punctuation that can start markup, plus the HTML specials (as entities, which GitHub shows as text)
_MD = str.maketrans({**{c: "\\" + c for c in "\\`*_[]#!|~"}, "<": "&lt;", ">": "&gt;", "&": "&amp;"})
_BACKTICKS = re.compile(r"`+")
_URLISH = re.compile(r"\S*(?:\b[A-Za-z][A-Za-z0-9+.-]*:|\bwww\.)\S+")  # the whole token, not its tail


def plain(text: object) -> str:
    """``text`` with every control, bidi-override and XML-invalid character written as a visible escape."""
    return str(text).translate(_PLAIN)


def md_text(text: object, *, in_table: bool = False) -> str:
    """``text`` for Markdown prose or a table cell: inert (no HTML, link, image or emphasis), one line."""
    body = plain(text)
    out, last = [], 0
    for m in _URLISH.finditer(body):
        out += [body[last:m.start()].translate(_MD), md_code(m.group(), in_table=in_table)]
        last = m.end()
    out.append(body[last:].translate(_MD))
    return "".join(out)


def md_code(text: object, *, in_table: bool = False) -> str:
    """``text`` as a Markdown code span that nothing inside can close; ``|`` escaped inside table cells."""
    body = plain(text)
    if in_table:
        body = body.replace("|", "\\|")
    fence = "`" * (max((len(m) for m in _BACKTICKS.findall(body)), default=0) + 1)
    if body.startswith("`") or body.endswith("`") or not body.strip():
        body = f" {body} "
    return f"{fence}{body}{fence}"
