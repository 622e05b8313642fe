"""access_logs / log_role normalisation (POSTURE-LOG-007) beyond the labelled corpus: unknown blocks and the
bucket roles of a real plan."""
from posture.model import UNKNOWN
from posture.providers.terraform import load_terraform
from posture.providers.terraform.plan import load_plan
from tests.helpers.paths import FIXTURES


def test_blocks_from_an_unset_variable_are_unknown_not_errors():
    inv = load_terraform(FIXTURES / "access_logs" / "unknown.tf")
    assert [g for g in inv.gaps if g.code == "normalise_error"] == []
    logs = {r.id: r.attrs.get("access_logs") for r in inv.resources if r.kind != "listener" or "/" not in r.id}
    assert logs == {
        "aws_cloudfront_distribution.dyn": UNKNOWN,
        "aws_lb.dyn": UNKNOWN,
        "aws_s3_bucket.dyn": UNKNOWN,
    }


def test_plan_bucket_roles_and_load_balancer_defaults():
    inv = load_plan(FIXTURES / "rules" / "logging" / "aws" / "plan.json")
    attrs = {r.id: r.attrs for r in inv.resources}
    roles = {rid: a.get("log_role") for rid, a in attrs.items() if rid.startswith("aws_s3_bucket.")}
    assert roles == {
        "aws_s3_bucket.trail_logs": "audit_trail",  # named literally by two trails
        "aws_s3_bucket.trail_logged": "audit_trail",  # referenced by a trail
        "aws_s3_bucket.access_logs": "access_logs",  # target of S3, ALB and CloudFront logs
        "aws_s3_bucket.data": None,
    }
    assert attrs["aws_s3_bucket.trail_logged"]["access_logs"] is True
    assert attrs["aws_lb.bucket_only"]["access_logs"] is False  # aws_lb: enabled defaults to false
    assert attrs["aws_elb.classic_logged"]["access_logs"] is True  # aws_elb: enabled defaults to true
    assert attrs["aws_cloudfront_distribution.logged"]["access_logs"] is True
