"""Hostile inputs for the fuzzing suite: mutations of the repository's own fixtures, and hypothesis strategies.

Two families, both driven by hypothesis (so a run is reproducible from its seed):

- :func:`mutated` — a seed file (a real fixture) through one to three mutations: byte flips, truncation,
  invalid UTF-8, control characters, deep nesting, integers over 4,300 digits, duplicate or unhashable YAML
  keys, impossible dates, YAML aliases and tags, splices of another seed, a structural swap of one value for a
  value of the wrong type;
- :func:`documents` — whole documents built from hostile values (the same wrong types, huge integers, deep
  nesting), written as JSON or YAML.

Only content is made here; tests/helpers/fuzz_targets.py decides where it is written and which command
reads it.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from hypothesis import strategies as st

Mutation = Callable[[bytes, random.Random, str], bytes]

_MAX_BYTES = 1 << 20        # no mutation grows a seed past 1 MiB (size limits are tested by hand-made cases)
HUGE_INT = "9" * 5000       # over Python's 4,300-digit int conversion limit
BAD_UTF8 = (b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80", b"\xe2\x82")
CONTROL = ("\x00", "\x1b[2J", "\x1b]0;title\x07", "\x7f", "\u202e", "\u2028", "\x0c", "\r", "\t", "\x9b")
DATES = ("2026-02-30", "2026-13-01", "0000-01-01", "9999-99-99", "2026-02-29T25:61:61Z", "1900-02-29")
YAML_SNIPPETS = (
    "? [a, b]\n: 1\n", "? {a: 1}\n: 2\n", "{[1, 2]: x}\n", "x: !!python/object/apply:os.system ['true']\n",
    "x: !!binary aGVsbG8=\n", "x: !!set {a, b}\n", "x: .nan\n", "x: !!float -.inf\n", "x: &a [*a]\n",
    "x: *undefined\n", "<<: *undefined\n", "x: !custom 1\n", "x: 0x" + "f" * 5000 + "\n", "x: 1e999\n",
    "x: 2026-02-30\n", "%YAML 1.1\n---\n", "---\n...\n---\n", "x: |\n  \x00\n", "x: '\n",
)


def _pos(data: bytes, rnd: random.Random) -> int:
    return rnd.randint(0, len(data)) if data else 0


def _insert(data: bytes, rnd: random.Random, chunk: bytes) -> bytes:
    i = _pos(data, rnd)
    return data[:i] + chunk + data[i:]


def flip(data: bytes, rnd: random.Random, fmt: str) -> bytes:
    """Flip one bit in one to eight bytes."""
    if not data:
        return bytes([rnd.randint(0, 255)])
    buf = bytearray(data)
    for _ in range(rnd.randint(1, 8)):
        i = rnd.randrange(len(buf))
        buf[i] ^= 1 << rnd.randrange(8)
    return bytes(buf)


def truncate(data: bytes, rnd: random.Random, fmt: str) -> bytes:
    """Cut the file short anywhere (an interrupted write)."""
    return data[:_pos(data, rnd)]


def invalid_utf8(data: bytes, rnd: random.Random, fmt: str) -> bytes:
    """Insert a byte sequence that is not UTF-8 (lone continuation bytes, surrogates, overlong forms)."""
    return _insert(data, rnd, rnd.choice(BAD_UTF8))


def control_chars(data: bytes, rnd: random.Random, fmt: str) -> bytes:
    """Insert NUL, escape sequences, bidi overrides, separators."""
    return _insert(data, rnd, rnd.choice(CONTROL).encode())


def deep_nesting(data: bytes, rnd: random.Random, fmt: str) -> bytes:
    """Replace a value (or the whole document) with thousands of nested lists or mappings."""
    depth = rnd.choice((150, 1000, 5000, 50_000))
    if fmt == "hcl":
        body = "a {\n" * depth + "}\n" * depth if rnd.random() < 0.5 else "x = " + "[" * depth + "]" * depth + "\n"
        return data + body.encode()
    nested = "[" * depth + "]" * depth if rnd.random() < 0.5 else '{"a":' * depth + "1" + "}" * depth
    if fmt in ("yaml",) and rnd.random() < 0.3:
        nested = "".join("  " * i + "- \n" for i in range(min(depth, 3000))) or nested
        return data + b"\nx:\n" + nested.encode()
    return _replace_value(data, rnd, nested.encode())


def huge_int(data: bytes, rnd: random.Random, fmt: str) -> bytes:
    """An integer longer than 4,300 digits where a number (or any value) was."""
    numbers = list(re.finditer(rb"(?<![\w.])\d+(?![\w.])", data))
    if numbers:
        m = rnd.choice(numbers)
        return data[:m.start()] + HUGE_INT.encode() + data[m.end():]
    return _replace_value(data, rnd, HUGE_INT.encode())


def _replace_value(data: bytes, rnd: random.Random, value: bytes) -> bytes:
    """Swap the text after a ``:`` or ``=`` (a value in JSON, YAML or HCL) up to the line's end or comma."""
    spots = list(re.finditer(rb"[:=][ \t]*([^,\n}\]]+)", data))
    if not spots:
        return value
    m = rnd.choice(spots)
    return data[:m.start(1)] + value + data[m.end(1):]


