"""Every file posture reads from a user goes through here: one validated path, one error shape.

A user file is untrusted (a pull request, a third-party module, a snapshot from elsewhere), so reading it is
bounded before a byte is decoded:

- only regular files are opened (a named pipe would block ``open()`` forever; a device never ends);
- each kind of input has a maximum size (:data:`DEFAULT_MAX_BYTES`, overridable per kind with
  ``POSTURE_MAX_<KIND>_BYTES``, e.g. ``POSTURE_MAX_SNAPSHOT_BYTES=4G``);
- decoded documents have a maximum nesting depth (``POSTURE_MAX_DEPTH``) and a maximum number of values
  counted with YAML aliases expanded (``POSTURE_MAX_NODES``), so neither a deep document nor an alias bomb can
  exhaust the stack or memory of the code that walks it.

Every failure — unreadable, not UTF-8, syntax, depth, an integer over Python's 4,300-digit limit, an impossible
YAML date, an unhashable YAML key, a wrong type, an unknown key — is an :class:`~posture.errors.InputError` in
one line ``file:line: field: what`` (exit code 2 in the CLI). Unknown keys get a did-you-mean. Reference:
docs/inputs.md.
"""

from __future__ import annotations

import codecs
import difflib
import json
import os
import re
import stat
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from posture.errors import InputError, LimitExceeded

M = TypeVar("M", bound=BaseModel)

_MiB = 1 << 20
#: Maximum size in bytes of each kind of input (documented in docs/inputs.md).
DEFAULT_MAX_BYTES: Mapping[str, int] = types.MappingProxyType({
    "plan": 2048 * _MiB,      # terraform show -json of a very large estate
    "snapshot": 2048 * _MiB,  # JSON Lines written by --snapshot-out
    "result": 1024 * _MiB,    # a scan's JSON output read back (tickets)
    "baseline": 256 * _MiB,
    "var_file": 16 * _MiB,    # -var-file (.tfvars, .tfvars.json)
    "hcl": 16 * _MiB,         # one .tf / .tf.json file
    "rules": 16 * _MiB,       # a rule pack
    "statement": _MiB // 2,   # a published statement: claim extraction costs ~15 s per MiB of text
    "config": 16 * _MiB,      # suppressions, scope, profiles, policies, ticket configs, credentials
})
DEFAULT_MAX_DEPTH = 100
DEFAULT_MAX_NODES = 10_000_000
_SUFFIX = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def env_int(name: str, default: int) -> int:
    """The whole number in environment variable ``name`` (``K``/``M``/``G`` suffixes), else ``default``."""
    raw = os.environ.get(name, "").strip().upper().removesuffix("B")
    if not raw:
        return default
    m = re.fullmatch(r"(\d+)([KMG]?)", raw)
    if not m:
        raise InputError(f"must be a whole number optionally followed by K, M or G, got {os.environ[name]!r}",
                         where=name)
    return int(m.group(1)) * _SUFFIX[m.group(2)]


@dataclass(frozen=True)
class Limits:
    """The bounds applied to every input; :meth:`from_env` reads the ``POSTURE_MAX_*`` overrides."""

    max_bytes: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_MAX_BYTES))
    max_depth: int = DEFAULT_MAX_DEPTH
    max_nodes: int = DEFAULT_MAX_NODES

    @classmethod
    def from_env(cls) -> Limits:
        return cls(
            max_bytes={k: env_int(f"POSTURE_MAX_{k.upper()}_BYTES", v) for k, v in DEFAULT_MAX_BYTES.items()},
            max_depth=env_int("POSTURE_MAX_DEPTH", DEFAULT_MAX_DEPTH),
            max_nodes=env_int("POSTURE_MAX_NODES", DEFAULT_MAX_NODES),
        )

    def bytes_for(self, kind: str) -> int:
        return self.max_bytes.get(kind, DEFAULT_MAX_BYTES.get(kind, DEFAULT_MAX_BYTES["config"]))


def _limits(limits: Limits | None) -> Limits:
    return limits if limits is not None else Limits.from_env()


