"""Terraform JSON configuration (``*.tf.json``) as the same :class:`~.hcl.Body` a ``.tf`` file gives.

Follows Terraform's "JSON Configuration Syntax": top-level ``resource``/``data``/``module``/``variable``/
``output``/``locals``/``provider``/``terraform`` keys, block labels as nested object keys, a block given as an
object or an array of objects, ``"//"`` keys as comments. A JSON string in an expression position is a string
template: its ``${...}`` interpolations are HCL expressions, and a string that is one interpolation alone is
that expression's value (``"count": "${var.n}"`` is a number). Every attribute value is rewritten as HCL
expression text and all of a file's expressions are parsed in one pass by the same parser as ``.tf`` files,
so :mod:`.hcl_eval`, modules, count/for_each, references and the normalisers are shared.

JSON does not say whether an object property is a nested block or an attribute of map type (``versioning``
vs ``tags``); without provider schemas, an object is a block unless its name is a known map attribute or its
keys are not identifiers (``{"Name": ...}``, ``{"kubernetes.io/role": ...}``). Lines are those of the keys.

A ``"//"`` comment inside a block holding ``posture:ignore RULE reason`` suppresses like the HCL comment.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass
from typing import Any

from posture.providers.terraform.hcl_syntax import _META_BLOCKS, Attr, Block, Body, parse_hcl
from posture.providers.terraform.hcl_values import kids

# Block types and how many labels they take; other top-level keys are not read.
_LABELS = {"resource": 2, "data": 2, "module": 1, "variable": 1, "output": 1, "provider": 1, "locals": 0,
           "terraform": 0}
# Top-level block properties whose JSON string is an HCL expression (not a template), per block type.
_BARE = {"resource": {"provider", "depends_on"}, "data": {"provider", "depends_on"}, "module": {"depends_on"},
         "variable": {"type"}, "output": {"depends_on"}}
# Top-level block properties whose value is a literal (no template), per block type; None: all of them.
_LITERAL: dict[str, set[str] | None] = {
    "variable": {"default", "description", "nullable", "sensitive"}, "module": {"source", "version"},
    "output": {"description", "sensitive"}, "terraform": None, "provider": {"alias"}}
# Top-level blocks whose properties are all attributes (module inputs, output and local values).
_ATTRS_ONLY = {"locals", "module", "output"}
_MAP_ATTRS = {"tags", "tags_all", "labels", "variables", "environment_variables", "triggers", "parameters",
              "metadata", "annotations", "app_settings", "options", "attributes", "properties", "settings",
              "resource_labels", "user_labels", "default_labels", "freeform_tags", "defined_tags", "providers"}
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


class JsonConfigError(Exception):
    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.line = line


# ----------------------------------------------------------------------------------------------------------
# JSON with key lines
# ----------------------------------------------------------------------------------------------------------
class JObj(list):  # type: ignore[type-arg]
    """A JSON object as (key, value, line of the key) triples, in order, duplicates kept."""

    line = 0


class JArr(list):  # type: ignore[type-arg]
    line = 0


@dataclass
class _Reader:
    text: str
    starts: list[int]

    def line(self, pos: int) -> int:
        return bisect.bisect_right(self.starts, pos)

    def ws(self, i: int) -> int:
        while i < len(self.text) and self.text[i] in " \t\r\n":
            i += 1
        return i

    def value(self, i: int) -> tuple[Any, int]:
        i = self.ws(i)
        c = self.text[i]
        if c == "{":
            obj = JObj()
            obj.line = self.line(i)
            i = self.ws(i + 1)
            while self.text[i] != "}":
                key_line = self.line(i)
                key, i = _DECODER.raw_decode(self.text, i)
                i = self.ws(i) + 1  # the colon
                val, i = self.value(i)
                obj.append((key, val, key_line))
                i = self.ws(i)
                if self.text[i] == ",":
                    i = self.ws(i + 1)
            return obj, i + 1
        if c == "[":
            arr = JArr()
            arr.line = self.line(i)
            i = self.ws(i + 1)
            while self.text[i] != "]":
                val, i = self.value(i)
                arr.append(val)
                i = self.ws(i)
                if self.text[i] == ",":
                    i = self.ws(i + 1)
            return arr, i + 1
        return _DECODER.raw_decode(self.text, i)


_DECODER = json.JSONDecoder()


def read_json(text: str) -> Any:
    """The document as JObj/JArr/scalars; JsonConfigError (with the line) for invalid JSON."""
    try:
        json.loads(text)  # validates (and gives a precise message) so the reader below may trust the text
    except json.JSONDecodeError as exc:
        raise JsonConfigError(f"invalid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
                              exc.lineno) from None
    except ValueError:  # Python's integer string conversion limit
        m = re.search(r"\d{4301,}", text)
        raise JsonConfigError("invalid JSON: integer longer than 4,300 digits",
                              text.count("\n", 0, m.start()) + 1 if m else 0) from None
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    return _Reader(text, starts).value(0)[0]


# ----------------------------------------------------------------------------------------------------------
# JSON values as HCL expression text
# ----------------------------------------------------------------------------------------------------------
def _end_of_interp(s: str, i: int) -> int:
    """Index just past the ``}`` closing the interpolation whose ``{`` is at ``i - 1``, or -1."""
    depth, quote = 1, False
    while i < len(s):
        c = s[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == '"':
                quote = False
        elif c == '"':
            quote = True
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return -1


def _quote(s: str) -> str:
    return json.dumps(s)[1:-1].replace("${", "$${").replace("%{", "%%{")


def _is_lone_interp(s: str) -> bool:
    """Whether ``s`` is one ``${...}`` interpolation and nothing else."""
    return s.startswith("${") and _end_of_interp(s, 2) == len(s)


def _template_literal(s: str) -> str:
    """A literal part of a template as HCL string text; its ``$${`` / ``%%{`` escapes stay as written."""
    return _quote(s).replace("$$${", "$${").replace("%%%{", "%%{")


def template_text(s: str) -> str:
    """A JSON string template as HCL text; a lone ``${expr}`` becomes ``(expr)`` (its value, unconverted)."""
    if _is_lone_interp(s):
        return f"({s[2:-1].strip(' ~')})"
    out, i, plain = [], 0, 0
    while i < len(s):
        if s.startswith(("$${", "%%{"), i):
            i += 3
            continue
        if s.startswith(("${", "%{"), i):
            end = _end_of_interp(s, i + 2)
            if end < 0:
                raise ValueError("unclosed template interpolation")
            out.append(_template_literal(s[plain:i]))
            out.append(s[i:end].replace("\n", " "))
            i = plain = end
            continue
        i += 1
    out.append(_template_literal(s[plain:]))
    return '"' + "".join(out) + '"'


def hcl_text(value: Any, mode: str) -> str:
    """HCL expression text for a JSON value; ``mode`` is ``template``, ``literal`` or ``bare``."""
    if isinstance(value, JObj):
        return "{" + ", ".join(f'"{_quote(k)}" = {hcl_text(v, mode)}' for k, v, _ in value if k != "//") + "}"
    if isinstance(value, list):
        return "[" + ", ".join(hcl_text(v, mode) for v in value) + "]"
    if isinstance(value, str):
        if mode == "bare":  # a reference or type; the older "${aws_s3_bucket.b}" spelling is accepted too
            if _is_lone_interp(value):
                value = value[2:-1]
            return value.replace("\n", " ") or '""'
        return template_text(value) if mode == "template" else f'"{_quote(value)}"'
    return json.dumps(value)  # numbers, true/false, null


# ----------------------------------------------------------------------------------------------------------
# JSON document -> Body
# ----------------------------------------------------------------------------------------------------------
@dataclass
class _Pending:
    attr: Attr  # its expr is filled in after the batch parse
    text: str


class _Builder:
    def __init__(self, rel: str):
        self.rel = rel
        self.pending: list[_Pending] = []
        self.comments: list[tuple[int, str]] = []  # (block line, "//" text)

    def document(self, doc: Any) -> Body:
        if not isinstance(doc, JObj):
            raise JsonConfigError("a Terraform JSON file must hold one JSON object", getattr(doc, "line", 1))
        body = Body()
        for key, val, line in doc:
            if key in _LABELS:
                self._blocks(body, key, [], _LABELS[key], val, line)
        return body

    def _blocks(self, out: Body, btype: str, labels: list[str], n: int, val: Any, line: int) -> None:
        """Blocks of ``btype`` from ``val``, an object or an array of objects, with ``n`` labels left to read."""
        items = val if isinstance(val, JArr) else [val]
        for item in items:
            if not isinstance(item, JObj):
                raise JsonConfigError(f"{' '.join([btype, *labels])}: expected an object", getattr(item, "line", line))
            if n:
                for key, inner, key_line in item:
                    if key != "//":
                        self._blocks(out, btype, [*labels, key], n - 1, inner, key_line)
            else:
                out.blocks.append(self.block(btype, labels, item, line if len(items) == 1 else item.line))

    def block(self, btype: str, labels: list[str], obj: JObj, line: int, top: bool = True) -> Block:
        body = Body()
        literal = _LITERAL.get(btype, set()) if top else set()
        bare = _BARE.get(btype, set()) if top else set()
        attrs_only = top and btype in _ATTRS_ONLY
        for key, val, key_line in obj:
            if key == "//":
                if isinstance(val, str) and top:
                    self.comments.append((line, val))
                continue
            if literal is None or key in literal:
                self._attr(body, key, val, key_line, "literal")
            elif key in bare:
                self._attr(body, key, val, key_line, "bare")
            elif attrs_only:  # an object here is a value (a module input, an output, a local), never a block
                self._attr(body, key, val, key_line, "template")
            elif key == "dynamic" and isinstance(val, JObj):
                for name, spec, spec_line in val:
                    if isinstance(spec, JObj):
                        body.blocks.append(self._dynamic(name, spec, spec_line))
            elif _is_blocks(key, val) or key in _META_BLOCKS:
                for item in val if isinstance(val, JArr) else [val]:
                    if isinstance(item, JObj):
                        body.blocks.append(self.block(key, [], item, item.line if isinstance(val, JArr)
                                                      else key_line, top=False))
            else:
                self._attr(body, key, val, key_line, "template")
        return Block(btype, labels, body, self.rel, line)

    def _dynamic(self, name: str, spec: JObj, line: int) -> Block:
        body = Body()
        for key, val, key_line in spec:
            if key == "content" and isinstance(val, JObj):
                body.blocks.append(self.block("content", [], val, key_line, top=False))
            elif key in ("for_each", "labels"):
                self._attr(body, key, val, key_line, "template")
            elif key == "iterator":
                self._attr(body, key, val, key_line, "bare")
        return Block("dynamic", [name], body, self.rel, line)

    def _attr(self, body: Body, key: str, val: Any, line: int, mode: str) -> None:
        attr = Attr(key, None, line)
        body.attrs[key] = attr
        try:
            text = hcl_text(val, mode)
        except ValueError as exc:
            raise JsonConfigError(f"{key}: {exc}", line) from None
        self.pending.append(_Pending(attr, text))

    def parse_expressions(self) -> None:
        """Parse every pending expression in one HCL document; a bad one is reported at its JSON line."""
        if not self.pending:
            return
        try:
            tree = parse_hcl("\n".join(f"_{i} = {p.text}" for i, p in enumerate(self.pending)))
        except Exception:  # lark raises several types; find the culprit one expression at a time
            for p in self.pending:
                try:
                    parse_hcl(f"_ = {p.text}")
                except Exception:
                    raise JsonConfigError(f"{p.attr.name}: invalid expression in template", p.attr.line) from None
            raise JsonConfigError("invalid expression", 1) from None
        attrs = [n for n in tree.children[0].children if getattr(n, "data", None) == "attribute"]
        for p, node in zip(self.pending, attrs, strict=True):
            p.attr.expr = kids(node)[-1]


def _is_blocks(key: str, val: Any) -> bool:
    """Whether a property is nested block(s) rather than an attribute (see the module docstring)."""
    items = val if isinstance(val, JArr) else [val]
    if not items or not all(isinstance(i, JObj) for i in items):
        return False
    if key in _MAP_ATTRS or key.endswith(("_tags", "_labels")):
        return False
    return all(k == "//" or (_IDENT.match(k) and k.lower() == k) for i in items for k, _, _ in i)


def parse_tf_json(text: str, rel: str) -> tuple[Body, list[tuple[int, str]]]:
    """The :class:`~.hcl.Body` of a ``.tf.json`` text and its ``"//"`` comments as (block line, text).

    Raises :class:`JsonConfigError` (message and line) for invalid JSON or an invalid template.
    """
    builder = _Builder(rel)
    body = builder.document(read_json(text))
    builder.parse_expressions()
    return body, builder.comments


__all__ = ["JsonConfigError", "parse_tf_json", "read_json", "template_text"]
