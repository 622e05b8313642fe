"""Time ``posture scan aws`` on a moto-server estate of a few thousand resources (optionally vs Prowler).

    python benchmarks/aws_scan.py [--scale N] [--with-prowler]

Starts a moto server on 127.0.0.1, builds the estate with boto3 (security groups with open and
closed SSH, volumes, SNS topics, SQS queues, KMS keys with and without rotation, S3 buckets, RDS
instances, OpenSearch domains, MSK and Redshift clusters, an ALB with old- and new-policy HTTPS listeners),
then runs the posture CLI against it through AWS_ENDPOINT_URL and prints seconds, resources, API calls
and calls per resource. With ``--with-prowler`` it creates benchmarks/.venvs/prowler (Prowler pins its own
boto3), runs Prowler with the equivalent checks on the same server, prints the time ratio, and compares
verdicts: for each Prowler check, the resources it FAILs against the resources the posture rule(s) deciding the same
question flag (``VERDICT_MAP``), with both-fail / only-posture / only-prowler counts and ids.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REGION = "us-east-1"

# Prowler check -> (posture rule ids deciding the same question, posture native types the check covers).
VERDICT_MAP: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22":
        (frozenset({"POSTURE-NET-001"}), frozenset({"ec2.security_group"})),
    "ec2_ebs_volume_encryption": (frozenset({"POSTURE-ENC-001"}), frozenset({"ec2.volume"})),
    "sns_topics_kms_encryption_at_rest_enabled": (frozenset({"POSTURE-ENC-001"}), frozenset({"sns.topic"})),
    "sqs_queues_server_side_encryption_enabled": (frozenset({"POSTURE-ENC-001"}), frozenset({"sqs.queue"})),
    "kms_cmk_rotation_enabled": (frozenset({"POSTURE-KEY-001"}), frozenset({"kms.key"})),
    "rds_instance_storage_encrypted": (frozenset({"POSTURE-ENC-001"}), frozenset({"rds.db_instance"})),
    "s3_bucket_default_encryption": (frozenset({"POSTURE-ENC-001"}), frozenset({"s3.bucket"})),
    "elbv2_insecure_ssl_ciphers": (frozenset({"POSTURE-TLS-001"}), frozenset({"elbv2.listener"})),
}
PROWLER_CHECKS = list(VERDICT_MAP)


def normalise_id(resource_id: str) -> str:
    """One id for both tools: Prowler judges ELBv2 per load balancer, posture per listener."""
    if ":listener/" in resource_id:
        prefix, path = resource_id.split(":listener/", 1)
        return f"{prefix}:loadbalancer/{path.rsplit('/', 1)[0]}"
    return resource_id


def compare(posture_findings: list[dict], prowler_findings: list[dict]) -> float:
    """Print per-check agreement of FAILing resource sets; return the overall agreement in percent."""
    agreed = total = 0
    print(f"{'prowler check':62} {'both':>5} {'only-posture':>13} {'only-prowler':>13}")
    for check, (rules, types) in VERDICT_MAP.items():
        ours = {normalise_id(f["resource"]["id"]) for f in posture_findings
                if f["rule_id"] in rules and f["resource"]["native_type"] in types}
        theirs = {normalise_id(f["resources"][0]["uid"]) for f in prowler_findings
                  if f["metadata"]["event_code"] == check and f["status_code"] == "FAIL"}
        judged = {normalise_id(f["resources"][0]["uid"]) for f in prowler_findings
                  if f["metadata"]["event_code"] == check}
        both, only_ours, only_theirs = ours & theirs, ours - theirs, theirs - ours
        print(f"{check:62} {len(both):>5} {len(only_ours):>13} {len(only_theirs):>13}")
        for label, ids in (("only posture", only_ours), ("only prowler", only_theirs)):
            if ids:
                print(f"    {label}: {', '.join(sorted(ids))}")
        # Agreement over every resource either tool judged for this question (pass or fail).
        universe = judged | ours
        agreed += len(universe) - len(only_ours) - len(only_theirs)
        total += len(universe)
    percent = 100.0 * agreed / max(1, total)
    print(f"verdict agreement: {agreed}/{total} resources ({percent:.1f}%)")
    return percent


def build(scale: int) -> dict[str, int]:
    """Create about ``scale`` x 40 resources (security groups and rules, volumes, topics, queues, keys ...)."""
    import boto3

    s = boto3.Session(region_name=REGION)
    ec2, sns, sqs, kms, s3 = (s.client(x) for x in ("ec2", "sns", "sqs", "kms", "s3"))
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{z}")["Subnet"]
               ["SubnetId"] for i, z in ((1, "a"), (2, "b"))]
    counts = {"security_groups": 0, "volumes": 0, "topics": 0, "queues": 0, "keys": 0, "buckets": 0, "databases": 0,
              "search_domains": 0, "kafka_clusters": 0, "warehouses": 0}
    for i in range(scale * 10):
        gid = ec2.create_security_group(GroupName=f"sg-{i}", Description="b", VpcId=vpc)["GroupId"]
        cidr = "0.0.0.0/0" if i % 5 == 0 else "10.0.0.0/8"
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": cidr}]}])
        counts["security_groups"] += 1
    for i in range(scale * 10):
        ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=1, Encrypted=i % 2 == 0)
        counts["volumes"] += 1
    for i in range(scale * 5):
        sns.create_topic(Name=f"topic-{i}", Attributes={"KmsMasterKeyId": "alias/aws/sns"} if i % 2 else {})
        sqs.create_queue(QueueName=f"queue-{i}")
        counts["topics"] += 1
        counts["queues"] += 1
    for i in range(scale * 3):
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        if i % 2:
            kms.enable_key_rotation(KeyId=key)
        counts["keys"] += 1
    for i in range(scale * 3):
        s3.create_bucket(Bucket=f"posture-bench-{i}")
        counts["buckets"] += 1
    rds = s.client("rds")
    for i in range(max(1, scale // 5)):
        rds.create_db_instance(DBInstanceIdentifier=f"db-{i}", DBInstanceClass="db.t3.micro", Engine="postgres",
                               AllocatedStorage=20, MasterUsername="u", MasterUserPassword="not-a-real-pass",
                               StorageEncrypted=i % 2 == 0)
        counts["databases"] += 1
    search, kafka, redshift = (s.client(x) for x in ("opensearch", "kafka", "redshift"))
    for i in range(max(1, scale // 5)):
        search.create_domain(DomainName=f"search-{i}", NodeToNodeEncryptionOptions={"Enabled": i % 2 == 0})
        kafka.create_cluster(ClusterName=f"stream-{i}", KafkaVersion="3.6.0", NumberOfBrokerNodes=2,
                             BrokerNodeGroupInfo={"InstanceType": "kafka.m5.large", "ClientSubnets": subnets},
                             EncryptionInfo={"EncryptionInTransit": {"ClientBroker": "TLS" if i % 2 else "PLAINTEXT"}})
        redshift.create_cluster(ClusterIdentifier=f"warehouse-{i}", NodeType="ra3.xlplus", ClusterType="single-node",
                                MasterUsername="u", MasterUserPassword="Not-a-real-pass1", Encrypted=i % 2 == 0)
        counts["search_domains"] += 1
        counts["kafka_clusters"] += 1
        counts["warehouses"] += 1
    elb = s.client("elbv2")
    acm = s.client("acm")
    cert = acm.request_certificate(DomainName="bench.example.com")["CertificateArn"]
    lb = elb.create_load_balancer(Name="bench", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elb.create_target_group(Name="tg", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]["TargetGroupArn"]
    for port, policy in ((443, "ELBSecurityPolicy-2016-08"), (8443, "ELBSecurityPolicy-TLS13-1-2-2021-06")):
        elb.create_listener(LoadBalancerArn=lb, Protocol="HTTPS", Port=port, SslPolicy=policy,
                            Certificates=[{"CertificateArn": cert}],
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    return counts


def run_posture(env: dict[str, str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.json"
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "posture", "scan", "aws", "--region", REGION, "--format", "json",
                               "-o", str(out), "--fail-on", "none", "-q"], cwd=ROOT, env=env, capture_output=True,
                              text=True)
        seconds = time.perf_counter() - started
        if proc.returncode != 0:
            raise SystemExit(f"posture failed ({proc.returncode}): {proc.stderr.strip()}")
        doc = json.loads(out.read_text())
    summary = doc["summary"]
    calls = summary["source"].get("api_calls") or 0
    return {"seconds": seconds, "resources": summary["resources"], "findings": summary["open"], "calls": calls,
            "list": doc["findings"]}


def run_prowler(env: dict[str, str]) -> tuple[float, list[dict]]:
    """Run Prowler's equivalent checks; return seconds and its json-ocsf findings (PASS and FAIL)."""
    venv = ROOT / "benchmarks" / ".venvs" / "prowler"
    prowler = venv / "bin" / "prowler"
    if not prowler.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "prowler"], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        proc = subprocess.run([str(prowler), "aws", "--region", REGION, "--scan-unused-services", "--checks",
                               *PROWLER_CHECKS, "--output-formats", "json-ocsf", "--output-directory", tmp,
                               "--no-banner"], env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        findings = [f for path in glob.glob(f"{tmp}/*.ocsf.json") for f in json.loads(Path(path).read_text())]
    if proc.returncode not in (0, 3):  # 3: Prowler found failing checks
        print(f"prowler exited {proc.returncode}: {proc.stderr.strip()[-400:]}", file=sys.stderr)
    return seconds, findings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=60, help="estate size factor (60 -> about 2,500 resources)")
    parser.add_argument("--with-prowler", action="store_true", help="also time Prowler on the same server")
    args = parser.parse_args()

    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {**os.environ, "AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_ACCESS_KEY_ID": "bench",
           "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": REGION, "CI": "1"}
    env.pop("AWS_PROFILE", None)
    os.environ.update({k: env[k] for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                           "AWS_DEFAULT_REGION")})
    try:
        started = time.perf_counter()
        counts = build(args.scale)
        print(f"estate: {sum(counts.values())} created ({counts}) in {time.perf_counter() - started:.1f} s")
        p = run_posture(env)
        print(f"posture: {p['seconds']:.2f} s, {p['resources']} resources, {p['findings']} open findings, "
              f"{p['calls']} API calls, {p['calls'] / max(1, p['resources']):.3f} calls/resource")
        if args.with_prowler:
            seconds, findings = run_prowler(env)
            print(f"prowler: {seconds:.2f} s; ratio prowler/posture: {seconds / p['seconds']:.1f}x")
            compare(p["list"], findings)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
