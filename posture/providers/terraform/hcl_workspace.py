"""Module directories of a Terraform workspace: the files, variables, locals and module calls of each."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from posture import inputs
from posture.errors import InputError, LimitExceeded
from posture.model import Gap
from posture.providers.terraform.hcl_syntax import Attr, Block, ParsedFile, _body, _ignore, _ignores, parse_hcl
from posture.providers.terraform.locate import config_files, resolved


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
            return resolved(p).relative_to(self.root).as_posix()
        except ValueError:
            return p.as_posix()

    def parse_file(self, path: Path, gaps: list[Gap], strict: bool = False) -> ParsedFile | None:
        rel = self.rel(path)
        try:
            st = os.stat(path)
        except OSError:
            st = None  # missing, a link loop, no permission: the read below words it, and the file is a gap
        if st is not None:  # a pipe, device or socket is refused (exit 2), never opened: it would block or not end
            inputs.require_regular(st, str(path), "Terraform file")
        try:
            text = inputs.read_text(path, "hcl", "Terraform file")
        except InputError as exc:  # unreadable, not UTF-8, over the size limit: this file is a gap
            if strict:
                raise
            what = str(exc).removeprefix(f"{exc.where}: ").removeprefix("cannot read Terraform file: ")
            at = exc.where.removeprefix(str(path))  # ":line" of a bad byte
            code = "unreadable_file"
            if isinstance(exc, LimitExceeded):
                code = "limit_exceeded"
            gaps.append(Gap("terraform", f"cannot read {rel}{at}: {what}; file skipped", code=code, target=rel))
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
        try:
            body = _body(tree.children[0], rel)
        except RecursionError:  # blocks nested hundreds deep: the file is a gap, like a syntax error
            _skip_file("HCL blocks nested too deeply", rel, "hcl_parse_error", gaps, strict)
            return None
        ignores, comments = _ignores(text, rel)
        return ParsedFile(rel, body, ignores, comments)

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
        key = str(resolved(directory)) + ("|" + "|".join(map(str, only)) if only else "")
        if key in self.dirs:
            return self.dirs[key]
        gaps: list[Gap] = []
        files = list(only) if only else config_files(directory)
        parsed = [pf for f in files if (pf := self.parse_file(f, gaps, strict)) is not None]
        md = ModuleDir(key, resolved(directory), parsed, gaps)
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
