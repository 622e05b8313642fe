"""Live AWS service logs (POSTURE-LOG-008) on moto: RDS instances and clusters read EnabledCloudwatchLogsExports
through the service-logs knowledge table, a planted fault and its clean twin."""

from __future__ import annotations

import boto3
from moto import mock_aws

import posture
from posture.providers.aws import AwsOptions, collect_aws
from tests.helpers.aws_estate import REGION


def _estate(session):
    rds = session.client("rds")
    common = {"DBInstanceClass": "db.t3.micro", "Engine": "mysql", "AllocatedStorage": 20, "MasterUsername": "u",
              "MasterUserPassword": "not-a-real-pass"}
    rds.create_db_instance(DBInstanceIdentifier="silent", **common)
    rds.create_db_instance(DBInstanceIdentifier="logged", EnableCloudwatchLogsExports=["audit", "error"], **common)
    cluster = {"Engine": "aurora-mysql", "MasterUsername": "u", "MasterUserPassword": "not-a-real-pass"}
    rds.create_db_cluster(DBClusterIdentifier="cluster-silent", EnableCloudwatchLogsExports=["error"], **cluster)
    rds.create_db_cluster(DBClusterIdentifier="cluster-audited", EnableCloudwatchLogsExports=["audit"], **cluster)


def test_live_rds_service_logs_attribute_and_rule():
    with mock_aws():
        session = boto3.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
        _estate(session)
        inventory = collect_aws(AwsOptions(session=session, regions=[REGION], services=["rds"]))
        result = posture.scan_aws(session, regions=[REGION], services=["rds"])
    by_name = {r.name: r for r in inventory.resources}
    assert by_name["silent"].attrs["service_logs"]["off"] == ("database",)
    assert by_name["logged"].attrs["service_logs"]["enabled"] is True
    assert by_name["cluster-silent"].attrs["service_logs"]["off"] == ("audit",)
    assert by_name["cluster-audited"].attrs["service_logs"]["enabled"] is True
    flagged = {f.resource.name for f in result.findings if f.rule_id == "POSTURE-LOG-008" and not f.unverified}
    assert flagged == {"silent", "cluster-silent"}
