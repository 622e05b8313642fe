"""EMR security configurations of a Terraform plan (docs/model.md, ``datastore``).

An EMR security configuration is a JSON document that clusters name: it decides whether their local disks are
encrypted (``EnableAtRestEncryption`` with a ``LocalDiskEncryptionConfiguration``) and whether data moves
between their nodes over TLS (``EnableInTransitEncryption``). Both default to off. The configuration is
normalised as the ``block_volume`` store of the clusters' local disks; what lands in S3 is S3's (encrypted by
default since 2023-01, knowledge entry ``aws.s3.sse_s3``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from posture.model import UNKNOWN, Kind
from posture.providers.aws.terraform.common import Out, _first_str, _res
from posture.providers.kit.builders import customer_key, encryption, unknown_encryption
from posture.providers.terraform.plan_index import PlanIndex, RawResource


def _document(raw: RawResource) -> Any:
    """The parsed configuration: a mapping, UNKNOWN (not known yet or not JSON) or None (unset)."""
    text = raw.get("configuration")
    if text is UNKNOWN or text is None:
        return text
    if isinstance(text, Mapping):
        return text
    try:
        doc = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return UNKNOWN
    return doc if isinstance(doc, Mapping) else UNKNOWN


def _local_disks(config: Mapping[str, Any]) -> dict[str, Any]:
    at_rest = config.get("EnableAtRestEncryption")
    local = (config.get("AtRestEncryptionConfiguration") or {}).get("LocalDiskEncryptionConfiguration")
    if at_rest is not True or not isinstance(local, Mapping):
        return encryption(False, basis="explicit")
    provider = str(local.get("EncryptionKeyProviderType", ""))
    if provider == "AwsKms":
        return customer_key(local.get("AwsKmsKey"))
    return customer_key(None) if provider == "Custom" else unknown_encryption()


def _emr_security_configuration(raw: RawResource, index: PlanIndex) -> Out:
    doc = _document(raw)
    if doc is UNKNOWN:
        enc, in_cluster = unknown_encryption(), UNKNOWN
    else:
        config = (doc or {}).get("EncryptionConfiguration") or {}
        enc = _local_disks(config)
        in_cluster = config.get("EnableInTransitEncryption") is True
    attrs = {"store_type": "block_volume", "encryption": enc,
             "transport": {"tls_required": None, "min_tls_version": None, "in_cluster_tls": in_cluster}}
    return [_res(raw, index, Kind.DATASTORE, attrs, name=_first_str(raw.get("name"), raw.name))]


NORMALISERS: dict[str, Callable[[RawResource, PlanIndex], Out]] = {
    "aws_emr_security_configuration": _emr_security_configuration,
}
"""Types this module normalises."""
