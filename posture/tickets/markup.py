"""Ticket bodies in each system's markup: Jira ADF (Cloud v3), Jira wiki (Server v2), GitHub Markdown.

Text from the estate (resource names, messages) is escaped so it cannot mention people, link,
or break out of the markup.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from posture.tickets.model import Block

DIGEST_RE = re.compile(r"posture-digest: ([0-9a-f]{16})")
KEY_RE = re.compile(r"<!-- posture-key: ([0-9a-f]{32}) posture-digest: ([0-9a-f]{16}) -->")


def footer(key: str, digest: str) -> str:
    return f"posture-key: {key} posture-digest: {digest}"


# ---------------------------------------------------------------- Jira Cloud: Atlassian Document Format
def _adf_text(text: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": text}] if text else []


def adf(blocks: Sequence[Block], key: str, digest: str) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    for kind, value in blocks:
        if kind == "h":
            content.append({"type": "heading", "attrs": {"level": 3}, "content": _adf_text(value)})
        elif kind == "code":
            content.append({"type": "codeBlock", "attrs": {"language": "json"}, "content": _adf_text(value)})
        elif kind == "ul":
            content.append({"type": "bulletList", "content": [
                {"type": "listItem", "content": [{"type": "paragraph", "content": _adf_text(v)}]} for v in value]})
        else:
            content.append({"type": "paragraph", "content": _adf_text(value)})
    content.append({"type": "paragraph", "content": [{"type": "text", "text": footer(key, digest),
                                                      "marks": [{"type": "code"}]}]})
    return {"type": "doc", "version": 1, "content": content}


def adf_comment(text: str) -> dict[str, Any]:
    return {"type": "doc", "version": 1,
            "content": [{"type": "paragraph", "content": _adf_text(line)} for line in text.splitlines() if line]}


# ---------------------------------------------------------------- Jira Server: wiki markup
_WIKI_SPECIAL = re.compile(r"([\\{}\[\]|*_^~+?!#-])")


def wiki_escape(text: str) -> str:
    return _WIKI_SPECIAL.sub(r"\\\1", text)


def wiki(blocks: Sequence[Block], key: str, digest: str) -> str:
    out = []
    for kind, value in blocks:
        if kind == "h":
            out.append(f"h3. {wiki_escape(value)}")
        elif kind == "code":
            out.append("{noformat}\n" + value.replace("{noformat}", "{ noformat}") + "\n{noformat}")
        elif kind == "ul":
            out.extend(f"* {wiki_escape(v)}" for v in value)
        else:
            out.append(wiki_escape(value))
    out.append("{{" + footer(key, digest) + "}}")
    return "\n\n".join(out)


# ---------------------------------------------------------------- GitHub: Markdown
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#|!~])")


def md_escape(text: str) -> str:
    # escape markup, and break @mentions and #references so findings never ping anyone
    return _MD_SPECIAL.sub(r"\\\1", text).replace("@", "@\u200b")


def markdown(blocks: Sequence[Block], key: str, digest: str) -> str:
    out = []
    for kind, value in blocks:
        if kind == "h":
            out.append(f"### {md_escape(value)}")
        elif kind == "code":
            fence = "`" * max(3, max((len(m) for m in re.findall(r"`+", value)), default=0) + 1)
            out.append(f"{fence}json\n{value}\n{fence}")
        elif kind == "ul":
            out.extend(f"- {md_escape(v)}" for v in value)
        else:
            out.append(md_escape(value))
    out.append(f"<!-- {footer(key, digest)} -->")
    return "\n\n".join(out)