def impossible_date(data: bytes, rnd: random.Random, fmt: str) -> bytes:
    """A date that does not exist, where a date was (or as a new value)."""
    date = rnd.choice(DATES).encode()
    found = list(re.finditer(rb"\d{4}-\d{2}-\d{2}(T[\d:]+Z?)?", data))
    if found:
        m = rnd.choice(found)
        return data[:m.start()] + date + data[m.end():]
    return _replace_value(data, rnd, date)


def duplicate_line(data: bytes, rnd: random.Random, fmt: str) -> bytes:
    """Repeat one line (a duplicate key in YAML, a duplicate attribute in HCL, a repeated JSON line)."""
    lines = data.splitlines(keepends=True)
    if not lines:
        return data
    i = rnd.randrange(len(lines))
    return b"".join([*lines[:i + 1], lines[i], *lines[i + 1:]])


def yaml_snippet(data: bytes, rnd: random.Random, fmt: str) -> bytes:
    """Append or prepend YAML constructs: unhashable keys, tags, aliases, bad dates, directives."""
    snippet = rnd.choice(YAML_SNIPPETS).encode()
    return snippet + data if rnd.random() < 0.3 else data.rstrip(b"\n") + b"\n" + snippet


def alias_bomb(data: bytes, rnd: random.Random, fmt: str) -> bytes:
    """A "billion laughs" document: each level refers nine times to the one before."""
    levels = rnd.choice((5, 9, 12))
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return ("\n".join(lines) + "\n").encode() + (data if rnd.random() < 0.5 else b"")


def wrong_type(data: bytes, rnd: random.Random, fmt: str) -> bytes:
    """Parse the seed, replace one value anywhere in it with a value of another type, write it back."""
    try:
        if fmt == "jsonl":
            lines = data.decode().splitlines()
            i = rnd.randrange(len(lines)) if lines else 0
            doc = json.loads(lines[i]) if lines else {}
            lines[i:i + 1] = [json.dumps(_swap(doc, rnd))]
            return "\n".join(lines).encode() + b"\n"
        if fmt == "json":
            return json.dumps(_swap(json.loads(data), rnd)).encode()
        if fmt == "yaml":
            import yaml
            return yaml.safe_dump(_swap(yaml.safe_load(data), rnd), sort_keys=False).encode()
    except Exception:
        pass
    return _replace_value(data, rnd, rnd.choice(_SCALAR_TEXT).encode())


