"""Provider knowledge as data: TLS policies, encryption and public-access defaults, key specs, ciphers.

The facts live in the YAML tables next to this module (``tls_policies.yaml``,
``encryption_defaults.yaml``, ``public_access_defaults.yaml``, ``network_access_defaults.yaml``, ``key_specs.yaml``,
``ciphers.yaml``...), each
entry with the documentation URL it was taken from. This module only loads them (once, with
``yaml.safe_load`` through :mod:`importlib.resources`, so it works from a wheel) and answers
questions about them. No provider fact is written as code here: adding a policy or a default is
a data change (see ``docs/knowledge.md``).

Every accessor returns a fresh copy, so callers may modify what they get; unknown names return
``None`` rather than raising.
"""

from __future__ import annotations

import copy
import hashlib
import re
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml

from posture.errors import PostureError

__all__ = [
    "TABLES",
    "TLS_VERSIONS",
    "KnowledgeError",
    "Strength",
    "cipher_strength",
    "classify_cipher",
    "default_tls_policy",
    "dh_group",
    "encryption_default",
    "encryption_defaults",
    "gcp_ssl_policy",
    "key_spec",
    "load_table",
    "normalise_tls_version",
    "public_access_default",
    "tls_families",
    "tls_policy",
    "tls_version_key",
    "validate",
]

TLS_VERSIONS: tuple[str, ...] = ("ssl2", "ssl3", "1.0", "1.1", "1.2", "1.3")
"""Every normalised protocol version, oldest first (the model's vocabulary)."""

TABLES: tuple[str, ...] = (
    "tls_policies", "encryption_defaults", "public_access_defaults", "key_specs", "ciphers", "network_defaults",
    "audit_logs", "dh_groups", "network_access_defaults", "identity_federation", "service_logs", "backups",
)
"""Names of the knowledge tables (``<name>.yaml`` in this package)."""

Strength = Literal["weak", "legacy", "strong"]
"""Cipher-suite strength classes, see ``ciphers.yaml``."""

_STRENGTHS: tuple[str, ...] = ("weak", "legacy", "strong")


class KnowledgeError(PostureError):
    """A knowledge table is missing or malformed (a packaging or editing mistake)."""


# --------------------------------------------------------------------------- loading


@cache
def _table(name: str) -> dict[str, Any]:
    if name not in TABLES:
        raise KnowledgeError(f"unknown knowledge table {name!r}; known: {', '.join(TABLES)}")
    filename = f"{name}.yaml"
    try:
        text = resources.files(__name__).joinpath(filename).read_text(encoding="utf-8")
    except FileNotFoundError as exc:  # pragma: no cover - packaging error
        raise KnowledgeError(f"posture/knowledge/{filename} is missing from the package") from exc
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # C loader: 10x faster
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"posture/knowledge/{filename}: {exc}") from exc
    if not isinstance(data, dict):
        raise KnowledgeError(f"posture/knowledge/{filename}: top level must be a mapping")
    return data


def load_table(name: str) -> dict[str, Any]:
    """Return a copy of the whole knowledge table ``name`` (one of :data:`TABLES`).

    Raises :class:`KnowledgeError` for an unknown name or a malformed file.
    """
    return copy.deepcopy(_table(name))


# --------------------------------------------------------------------------- TLS versions

_VERSION_RE = re.compile(
    r"^(?:(?P<proto>tls|ssl)[\s_\-]*v?[\s_\-]*(?P<major>\d)(?:[\s._\-]?(?P<minor>\d))?"
    r"|(?P<bmajor>\d)[._](?P<bminor>\d))$"
)


