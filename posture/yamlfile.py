"""Reading the YAML inputs users write (policies, profiles, scopes, suppressions, ticket configs).

One place for the safe load and for the one-line errors that name the file, line and field.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from posture.errors import InputError

M = TypeVar("M", bound=BaseModel)


def read_yaml(path: str | os.PathLike[str], what: str, loader: type[Any] = yaml.SafeLoader) -> Any:
    """Parse a YAML file safely; unreadable files and syntax errors raise InputError naming file:line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise InputError(f"cannot read {what}: {e.strerror}", where=str(p)) from None
    except UnicodeDecodeError:
        raise InputError(f"cannot read {what}: not UTF-8 text", where=str(p)) from None
    try:
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{p}:{mark.line + 1}" if mark else str(p)
        raise InputError(f"invalid YAML: {getattr(e, 'problem', e)}", where=where) from None


def validation_error(e: ValidationError, where: str) -> InputError:
    """The first pydantic error as a one-line InputError: ``file: field.path: message``."""
    err = e.errors()[0]
    field = ".".join(str(x) for x in err["loc"]) or "(top level)"
    msg = str(err["msg"]).removeprefix("Value error, ")
    more = f" (and {e.error_count() - 1} more error(s))" if e.error_count() > 1 else ""
    return InputError(f"{field}: {msg}{more}", where=where)


def load_model(path: str | os.PathLike[str], model: type[M], what: str) -> M:
    """Read a YAML file and validate it against a pydantic model."""
    raw = read_yaml(path, what)
    try:
        return model.model_validate(raw)
    except ValidationError as e:
        raise validation_error(e, str(path)) from None
