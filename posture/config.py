"""Scan configuration: ``.posture.yaml`` / ``[tool.posture]``, ``POSTURE_*`` variables and flags, merged.

Precedence (docs/config.md): flags > environment > configuration file > built-in defaults. Every key of
:class:`ScanConfig` is at once the file key, the long flag (``fail-on`` / ``--fail-on``) and the variable
(``POSTURE_FAIL_ON``). The file is the nearest ``.posture.yaml`` (or ``.posture.yml``, or a
``pyproject.toml`` with a ``[tool.posture]`` table) from the working directory up to the repository root
(the directory holding ``.git``); outside a repository only the working directory is searched.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from posture.errors import InputError
from posture.model import Category, Severity

CONFIG_NAMES = (".posture.yaml", ".posture.yml")
ENV_PREFIX = "POSTURE_"
CONFIG_ENV = "POSTURE_CONFIG"
FAIL_ON = (*(s.value for s in Severity), "none")

GAPS_DEFAULT = {"scan aws": "warn", "scan azure": "warn", "scan gcp": "warn"}
"""``gaps``: live cloud scans warn (partial read permissions are normal there); every other command fails."""

PATH_KEYS = frozenset({"rules", "suppressions", "baseline", "report", "output", "segmentation_policy", "history",
                       "repo_root", "var_file"})
"""Fields holding file paths: in a configuration file they are relative to the file's directory."""
CSV_KEYS = frozenset({"severity", "rule", "enable", "skip", "category", "skip_path", "framework"})
"""Fields where one string is a comma-separated list (ids, globs, names)."""


def _dash(name: str) -> str:
    return name.replace("_", "-")