def normalise_tls_version(value: object) -> str | None:
    """Normalise a protocol version spelling to the model's vocabulary.

    Accepts the spellings providers use - ``"TLSv1.2"``, ``"TLS1_2"`` (Azure Storage),
    ``"TLS_1_2"`` (GCP), ``"TLSv1_2"`` (App Gateway), ``"tls1.2"``, ``"1.2"`` (Azure SQL / App
    Service), ``"TLSv1"``, ``"SSLv3"``, ``"Protocol-TLSv1.1"`` (Classic ELB attribute),
    ``"Tls12"`` - and returns ``"ssl2"``, ``"ssl3"``, ``"1.0"``, ``"1.1"``, ``"1.2"`` or
    ``"1.3"``. Returns ``None`` for anything else, including policy names that merely start with
    a version (CloudFront's ``"TLSv1.2_2021"`` is a policy, not a version) and ``"None"``.
    """
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if text.startswith("protocol-"):
        text = text[len("protocol-") :]
    match = _VERSION_RE.match(text)
    if match is None:
        return None
    if match.group("bmajor") is not None:
        proto, major, minor = "tls", match.group("bmajor"), match.group("bminor")
    else:
        proto, major, minor = match.group("proto"), match.group("major"), match.group("minor")
    if proto == "ssl":
        if minor not in (None, "0") or major not in ("2", "3"):
            return None
        return f"ssl{major}"
    candidate = f"{major}.{minor or '0'}"
    return candidate if candidate in TLS_VERSIONS else None


def tls_version_key(version: str) -> tuple[int, int]:
    """Sort key for protocol versions: ``ssl2 < ssl3 < 1.0 < 1.1 < 1.2 < 1.3``.

    Any spelling :func:`normalise_tls_version` accepts is allowed; anything else raises
    :class:`ValueError` (an unknown version must not silently sort as old or new).
    """
    norm = normalise_tls_version(version) if version not in TLS_VERSIONS else version
    if norm is None:
        raise ValueError(f"not a TLS/SSL protocol version: {version!r}")
    if norm.startswith("ssl"):
        return (0, int(norm[3:]))
    major, minor = norm.split(".")
    return (int(major), int(minor))


def _versions_from(minimum: str, supported: list[str]) -> list[str]:
    floor = tls_version_key(minimum)
    return sorted((v for v in supported if tls_version_key(v) >= floor), key=tls_version_key)


# --------------------------------------------------------------------------- TLS policies


def _families() -> dict[str, dict[str, Any]]:
    families = _table("tls_policies").get("families")
    if not isinstance(families, dict):
        raise KnowledgeError("posture/knowledge/tls_policies.yaml: 'families' must be a mapping")
    return families


def tls_families(provider: str | None = None) -> list[str]:
    """Names of the TLS policy families, optionally only those of ``provider``.

    Families: ``elbv2`` (ALB/NLB), ``elb`` (Classic), ``cloudfront``, ``app_gateway``,
    ``storage_min_tls``, ``sql_min_tls``, ``app_service_min_tls``, ``gcp_ssl_policy``.
    """
    want = provider.lower() if provider else None
    return [name for name, fam in _families().items() if want is None or fam.get("provider") == want]


def _family(provider: str, family: str) -> dict[str, Any] | None:
    fam = _families().get(family)
    if fam is None or fam.get("provider") != provider.lower():
        return None
    return fam


def _result(
    family_name: str,
    fam: dict[str, Any],
    name: str,
    versions: list[str],
    ciphers: list[str] | None,
    entry: dict[str, Any] | None = None,
    extra_note: str | None = None,
) -> dict[str, Any]:
    entry = entry or {}
    notes = [n for n in (entry.get("note"), extra_note) if n]
    return {
        "name": name,
        "family": family_name,
        "provider": fam["provider"],
        "versions": list(versions),
        "min_version": versions[0] if versions else None,
        "ciphers": list(ciphers) if ciphers is not None else None,
        "cipher_names": fam.get("cipher_names"),
        "source": entry.get("source") or fam["source"],
        "note": " ".join(str(n).strip() for n in notes) or None,
        "verified": bool(entry.get("verified", True)),
        "is_default": name == fam.get("default"),
        "platform_floor": copy.deepcopy(fam.get("platform_floor")),
    }


def _lookup_named(family_name: str, fam: dict[str, Any], name: str, *, lenient: bool) -> dict[str, Any] | None:
    policies: dict[str, Any] = fam.get("policies") or {}
    key = name if name in policies else next((k for k in policies if k.lower() == name.lower()), None)
    if key is None:
        return None
    entry = policies[key]
    return _result(family_name, fam, key, entry["versions"], entry.get("ciphers"), entry)


