"""Connections AWS services make to their backends, read live through boto3 against moto (classic ELB leg to
its instances) and judged by POSTURE-TLS-010 alike from the live and Terraform sources."""

from __future__ import annotations

import boto3
from moto import mock_aws

import posture
from posture.model import UNKNOWN
from posture.providers.aws import AwsOptions, collect_aws
from posture.providers.aws.facts.transport import elb_backend_tls
from tests.helpers.aws_estate import REGION


def test_backend_tls_of_a_classic_listener():
    assert elb_backend_tls("https", "http") is False
    assert elb_backend_tls("ssl", "tcp") is False  # TLS ends on the load balancer, plain TCP behind it
    assert elb_backend_tls("http", "http") is False
    assert elb_backend_tls("https", "https") is True
    assert elb_backend_tls("tcp", "ssl") is True
    assert elb_backend_tls("tcp", "tcp") is None  # passed through: the code does not decide it
    assert elb_backend_tls(UNKNOWN, "http") is UNKNOWN


@mock_aws
def test_live_classic_listeners_carry_their_backend_connection():
    session = boto3.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
    session.client("elb").create_load_balancer(
        LoadBalancerName="legacy", AvailabilityZones=[f"{REGION}a"],
        Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstanceProtocol": "HTTP", "InstancePort": 8080},
                   {"Protocol": "TCP", "LoadBalancerPort": 443, "InstanceProtocol": "TCP", "InstancePort": 443}])
    inventory = collect_aws(AwsOptions(session=session, regions=[REGION], services=["elb"]))
    backends = {r.id.rsplit("/", 3)[-2]: r for r in inventory.resources if r.kind == "connection"}
    assert backends["80"].attrs["transport"]["tls_required"] is False
    assert backends["80"].attrs["protocol"] == "http"
    assert backends["443"].attrs["transport"]["tls_required"] is None
    assert all(r.native_type == "elb.listener.backend" for r in backends.values())

    result = posture.scan_inventory(inventory)
    failing = {f.resource.id for f in result.findings if f.rule_id == "POSTURE-TLS-010" and f.status == "open"}
    assert failing == {backends["80"].id}


def _pem(not_after):
    from datetime import datetime, timezone

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "legacy.example")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(7).not_valid_before(datetime(2022, 1, 1, tzinfo=timezone.utc))
            .not_valid_after(not_after).sign(key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    return pem, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                  serialization.NoEncryption()).decode()


@mock_aws
def test_live_iam_server_certificates_are_read_from_their_body():
    from datetime import datetime, timezone

    session = boto3.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
    iam = session.client("iam")
    for name, until in (("expired", datetime(2024, 1, 1, tzinfo=timezone.utc)),
                        ("current", datetime(2040, 1, 1, tzinfo=timezone.utc))):
        body, key = _pem(until)
        iam.upload_server_certificate(ServerCertificateName=name, CertificateBody=body, PrivateKey=key)
    inventory = collect_aws(AwsOptions(session=session, regions=[REGION], services=["iam"]))
    certs = {r.name: r for r in inventory.resources if r.native_type == "iam.server_certificate"}
    assert certs["expired"].attrs["not_after"] == "2024-01-01T00:00:00Z"
    assert certs["expired"].attrs["key_bits"] == 2048 and certs["expired"].attrs["managed"] is False
    assert "PRIVATE KEY" not in repr(inventory.to_dict() if hasattr(inventory, "to_dict") else inventory)
    result = posture.scan_inventory(inventory)
    expiring = {f.resource.name for f in result.findings if f.rule_id == "POSTURE-KEY-006" and f.status == "open"}
    assert expiring == {"expired"}
