"""Compatibility names for :mod:`posture.inputs`, the one reader of user files (use that module)."""

from __future__ import annotations

import os
from typing import Any

from pydantic import BaseModel, ValidationError

from posture.errors import InputError
from posture.inputs import M, field_path, load_yaml
from posture.inputs import load_model as _load_model


def read_yaml(path: str | os.PathLike[str], what: str, loader: Any = None) -> Any:
    """Read a YAML user file (``loader`` is ignored: every file is read by :class:`posture.inputs.LineLoader`)."""
    return load_yaml(path, "config", what)


def validation_error(e: ValidationError, where: str) -> InputError:
    """The first pydantic error as a one-line InputError: ``file: field.path: message``."""
    err = e.errors()[0]
    more = f" (and {e.error_count() - 1} more error(s))" if e.error_count() > 1 else ""
    return InputError(f"{field_path(err['loc'])}: {str(err['msg']).removeprefix('Value error, ')}{more}", where=where)


def load_model(path: str | os.PathLike[str], model: type[M], what: str) -> M:
    """Read a YAML file and validate it against a pydantic model."""
    return _load_model(path, model, "config", what)


__all__ = ["BaseModel", "load_model", "read_yaml", "validation_error"]
