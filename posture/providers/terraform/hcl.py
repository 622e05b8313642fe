"""Terraform HCL (``.tf`` files and directories) as a posture :class:`Inventory`.

``.tf.json`` files (Terraform's JSON syntax, CDKTF output) become the same blocks (:mod:`.hcl_json`).

HCL is parsed with python-hcl2 into its Lark tree (which keeps line numbers), evaluated statically by
:mod:`.hcl_eval`, and turned into the same :class:`~.plan.RawResource` values a plan produces, so the
same per-provider normalisers run on both. Values that cannot be known without Terraform are
:data:`UNKNOWN`; rules then report nothing or an ``unverified`` finding, never a guess.

Modules are followed when their code is on disk (local paths; ``.terraform/modules/modules.json`` after
``terraform init``); popular registry modules not on disk are expanded from the knowledge in
``registry_modules.yaml``; anything else is a coverage gap (``unknown_module``).

Problems with one file or module (syntax error, unreadable file, missing or circular module) are gaps
for that file while the rest is scanned; only a missing path, a path without ``.tf`` files, a bad
``--var-file`` and a ``posture:ignore`` comment without a reason are input errors (exit 2).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lark import Token, Tree

from posture.errors import InputError
from posture.model import UNKNOWN, Gap, Location
from posture.providers.terraform.hcl_data import STATIC_DATA
from posture.providers.terraform.hcl_eval import (
    EvalError,
    Scope,
    evaluate,
    flatten_traversal,
    kids,
    references,
    unwrap,
)
from posture.providers.terraform.locate import CONFIG_SUFFIXES, config_files, relocate
from posture.providers.terraform.plan import RawResource
from posture.skippaths import SkipPaths

_META_ATTRS = {"count", "for_each", "provider", "depends_on"}
_META_BLOCKS = {"lifecycle", "provisioner", "connection", "precondition", "postcondition"}
_PROVIDER_NAMES = (("aws_", "aws"), ("azurerm_", "azure"), ("google_", "gcp"))


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


def _parser_cache() -> str | bool:
    """A private file for Lark's parse-table cache: under the user's cache directory (mode 0700), never the
    shared temporary directory (Lark unpickles its cache), and apart from python-hcl2's own cache, which is
    keyed on different options. False (build the tables each run) when no such directory can be made."""
    import lark

    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "posture"
    try:
        base.mkdir(mode=0o700, parents=True, exist_ok=True)
        if base.stat().st_uid != os.getuid() or not os.access(base, os.W_OK):
            return False
    except (OSError, RuntimeError, AttributeError):
        return False
    return str(base / f"hcl2-{lark.__version__}-py{sys.version_info[0]}{sys.version_info[1]}.lark")


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

        _PARSER.append(Lark.open("hcl2.lark", rel_to=hcl2.parser.__file__, parser="lalr", postlex=PostLexer(),
                                 propagate_positions=False, cache=_parser_cache()))
    return _PARSER[0].parse(text + "\n")


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


# ----------------------------------------------------------------------------------------------------------
# module directories
# ----------------------------------------------------------------------------------------------------------
@dataclass
class ModuleDir:
    """The declarations of one module (all ``.tf`` files of a directory, or a registry module's text)."""

    key: str  # absolute directory, or "registry:<source>"
    dir: Path | None
    files: list[ParsedFile]
    gaps: list[Gap]
    synthetic: bool = False
    variables: dict[str, Block] = field(default_factory=dict)
    locals: dict[str, Attr] = field(default_factory=dict)
    outputs: dict[str, Block] = field(default_factory=dict)
    resources: list[Block] = field(default_factory=list)
    calls: list[Block] = field(default_factory=list)
    providers: list[Block] = field(default_factory=list)
    ignores: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)
    comment_lines: dict[str, frozenset[int]] = field(default_factory=dict)

    def index(self) -> None:
        for pf in self.files:
            self.comment_lines[pf.rel] = pf.comment_lines
            for line, items in pf.ignores.items():
                self.ignores[(pf.rel, line)] = items
            for b in pf.body.blocks:
                if b.type == "variable" and b.labels:
                    self.variables[b.labels[0]] = b
                elif b.type == "locals":
                    self.locals.update(b.body.attrs)
                elif b.type == "output" and b.labels:
                    self.outputs[b.labels[0]] = b
                elif b.type in ("resource", "data") and len(b.labels) >= 2:
                    self.resources.append(b)
                elif b.type == "module" and b.labels:
                    self.calls.append(b)
                elif b.type == "provider" and b.labels:
                    self.providers.append(b)

    def suppressions_for(self, block: Block) -> list[dict[str, Any]]:
        """``posture:ignore`` comments on the block's first line or in the comment lines right above it."""
        out = list(self.ignores.get((block.file, block.line), ()))
        comments = self.comment_lines.get(block.file, frozenset())
        line = block.line - 1
        while line in comments:
            out.extend(self.ignores.get((block.file, line), ()))
            line -= 1
        return out