_SCALAR_TEXT = ("null", "true", "[]", "{}", "-1", "1.5", '""', "[[1]]", "{a: {b: c}}", "NaN", "-0", "1e400",
                "18446744073709551616", "'*'", '"\\u0000"', "~")
_HOSTILE = (None, True, False, 0, -1, 2**64, 1.5, float("inf"), "", "*", "\x00", "\u202e", "0.0.0.0/0",
            "../../etc/passwd", [], {}, [[[]]], {"": None}, [None], ["a", 1, None], {"1": {"2": {"3": []}}},
            "9" * 300, "2026-02-30", "x" * 5000)


def _swap(doc: object, rnd: random.Random) -> object:
    """Replace a random node of ``doc`` with a hostile value (the root itself, sometimes)."""
    paths: list[tuple[object, object]] = []

    def walk(node: object, depth: int) -> None:
        if depth > 30:
            return
        if isinstance(node, dict):
            for k, v in node.items():
                paths.append((node, k))
                walk(v, depth + 1)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                paths.append((node, i))
                walk(v, depth + 1)

    walk(doc, 0)
    value = rnd.choice(_HOSTILE)
    if not paths or rnd.random() < 0.05:
        return value
    parent, key = rnd.choice(paths)
    if isinstance(parent, dict) and rnd.random() < 0.2:
        parent[rnd.choice(("", "x", "__proto__", "1", "rule ", "Resource"))] = value  # an unknown key
    else:
        parent[key] = value  # type: ignore[index]
    return doc


def splice(data: bytes, rnd: random.Random, fmt: str, other: bytes = b"") -> bytes:
    """Repeat a chunk of the file several times (growth stays under 1 MiB)."""
    if not data:
        return data
    i = _pos(data, rnd)
    j = min(len(data), i + rnd.randint(1, 200))
    times = rnd.choice((2, 10, 1000))
    return (data[:j] + data[i:j] * times + data[j:])[:_MAX_BYTES]


