"""Table-driven encryption at rest: one :class:`Store` row per native type says where the type keeps its key,
which attribute turns encryption on (or picks the kind of key) and which store it copies; :func:`encryption_of`
reads a resource's ``encryption`` object from its row.

The provider's answer for an attribute left unset is never written here: it is the knowledge-table entry for the
native type (``posture/knowledge/encryption_defaults.yaml``), read through :func:`provider_default`. A type whose
unset switch has no entry stays UNKNOWN.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from posture.model import UNKNOWN, EdgeKind, Kind
from posture.providers.kit.builders import edge, encryption, provider_default, provider_key, unknown_encryption
from posture.providers.kit.values import tri

# What a switch value means: the store is not encrypted ("off"), encrypted with the provider's key ("provider"),
# encrypted with the key at the row's key path ("key": a customer key when one is set, else the provider's), or
# as encrypted as the store it copies ("inherit").
OFF, PROVIDER, KEY, INHERIT = "off", "provider", "key", "inherit"
ON_OFF: Mapping[Any, str] = {True: KEY, False: OFF}
"""A boolean switch whose `true` encrypts with the key at the key path."""
COPY_FLAG: Mapping[Any, str] = {True: KEY, False: INHERIT}
"""A copy's `encrypted` flag: true encrypts the copy, false keeps the source's state (an encrypted source stays so)."""


@dataclass(frozen=True)
class Store:
    """Where one native type keeps its encryption settings (paths are dotted, blocks indexed ``.0.``)."""

    store_type: str
    key: str | None = None
    switch: tuple[str, ...] = ()
    modes: Mapping[Any, str] = field(default_factory=lambda: ON_OFF)
    disable: tuple[tuple[str, str | None, Any], ...] = ()
    """(flag path, path of the setting the flag applies with or None, that setting's value): a true flag turns
    encryption off."""
    source: str | None = None
    source_types: tuple[str, ...] = ()
    name: str = "name"
    only_if: tuple[str, Any] | None = None
    part: str | None = None
    transit: tuple[str, bool] | None = None
    """(path, value when unset) of the switch that makes clients use TLS (``transport.tls_required``)."""
    transit_modes: Mapping[Any, bool] | None = None
    """What each value of a non-boolean transit switch means (an unlisted value is UNKNOWN)."""
    default: str | None = None


Read = Callable[[str], Any]
Configured = Callable[[str], "bool | None"]


def _norm(value: Any) -> Any:
    if isinstance(value, str):
        low = value.strip().lower()
        if low in ("true", "false"):
            return low == "true"
        return value.strip().upper()
    return value


def switch_modes(spec: Store, read: Read, configured: Configured) -> list[Any]:
    """The mode of each switch of ``spec``: a mode string, None when unset, UNKNOWN when not known yet."""
    out: list[Any] = []
    for path in spec.switch:
        value = read(path)
        if value is UNKNOWN and configured(path) is False:
            value = None
        if value is UNKNOWN:
            out.append(UNKNOWN)
        elif value is None or value == "":
            out.append(None)
        else:
            out.append(spec.modes.get(_norm(value), UNKNOWN))
    return out


def encryption_of(
    spec: Store,
    native_type: str,
    read: Read,
    configured: Configured,
    key: Callable[[str], tuple[dict[str, Any], Any]],
    inherited: Callable[[], dict[str, Any] | None],
) -> tuple[dict[str, Any], Any]:
    """(encryption object, key address or None) of one resource described by ``spec``.

    ``key(path)`` resolves a key reference the cloud's way (customer key, or the provider's when unset);
    ``inherited()`` is the encryption of the store this one copies (None when that store is not known).
    """
    for path, where, wanted in spec.disable:
        flag = read(path)
        applies = where is None or _norm(read(where)) == wanted
        if applies and (flag is True or (isinstance(flag, str) and flag.strip().lower() == "true")):
            return encryption(False, basis="explicit"), None
    modes = switch_modes(spec, read, configured)
    if OFF in modes:
        return encryption(False, basis="explicit"), None
    if UNKNOWN in modes:
        return unknown_encryption(), None
    mode = next((m for m in modes if m is not None), None)
    if None in modes and mode is not None:
        return provider_default(spec.default or native_type), None  # a switch left unset: its default decides
    key_value = read(spec.key) if spec.key else None
    key_set = key_value not in (None, "") and not (key_value is UNKNOWN and configured(spec.key or "") is False)
    if mode == PROVIDER:
        return provider_key(), None
    if mode == KEY or (mode is None and key_set):
        return key(spec.key) if spec.key else (provider_key(), None)
    if mode == INHERIT or (mode is None and spec.source):
        source = read(spec.source) if spec.source else None
        if source not in (None, "") and not (source is UNKNOWN and configured(spec.source or "") is False):
            found = inherited()
            return (dict(found), None) if found is not None else (unknown_encryption(), None)
        if mode == INHERIT:
            return unknown_encryption(), None
    return provider_default(spec.default or native_type), None


KeyOf = Callable[[Any, Any, str], tuple[dict[str, Any], Any]]
"""(index, raw, key path) -> (encryption with that key, key address or None): the cloud's key resolution."""


def _present(value: Any, wanted: Any) -> bool:
    if wanted == "set":
        return bool(value)
    return tri(value) is True if wanted is True else value == wanted


def normaliser(
    spec: Store,
    res: Callable[..., Any],
    key_of: KeyOf,
    inherited: Callable[[Any, Any, Store], dict[str, Any] | None] = lambda raw, index, spec: None,
) -> Callable[[Any, Any], list[Any]]:
    """A Terraform normaliser for one row: a ``datastore`` (or a part of the resource) and its key edge.

    ``res(raw, index, kind, attrs, name=..., rid=...)`` builds the cloud's resource.
    """

    def normalise(raw: Any, index: Any) -> list[Any]:
        if spec.only_if and not _present(raw.get(spec.only_if[0]), spec.only_if[1]):
            return []
        enc, key = encryption_of(spec, raw.type, raw.get, raw.is_configured,
                                 lambda path: key_of(index, raw, path), lambda: inherited(raw, index, spec))
        attrs: dict[str, Any] = {"store_type": spec.store_type, "encryption": enc}
        if spec.transit:
            attrs["transport"] = {"tls_required": _tls_required(spec, raw), "min_tls_version": None}
        rid = f"{raw.address}/{spec.part}" if spec.part else raw.address
        value = raw.get(spec.name)
        name = value if isinstance(value, str) and value else raw.name
        if spec.part:
            name = f"{name} ({spec.part})"
        out = [res(raw, index, Kind.DATASTORE, attrs, name=name, rid=rid)]
        if isinstance(key, str):
            out.append(edge(rid, key, EdgeKind.ENCRYPTED_BY))
        return out

    return normalise


def _tls_required(spec: Store, raw: Any) -> Any:
    """``transport.tls_required`` from the row's transit switch (its unset value is the row's default)."""
    assert spec.transit is not None
    path, default = spec.transit
    value = raw.get(path)
    if value is UNKNOWN and raw.is_configured(path) is False:
        value = None
    if spec.transit_modes is None or value is UNKNOWN:
        return tri(value, default)
    return default if value in (None, "") else spec.transit_modes.get(_norm(value), UNKNOWN)


def with_parts(*fns: Callable[[Any, Any], Any]) -> Callable[[Any, Any], list[Any]]:
    """One normaliser from several: the resource's own and the parts judged from a table row."""

    def normalise(raw: Any, index: Any) -> list[Any]:
        return [item for fn in fns for item in fn(raw, index)]

    return normalise