def _skip_file(msg: str, where: str, code: str, gaps: list[Gap], strict: bool) -> None:
    """A file that does not parse: an InputError when ``strict``, else a gap and the file is skipped."""
    if strict:
        raise InputError(msg, where=where) from None  # called while handling the parse error
    gaps.append(Gap("terraform", f"{where}: {msg}; file skipped", code=code, target=where))


class Workspace:
    """Parses files once and caches module directories by path."""

    def __init__(self, root: Path):
        self.root = root
        self.dirs: dict[str, ModuleDir] = {}

    def rel(self, p: Path) -> str:
        try:
            return p.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return p.as_posix()

    def parse_file(self, path: Path, gaps: list[Gap], strict: bool = False) -> ParsedFile | None:
        rel = self.rel(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            if strict:
                raise InputError(f"cannot read: {reason}", where=rel) from None
            gaps.append(Gap("terraform", f"cannot read {rel}: {reason}", code="unreadable_file", target=rel))
            return None
        if path.name.endswith(".tf.json"):
            return self._parse_json(text, rel, gaps, strict)
        try:
            tree = parse_hcl(text)
        except Exception as exc:  # lark raises several exception types for bad input
            line = getattr(exc, "line", None)
            col = getattr(exc, "column", None)
            msg = f"HCL syntax error at line {line}, column {col}" if line else f"HCL syntax error: {exc}"
            _skip_file(msg, f"{rel}:{line}" if line else rel, "hcl_parse_error", gaps, strict)
            return None
        ignores, comments = _ignores(text, rel)
        return ParsedFile(rel, _body(tree.children[0], rel), ignores, comments)

    @staticmethod
    def _parse_json(text: str, rel: str, gaps: list[Gap], strict: bool) -> ParsedFile | None:
        from posture.providers.terraform.hcl_json import JsonConfigError, parse_tf_json

        try:
            body, comments = parse_tf_json(text, rel)
        except (JsonConfigError, RecursionError) as exc:
            line = getattr(exc, "line", 0)
            msg = str(exc) if isinstance(exc, JsonConfigError) else "JSON nests too deeply"
            _skip_file(msg, f"{rel}:{line}" if line else rel, "tf_json_parse_error", gaps, strict)
            return None
        ignores: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for line, comment in comments:
            item = _ignore(f"// {comment}", rel, line)
            if item:
                ignores[line].append(item)
        return ParsedFile(rel, body, dict(ignores), frozenset())

    def module_dir(self, directory: Path, only: Sequence[Path] | None = None, strict: bool = False) -> ModuleDir:
        key = str(directory.resolve()) + ("|" + "|".join(map(str, only)) if only else "")
        if key in self.dirs:
            return self.dirs[key]
        gaps: list[Gap] = []
        files = list(only) if only else config_files(directory)
        parsed = [pf for f in files if (pf := self.parse_file(f, gaps, strict)) is not None]
        md = ModuleDir(key, directory.resolve(), parsed, gaps)
        md.index()
        self.dirs[key] = md
        return md

    def registry_module(self, source: str, text: str) -> ModuleDir:
        key = f"registry:{source}"
        if key not in self.dirs:
            pf = ParsedFile(key, _body(parse_hcl(text).children[0], key), {}, frozenset())
            md = ModuleDir(key, None, [pf], [], synthetic=True)
            md.index()
            self.dirs[key] = md
        return self.dirs[key]


# ----------------------------------------------------------------------------------------------------------
# module instances: the evaluation scope of one (expanded) module
# ----------------------------------------------------------------------------------------------------------
@dataclass
class Instance:
    address: str
    index: Any
    scope: Scope
    decl: Block
    module: ModuleInstance


def _key(value: Any) -> str:
    return f"[{json.dumps(value)}]"


class ModuleInstance(Scope):
    """One instance of a module: answers ``var``/``local``/``module``/resource references."""

    def __init__(self, loader: HclLoader, mod: ModuleDir, prefix: str, parent: ModuleInstance | None,
                 call: Block | None, call_scope: Scope | None, var_values: dict[str, Any] | None = None,
                 chain: tuple[str, ...] = (), call_path: tuple[str, ...] = ()):
        super().__init__()
        self.loader = loader
        self.mod = mod
        self.prefix = prefix
        self.parent_instance = parent
        self.call = call
        self.call_scope = call_scope
        self.var_values = var_values or {}
        self.chain = (*chain, mod.key)
        self.call_path = call_path
        self._vars: dict[str, Any] = {}
        self._locals: dict[str, Any] = {}
        self._busy: set[str] = set()
        self._instances: dict[str, list[Instance]] | None = None
        self._children: dict[str, list[tuple[Any, ModuleInstance]]] | None = None

    # -- Scope ---------------------------------------------------------------------------------------------
    def lookup(self, root: str, steps: list[tuple[str, Any]]) -> tuple[Any, int]:
        first = steps[0][1] if steps and steps[0][0] == "attr" else None
        if root == "var":
            return (self.var(first), 1) if first else (UNKNOWN, len(steps))
        if root == "local":
            return (self.local(first), 1) if first else (UNKNOWN, len(steps))
        if root == "path":
            if first in ("module", "root", "cwd"):
                d = self.mod.dir if first == "module" else self.loader.root
                return (self.loader.ws.rel(d) if d is not None else UNKNOWN), 1
            return UNKNOWN, len(steps)
        if root == "terraform":
            return ("default" if first == "workspace" else UNKNOWN), len(steps) if first != "workspace" else 1
        if root == "module":
            return self._module_output(steps)
        if root == "data" and first in STATIC_DATA:
            return self._data_attr(first, steps)
        if root in ("data", "count", "each", "self") or first is None:
            return UNKNOWN, len(steps)
        return self._resource_attr(root, steps)

    def refs(self, root: str, steps: list[tuple[str, Any]]) -> list[str]:
        first = steps[0][1] if steps and steps[0][0] == "attr" else None
        if first is None or root in ("path", "terraform", "count", "each", "self"):
            return []
        key = f"{root}.{first}"
        if key in self._busy:
            return []
        self._busy.add(key)
        try:
            if root == "var":
                if self.call is None or self.call_scope is None:
                    return []
                attr = self.call.body.attrs.get(first)
                return references(attr.expr, self.call_scope) if attr else []
            if root == "local":
                attr = self.mod.locals.get(first)
                return references(attr.expr, self) if attr else []
            if root == "module":
                out: list[str] = []
                for child, out_name in self._module_targets(steps):
                    block = child.mod.outputs.get(out_name)
                    if block is not None and "value" in block.body.attrs:
                        out.extend(references(block.body.attrs["value"].expr, child))
                return out
            if root == "data":
                if len(steps) < 2 or steps[1][0] != "attr":
                    return []
                return [f"{self._p}data.{first}.{steps[1][1]}"]
            insts = self.instances().get(f"{root}.{first}")
            if not insts:
                return []
            if len(steps) > 1 and steps[1][0] == "index" and steps[1][1] is not UNKNOWN and steps[1][1] is not None:
                wanted = f"{self._p}{root}.{first}{_key(steps[1][1])}"
                return [i.address for i in insts if i.address == wanted] or [i.address for i in insts]
            return [i.address for i in insts]
        finally:
            self._busy.discard(key)

    @property
    def _p(self) -> str:
        return f"{self.prefix}." if self.prefix else ""

    # -- variables and locals ------------------------------------------------------------------------------
    def var(self, name: str) -> Any:
        if name in self._vars:
            return self._vars[name]
        if f"var.{name}" in self._busy:
            return UNKNOWN
        self._busy.add(f"var.{name}")
        try:
            value: Any = UNKNOWN
            decl = self.mod.variables.get(name)
            if self.call is not None and self.call_scope is not None and name in self.call.body.attrs:
                value = evaluate(self.call.body.attrs[name].expr, self.call_scope)
            elif name in self.var_values:
                value = self.var_values[name]
            elif decl is not None and "default" in decl.body.attrs:
                value = evaluate(decl.body.attrs["default"].expr, Scope())
            if value is None and decl is not None and "default" in decl.body.attrs:
                nullable = decl.body.attrs.get("nullable")
                if nullable is not None and evaluate(nullable.expr, Scope()) is False:
                    value = evaluate(decl.body.attrs["default"].expr, Scope())
            self._vars[name] = value
            return value
        finally:
            self._busy.discard(f"var.{name}")

    def local(self, name: str) -> Any:
        if name in self._locals:
            return self._locals[name]
        attr = self.mod.locals.get(name)
        if attr is None or f"local.{name}" in self._busy:
            return UNKNOWN
        self._busy.add(f"local.{name}")
        try:
            value = evaluate(attr.expr, self)
        finally:
            self._busy.discard(f"local.{name}")
        self._locals[name] = value
        return value

    # -- resources -----------------------------------------------------------------------------------------
    def instances(self) -> dict[str, list[Instance]]:
        """Resource instances by ``type.name`` / ``data.type.name`` (count/for_each expanded)."""
        if self._instances is None:
            self._instances = {}
            for decl in self.mod.resources:
                rtype, name = decl.labels[0], decl.labels[1]
                key = f"{'data.' if decl.type == 'data' else ''}{rtype}.{name}"
                base = f"{self._p}{key}"
                self._instances[key] = [
                    Instance(base + suffix, index, scope, decl, self)
                    for suffix, index, scope in self.loader.expand(decl, self, base)
                ]
        return self._instances

    def _instance(self, key: str, steps: list[tuple[str, Any]], pos: int) -> tuple[Instance | None, int]:
        """The instance of ``key`` that ``steps[pos]`` selects (an index step, or none for an unexpanded block)
        and the position of the step after the selection."""
        insts = self.instances().get(key) or []
        if len(steps) > pos and steps[pos][0] == "index":
            wanted = f"{self._p}{key}{_key(steps[pos][1])}" if steps[pos][1] is not UNKNOWN else None
            return next((i for i in insts if i.address == wanted), None), pos + 1
        return (insts[0] if len(insts) == 1 and insts[0].index is None else None), pos

    def _resource_attr(self, root: str, steps: list[tuple[str, Any]]) -> tuple[Any, int]:
        inst, pos = self._instance(f"{root}.{steps[0][1]}", steps, 1)
        if inst is None or len(steps) <= pos or steps[pos][0] != "attr":
            return UNKNOWN, len(steps)
        attr = inst.decl.body.attrs.get(steps[pos][1])
        if attr is None or steps[pos][1] in _META_ATTRS:
            return UNKNOWN, len(steps)
        busy = f"{inst.address}.{attr.name}"
        if busy in self._busy:
            return UNKNOWN, len(steps)
        self._busy.add(busy)
        try:
            return evaluate(attr.expr, inst.scope), pos + 1
        finally:
            self._busy.discard(busy)

    def _data_attr(self, dtype: str, steps: list[tuple[str, Any]]) -> tuple[Any, int]:
        """``data.<type>.<name>[key].<attr>`` of a data source computed statically (hcl_data.STATIC_DATA)."""
        if len(steps) < 3 or steps[1][0] != "attr":
            return UNKNOWN, len(steps)
        inst, pos = self._instance(f"data.{dtype}.{steps[1][1]}", steps, 2)
        fn = STATIC_DATA[dtype].get(steps[pos][1]) if len(steps) > pos and steps[pos][0] == "attr" else None
        if inst is None or fn is None or inst.address in self._busy:
            return UNKNOWN, len(steps)
        self._busy.add(inst.address)
        try:
            args: dict[str, Any] = {}
            _eval_body(inst.decl.body, inst.scope, "", args, defaultdict(list), set(), top=True)
            return fn(args), pos + 1
        finally:
            self._busy.discard(inst.address)

    # -- child modules -------------------------------------------------------------------------------------
    def children(self) -> dict[str, list[tuple[Any, ModuleInstance]]]:
        if self._children is None:
            self._children = {}
            for call in self.mod.calls:
                self._children[call.labels[0]] = self.loader.expand_call(call, self)
        return self._children

    def _module_targets(self, steps: list[tuple[str, Any]]) -> list[tuple[ModuleInstance, str]]:
        name = steps[0][1]
        children_ = self.children().get(name, [])
        rest = steps[1:]
        if rest and rest[0][0] == "index":
            children_ = [(k, m) for k, m in children_ if k == rest[0][1]]
            rest = rest[1:]
        elif rest and rest[0][0] == "splat":
            rest = rest[0][1]
        if not rest or rest[0][0] != "attr":
            return []
        return [(m, rest[0][1]) for _, m in children_]

    def _module_output(self, steps: list[tuple[str, Any]]) -> tuple[Any, int]:
        if not steps or steps[0][0] != "attr":
            return UNKNOWN, len(steps)
        children_ = self.children().get(steps[0][1], [])
        if len(steps) > 2 and steps[1][0] == "index" and steps[2][0] == "attr":
            match = [m for k, m in children_ if k == steps[1][1]]
            return (self._output(match[0], steps[2][1]) if match else UNKNOWN), 3
        if len(children_) == 1 and children_[0][0] is None and len(steps) > 1 and steps[1][0] == "attr":
            return self._output(children_[0][1], steps[1][1]), 2
        return UNKNOWN, len(steps)

    @staticmethod
    def _output(child: ModuleInstance, name: str) -> Any:
        block = child.mod.outputs.get(name)
        if block is None or "value" not in block.body.attrs:
            return UNKNOWN
        return evaluate(block.body.attrs["value"].expr, child)

    def walk(self) -> Iterator[ModuleInstance]:
        yield self
        for children_ in self.children().values():
            for _, child in children_:
                yield from child.walk()


# ----------------------------------------------------------------------------------------------------------
# the loader
# ----------------------------------------------------------------------------------------------------------
@dataclass
class HclResult:
    raws: list[RawResource]
    locations: dict[str, Location]
    suppressions: list[dict[str, Any]]
    gaps: list[Gap]
    provider_settings: dict[str, dict[str, str]]
    files: list[str]


class HclLoader:
    """Loads one or more root modules and expands them into raw resources."""

    def __init__(self, root: Path, var_values: dict[str, Any]):
        self.root = root.resolve()
        self.ws = Workspace(self.root)
        self.var_values = var_values
        self.gaps: list[Gap] = []
        self._modules_json: dict[str, str] | None = None

    # -- expansion -----------------------------------------------------------------------------------------
    def _count_each(self, body: Body, scope: Scope, what: str, where: str) -> list[tuple[str, Any, dict]] | None:
        """[(address suffix, index, names for the instance scope)] or None for a single instance."""
        if "count" in body.attrs:
            n = evaluate(body.attrs["count"].expr, scope)
            if isinstance(n, bool) or not isinstance(n, (int, float)):
                self.gaps.append(Gap("terraform", f"count of {what} cannot be resolved statically; checked as one "
                                     "instance with unknown count.index", code="unresolved_count", target=where))
                return [("", None, {"count": ({"index": UNKNOWN}, [])})]
            return [(_key(i), i, {"count": ({"index": i}, [])}) for i in range(int(n))]
        if "for_each" in body.attrs:
            expr = body.attrs["for_each"].expr
            coll = evaluate(expr, scope)
            refs = references(expr, scope)
            if isinstance(coll, dict) and not any(k is UNKNOWN for k in coll):
                items = list(coll.items())
            elif isinstance(coll, list) and all(isinstance(v, str) for v in coll):
                items = [(v, v) for v in dict.fromkeys(coll)]
            else:
                self.gaps.append(Gap("terraform", f"for_each of {what} cannot be resolved statically; checked as "
                                     "one instance with unknown each.key/each.value", code="unresolved_for_each",
                                     target=where))
                return [("", None, {"each": ({"key": UNKNOWN, "value": UNKNOWN}, refs)})]
            return [(_key(k), k, {"each": ({"key": k, "value": v}, refs)}) for k, v in items]
        return None

    def expand(self, decl: Block, mi: ModuleInstance, base: str) -> list[tuple[str, Any, Scope]]:
        found = self._count_each(decl.body, mi, base, f"{decl.file}:{decl.line}")
        if found is None:
            return [("", None, mi.child({"self": (UNKNOWN, [])}))]
        return [(suffix, index, mi.child({**names, "self": (UNKNOWN, [])})) for suffix, index, names in found]

    def expand_call(self, call: Block, mi: ModuleInstance) -> list[tuple[Any, ModuleInstance]]:
        name = call.labels[0]
        where = f"{call.file}:{call.line}"
        src_attr = call.body.attrs.get("source")
        source = evaluate(src_attr.expr, Scope()) if src_attr else None
        if not isinstance(source, str):
            self.gaps.append(Gap("terraform", f"module {name!r} has no literal source", code="unknown_module",
                                 target=where))
            return []
        mod = self._resolve_module(source, call, mi, where)
        if mod is None:
            return []
        base = f"{mi._p}module.{name}"
        found = self._count_each(call.body, mi, f"module.{name}", where)
        if found is None:  # no count/for_each: one instance (count = 0 or an empty for_each: none)
            found = [("", None, {})]
        out = []
        for suffix, key, names in found:
            scope = mi.child(names) if names else mi
            out.append((key, ModuleInstance(self, mod, base + suffix, mi, call, scope, chain=mi.chain,
                                            call_path=(*mi.call_path, name))))
        return out

    def _resolve_module(self, source: str, call: Block, mi: ModuleInstance, where: str) -> ModuleDir | None:
        name = call.labels[0]
        if source.startswith(("./", "../")) or source in (".", ".."):
            if mi.mod.dir is None:
                return None
            target = (mi.mod.dir / source).resolve()
            if not target.is_dir():
                self.gaps.append(Gap("terraform", f"module {name!r}: directory {source} not found",
                                     code="module_not_found", target=where))
                return None
            return self._checked(self.ws.module_dir(target), mi, name, where)
        installed = self._installed(".".join((*mi.call_path, name)))
        if installed is not None:
            return self._checked(self.ws.module_dir(installed), mi, name, where)
        from posture.providers.terraform.registry_modules import known_module

        known = known_module(source)
        if known is not None:
            return self.ws.registry_module(known.source, known.hcl)
        self.gaps.append(Gap("terraform", f"module {name!r} ({source}) is not on disk (run terraform init) and not "
                             "in posture's registry module knowledge; its resources are not checked",
                             code="unknown_module", target=where))
        return None

    def _checked(self, md: ModuleDir, mi: ModuleInstance, name: str, where: str) -> ModuleDir | None:
        if md.key in mi.chain:
            self.gaps.append(Gap("terraform", f"module {name!r} includes itself (circular module); not expanded",
                                 code="circular_module", target=where))
            return None
        self.gaps.extend(g for g in md.gaps if g not in self.gaps)
        return md

    def _installed(self, key: str) -> Path | None:
        if self._modules_json is None:
            self._modules_json = {}
            mj = self.root / ".terraform" / "modules" / "modules.json"
            try:
                doc = json.loads(mj.read_text(encoding="utf-8"))
                for m in doc.get("Modules") or []:
                    if isinstance(m, dict) and isinstance(m.get("Key"), str) and isinstance(m.get("Dir"), str):
                        self._modules_json[m["Key"]] = m["Dir"]
            except (OSError, ValueError, AttributeError):
                pass
        d = self._modules_json.get(key)
        if d is None:
            return None
        p = (self.root / d).resolve()
        return p if p.is_dir() else None

    # -- resources -----------------------------------------------------------------------------------------
    def collect(self, roots: list[ModuleInstance]) -> HclResult:
        raws: list[RawResource] = []
        locations: dict[str, Location] = {}
        suppressions: list[dict[str, Any]] = []
        for top in roots:
            for mi in top.walk():
                anchor = _anchor(mi)
                if mi.call is not None:
                    holder = mi.parent_instance.mod if mi.parent_instance else None
                    for s in holder.suppressions_for(mi.call) if holder else ():
                        suppressions.append({**s, "resource": f"{mi.prefix}.*"})
                for insts in mi.instances().values():
                    for inst in insts:
                        raws.append(self._raw(inst))
                        decl = inst.decl
                        locations[inst.address] = anchor or Location(decl.file, decl.line)
                        if not mi.mod.synthetic:
                            for s in mi.mod.suppressions_for(decl):
                                suppressions.append({**s, "resource": inst.address})
        settings: dict[str, dict[str, str]] = {}
        for top in roots:
            for p in top.mod.providers:
                body = p.body
                alias = evaluate(body.attrs["alias"].expr, top) if "alias" in body.attrs else None
                key = f"{p.labels[0]}.{alias}" if isinstance(alias, str) else p.labels[0]
                vals: dict[str, str] = {}
                for name in ("region", "project", "subscription_id", "location"):
                    if name in body.attrs:
                        v = evaluate(body.attrs[name].expr, top)
                        if isinstance(v, str):
                            vals[name] = v
                settings.setdefault(key, vals)
        files = sorted({pf.rel for md in self.ws.dirs.values() if not md.synthetic for pf in md.files})
        return HclResult(raws, locations, suppressions, self.gaps, settings, files)

    def _raw(self, inst: Instance) -> RawResource:
        decl = inst.decl
        rtype, name = decl.labels[0], decl.labels[1]
        values: dict[str, Any] = {}
        refs: dict[str, list[str]] = defaultdict(list)
        configured: set[str] = set()
        _eval_body(decl.body, inst.scope, "", values, refs, configured, top=True)
        provider_key = ""
        if "provider" in decl.body.attrs:
            root, steps, _ = flatten_traversal(decl.body.attrs["provider"].expr, None)
            if root:
                provider_key = ".".join([root] + [str(a) for k, a in steps if k == "attr"])
        if not provider_key:
            provider_key = rtype.split("_", 1)[0]
        return RawResource(
            address=inst.address,
            type=rtype,
            name=name,
            mode="data" if decl.type == "data" else "managed",
            module=inst.module.prefix,
            index=inst.index,
            values=values,
            provider=next((n for p, n in _PROVIDER_NAMES if rtype.startswith(p)), rtype.split("_", 1)[0]),
            provider_key=provider_key,
            refs={k: tuple(dict.fromkeys(v)) for k, v in refs.items()},
            configured=frozenset(configured),
        )


def _anchor(mi: ModuleInstance) -> Location | None:
    """For resources of a registry module (no code on disk): the location of the user's module call."""
    m: ModuleInstance | None = mi
    while m is not None and m.mod.synthetic:
        if m.parent_instance is not None and not m.parent_instance.mod.synthetic and m.call is not None:
            return Location(m.call.file, m.call.line)
        m = m.parent_instance
    return None


def _eval_body(body: Body, scope: Scope, prefix: str, values: dict[str, Any], refs: dict[str, list[str]],
               configured: set[str], top: bool = False) -> None:
    for name, attr in body.attrs.items():
        if top and name in _META_ATTRS:
            continue
        path = f"{prefix}{name}"
        values[name] = evaluate(attr.expr, scope)
        configured.add(path)
        r = references(attr.expr, scope)
        if r:
            refs[path].extend(r)
    blocks: dict[str, list[Any]] = {}
    for b in body.blocks:
        if top and b.type in _META_BLOCKS:
            continue
        if b.type == "dynamic" and b.labels:
            _dynamic(b, scope, prefix, blocks, refs, configured)
            continue
        lst = blocks.setdefault(b.type, [])
        if lst is UNKNOWN:
            continue
        _block_instance(b.body, scope, prefix, b.type, lst, refs, configured)
    values.update(blocks)


def _block_instance(body: Body, scope: Scope, prefix: str, btype: str, lst: list[Any], refs: dict[str, list[str]],
                    configured: set[str]) -> None:
    i = len(lst)
    sub: dict[str, Any] = {}
    sub_refs: dict[str, list[str]] = defaultdict(list)
    sub_conf: set[str] = set()
    _eval_body(body, scope, "", sub, sub_refs, sub_conf)
    lst.append(sub)
    configured.add(f"{prefix}{btype}")
    for p in sub_conf:
        configured.add(f"{prefix}{btype}.{i}.{p}")
        configured.add(f"{prefix}{btype}.{p}")
    for p, r in sub_refs.items():
        refs[f"{prefix}{btype}.{i}.{p}"].extend(r)
        refs[f"{prefix}{btype}.{p}"].extend(r)
        refs[f"{prefix}{btype}"].extend(r)


def _dynamic(b: Block, scope: Scope, prefix: str, blocks: dict[str, Any], refs: dict[str, list[str]],
             configured: set[str]) -> None:
    btype = b.labels[0]
    configured.add(f"{prefix}{btype}")
    content = next((c for c in b.body.blocks if c.type == "content"), None)
    fe = b.body.attrs.get("for_each")
    iterator = btype
    if "iterator" in b.body.attrs:
        root, _, _ = flatten_traversal(b.body.attrs["iterator"].expr, None)
        iterator = root or btype
    if content is None or fe is None:
        return
    coll = evaluate(fe.expr, scope)
    coll_refs = references(fe.expr, scope)
    if isinstance(coll, dict):
        items = list(coll.items())
    elif isinstance(coll, list):
        items = list(enumerate(coll))
    else:
        blocks[btype] = UNKNOWN  # how many blocks there are is not known
        return
    lst = blocks.setdefault(btype, [])
    if lst is UNKNOWN:
        return
    for k, v in items:
        inner = scope.child({iterator: ({"key": k, "value": v}, coll_refs)})
        _block_instance(content.body, inner, prefix, btype, lst, refs, configured)


# ----------------------------------------------------------------------------------------------------------
# entry point
# ----------------------------------------------------------------------------------------------------------
def _tf_dirs(root: Path, skip: SkipPaths) -> list[Path]:
    """Directories below ``root`` holding configuration files that ``skip`` leaves in."""
    out = []
    for d, subdirs, files in os.walk(root):
        rel = Path(d).relative_to(root).as_posix()
        subdirs[:] = sorted(s for s in subdirs if not s.startswith(".") and not skip.skips(_under(rel, s)))
        if any(f.endswith(CONFIG_SUFFIXES) and not skip.skips(_under(rel, f)) for f in files):
            out.append(Path(d))
    return out


def _under(rel: str, name: str) -> str:
    return name if rel in ("", ".") else f"{rel}/{name}"


def _kept(root: Path, directory: Path, skip: SkipPaths) -> list[Path] | None:
    """The configuration files of ``directory`` that ``skip`` leaves in (None: all of them)."""
    if not skip:
        return None
    return [f for f in config_files(directory) if not skip.skips(f.relative_to(root).as_posix())]


def _read_var_file(path: Path, where: str) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read var file: {getattr(exc, 'strerror', None) or exc}", where=where) from None
    if path.name.endswith(".json"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON: {exc.msg} at column {exc.colno}", where=f"{where}:{exc.lineno}") from None
        if not isinstance(doc, dict):
            raise InputError("expected a JSON object of variable values", where=where)
        return doc
    try:
        tree = parse_hcl(text)
    except Exception as exc:
        line = getattr(exc, "line", None)
        raise InputError(f"HCL syntax error at line {line}" if line else "HCL syntax error",
                         where=f"{where}:{line}" if line else where) from None
    body = _body(tree.children[0], where)
    out = {}
    for name, attr in body.attrs.items():
        v = evaluate(attr.expr, Scope())
        out[name] = v
    return out


def _module_name(rel: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", rel) or "root"


def load_hcl_sources(path: str | os.PathLike[str], var_files: Iterable[str | os.PathLike[str]] = (),
                     *, recursive: bool = True, skip_paths: Iterable[str] = ()) -> HclResult:
    """Parse and expand ``path`` (a ``.tf`` file or a directory) into raw resources, locations, gaps.

    ``recursive=False`` reads only the root module in the directory itself (and the modules it calls).
    ``skip_paths`` are globs of files and directories below ``path`` not read (:mod:`posture.skippaths`);
    a module called from code that is read is still read.
    """
    skip = SkipPaths.of(skip_paths)
    p = Path(path)
    if not p.exists():
        raise InputError("no such file or directory", where=str(p))
    root = p if p.is_dir() else p.parent
    loader = HclLoader(root, {})
    auto: list[Path] = []
    if p.is_dir():
        auto = sorted([q for q in [p / "terraform.tfvars", p / "terraform.tfvars.json"] if q.is_file()]
                      + list(p.glob("*.auto.tfvars")) + list(p.glob("*.auto.tfvars.json")))
        auto = [q for q in auto if not skip.skips(q.name)]
    var_values: dict[str, Any] = {}
    for vf in [*auto, *map(Path, var_files)]:
        var_values.update(_read_var_file(vf, str(vf)))

    if p.is_file():
        roots = [(p.parent, loader.ws.module_dir(p.parent, only=[p], strict=True))]
    else:
        dirs = _tf_dirs(p, skip) if recursive else [p]
        if not dirs:
            raise InputError("no .tf files found (nor .tf.json)" + (" outside --skip-path" if skip else ""),
                             where=str(p))
        parsed = [(d, loader.ws.module_dir(d, only=_kept(p, d, skip))) for d in dirs]
        called: set[Path] = set()
        for d, md in parsed:
            for call in md.calls:
                src_attr = call.body.attrs.get("source")
                src = evaluate(src_attr.expr, Scope()) if src_attr else None
                if isinstance(src, str) and src.startswith((".", "..")):
                    called.add((d / src).resolve())
        roots = [(d, md) for d, md in parsed if d.resolve() not in called]
        if not roots:  # every directory is called by another: a cycle; scan the top one
            roots = parsed[:1]
    multi = len(roots) > 1
    instances = []
    for d, md in roots:
        loader.gaps.extend(g for g in md.gaps if g not in loader.gaps)
        rel = loader.ws.rel(d)
        prefix = f"module.{_module_name(rel)}" if multi and rel not in ("", ".") else ""
        instances.append(ModuleInstance(loader, md, prefix, None, None, None,
                                        var_values=var_values if d.resolve() == root.resolve() else {}))
    try:
        return loader.collect(instances)
    except RecursionError:
        raise InputError("configuration nests too deeply to evaluate", where=str(p)) from None


def load_hcl(path: str | os.PathLike[str], var_files: Iterable[str | os.PathLike[str]] = (),
             skip_paths: Iterable[str] = ()) -> Any:
    """Load HCL into an :class:`~posture.model.Inventory` using the plan normalisers."""
    from posture.model import Inventory, freeze
    from posture.providers.terraform.plan import PlanIndex, _normalise

    loaded = load_hcl_sources(path, var_files, skip_paths=skip_paths)
    meta_base = {"format": "hcl", "files": loaded.files}
    index = PlanIndex(loaded.raws, str(path), meta_base, loaded.provider_settings)
    inv = _normalise(index, meta_base)
    meta = dict(inv.meta)
    meta.update({"source": "terraform-hcl", "suppressions": loaded.suppressions})
    inv = relocate(inv, loaded.locations, source=f"terraform-hcl:{path}")
    return Inventory(inv.resources, inv.edges, tuple(loaded.gaps), freeze(meta))


__all__ = ["EvalError", "load_hcl", "load_hcl_sources", "parse_hcl"]