def _lookup_setting(family_name: str, fam: dict[str, Any], name: str, *, lenient: bool) -> dict[str, Any] | None:
    settings: dict[str, str] = fam.get("settings") or {}
    key = name if name in settings else next((k for k in settings if k.lower() == name.lower()), None)
    if key is None and lenient:
        wanted = normalise_tls_version(name)
        key = next((k for k, v in settings.items() if wanted is not None and v == wanted), None)
    if key is None:
        return None
    versions = _versions_from(settings[key], fam["supported_versions"])
    res = _result(family_name, fam, key, versions, None)
    res["note"] = fam.get("default_note") if res["is_default"] else None
    res["setting"] = key
    return res


def _lookup_gcp(family_name: str, fam: dict[str, Any], name: str, *, lenient: bool) -> dict[str, Any] | None:
    profile, _, minimum = name.replace("/", ":").partition(":")
    return gcp_ssl_policy(profile, minimum or None)


_LOOKUPS = {"min_setting": _lookup_setting, "gcp": _lookup_gcp}


def tls_policy(provider: str, name: str, family: str | None = None) -> dict[str, Any] | None:
    """Resolve a predefined TLS policy (or minimum-TLS setting) to the versions it accepts.

    Returns ``{"name", "family", "provider", "versions", "min_version", "ciphers", "cipher_names",
    "source", "note", "verified", "is_default", "platform_floor"}`` or ``None`` when the name is
    unknown. ``versions`` is ascending; ``ciphers`` is ``None`` when the table does not record the
    list (treat as unknown, never as "no ciphers"). ``verified`` is false for entries recorded
    from memory. ``platform_floor`` is set where the provider stopped accepting old versions
    platform-wide after a date (the configured value is still reported as configured).

    ``family`` picks one of :func:`tls_families`; without it the provider's families are searched
    in table order by exact (then case-insensitive) name - pass it when a name exists in several
    families (``ELBSecurityPolicy-2015-05`` differs between ``elbv2`` and ``elb``). Minimum-TLS
    families take the provider's enum value (``"TLS1_2"``, ``"1.2"``, ``"None"``); with an explicit
    family any version spelling is accepted too. GCP names are ``"PROFILE"`` or
    ``"PROFILE:MIN_TLS_VERSION"``.
    """
    if not name:
        return None
    if family is not None:
        fam = _family(provider, family)
        if fam is None:
            return None
        return _LOOKUPS.get(fam.get("kind", ""), _lookup_named)(family, fam, name, lenient=True)
    for fam_name in tls_families(provider):
        fam = _families()[fam_name]
        found = _LOOKUPS.get(fam.get("kind", ""), _lookup_named)(fam_name, fam, name, lenient=False)
        if found is not None:
            return found
    return None


def default_tls_policy(provider: str, family: str, *, api_version: str | None = None) -> dict[str, Any] | None:
    """The policy in force when a listener/proxy/resource of ``family`` sets none.

    ELBv2 and Classic ELB: ``ELBSecurityPolicy-2016-08`` (API/CLI/IaC default); CloudFront:
    ``TLSv1`` (forced with the default certificate); App Gateway: depends on the ARM
    ``api_version`` the gateway was created with - without it the older, weaker default is
    assumed so no finding is hidden; GCP: ``COMPATIBLE`` with minimum TLS 1.0; Azure minimum-TLS
    settings: the documented interpretation of an unset value. The result carries
    ``is_default: True`` and the family's ``default_note``. ``None`` for an unknown family.
    """
    fam = _family(provider, family)
    if fam is None:
        return None
    default = fam.get("default")
    if api_version:
        for rule in fam.get("default_by_api_version") or []:
            before, start = rule.get("before"), rule.get("from")
            if (before is not None and api_version < str(before)) or (start is not None and api_version >= str(start)):
                default = rule["policy"]
    if not default:
        return None
    result = tls_policy(provider, str(default), family)
    if result is None:  # pragma: no cover - guarded by validate()
        raise KnowledgeError(f"tls_policies.yaml: default {default!r} of family {family!r} is not defined")
    result["is_default"] = True
    result["note"] = fam.get("default_note") or result["note"]
    return result


