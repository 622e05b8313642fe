"""TLS-in-transit facts about AWS resources, shared by the live and Terraform sources.

Pure functions over parsed values; a value from HCL may be UNKNOWN, and every answer is then True / False /
UNKNOWN (Kleene logic), so one reading serves a plan and a live account alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from posture.model import UNKNOWN
from posture.providers.s3_public import statements
from posture.providers.terraform.common import json_document


def policy_denies_http(policy: Any) -> Any:
    """Whether a resource policy (JSON text, or from HCL an object with unknown leaves) has a Deny statement
    for requests with ``aws:SecureTransport`` false (S3, SQS and SNS all use this pattern)."""
    sts = statements(json_document(policy))
    if sts is UNKNOWN:
        return UNKNOWN
    verdict: Any = False
    for st in sts:
        if not isinstance(st, Mapping):
            verdict = UNKNOWN
            continue
        effect = st.get("Effect")
        cond = st.get("Condition") or {}
        values = [
            v
            for op in ("Bool", "BoolIfExists")
            for value in [cond.get(op).get("aws:SecureTransport") if isinstance(cond.get(op), Mapping) else None]
            for v in (value if isinstance(value, list) else [value])
        ]
        if effect is UNKNOWN or cond is UNKNOWN or UNKNOWN in values:
            verdict = UNKNOWN
        elif effect == "Deny" and any(str(v).lower() == "false" for v in values if v is not None):
            return True
    return verdict


def policies_deny_http(policies: Iterable[Any]) -> Any:
    """True when one of the resource's policies denies aws:SecureTransport = false; False for none."""
    verdicts = [policy_denies_http(p) for p in policies]
    return True if True in verdicts else (UNKNOWN if any(v is UNKNOWN for v in verdicts) else False)


def origin_tls(origin_policies: Iterable[Any], http_redirect: Any) -> Any:
    """Whether a CloudFront distribution reaches every custom origin over HTTPS.

    ``origin_policies`` holds the ``origin_protocol_policy`` of each *custom* origin (S3 and other AWS
    origins are not judged); ``http_redirect`` is whether the viewer's plain-HTTP side redirects (None when
    every behaviour is https-only). ``match-viewer`` forwards plain HTTP when viewers may use it. None when
    there is no custom origin.
    """
    verdicts = []
    for policy in origin_policies:
        if policy == "match-viewer":
            verdicts.append(UNKNOWN if http_redirect is UNKNOWN else http_redirect is not False)
        else:
            verdicts.append(policy == "https-only" if policy in ("https-only", "http-only") else UNKNOWN)
    if False in verdicts:
        return False
    return UNKNOWN if UNKNOWN in verdicts else (True if verdicts else None)
