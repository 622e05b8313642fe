"""IAM server certificates of a Terraform plan (docs/model.md, ``certificate``).

A server certificate is uploaded with its body in the code: its key, signature hash and expiry are read from
the PEM (posture.providers.kit.pem), so the key-strength rules judge it as they judge ACM and Key Vault ones.
IAM never renews such a certificate (``managed`` is false).
"""

from __future__ import annotations

from collections.abc import Callable

from posture.model import Kind
from posture.providers.aws.terraform.common import Out, _first_str, _res
from posture.providers.kit.pem import certificate_facts
from posture.providers.terraform.plan_index import PlanIndex, RawResource


def _server_certificate(raw: RawResource, index: PlanIndex) -> Out:
    facts = certificate_facts(raw.get("certificate_body"))
    attrs = {**facts, "managed": False}
    return [_res(raw, index, Kind.CERTIFICATE, attrs, name=_first_str(raw.get("name"), raw.name))]


NORMALISERS: dict[str, Callable[[RawResource, PlanIndex], Out]] = {
    "aws_iam_server_certificate": _server_certificate,
}
"""Types this module normalises."""
