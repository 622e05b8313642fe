"""A small AWS estate built with boto3 (against moto): one planted fault per category and a clean twin."""

from __future__ import annotations

import json
from typing import Any

REGION = "us-east-1"
ACCOUNT = "123456789012"


def _arn(service: str, resource: str, region: str = REGION) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT}:{resource}"


def _tls_only(action: str, resource: str) -> str:
    """A resource policy whose only statement denies requests made without TLS."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": action, "Resource": resource,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})


def _distribution(cloudfront: Any, origin_policy: str, cert: str) -> str:
    """A TLS 1.2 distribution redirecting viewers to HTTPS, whose one custom origin uses ``origin_policy``."""
    return cloudfront.create_distribution(DistributionConfig={
        "CallerReference": origin_policy, "Comment": "", "Enabled": True,
        "ViewerCertificate": {"ACMCertificateArn": cert, "SSLSupportMethod": "sni-only",
                              "MinimumProtocolVersion": "TLSv1.2_2021"},
        "Origins": {"Quantity": 1, "Items": [{"Id": "app", "DomainName": f"{origin_policy}.example.com",
                                              "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443,
                                                                     "OriginProtocolPolicy": origin_policy}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "app", "ViewerProtocolPolicy": "redirect-to-https",
                                 "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
                                 "MinTTL": 0}})["Distribution"]["ARN"]


def build_estate(session: Any) -> dict[str, Any]:
    """Create the estate; returns ids: ``faults`` {rule id: [resource ids]}, ``twins`` [ids], and parts."""
    ec2 = session.client("ec2", region_name=REGION)
    kms = session.client("kms", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{i}.0/24", AvailabilityZone=f"{REGION}{z}")["Subnet"]
               ["SubnetId"] for i, z in ((1, "a"), (2, "b"))]
    rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=rt, SubnetId=subnets[0])
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="6", RuleAction="allow", Egress=False,
                                 CidrBlock="10.0.0.0/8", PortRange={"From": 443, "To": 443})
    assoc = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnets[1]]}])
    assoc_id = next(a["NetworkAclAssociationId"] for n in assoc["NetworkAcls"] for a in n["Associations"]
                    if a["SubnetId"] == subnets[1])
    ec2.replace_network_acl_association(AssociationId=assoc_id, NetworkAclId=acl)

    def sg(name: str, cidr: str) -> str:
        gid = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": cidr}]}])
        return gid

    open_sg, closed_sg = sg("open-ssh", "0.0.0.0/0"), sg("bastion-ssh", "10.0.0.0/8")

    key_plain = kms.create_key(Description="no-rotation")["KeyMetadata"]
    key_rot = kms.create_key(Description="rotated")["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key_rot["KeyId"])
    kms.create_alias(AliasName="alias/data", TargetKeyId=key_rot["KeyId"])

    inst = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=subnets[0],
                             SecurityGroupIds=[closed_sg])["Instances"][0]["InstanceId"]
    vol_plain = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=8)["VolumeId"]
    vol_enc = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=8, Encrypted=True,
                                KmsKeyId=key_rot["Arn"])["VolumeId"]
    ec2.attach_volume(VolumeId=vol_enc, InstanceId=inst, Device="/dev/sdf")

    rds = session.client("rds", region_name=REGION)
    rds.create_db_subnet_group(DBSubnetGroupName="dbs", DBSubnetGroupDescription="d", SubnetIds=subnets)
    # PostgreSQL 14's default parameter group accepts plain connections; "tls-only" forces TLS
    rds.create_db_parameter_group(DBParameterGroupName="tls-only", DBParameterGroupFamily="postgres14",
                                  Description="TLS only")
    rds.modify_db_parameter_group(DBParameterGroupName="tls-only", Parameters=[
        {"ParameterName": "rds.force_ssl", "ParameterValue": "1", "ApplyMethod": "immediate"}])
    common = {"DBInstanceClass": "db.t3.micro", "Engine": "postgres", "EngineVersion": "14.10",
              "MasterUsername": "admin", "MasterUserPassword": "not-a-real-pass", "AllocatedStorage": 20,
              "DBSubnetGroupName": "dbs", "VpcSecurityGroupIds": [closed_sg], "BackupRetentionPeriod": 7}
    rds.create_db_instance(DBInstanceIdentifier="db-plain", StorageEncrypted=False, **common)
    rds.create_db_instance(DBInstanceIdentifier="db-enc", StorageEncrypted=True, KmsKeyId=key_rot["Arn"],
                           PubliclyAccessible=False, DBParameterGroupName="tls-only", **common)

    sns = session.client("sns", region_name=REGION)
    topic_plain = sns.create_topic(Name="plain")["TopicArn"]
    topic_enc = sns.create_topic(Name="enc", Attributes={"KmsMasterKeyId": "alias/data"})["TopicArn"]

    sns.set_topic_attributes(TopicArn=topic_enc, AttributeName="Policy",
                             AttributeValue=_tls_only("sns:Publish", topic_enc))
    sqs = session.client("sqs", region_name=REGION)
    queue_plain = sqs.create_queue(QueueName="plain")["QueueUrl"]
    queue_tls = sqs.create_queue(QueueName="tls-only")["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=queue_tls, Attributes={"Policy": _tls_only("sqs:*", _arn("sqs", "tls-only"))})

    s3 = session.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="posture-default-sse")
    s3.create_bucket(Bucket="posture-kms")
    s3.put_bucket_encryption(Bucket="posture-kms", ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_rot["Arn"]}}]})
    # a public-read ACL, and the same ACL voided by BucketOwnerEnforced object ownership
    s3.create_bucket(Bucket="posture-acl-public", ACL="public-read")
    s3.create_bucket(Bucket="posture-acl-enforced", ACL="public-read")
    s3.put_bucket_ownership_controls(Bucket="posture-acl-enforced", OwnershipControls={
        "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    for bucket in ("posture-default-sse", "posture-kms", "posture-acl-enforced"):
        s3.put_bucket_policy(Bucket=bucket, Policy=_tls_only("s3:*", f"arn:aws:s3:::{bucket}"))


    # search, streaming and warehouse stores: everything off / weak, and a hardened twin of each
    search = session.client("opensearch", region_name=REGION)
    search_open = search.create_domain(DomainName="search-open", DomainEndpointOptions={
        "EnforceHTTPS": False, "TLSSecurityPolicy": "Policy-Min-TLS-1-0-2019-07"})["DomainStatus"]["ARN"]
    search_tight = search.create_domain(
        DomainName="search-tight", EncryptionAtRestOptions={"Enabled": True, "KmsKeyId": key_rot["Arn"]},
        NodeToNodeEncryptionOptions={"Enabled": True}, VPCOptions={"SubnetIds": subnets[:1],
                                                                   "SecurityGroupIds": [closed_sg]},
        DomainEndpointOptions={"EnforceHTTPS": True, "TLSSecurityPolicy": "Policy-Min-TLS-1-2-PFS-2023-10"},
    )["DomainStatus"]["ARN"]
    # a legacy Elasticsearch domain, created through the es API: ListDomainNames lists it too
    legacy = session.client("es", region_name=REGION).create_elasticsearch_domain(
        DomainName="search-legacy", ElasticsearchVersion="7.10")["DomainStatus"]["ARN"]
    kafka = session.client("kafka", region_name=REGION)
    brokers = {"InstanceType": "kafka.m5.large", "ClientSubnets": subnets, "SecurityGroups": [closed_sg]}
    stream_mixed = kafka.create_cluster(ClusterName="stream-mixed", KafkaVersion="3.6.0", NumberOfBrokerNodes=2,
                                        BrokerNodeGroupInfo=brokers, EncryptionInfo={"EncryptionInTransit": {
                                            "ClientBroker": "TLS_PLAINTEXT", "InCluster": False}})["ClusterArn"]
    stream_tls = kafka.create_cluster(ClusterName="stream-tls", KafkaVersion="3.6.0", NumberOfBrokerNodes=2,
                                      BrokerNodeGroupInfo=brokers, EncryptionInfo={
                                          "EncryptionAtRest": {"DataVolumeKMSKeyId": key_rot["Arn"]}})["ClusterArn"]
    stream_serverless = kafka.create_cluster_v2(ClusterName="stream-serverless", Serverless={
        "VpcConfigs": [{"SubnetIds": subnets, "SecurityGroupIds": [closed_sg]}],
        "ClientAuthentication": {"Sasl": {"Iam": {"Enabled": True}}}})["ClusterArn"]
    redshift = session.client("redshift", region_name=REGION)
    redshift.create_cluster_parameter_group(ParameterGroupName="warehouse", ParameterGroupFamily="redshift-1.0",
                                            Description="custom group")
    warehouse = {"NodeType": "ra3.xlplus", "ClusterType": "single-node", "MasterUsername": "admin",
                 "MasterUserPassword": "Not-a-real-pass1"}
    redshift.create_cluster(ClusterIdentifier="warehouse-open", Encrypted=False, PubliclyAccessible=True,
                            AutomatedSnapshotRetentionPeriod=1, **warehouse)  # moto turns 0 into 1
    redshift.create_cluster(ClusterIdentifier="warehouse-enc", Encrypted=True, KmsKeyId=key_rot["Arn"],
                            PubliclyAccessible=False, AutomatedSnapshotRetentionPeriod=7,
                            ClusterParameterGroupName="warehouse", VpcSecurityGroupIds=[closed_sg], **warehouse)
    warehouse_open, warehouse_enc = (_arn("redshift", f"cluster:warehouse-{n}") for n in ("open", "enc"))

    acm = session.client("acm", region_name=REGION)
    cert = acm.request_certificate(DomainName="shop.example.com")["CertificateArn"]
    elb = session.client("elbv2", region_name=REGION)
    lb = elb.create_load_balancer(Name="web", Subnets=subnets, SecurityGroups=[closed_sg],
                                  Scheme="internet-facing")["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elb.create_target_group(Name="tg", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]["TargetGroupArn"]
    forward = [{"Type": "forward", "TargetGroupArn": tg}]

    def listener(port: int, protocol: str, policy: str | None) -> str:
        kw: dict[str, Any] = {"SslPolicy": policy} if policy else {}
        if protocol == "HTTPS":
            kw["Certificates"] = [{"CertificateArn": cert}]
        return elb.create_listener(LoadBalancerArn=lb, Protocol=protocol, Port=port, DefaultActions=forward,
                                   **kw)["Listeners"][0]["ListenerArn"]

    old_https = listener(443, "HTTPS", "ELBSecurityPolicy-2016-08")
    modern_https = listener(8443, "HTTPS", "ELBSecurityPolicy-TLS13-1-2-2021-06")
    plain_http = listener(80, "HTTP", None)  # moto still reports an SslPolicy name here

    cloudfront = session.client("cloudfront", region_name=REGION)
    origin_http = _distribution(cloudfront, "http-only", cert)
    origin_https = _distribution(cloudfront, "https-only", cert)

    return {
        "vpc": _arn("ec2", f"vpc/{vpc}"), "igw": _arn("ec2", f"internet-gateway/{igw}"),
        "subnets": [_arn("ec2", f"subnet/{s}") for s in subnets], "route_table": _arn("ec2", f"route-table/{rt}"),
        "nacl": _arn("ec2", f"network-acl/{acl}"), "instance": _arn("ec2", f"instance/{inst}"),
        "open_sg": _arn("ec2", f"security-group/{open_sg}"), "closed_sg": _arn("ec2", f"security-group/{closed_sg}"),
        "key_rot": key_rot["Arn"], "key_plain": key_plain["Arn"], "cert": cert, "lb": lb,
        "vol_enc": _arn("ec2", f"volume/{vol_enc}"), "db_enc": _arn("rds", "db:db-enc"),
        "db_plain": _arn("rds", "db:db-plain"),
        "faults": {
            "POSTURE-NET-001": [_arn("ec2", f"security-group/{open_sg}")],
            "POSTURE-ENC-001": [_arn("rds", "db:db-plain"), _arn("ec2", f"volume/{vol_plain}"), topic_plain,
                                search_open, legacy, warehouse_open],
            "POSTURE-TLS-001": [old_https, search_open],
            "POSTURE-KEY-001": [key_plain["Arn"]],
            "POSTURE-SEG-006": ["arn:aws:s3:::posture-acl-public"],
            "POSTURE-TLS-004": [topic_plain, _arn("sqs", "plain"), _arn("rds", "db:db-plain"), search_open,
                                stream_mixed],
            "POSTURE-TLS-007": [search_open, stream_mixed],
            "POSTURE-SEG-003": [search_open, warehouse_open],
            "POSTURE-BAK-002": [warehouse_open],
            "POSTURE-TLS-006": [origin_http],
        },
        "twins": [_arn("ec2", f"security-group/{closed_sg}"), _arn("rds", "db:db-enc"),
                  _arn("ec2", f"volume/{vol_enc}"), topic_enc, modern_https, plain_http, key_rot["Arn"],
                  "arn:aws:s3:::posture-default-sse", "arn:aws:s3:::posture-kms", "arn:aws:s3:::posture-acl-enforced",
                  _arn("sqs", "tls-only"), origin_https, search_tight, stream_tls,
                  stream_serverless],
        "queues": {"plain": queue_plain, "tls": queue_tls},
        "stores": {"search_open": search_open, "search_tight": search_tight, "stream_mixed": stream_mixed,
                   "stream_tls": stream_tls, "stream_serverless": stream_serverless,
                   "warehouse_open": warehouse_open, "warehouse_enc": warehouse_enc},
        "listeners": {"old": old_https, "modern": modern_https, "http": plain_http},
    }
