"""Who can read an S3 bucket: bucket policies and ACL grants, shared by the live and Terraform sources.

Pure functions over parsed documents; a document from HCL may hold UNKNOWN leaves, and every answer is then
True / False / UNKNOWN (Kleene logic). "Public" follows S3's own meaning (Block Public Access, "The meaning of
public"): a statement granting to anyone is not public when a condition pins a fixed value of a key that names
the caller's network, organisation, account or source.
"""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Any

from posture.knowledge.network import DEFAULT_ROUTES
from posture.model import UNKNOWN
from posture.providers.kit.values import all_of, any_of, not_

# Actions that read data: a statement allowing any of them (directly or through a wildcard) exposes objects.
READ_ACTIONS = ("s3:getobject", "s3:getobjectversion", "s3:listbucket", "s3:listbucketversions")

# Condition keys whose fixed value limits a statement to known callers (S3 "The meaning of public", plus the
# organisation / account keys S3 and IAM Access Analyzer treat the same way).
RESTRICTING_KEYS = frozenset({
    "aws:sourceip", "aws:sourcevpc", "aws:sourcevpce", "aws:sourcearn", "aws:sourceaccount", "aws:sourceowner",
    "aws:sourceorgid", "aws:sourceorgpaths", "aws:principalorgid", "aws:principalorgpaths", "aws:principalaccount",
    "aws:principalarn", "aws:userid", "s3:dataaccesspointarn", "s3:dataaccesspointaccount",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
})
# Operators that match only the listed values (IfExists variants also match requests without the key, and
# anonymous requests lack most of them, so they restrict nothing; negated operators restrict in Deny statements).
_POSITIVE_OPS = frozenset({"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike",
                           "ipaddress"})
_NEGATED_OPS = frozenset({"stringnotequals", "stringnotequalsignorecase", "stringnotlike", "arnnotequals",
                          "arnnotlike", "notipaddress"})
ALL_USERS_URIS = frozenset({
    "http://acs.amazonaws.com/groups/global/allusers",
    "http://acs.amazonaws.com/groups/global/authenticatedusers",
})
READ_PERMISSIONS = frozenset({"read", "full_control"})
PUBLIC_CANNED_ACLS = frozenset({"public-read", "public-read-write", "authenticated-read"})


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _anyone(st: Mapping[str, Any]) -> Any:
    """Whether a statement's principal is everyone (``*``, ``{"AWS": "*"}``, a wildcard account, NotPrincipal)."""
    if "NotPrincipal" in st:
        return True  # Allow with NotPrincipal grants to everyone but the listed principals
    principal = st.get("Principal")
    if principal is UNKNOWN:
        return UNKNOWN
    if isinstance(principal, Mapping):
        values = [v for key in ("AWS", "CanonicalUser") for v in _as_list(principal.get(key))]
    else:
        values = _as_list(principal)
    return any_of(UNKNOWN if v is UNKNOWN else (isinstance(v, str) and "*" in v) for v in values)


def _reads(st: Mapping[str, Any]) -> Any:
    """Whether a statement covers an object read (Action patterns, or everything outside NotAction)."""
    key, negated = ("NotAction", True) if "NotAction" in st else ("Action", False)
    patterns = st.get(key)
    if patterns is UNKNOWN or any(p is UNKNOWN for p in _as_list(patterns)):
        return UNKNOWN
    lowered = [p.lower() for p in _as_list(patterns) if isinstance(p, str)]
    covered = [any(fnmatchcase(a, p) for p in lowered) for a in READ_ACTIONS]
    return not all(covered) if negated else any(covered)


def _fixed(value: Any, key: str) -> bool:
    """A condition value pins a caller: no wildcard or policy variable (an unknown value is some fixed id)."""
    if value is UNKNOWN:
        return True
    if not isinstance(value, str) or "*" in value or "?" in value or "${" in value:
        return False
    if key == "aws:sourceip":
        return value not in DEFAULT_ROUTES
    if key == "aws:userid":
        return not value.endswith(":*")
    return True


def _restricts(condition: Any, operators: frozenset[str]) -> Any:
    """Whether a Condition block pins a restricting key with one of ``operators``."""
    if condition is UNKNOWN:
        return UNKNOWN
    if not isinstance(condition, Mapping):
        return False
    verdicts = []
    for op, tests in condition.items():
        base = op.lower().split(":")[-1]  # ForAnyValue:/ForAllValues: prefixes
        if tests is UNKNOWN:
            verdicts.append(UNKNOWN if base in operators else False)
            continue
        if base not in operators or not isinstance(tests, Mapping):
            continue
        for key, value in tests.items():
            values = _as_list(value)
            if key.lower() in RESTRICTING_KEYS and values and all(_fixed(v, key.lower()) for v in values):
                verdicts.append(True)
    return any_of(verdicts)


def statements(doc: Any) -> Any:
    """The statements of a parsed policy document; UNKNOWN when they cannot be known; [] for no document."""
    if doc is UNKNOWN:
        return UNKNOWN
    if not isinstance(doc, Mapping):
        return []
    sts = doc.get("Statement")
    if sts is UNKNOWN:
        return UNKNOWN
    return [sts] if isinstance(sts, Mapping) else list(sts) if isinstance(sts, (list, tuple)) else []


def policy_public(doc: Any) -> Any:
    """Whether a bucket policy lets anyone read objects.

    True when an Allow statement grants a read action to everyone without a restricting condition and no Deny
    statement for everyone limits reads to pinned callers (the common "deny unless from my VPC endpoint").
    """
    return _public(doc, _reads)


def policy_grants_anyone(doc: Any) -> Any:
    """Whether any resource policy (queue, topic, repository, secret, vault...) allows anyone any action, by the
    same meaning of public as S3's."""
    return _public(doc, lambda st: True)


def _public(doc: Any, covers: Any) -> Any:
    sts = statements(doc)
    if sts is UNKNOWN:
        return UNKNOWN
    allows, fences = [], []
    for st in sts:
        if not isinstance(st, Mapping):
            allows.append(UNKNOWN)
            continue
        effect = st.get("Effect")
        if effect is UNKNOWN:
            allows.append(UNKNOWN)
        elif effect == "Allow":
            allows.append(all_of(_anyone(st), covers(st), not_(_restricts(st.get("Condition"), _POSITIVE_OPS))))
        elif effect == "Deny":
            fences.append(all_of(_anyone(st), covers(st), _restricts(st.get("Condition"), _NEGATED_OPS)))
    return all_of(any_of(allows), not_(any_of(fences)))


def acl_grant_public(grantee_uri: Any, permission: Any) -> Any:
    """Whether one ACL grant gives read access to the AllUsers / AuthenticatedUsers groups."""
    to_all = UNKNOWN if grantee_uri is UNKNOWN else str(grantee_uri or "").lower() in ALL_USERS_URIS
    reads = UNKNOWN if permission is UNKNOWN else str(permission or "").lower() in READ_PERMISSIONS
    return all_of(to_all, reads)