# --------------------------------------------------------------------------- opening
_NOT_REGULAR = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"),
                (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def require_regular(st: os.stat_result, where: str, what: str = "input") -> None:
    """Refuse anything but a regular file, naming what it is."""
    if not stat.S_ISREG(st.st_mode):
        kind = next((name for test, name in _NOT_REGULAR if test(st.st_mode)), "not a regular file")
        raise InputError(f"cannot read {what}: {kind}, not a regular file", where=where)


def check_file(path: str | os.PathLike[str], what: str = "input") -> os.stat_result | None:
    """Stat ``path`` (following links): None when it does not exist; InputError when it is not a regular file.

    For files opened by another library (SQLite): without this a named pipe blocks it forever.
    """
    where = os.fspath(path)
    try:
        st = os.stat(where)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise InputError(f"cannot read {what}: {e.strerror}", where=where) from None
    require_regular(st, where, what)
    return st


def check_output(path: str | os.PathLike[str], what: str) -> None:
    """Refuse, before any work is done, an output path that names a directory or sits in a missing one."""
    p = os.fspath(path)
    if os.path.isdir(p):
        raise InputError(f"cannot write {what}: a directory, not a file", where=p)
    parent = os.path.dirname(p) or "."
    if not os.path.isdir(parent):
        raise InputError(f"cannot write {what}: directory {parent} does not exist", where=p)


def _too_big(size: int, limit: int, kind: str, what: str, where: str) -> LimitExceeded:
    return LimitExceeded(f"{what} is larger than the {limit:,}-byte limit for {kind} inputs "
                      f"(raise it with POSTURE_MAX_{kind.upper()}_BYTES)" if size < 0 else
                      f"{what} is {size:,} bytes, over the {limit:,}-byte limit for {kind} inputs "
                      f"(raise it with POSTURE_MAX_{kind.upper()}_BYTES)", where=where)


def _open(path: str | os.PathLike[str], kind: str, what: str, limits: Limits) -> tuple[int, int]:
    """An fd open on a regular file within the size limit, and the limit."""
    where = os.fspath(path)
    st = check_file(where, what)
    if st is None:
        raise InputError(f"cannot read {what}: no such file or directory", where=where)
    limit = limits.bytes_for(kind)
    if st.st_size > limit:
        raise _too_big(st.st_size, limit, kind, what, where)
    try:  # O_NONBLOCK: should the file be swapped for a pipe after the stat, open() still returns
        fd = os.open(where, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        raise InputError(f"cannot read {what}: {e.strerror}", where=where) from None
    try:
        require_regular(os.fstat(fd), where, what)
    except InputError:
        os.close(fd)
        raise
    return fd, limit


def _read_bounded(fh: typing.BinaryIO, limit: int) -> bytes:
    """At most ``limit + 1`` bytes. ``read(limit + 1)`` would reserve the whole limit (2 GiB for a plan) before
    reading a byte, which fails under an address-space limit: read what the file says it holds, then go on in
    chunks only if it grew (or lied about its size, like /proc), still stopping one byte past the limit."""
    size = os.fstat(fh.fileno()).st_size
    data = fh.read(min(size, limit) + 1)
    if len(data) <= size:
        return data
    parts = [data]
    total = len(data)
    while total <= limit:
        chunk = fh.read(min(1 << 20, limit + 1 - total))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    return b"".join(parts)


def read_bytes(path: str | os.PathLike[str], kind: str = "config", what: str = "",
               limits: Limits | None = None) -> bytes:
    """The bytes of a regular file of at most the limit for ``kind``."""
    what = what or f"{kind.replace('_', ' ')} file"
    fd, limit = _open(path, kind, what, _limits(limits))
    with os.fdopen(fd, "rb") as fh:
        try:
            data = _read_bounded(fh, limit)
        except OSError as e:
            raise InputError(f"cannot read {what}: {e.strerror}", where=os.fspath(path)) from None
    if len(data) > limit:
        raise _too_big(-1, limit, kind, what, os.fspath(path))
    return data


def decode_utf8(data: bytes, where: str) -> str:
    """Strict UTF-8 (a leading byte-order mark is dropped); a bad byte is ``file:line: invalid UTF-8``."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise InputError(f"invalid UTF-8 (byte 0x{data[e.start]:02x}): not a text file", where=f"{where}:{line}") \
            from None


def read_text(path: str | os.PathLike[str], kind: str = "config", what: str = "",
              limits: Limits | None = None) -> str:
    """A regular file within the size limit for ``kind``, decoded as strict UTF-8."""
    return decode_utf8(read_bytes(path, kind, what, limits), os.fspath(path))


def iter_lines(path: str | os.PathLike[str], kind: str, what: str = "",
               limits: Limits | None = None) -> Iterator[str]:
    """The lines of a regular file (size-bounded, strict UTF-8), streamed: for JSON Lines inputs."""
    where = os.fspath(path)
    what = what or f"{kind.replace('_', ' ')} file"
    fd, _ = _open(path, kind, what, _limits(limits))
    decoder = codecs.getincrementaldecoder("utf-8")()
    with os.fdopen(fd, "rb") as fh:
        for n, raw in enumerate(fh, 1):
            try:
                text = decoder.decode(raw)
            except UnicodeDecodeError as e:
                raise InputError(f"invalid UTF-8 (byte 0x{raw[e.start]:02x}): not a text file",
                                 where=f"{where}:{n}") from None
            yield text.removeprefix("\ufeff") if n == 1 else text


# --------------------------------------------------------------------------- shape bounds
def check_shape(doc: Any, where: str, limits: Limits | None = None, *, json_text: str | None = None) -> Any:
    """Refuse documents nested deeper than ``max_depth`` or holding more than ``max_nodes`` values.

    Values are counted as often as they are reachable, so a YAML alias bomb is caught here, early, instead
    of in the code that would expand it. ``json_text``, the JSON the document was decoded from, lets the walk
    be skipped when the text is too small to break either bound (JSON has no aliases).
    """
    lim = _limits(limits)
    if json_text is not None and len(json_text) < lim.max_nodes and (
            json_text.count("{") + json_text.count("[") <= lim.max_depth):
        return doc
    # Post-order walk over distinct containers: an alias shares its object, so each is walked once and its
    # count (values reachable below it) and height are remembered; a bomb is refused in time linear in its
    # text, not in its expansion. A container met again while still open is its own ancestor: a cycle.
    too_deep = InputError(f"nested deeper than {lim.max_depth} levels (POSTURE_MAX_DEPTH)", where=where)
    seen: dict[int, tuple[int, int]] = {}
    open_: set[int] = set()
    stack: list[tuple[Any, int, bool]] = [(doc, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None or (key in seen and not done):
            continue
        if done:
            count, height = 0, 0
            for c in children:
                below, h = seen.get(id(c), (0, 0)) if isinstance(c, (dict, list)) else (0, 0)
                count, height = count + 1 + below, max(height, h)
            open_.discard(key)
            if count > lim.max_nodes:
                raise InputError(f"more than {lim.max_nodes:,} values (POSTURE_MAX_NODES)", where=where)
            seen[key] = (count, height + 1)
            continue
        if depth > lim.max_depth or key in open_:
            raise too_deep
        open_.add(key)
        stack.append((node, depth, True))
        stack.extend((c, depth + 1, False) for c in children if isinstance(c, (dict, list)) and id(c) not in seen)
    return doc


_LONG_INT = re.compile(r"\d{4301,}")


def _long_int_line(text: str) -> int:
    m = _LONG_INT.search(text)
    return text.count("\n", 0, m.start()) + 1 if m else 0


def _at(where: str, line: int) -> str:
    return f"{where}:{line}" if line else where


def parse_json(text: str | bytes, where: str, limits: Limits | None = None, *, line: int = 0,
               shape: bool = True) -> Any:
    """Decode JSON text (``line`` is the file line of the text, for JSON Lines) with bounded shape.

    ``shape=False`` leaves out the depth/value-count walk, for documents whose size limit already bounds them
    and whose readers do not recurse (a plan of millions of values); the decoder's own depth limit still holds.
    """
    if isinstance(text, bytes):
        text = decode_utf8(text, where)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"invalid JSON: {e.msg} (column {e.colno})", where=_at(where, line or e.lineno)) from None
    except RecursionError:
        raise InputError(f"nested deeper than {_limits(limits).max_depth} levels (POSTURE_MAX_DEPTH)" if shape else
                         "invalid JSON: nested deeper than the JSON decoder allows", where=_at(where, line)) from None
    except ValueError:  # Python's integer string conversion limit
        raise InputError("invalid JSON: integer longer than 4,300 digits",
                         where=_at(where, line or _long_int_line(text))) from None
    return check_shape(doc, _at(where, line), limits, json_text=text) if shape else doc


def load_json(path: str | os.PathLike[str], kind: str = "config", what: str = "",
              limits: Limits | None = None) -> Any:
    """Read and decode a JSON file through every bound above."""
    return parse_json(read_text(path, kind, what, limits), os.fspath(path), limits)


# --------------------------------------------------------------------------- YAML with lines
class LineDict(dict):  # type: ignore[type-arg]
    """A mapping read from YAML that remembers its line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]


class LineList(list):  # type: ignore[type-arg]
    """A sequence read from YAML that remembers its line and the line of each item (1-based)."""

    line: int = 0
    item_lines: list[int]


_BaseLoader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LineLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """The safe loader (libyaml's C one when installed) that records lines and words every error with a mark."""


def _construct_mapping(loader: LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    out = LineDict()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in out
        except TypeError:
            raise yaml.constructor.ConstructorError(None, None, "a mapping key must be a plain value, "
                                                    "not a list or mapping", key_node.start_mark) from None
        if duplicate:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[str(key)] = key_node.start_mark.line + 1
    return out


def _construct_sequence(loader: LineLoader, node: yaml.SequenceNode) -> LineList:
    out = LineList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


def _checked(construct: Any, what: str) -> Any:
    def wrapped(loader: LineLoader, node: yaml.Node) -> Any:
        try:
            return construct(loader, node)
        except (ValueError, OverflowError) as e:
            reason = "longer than 4,300 digits" if "digits" in str(e) else str(e)
            raise yaml.constructor.ConstructorError(None, None, f"invalid {what} {str(node.value)[:40]!r}: {reason}",
                                                    node.start_mark) from None
    return wrapped


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
LineLoader.add_constructor("tag:yaml.org,2002:timestamp",
                           _checked(yaml.constructor.SafeConstructor.construct_yaml_timestamp, "date"))
LineLoader.add_constructor("tag:yaml.org,2002:int", _checked(yaml.constructor.SafeConstructor.construct_yaml_int,
                                                             "integer"))


def _yaml_depth_ok(text: str, where: str, max_depth: int) -> None:
    """libyaml's composer recurses in C: a deep enough document crashes the process, so count first."""
    if text.count("[") + text.count("{") + text.count("\n") + text.count("-") + text.count("?") < max_depth:
        return  # cannot nest that deep
    depth = 0
    starts = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, starts):
            depth += 1
            if depth > max_depth:
                raise InputError(f"invalid YAML: nested deeper than {max_depth} levels (POSTURE_MAX_DEPTH)",
                                 where=_at(where, event.start_mark.line + 1 if event.start_mark else 0))
        elif isinstance(event, ends):
            depth -= 1


def parse_yaml(text: str, where: str, limits: Limits | None = None) -> Any:
    """Decode YAML text with the line-recording safe loader; every error is ``file:line: invalid YAML: ...``."""
    lim = _limits(limits)
    try:
        _yaml_depth_ok(text, where, lim.max_depth)
        doc = yaml.load(text, Loader=LineLoader)  # LineLoader is a SafeLoader
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise InputError(f"invalid YAML: {e.problem or e.context}", where=_at(where, mark.line + 1 if mark else 0)) \
            from None
    except yaml.reader.ReaderError as e:
        raise InputError(f"invalid YAML: {e.reason} (character #x{e.character:04x})" if isinstance(e.character, int)
                         else f"invalid YAML: {e.reason}", where=_at(where, text.count("\n", 0, e.position) + 1)) \
            from None
    except yaml.YAMLError as e:
        raise InputError(f"invalid YAML: {e}", where=where) from None
    except RecursionError:
        raise InputError(f"invalid YAML: nested deeper than {lim.max_depth} levels", where=where) from None
    return check_shape(doc, where, lim)


def load_yaml(path: str | os.PathLike[str], kind: str = "config", what: str = "",
              limits: Limits | None = None) -> Any:
    """Read and decode a YAML (or JSON) file through every bound above."""
    return parse_yaml(read_text(path, kind, what, limits), os.fspath(path), limits)


# --------------------------------------------------------------------------- validation with lines
_MISSING = object()


def _child(node: Any, part: Any) -> Any:
    """``node[part]`` for a mapping key or list index present in the data, else ``_MISSING``."""
    if isinstance(node, Mapping) and isinstance(part, (str, int)) and part in node:
        return node[part]
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return _MISSING


def line_of(doc: Any, loc: Sequence[Any]) -> int:
    """The YAML line of the value at ``loc`` (a pydantic error location), or of its nearest known ancestor."""
    line = getattr(doc, "line", 0)
    node = doc
    for part in loc:
        child = _child(node, part)
        if child is _MISSING:
            continue  # a missing field, or a pydantic-internal step (union member, validator): stay here
        if isinstance(node, LineDict):
            line = node.key_lines.get(str(part), line)
        elif isinstance(node, LineList):
            line = node.item_lines[part]
        else:
            line = getattr(child, "line", line)
        node = child
    return line


def field_path(loc: Sequence[Any]) -> str:
    """``("suppressions", 0, "rule")`` -> ``suppressions[0].rule``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _models_in(tp: Any) -> list[type[BaseModel]]:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    return [m for arg in typing.get_args(tp) for m in _models_in(arg)]


def _inner(tp: Any, part: Any) -> Any:
    """The type one step into ``tp`` (a model field, a dict value, a list item), or None."""
    for candidate in [tp, *typing.get_args(tp)]:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            for name, f in candidate.model_fields.items():
                if part in (name, f.alias):
                    return f.annotation
            continue
        origin = typing.get_origin(candidate)
        args = typing.get_args(candidate)
        if origin in (dict, Mapping) and len(args) == 2 and isinstance(part, str):
            return args[1]
        if origin in (list, tuple, Sequence, set, frozenset) and args and isinstance(part, int):
            return args[0]
    return None


def known_fields(model: type[BaseModel], loc: Sequence[Any]) -> list[str]:
    """The field names (aliases where set) accepted at ``loc`` inside ``model``."""
    tp: Any = model
    for part in loc:
        nxt = _inner(tp, part)
        if nxt is not None:
            tp = nxt
    return [f.alias or name for m in _models_in(tp) for name, f in m.model_fields.items()]


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    """``; did you mean 'x'?`` for the closest choice, else the list of choices (when short)."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    if choices and len(choices) <= 12:
        return f" (expected one of: {', '.join(sorted(choices))})"
    return ""


_TYPE_TAGS = frozenset({"str", "int", "float", "bool", "list", "dict", "none", "date", "datetime", "enum",
                        "literal", "tuple", "set"})


def _is_tag(part: Any) -> bool:
    return isinstance(part, str) and ("[" in part or part.lower() in _TYPE_TAGS or part[:1] == "_"
                                      or part[:1].isupper())


def _clean_loc(doc: Any, loc: Sequence[Any]) -> tuple[Any, ...]:
    """``loc`` without the steps pydantic adds for union members and validators (``dict[str,X]``, ``int``)."""
    out = []
    node = doc
    for part in loc:
        child = _child(node, part)
        if child is _MISSING and _is_tag(part):
            continue
        node = None if child is _MISSING else child
        out.append(part)
    return tuple(out)


def model_error(e: ValidationError, model: type[BaseModel], doc: Any, where: str) -> InputError:
    """The first pydantic error as ``file:line: field: message`` (+ did-you-mean for unknown keys)."""
    err = e.errors()[0]
    loc = _clean_loc(doc, err["loc"])
    if err["type"] == "extra_forbidden":
        msg = "unknown field" + did_you_mean(str(loc[-1]), known_fields(model, loc[:-1]))
    else:
        msg = str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    more = f" (and {e.error_count() - 1} more error(s))" if e.error_count() > 1 else ""
    return InputError(f"{field_path(loc)}: {msg}{more}", where=_at(where, line_of(doc, loc)))


def validate(doc: Any, model: type[M], where: str, context: Mapping[str, Any] | None = None) -> M:
    """Validate decoded data against a pydantic model; errors name ``file:line: field``."""
    try:
        return model.model_validate(doc, context=dict(context) if context else None)
    except ValidationError as e:
        raise model_error(e, model, doc, where) from None


def load_model(path: str | os.PathLike[str], model: type[M], kind: str = "config", what: str = "",
               limits: Limits | None = None, context: Mapping[str, Any] | None = None) -> M:
    """Read a YAML or JSON file and validate it against ``model`` (which should set ``extra="forbid"``)."""
    return validate(load_yaml(path, kind, what, limits), model, os.fspath(path), context)