def long_scalar(data: bytes, rnd: random.Random, fmt: str) -> bytes:
    """A value of up to 1 MiB (a long name, a long CIDR list entry)."""
    size = rnd.choice((300, 70_000, _MAX_BYTES // 2))
    text = rnd.choice(("a", "é", "0", " ", "\\", '\\"')) * size
    return _replace_value(data, rnd, (json.dumps(text) if fmt in ("json", "jsonl") else text).encode())


def newline_style(data: bytes, rnd: random.Random, fmt: str) -> bytes:
    """CRLF, CR-only or tab indentation; a byte-order mark."""
    choice = rnd.randrange(4)
    if choice == 0:
        return data.replace(b"\n", b"\r\n")
    if choice == 1:
        return data.replace(b"\n", b"\r")
    if choice == 2:
        return data.replace(b"  ", b"\t")
    return b"\xef\xbb\xbf" + data


def hcl_snippet(data: bytes, rnd: random.Random, fmt: str) -> bytes:
    """HCL constructs that stress the parser and the evaluator (small ones: limits are another suite's)."""
    snippet = rnd.choice((
        'locals { x = "${' + '"\n', 'locals { y = <<EOT\nno end\n', 'resource "aws_s3_bucket" {\n}\n',
        'locals { z = 1 / 0 }\n', 'locals { w = [for i in ["a"] : i if ]\n',
        'resource "aws_s3_bucket" "b" { bucket = local.nope.attr[5]["x"] }\n',
        'locals { a = local.b\n b = local.a }\n', 'module "m" { source = "../../../../../../etc" }\n',
        'module "m" { source = "./" }\n', 'variable "v" { validation { condition = } }\n',
        'resource "aws_security_group" "s" { ingress { cidr_blocks = [var.nope] } }\n',
        'locals { t = tonumber("' + HUGE_INT + '") }\n', 'locals { n = ' + HUGE_INT + ' }\n',
        'locals { f = format("%' + "9" * 30 + 'd", 1) }\n', 'locals { r = regex("(a*)*b", "' + "a" * 40 + '") }\n',
        'resource "aws_s3_bucket" "c" { count = -1 }\n', 'resource "aws_s3_bucket" "d" { for_each = "x" }\n',
        'locals { s = "\\u0000\\uD800" }\n', 'terraform { required_version = ">= 999" }\n',
    ))
    return data + b"\n" + snippet.encode()


MUTATIONS: dict[str, Mutation] = {
    "flip": flip, "truncate": truncate, "invalid_utf8": invalid_utf8, "control": control_chars,
    "deep_nesting": deep_nesting, "huge_int": huge_int, "impossible_date": impossible_date,
    "duplicate_line": duplicate_line, "wrong_type": wrong_type, "splice": splice, "long_scalar": long_scalar,
    "newlines": newline_style,
}
#: Extra mutations by file format.
FORMAT_MUTATIONS: dict[str, dict[str, Mutation]] = {
    "yaml": {"yaml_snippet": yaml_snippet, "alias_bomb": alias_bomb},
    "hcl": {"hcl_snippet": hcl_snippet},
}


def mutation_names(fmt: str) -> list[str]:
    """The mutations that make sense for a file format."""
    return sorted(MUTATIONS) + sorted(FORMAT_MUTATIONS.get(fmt, {}))


def apply(data: bytes, names: Sequence[str], rnd: random.Random, fmt: str) -> bytes:
    """``data`` through the named mutations, in order."""
    for name in names:
        fn = MUTATIONS.get(name) or FORMAT_MUTATIONS[fmt][name]
        data = fn(data, rnd, fmt)[:_MAX_BYTES * 2]
    return data


@st.composite
def mutated(draw: st.DrawFn, seeds: Sequence[Path], fmt: str) -> tuple[bytes, str]:
    """(content, label): a seed file through one to three mutations; the label says which."""
    seed = draw(st.sampled_from(list(seeds)))
    names = draw(st.lists(st.sampled_from(mutation_names(fmt)), min_size=1, max_size=3))
    rnd = draw(st.randoms(use_true_random=False))
    return apply(seed.read_bytes(), names, rnd, fmt), f"{seed.name}:{'+'.join(names)}"


def hostile_values(max_leaves: int = 12) -> st.SearchStrategy[object]:
    """JSON-shaped values biased to the edges: huge integers, odd floats, control characters, empty things."""
    scalars = st.one_of(
        st.none(), st.booleans(), st.integers(), st.sampled_from((2**63, -2**63, 10**400)),
        st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
        st.sampled_from(("", "*", "0.0.0.0/0", "::/0", "2026-02-30", "\x00", "\x1b[31m", "POSTURE-NET-001",
                         "${var.x}", "../x", "a" * 1000)),
    )
    keys = st.one_of(st.text(max_size=12), st.sampled_from(("rule", "resource", "reason", "expires", "version",
                                                          "fingerprints", "allow", "cidrs", "to", "zones",
                                                          "flows", "id", "kind", "attrs", "type")))
    return st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                         st.dictionaries(keys, inner, max_size=4)),
                        max_leaves=max_leaves)


@st.composite
def documents(draw: st.DrawFn, fmt: str) -> tuple[bytes, str]:
    """(content, label): a whole document of hostile values in ``fmt`` (json, jsonl or yaml)."""
    value = draw(hostile_values())
    if fmt == "jsonl":
        lines = [value, *draw(st.lists(hostile_values(6), max_size=3))]
        return "\n".join(json.dumps(v) for v in lines).encode() + b"\n", "generated-jsonl"
    if fmt == "yaml":
        import yaml
        try:
            return yaml.safe_dump(value, allow_unicode=draw(st.booleans())).encode(), "generated-yaml"
        except (ValueError, yaml.YAMLError):
            pass
    return json.dumps(value).encode(), f"generated-{fmt}"