def gcp_ssl_policy(
    profile: str,
    min_tls_version: str | None = None,
    custom_features: list[str] | tuple[str, ...] | None = None,
) -> dict[str, Any] | None:
    """Resolve a GCP SSL policy (``profile`` x ``min_tls_version``) to versions and ciphers.

    ``profile`` is ``COMPATIBLE``, ``MODERN``, ``RESTRICTED``, ``FIPS_202205`` or ``CUSTOM``;
    ``min_tls_version`` is ``TLS_1_0`` ... ``TLS_1_3`` (any spelling :func:`normalise_tls_version`
    accepts; ``None`` means the API default, TLS 1.0). For ``CUSTOM`` pass the policy's
    ``customFeatures`` as ``custom_features`` or the cipher list is unknown (``None``). TLS 1.3
    suites are always enabled. Profiles whose suites exist only in TLS 1.2 raise the effective
    minimum to 1.2. Returns ``None`` for an unknown profile or version.
    """
    fam = _families().get("gcp_ssl_policy")
    if fam is None or not profile:
        return None
    profiles: dict[str, Any] = fam["profiles"]
    prof_key = profile.strip().upper()
    prof = profiles.get(prof_key)
    if prof is None:
        return None
    min_key = (min_tls_version or "TLS_1_0").strip().upper()
    table: dict[str, str] = fam["min_tls_versions"]
    minimum = table.get(min_key)
    if minimum is None:
        norm = normalise_tls_version(min_key)
        min_key = next((k for k, v in table.items() if v == norm), "")
        minimum = table.get(min_key)
    if minimum is None:
        return None
    effective = minimum
    floor = prof.get("effective_min_version")
    if floor and tls_version_key(floor) > tls_version_key(minimum):
        effective = floor
    versions = _versions_from(effective, fam["supported_versions"])
    pre13 = list(custom_features) if custom_features is not None else prof.get("pre13_ciphers")
    ciphers: list[str] | None
    if versions == ["1.3"]:
        ciphers = list(fam["tls13_ciphers"])
    elif pre13 is None:
        ciphers = None
    else:
        ciphers = list(fam["tls13_ciphers"]) + [c for c in pre13 if c not in fam["tls13_ciphers"]]
    name = f"{prof_key}:{min_key}"
    extra = None
    if effective != minimum:
        extra = f"Effective minimum is TLS {effective} although min_tls_version is {min_key}."
    result = _result("gcp_ssl_policy", fam, name, versions, ciphers, prof, extra)
    result["profile"] = prof_key
    result["min_tls_version"] = min_key
    return result


# --------------------------------------------------------------------------- encryption defaults


