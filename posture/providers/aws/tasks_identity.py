"""Collection tasks for identity and audit: IAM (global) and CloudTrail (regional)."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

from posture.providers.aws.reader import Missing, Reader
from posture.providers.aws.session import SessionSpec

REPORT_WAIT_SECONDS = 20.0


def iam(spec: SessionSpec, account: str, region: str) -> dict[str, Any]:
    """Users with their policies and groups (one paged authorization-details read), the credential
    report (MFA and access-key ages of every user and of root, in one document), password policy, server
    certificates."""
    r = Reader(spec, account, region, "iam", "iam")
    details = r.pages_multi("get_account_authorization_details", ("UserDetailList", "GroupDetailList"),
                            Filter=["User", "Group"])
    r.put("iam.user", None if details is None else details["UserDetailList"])
    r.put("iam.group", None if details is None else details["GroupDetailList"])
    r.put("iam.credential_report", _credential_report(r))
    policy = r.call("get_account_password_policy", absent=("NoSuchEntity",))
    if policy is not None:
        r.put("iam.password_policy", [{"policy": None if isinstance(policy, Missing) else policy["PasswordPolicy"]}])
    r.put("iam.server_certificate", _server_certificates(r))
    return r.result()


def _server_certificates(r: Reader) -> list[dict[str, Any]] | None:
    """Uploaded server certificates with their public body (the private key never leaves IAM)."""
    certs = r.pages("list_server_certificates", "ServerCertificateMetadataList")
    for cert in certs or []:
        got = r.call("get_server_certificate", ServerCertificateName=cert["ServerCertificateName"],
                     target=cert["Arn"])
        if got is None:
            cert["_unread"] = ["body"]
        else:
            cert["CertificateBody"] = got.get("ServerCertificate", {}).get("CertificateBody")
    return certs


def _credential_report(r: Reader) -> list[dict[str, Any]] | None:
    deadline = time.monotonic() + REPORT_WAIT_SECONDS
    delay = 0.1
    while True:
        started = r.call("generate_credential_report")
        if started is None:
            return None
        if started.get("State") == "COMPLETE" or time.monotonic() > deadline:
            break
        time.sleep(delay)
        delay = min(delay * 2, 2.0)
    got = r.call("get_credential_report")
    if got is None:
        return None
    return list(csv.DictReader(io.StringIO(got["Content"])))


def cloudtrail(spec: SessionSpec, account: str, region: str) -> dict[str, Any]:
    """Trails whose home is this region, with their logging status."""
    r = Reader(spec, account, region, "cloudtrail", "cloudtrail")
    got = r.call("describe_trails", includeShadowTrails=False)
    if got is not None:
        trails = got.get("trailList", [])
        for trail in trails:
            status = r.call("get_trail_status", Name=trail["TrailARN"], target=trail["TrailARN"])
            trail["Status"] = status
            trail["_unread"] = ["status"] if status is None else []
        r.put("cloudtrail.trail", trails)
    return r.result()