class ScanConfig(BaseModel):
    """Every scan option a configuration file may set (the keys are the long flag names)."""

    model_config = ConfigDict(extra="forbid", alias_generator=_dash, populate_by_name=True, frozen=True)

    fail_on: str | None = Field(None, description="exit 1 on an open finding at or above this severity")
    gaps: str | None = Field(None, description="coverage gaps fail or only warn (fail|warn)")
    severity: list[str] | None = Field(None, description="severities the reports show")
    rules: list[str] | None = Field(None, description="extra rule directories")
    rule: list[str] | None = Field(None, description="only these rules (ids, globs)")
    enable: list[str] | None = Field(None, description="opt-in rules to run (ids, globs)")
    skip: list[str] | None = Field(None, description="rules not to run (ids, globs)")
    category: list[str] | None = Field(None, description="only rules of these categories")
    rule_params: dict[str, dict[str, Any]] | None = Field(None, description="parameters per rule id")
    skip_path: list[str] | None = Field(None, description="files/directories not scanned (globs)")
    framework: list[str] | None = Field(None, description="compliance frameworks to report")
    suppressions: list[str] | None = Field(None, description="suppressions files")
    baseline: str | None = Field(None, description="baseline file")
    report: list[str] | None = Field(None, description="extra reports, FORMAT=FILE")
    format: str | None = Field(None, description="main report format")
    output: str | None = Field(None, description="main report file")
    segmentation_policy: str | None = Field(None, description="segmentation policy file")
    history: str | None = Field(None, description="history database (path or URL)")
    repo_root: str | None = Field(None, description="locations are relative to this directory")
    var_file: list[str] | None = Field(None, description=".tfvars files (scan terraform)")

    @field_validator("*", mode="before")
    @classmethod
    def _lists(cls, value: Any, info: Any) -> Any:
        """A string where a list is expected: one item, or a comma list for ids and globs."""
        field = cls.model_fields[info.field_name]
        if isinstance(value, str) and "list" in str(field.annotation):
            if info.field_name in CSV_KEYS:
                return [v.strip() for v in value.split(",") if v.strip()]
            return [value]
        if info.field_name == "report" and isinstance(value, Mapping):  # {sarif: posture.sarif}
            return [f"{k}={v}" for k, v in value.items()]
        return value

    @field_validator("fail_on")
    @classmethod
    def _fail_on(cls, value: str | None) -> str | None:
        return _choice(value, FAIL_ON)

    @field_validator("gaps")
    @classmethod
    def _gaps(cls, value: str | None) -> str | None:
        return _choice(value, ("fail", "warn"))

    @field_validator("severity")
    @classmethod
    def _severity(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [_choice(v.lower(), tuple(s.value for s in Severity)) for v in value]

    @field_validator("category")
    @classmethod
    def _category(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [_choice(v, tuple(c.value for c in Category)) for v in value]

    @field_validator("report")
    @classmethod
    def _report(cls, value: list[str] | None) -> list[str] | None:
        for v in value or ():
            fmt, sep, path = v.partition("=")
            if not sep or not fmt or not path:
                raise ValueError(f"expected FORMAT=FILE, got {v!r}")
        return value


def _choice(value: Any, choices: Sequence[str]) -> Any:
    if value is not None and value not in choices:
        raise ValueError(f"{value!r} is not one of {', '.join(choices)}")
    return value


KEYS = {_dash(name): name for name in ScanConfig.model_fields}
"""File key / long flag -> field (and argparse dest)."""


@dataclass(frozen=True)
class Setting:
    """One effective value and where it came from (``default``, ``FILE:LINE``, ``env NAME``, ``flag --x``)."""

    value: Any
    origin: str


# ---------------------------------------------------------------------------------------------------
# finding and reading the file
# ---------------------------------------------------------------------------------------------------
def find_config(start: Path) -> Path | None:
    """The nearest configuration file from ``start`` up to the repository root (see module doc)."""
    chain: list[Path] = []
    for d in [start, *start.parents]:
        chain.append(d)
        if (d / ".git").exists():
            break
    else:
        chain = [start]
    for d in chain:
        for name in CONFIG_NAMES:
            if (d / name).is_file():
                return d / name
        pyproject = d / "pyproject.toml"
        if pyproject.is_file() and re.search(r"^\[tool\.posture[\].]", _read(pyproject), re.MULTILINE):
            return pyproject
    return None


def _read(path: Path) -> str:
    from posture.inputs import read_text

    return read_text(path, "config", "configuration")


def read_config(path: Path) -> tuple[ScanConfig, dict[str, int]]:
    """Validate a configuration file; returns the model and the line of each key that was set."""
    text = _read(path)
    if path.name == "pyproject.toml":
        raw, lines = _toml_table(path, text)
    else:
        raw, lines = _yaml_doc(path, text)
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise InputError("expected a mapping of option: value", where=str(path))
    unknown = [k for k in raw if k not in KEYS]
    if unknown:
        key = str(unknown[0])
        near = difflib.get_close_matches(key.replace("_", "-"), list(KEYS), n=1)
        hint = f"; did you mean {near[0]!r}?" if near else f" (known: {', '.join(KEYS)})"
        raise InputError(f"{key}: unknown key{hint}", where=_at(path, lines.get(key)))
    try:
        model = ScanConfig.model_validate(dict(raw))
    except ValidationError as e:
        err = e.errors()[0]
        key = str(err["loc"][0]) if err["loc"] else ""
        key = _dash(key)
        field = ".".join([key, *(str(x) for x in err["loc"][1:])])
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise InputError(f"{field}: {msg}", where=_at(path, lines.get(key))) from None
    return model, lines


def _at(path: Path, line: int | None) -> str:
    return f"{path}:{line}" if line else str(path)


def _yaml_doc(path: Path, text: str) -> tuple[Any, dict[str, int]]:
    from posture.inputs import parse_yaml

    raw = parse_yaml(text, str(path))  # the one strict reader of user files (posture/inputs.py)
    return raw, dict(getattr(raw, "key_lines", None) or {})


def _toml_table(path: Path, text: str) -> tuple[Any, dict[str, int]]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"invalid TOML: {e}", where=str(path)) from None
    table = doc.get("tool", {}).get("posture")
    lines: dict[str, int] = {}
    in_table = False
    for n, line in enumerate(text.splitlines(), 1):
        header = re.match(r"\s*\[+([^\]]+)\]+", line)
        if header:
            name = header.group(1).strip()
            in_table = name == "tool.posture"
            if name.startswith("tool.posture."):
                lines.setdefault(name.split(".", 2)[2].strip('"'), n)
            continue
        key = re.match(r"\s*\"?([A-Za-z0-9_-]+)\"?\s*=", line)
        if in_table and key:
            lines.setdefault(key.group(1), n)
    return table, lines


# ---------------------------------------------------------------------------------------------------
# merging
# ---------------------------------------------------------------------------------------------------
def defaults(command: str) -> dict[str, Any]:
    """Built-in values for ``command`` (``scan terraform``, ``probe tls``, ...)."""
    return {"fail_on": "low", "gaps": GAPS_DEFAULT.get(command, "fail")}


def _from_env(env: Mapping[str, str]) -> dict[str, Setting]:
    out: dict[str, Setting] = {}
    for key, field in KEYS.items():
        name = ENV_PREFIX + field.upper()
        value = env.get(name, "")
        if not value.strip():
            continue
        try:
            model = ScanConfig.model_validate({field: value})
        except ValidationError as e:
            msg = str(e.errors()[0]["msg"]).removeprefix("Value error, ")
            raise InputError(f"{key}: {msg}", where=name) from None
        out[field] = Setting(getattr(model, field), f"env {name}")
    return out


def _rebase(value: Any, directory: Path, cwd: Path) -> Any:
    """A path written in a configuration file is relative to the file's directory."""
    def one(p: str) -> str:
        if "://" in p:
            return p
        fmt, sep, rest = p.partition("=") if "=" in p else ("", "", p)
        q = Path(os.path.expanduser(rest))
        if not q.is_absolute():
            q = directory / q
        try:
            q = q.relative_to(cwd)
        except ValueError:
            pass
        return f"{fmt}{sep}{q}"

    return [one(v) for v in value] if isinstance(value, list) else one(value)


def resolve(
    command: str,
    flags: Mapping[str, Any],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    config_file: str | os.PathLike[str] | None = None,
) -> tuple[dict[str, Setting], Path | None]:
    """Merge defaults < configuration file < environment < flags; returns the settings and the file used.

    ``flags`` maps field names to the parsed values, ``None`` for a flag that was not given.
    """
    env = os.environ if env is None else env
    cwd = (cwd or Path.cwd()).resolve()
    settings = {k: Setting(v, f"default for {command}" if k == "gaps" else "default")
                for k, v in defaults(command).items()}
    named = config_file or env.get(CONFIG_ENV) or None
    path = Path(named) if named else find_config(cwd)
    if named and path is not None and not path.is_file():
        raise InputError("configuration file does not exist", where=str(path))
    if path is not None:
        model, lines = read_config(path)
        shown = os.path.relpath(path, cwd) if path.is_absolute() else str(path)
        for field in model.model_fields_set:
            value = getattr(model, field)
            if value is None:
                continue
            if field in PATH_KEYS:
                value = _rebase(value, path.resolve().parent, cwd)
            settings[field] = Setting(value, _at(Path(shown), lines.get(_dash(field))))
    settings.update(_from_env(env))
    for field, value in flags.items():  # an empty list is an append flag that was not given
        if value is not None and value != [] and field in ScanConfig.model_fields:
            settings[field] = Setting(value, f"flag --{_dash(field)}")
    return settings, path


def apply(args: Any, command: str, *, env: Mapping[str, str] | None = None,
          gaps_default: str | None = None) -> dict[str, Setting]:
    """Fill an argparse namespace's configurable options from the merged settings (flags stay as given).

    ``gaps_default`` is the command's own default (``ScanSource.gaps``), when it declares one.
    """
    flags = {field: getattr(args, field, None) for field in ScanConfig.model_fields}
    settings, _ = resolve(command, flags, env=env, config_file=getattr(args, "config", None))
    if gaps_default and settings["gaps"].origin.startswith("default"):
        settings["gaps"] = Setting(gaps_default, f"default for {command}")
    for field in ScanConfig.model_fields:
        setting = settings.get(field)
        value = setting.value if setting is not None else None
        if value is None and field in LIST_FIELDS:
            value = []
        if field == "report":
            value = [tuple(v.split("=", 1)) if isinstance(v, str) else v for v in value or ()]
        setattr(args, field, value)
    _check_formats(args, settings)
    args.settings = settings
    return settings


def _check_formats(args: Any, settings: Mapping[str, Setting]) -> None:
    """``format`` and ``report`` from a file or the environment name formats that exist."""
    from posture.report import formats

    known = formats()
    for field, names in (("format", [args.format] if args.format else []), ("report", [f for f, _ in args.report])):
        bad = [n for n in names if n not in known]
        if bad:
            raise InputError(f"{_dash(field)}: unknown format {bad[0]!r} (choose from {', '.join(known)})",
                             where=settings[field].origin)


LIST_FIELDS = frozenset(f for f, info in ScanConfig.model_fields.items() if "list" in str(info.annotation))


def show(settings: Mapping[str, Setting], path: Path | None) -> str:
    """``posture config show``: each effective value and where it came from."""
    width = max(len(k) for k in KEYS)
    lines = [f"# configuration file: {path if path else 'none found'}"]
    for key, field in KEYS.items():
        s = settings.get(field)
        if s is None:
            lines.append(f"{key.ljust(width)}  (unset)")
            continue
        value = ", ".join(map(str, s.value)) if isinstance(s.value, list) else s.value
        lines.append(f"{key.ljust(width)}  {value}  [{s.origin}]")
    return "\n".join(lines) + "\n"