@cache
def _defaults_index(table: str) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Entries of a defaults table by id and by native type (first entry naming a type wins)."""
    by_id: dict[str, dict[str, Any]] = {}
    by_type: dict[str, dict[str, Any]] = {}
    for entry in _table(table).get("defaults") or []:
        by_id[str(entry["id"])] = entry
        for native in entry.get("applies_to") or []:
            by_type.setdefault(str(native), entry)
    return by_id, by_type


def encryption_defaults() -> list[dict[str, Any]]:
    """Every encryption-at-rest default entry (copies), in table order."""
    return copy.deepcopy(list(_table("encryption_defaults").get("defaults") or []))


def encryption_default(id_or_native_type: str) -> dict[str, Any] | None:
    """The encryption-at-rest default by entry id (``"aws.s3.sse_s3"``) or native type.

    Native types are Terraform (``aws_s3_bucket``), CloudFormation (``AWS::S3::Bucket``), ARM
    (``Microsoft.Storage/storageAccounts``) or GCP API (``compute.v1.disk``) names, matched
    exactly, then case-insensitively. The entry has ``at_rest`` (``False`` means the provider
    does *not* encrypt by default), ``algorithm``, ``key_manager``, ``since``, ``source``,
    ``applies_to`` and ``note``. ``None`` when nothing is recorded - which must be read as
    "unknown", never as "encrypted".
    """
    if not id_or_native_type:
        return None
    by_id, by_type = _defaults_index("encryption_defaults")
    entry = by_id.get(id_or_native_type) or by_type.get(id_or_native_type)
    if entry is None:
        low = id_or_native_type.lower()
        entry = next((e for k, e in by_type.items() if k.lower() == low), None)
        entry = entry or next((e for k, e in by_id.items() if k.lower() == low), None)
    return copy.deepcopy(entry) if entry is not None else None


# --------------------------------------------------------------------------- public access defaults


def public_access_default(id_or_native_type: str) -> dict[str, Any] | None:
    """The public-read default of an object store by entry id or native type (``aws_s3_bucket``,
    ``Microsoft.Storage/storageAccounts``, ``storage.v1.bucket`` ...).

    The entry has ``public`` (``False``: a new resource is not publicly readable), ``since``, ``scope``,
    ``protection``, ``source``, ``note`` and, where a Terraform provider sends its own value instead of the
    platform default, ``terraform_defaults: {type: {attribute: value}}``. ``None`` when nothing is recorded.
    """
    if not id_or_native_type:
        return None
    by_id, by_type = _defaults_index("public_access_defaults")
    entry = by_id.get(id_or_native_type) or by_type.get(id_or_native_type)
    return copy.deepcopy(entry) if entry is not None else None


# --------------------------------------------------------------------------- key specs


def key_spec(provider: str, spec: str, service: str | None = None) -> dict[str, Any] | None:
    """Resolve a provider key spec to ``{"algorithm", "bits", "usage", ...}``.

    ``provider`` is ``aws`` (services ``kms``, ``acm``), ``gcp`` (``kms``) or ``azure``
    (``key_vault``: key types such as ``RSA-HSM`` and curve names such as ``P-256``). Without
    ``service`` the provider's services are searched in table order. ``algorithm`` is
    ``"AES-256"``, ``"AES-128"``, ``"RSA"``, ``"EC"``, ``"HMAC"``, ...; ``bits`` is ``None`` when
    the spec does not fix the size (Azure RSA keys: read ``key_size``); ``usage`` is the list of
    usages the spec allows. ``None`` for an unknown spec.
    """
    if not spec:
        return None
    services: dict[str, Any] = (_table("key_specs").get("providers") or {}).get(provider.lower()) or {}
    names = [service] if service else list(services)
    for svc in names:
        table = services.get(svc)
        if not table:
            continue
        specs: dict[str, Any] = table.get("specs") or {}
        key = spec if spec in specs else next((k for k in specs if k.lower() == spec.lower()), None)
        if key is None:
            continue
        result: dict[str, Any] = copy.deepcopy(specs[key])
        result.update({"provider": provider.lower(), "service": svc, "spec": key, "source": table["source"]})
        result.setdefault("note", None)
        return result
    return None


# --------------------------------------------------------------------------- ciphers


@cache
def _cipher_rules() -> tuple[tuple[re.Pattern[str], str, str], ...]:
    data = _table("ciphers")
    rules = []
    for rule in data.get("rules") or []:
        strength = rule["strength"]
        if strength not in _STRENGTHS:
            raise KnowledgeError(f"ciphers.yaml: unknown strength {strength!r}")
        rules.append((re.compile(rule["pattern"]), strength, rule.get("reason", "")))
    return tuple(rules)


def classify_cipher(name: str) -> dict[str, str]:
    """Classify a cipher suite and say why: ``{"name", "strength", "reason", "source"}``.

    See :func:`cipher_strength`.
    """
    data = _table("ciphers")
    text = (name or "").strip().upper()
    for pattern, strength, reason in _cipher_rules():
        if text and pattern.search(text):
            return {"name": name, "strength": strength, "reason": reason, "source": data["source"]}
    return {
        "name": name,
        "strength": str(data.get("default", "legacy")),
        "reason": "not recognised by the classification table",
        "source": data["source"],
    }


def cipher_strength(name: str) -> Strength:
    """``"weak"``, ``"legacy"`` or ``"strong"`` for an OpenSSL- or IANA-named cipher suite.

    weak: NULL, EXPORT, RC4, RC2, DES/3DES, MD5, anonymous key exchange. strong: TLS 1.3 suites
    and forward-secret (EC)DHE key exchange with AES-GCM or ChaCha20-Poly1305. legacy: CBC-mode
    and static-RSA suites, and anything unrecognised (never reported as strong by default).
    """
    strength = classify_cipher(name)["strength"]
    if strength == "weak":
        return "weak"
    if strength == "strong":
        return "strong"
    return "legacy"


def dh_group(prime: int) -> dict[str, Any]:
    """What is known about a Diffie-Hellman prime: ``{"bits", "common", "name", "weak", "source"}``.

    ``common`` is true when the prime is a published, widely shared group (``dh_groups.yaml``);
    ``weak`` when it is shorter than the table's ``min_bits``.
    """
    data = _table("dh_groups")
    raw = prime.to_bytes(max(1, (prime.bit_length() + 7) // 8), "big")
    digest = hashlib.sha256(raw).hexdigest()
    hit = next((g for g in data["groups"] if g["sha256"] == digest), None)
    bits = prime.bit_length()
    return {"bits": bits, "common": hit is not None, "name": hit["name"] if hit else None,
            "weak": bits < int(data["min_bits"]), "source": hit["source"] if hit else data["source"]}


# --------------------------------------------------------------------------- validation

_SINCE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def _sources(node: Any, where: str = "") -> list[tuple[str, Any]]:
    """Every ``source`` or ``*_sources`` value under ``node`` with its dotted place (top-level ``source`` required)."""
    found: list[tuple[str, Any]] = [] if where else [("source", node.get("source"))]
    for key, value in node.items():
        place = f"{where}.{key}" if where else key
        if key == "source" and where:
            found.append((place, value))
        elif key.endswith("sources") and isinstance(value, list):
            found += [(place, u) for u in value]
        elif isinstance(value, dict):
            found += _sources(value, place)
    return found


def validate() -> list[str]:
    """Check every table for the rules in ``docs/knowledge.md``; return the problems found.

    An empty list means the tables are consistent: each TLS policy has a source and a non-empty,
    ascending, known version list; each family default exists; each encryption default has an id,
    ``at_rest``, a ``since`` date and a source; each key spec has an algorithm and usage; each
    cipher rule compiles.
    """
    problems: list[str] = []
    for fam_name, fam in _families().items():
        where = f"tls_policies.yaml: {fam_name}"
        if fam.get("provider") not in ("aws", "azure", "gcp"):
            problems.append(f"{where}: bad provider {fam.get('provider')!r}")
        if not str(fam.get("source", "")).startswith("https://"):
            problems.append(f"{where}: missing https source")
        kind = fam.get("kind")
        if kind == "min_setting":
            for key, ver in (fam.get("settings") or {}).items():
                if ver not in TLS_VERSIONS:
                    problems.append(f"{where}: setting {key!r} maps to unknown version {ver!r}")
            names = list(fam.get("settings") or {})
        elif kind == "gcp":
            names = [f"{p}:{m}" for p in fam.get("profiles") or {} for m in fam.get("min_tls_versions") or {}]
        else:
            names = list(fam.get("policies") or {})
            for pname, entry in (fam.get("policies") or {}).items():
                versions = entry.get("versions") or []
                if not versions:
                    problems.append(f"{where}: {pname}: no versions")
                elif any(v not in TLS_VERSIONS for v in versions):
                    problems.append(f"{where}: {pname}: unknown version in {versions}")
                elif versions != sorted(versions, key=tls_version_key) or len(set(versions)) != len(versions):
                    problems.append(f"{where}: {pname}: versions not ascending/unique")
                ciphers = entry.get("ciphers")
                if ciphers is not None and (not isinstance(ciphers, list) or not ciphers):
                    problems.append(f"{where}: {pname}: ciphers must be a non-empty list or null")
        if fam.get("default") is not None and fam.get("default") not in names:
            problems.append(f"{where}: default {fam.get('default')!r} is not defined")
    seen_types: dict[str, str] = {}
    for entry in _table("encryption_defaults").get("defaults") or []:
        ident = str(entry.get("id"))
        where = f"encryption_defaults.yaml: {ident}"
        for field in ("provider", "service", "at_rest", "since", "source", "applies_to", "note"):
            if entry.get(field) in (None, "", []):
                problems.append(f"{where}: missing {field}")
        if not isinstance(entry.get("at_rest"), bool):
            problems.append(f"{where}: at_rest must be true or false")
        if entry.get("at_rest") and entry.get("key_manager") != "provider":
            problems.append(f"{where}: a provider default must have key_manager: provider")
        if not _SINCE_RE.match(str(entry.get("since", ""))):
            problems.append(f"{where}: since must be an ISO date string (YYYY[-MM[-DD]])")
        if not str(entry.get("source", "")).startswith("https://"):
            problems.append(f"{where}: source must be an https URL")
        if not all(str(u).startswith("https://") for u in entry.get("sources") or []):
            problems.append(f"{where}: sources must be https URLs")
        for native in entry.get("applies_to") or []:
            if native in seen_types:
                problems.append(f"{where}: {native} already covered by {seen_types[native]}")
            seen_types[native] = ident
    seen_types = {}
    for entry in _table("public_access_defaults").get("defaults") or []:
        where = f"public_access_defaults.yaml: {entry.get('id')}"
        for field in ("id", "provider", "service", "since", "scope", "protection", "source", "applies_to", "note"):
            if entry.get(field) in (None, "", []):
                problems.append(f"{where}: missing {field}")
        if not isinstance(entry.get("public"), bool):
            problems.append(f"{where}: public must be true or false")
        if not _SINCE_RE.match(str(entry.get("since", ""))):
            problems.append(f"{where}: since must be an ISO date string (YYYY[-MM[-DD]])")
        urls = [entry.get("source"), *(entry.get("sources") or [])]
        if entry.get("terraform_defaults"):
            urls.append(entry.get("terraform_source"))
        if not all(str(u or "").startswith("https://") for u in urls):
            problems.append(f"{where}: sources must be https URLs (terraform_defaults need terraform_source)")
        for native in entry.get("applies_to") or []:
            if native in seen_types:
                problems.append(f"{where}: {native} already covered by {seen_types[native]}")
            seen_types[native] = str(entry.get("id"))
    for native, entry in (_table("network_access_defaults").get("types") or {}).items():
        where = f"network_access_defaults.yaml: {native}"
        urls = [entry.get("source"), *(entry.get("sources") or [])]
        if not all(str(u or "").startswith("https://") for u in urls):
            problems.append(f"{where}: sources must be https URLs")
        if entry.get("provider") not in ("aws", "azure", "gcp") or not entry.get("gates"):
            problems.append(f"{where}: needs a provider and gates")
        for gate in entry.get("gates") or []:
            if not (("attr" in gate and "unset" in gate and gate.get("closed")) or "listed" in gate):
                problems.append(f"{where}: a gate needs attr, unset and closed, or listed")
    for issuer, entry in (_table("identity_federation").get("multi_tenant_issuers") or {}).items():
        if not str(issuer).startswith("https://") or not str((entry or {}).get("source", "")).startswith("https://"):
            problems.append(f"identity_federation.yaml: {issuer}: an https issuer with an https source")
    for prov, services in (_table("key_specs").get("providers") or {}).items():
        for svc, table in services.items():
            if not str(table.get("source", "")).startswith("https://"):
                problems.append(f"key_specs.yaml: {prov}.{svc}: missing https source")
            for spec, entry in (table.get("specs") or {}).items():
                if "algorithm" not in entry or not entry.get("usage"):
                    problems.append(f"key_specs.yaml: {prov}.{svc}.{spec}: needs algorithm and usage")
    try:
        _cipher_rules()
    except (re.error, KeyError, KnowledgeError) as exc:
        problems.append(f"ciphers.yaml: {exc}")
    for name, section, body in [(n, k, v) for n in ("network_defaults", "audit_logs") for k, v in _table(n).items()]:
        if isinstance(body, dict):  # every section has a source; nested entries may add their own
            problems += [f"{name}.yaml: {section}: {where}: sources must be https URLs"
                         for where, url in _sources(body) if not str(url or "").startswith("https://")]
    return problems
