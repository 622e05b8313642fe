"""AWS plan normalisers: joins and the tricky semantics (from real `terraform show -json` fixtures)."""

from __future__ import annotations

from functools import cache

from posture.model import UNKNOWN
from posture.providers.terraform import load_plan
from tests.helpers.paths import FIXTURES, ROOT

PLANS = FIXTURES / "plans" / "aws"
EXAMPLE = ROOT / "examples" / "aws-webapp" / "plan.json"


@cache
def _load(name: str):
    inv = load_plan(EXAMPLE if name == "example" else PLANS / name / "plan.json")
    return {r.id: r for r in inv.resources}, {(e.src, e.kind, e.dst) for e in inv.edges}


def res(name: str, rid: str):
    return _load(name)[0][rid]


def edges(name: str):
    return _load(name)[1]


# -- S3 joins ----------------------------------------------------------------------------------------------------
def test_bucket_joined_to_separate_sse_config_by_reference_with_unknown_name():
    bucket = res("s3", "aws_s3_bucket.joined")
    assert bucket.name == "joined"  # bucket name is unknown at plan time (bucket_prefix)
    enc = bucket.attrs["encryption"]
    assert enc["at_rest"] is True and enc["key_manager"] == "customer" and enc["basis"] == "explicit"
    assert enc["key_id"] == "aws_kms_key.s3"
    assert ("aws_s3_bucket.joined", "encrypted_by", "aws_kms_key.s3") in edges("s3")
    assert bucket.attrs["public"] is False and bucket.attrs["versioning"] is True


def test_bucket_policy_deny_non_tls_and_unknown_policy():
    assert res("s3", "aws_s3_bucket.tls").attrs["transport"]["tls_required"] is True
    # the joined bucket's policy embeds its own unknown ARN: undecidable at plan time
    assert res("s3", "aws_s3_bucket.joined").attrs["transport"]["tls_required"] is UNKNOWN
    assert res("s3", "aws_s3_bucket.plain").attrs["transport"]["tls_required"] is False


def test_legacy_inline_sse_and_provider_default():
    legacy = res("s3", "aws_s3_bucket.legacy").attrs["encryption"]
    assert (legacy["basis"], legacy["key_manager"]) == ("explicit", "provider")
    plain = res("s3", "aws_s3_bucket.plain").attrs["encryption"]
    assert plain["at_rest"] is True and plain["basis"] == "provider_default"
    assert plain["default_source"] == "aws.s3.sse_s3"


def test_versioning_joined_by_literal_bucket_name():
    assert res("s3", "aws_s3_bucket.plain").attrs["versioning"] is True


# -- security groups and NACLs -----------------------------------------------------------------------------------
def test_security_group_inline_rules_all_protocol_and_ipv6():
    rules = res("network", "aws_security_group.web").attrs["rules"]
    ingress = next(r for r in rules if r["direction"] == "ingress")
    assert ingress["peers"] == ("0.0.0.0/0", "::/0") and ingress["ports"] == ((443, 443),)
    egress = next(r for r in rules if r["direction"] == "egress")
    assert egress["protocol"] == "all" and egress["ports"] == ((0, 65535),)  # -1 with 0/0 -> all ports
    assert all(r["priority"] is None for r in rules)


def test_security_group_merges_separate_rule_resources():
    sg = res("network", "aws_security_group.app").attrs
    by_source = {r["source"]: r for r in sg["rules"]}
    assert set(by_source) == {
        "aws_security_group_rule.app_from_web",
        "aws_security_group_rule.app_self",
        "aws_vpc_security_group_ingress_rule.app_ssh",
        "aws_vpc_security_group_ingress_rule.app_all_v6",
        "aws_vpc_security_group_egress_rule.app_to_web",
    }
    assert by_source["aws_security_group_rule.app_from_web"]["peers"] == ("sg:aws_security_group.web",)
    assert by_source["aws_security_group_rule.app_from_web"]["ports"] == ((8080, 8090),)
    assert by_source["aws_security_group_rule.app_self"]["peers"] == ("sg:aws_security_group.app",)
    v6 = by_source["aws_vpc_security_group_ingress_rule.app_all_v6"]
    assert (v6["protocol"], v6["ports"], v6["peers"]) == ("all", ((0, 65535),), ("::/0",))
    ssh = by_source["aws_vpc_security_group_ingress_rule.app_ssh"]
    assert (ssh["ports"], ssh["peers"], ssh["description"]) == (((22, 22),), ("0.0.0.0/0",), "ssh from anywhere")
    assert by_source["aws_vpc_security_group_egress_rule.app_to_web"]["direction"] == "egress"


def test_default_security_group_and_inline_sg_reference():
    assert res("network", "aws_security_group.web").attrs["is_default"] is False
    default = res("network", "aws_default_security_group.default").attrs
    assert default["is_default"] is True and default["rules"] == ()
    app = res("example", "aws_security_group.app").attrs["rules"]
    assert ("sg:aws_security_group.alb",) in [r["peers"] for r in app]  # inline security_groups by reference


def test_network_acl_rules_priorities_and_implied_deny():
    nacl = res("network", "aws_network_acl.private").attrs
    assert nacl["stateful"] is False and nacl["layer"] == "subnet"
    rules = {(r["direction"], r["priority"]): r for r in nacl["rules"]}
    assert rules[("ingress", 50)]["action"] == "deny" and rules[("ingress", 50)]["ports"] == ((3389, 3389),)
    assert rules[("ingress", 100)]["action"] == "allow"
    for direction in ("ingress", "egress"):
        final = rules[(direction, 32767)]
        assert final["implied"] is True and final["action"] == "deny" and final["protocol"] == "all"
    assert ("aws_subnet.private", "protected_by", "aws_network_acl.private") in edges("network")


# -- network topology --------------------------------------------------------------------------------------------
def test_vpc_subnets_routes_gateways():
    assert res("network", "aws_vpc.main").attrs["flow_logs"] is True
    assert res("network", "aws_vpc.nologs").attrs["flow_logs"] is False
    assert res("network", "aws_subnet.public").attrs["map_public_ip"] is True
    routes = res("network", "aws_route_table.public").attrs["routes"]
    assert routes == ({"destination": "0.0.0.0/0", "target": "aws_internet_gateway.igw",
                       "target_kind": "internet_gateway"},)
    nat = res("network", "aws_route_table.private").attrs["routes"][0]
    assert (nat["target"], nat["target_kind"]) == ("aws_nat_gateway.nat", "nat_gateway")  # from aws_route
    e = edges("network")
    assert ("aws_vpc.main", "contains", "aws_subnet.public") in e
    assert ("aws_subnet.public", "routes_to", "aws_route_table.public") in e
    assert ("aws_route_table.public", "routes_to", "aws_internet_gateway.igw") in e
    assert res("network", "aws_internet_gateway.igw").attrs["gateway_type"] == "internet"


def test_default_subnet_and_subnetless_instance_belong_to_the_default_vpc():
    inv = load_plan(FIXTURES / "rules" / "segmentation" / "default-vpc.json")
    e = {(x.src, x.kind, x.dst) for x in inv.edges}
    vpc = "aws_default_vpc.default"
    assert (vpc, "contains", "aws_default_subnet.az_a") in e
    assert ("aws_default_subnet.az_a", "contains", "aws_instance.in_default_subnet") in e
    assert (vpc, "contains", "aws_instance.no_subnet") in e
    assert {s for s, k, d in e if d == "aws_instance.app" and k == "contains"} == {"aws_subnet.app"}
    subnet = next(r for r in inv.resources if r.id == "aws_default_subnet.az_a")
    assert subnet.attrs["network"] == vpc


def test_instance_public_ip_security_groups_and_block_devices():
    inst = res("network", "aws_instance.web").attrs
    assert inst["public_ips"] == (UNKNOWN,) and inst["imds_v2_required"] is True
    assert inst["firewalls"] == ("aws_security_group.web",)
    e = edges("network")
    assert ("aws_instance.web", "protected_by", "aws_security_group.web") in e
    assert ("aws_subnet.public", "contains", "aws_instance.web") in e
    root = res("network", "aws_instance.web/root_block_device").attrs
    assert root["store_type"] == "block_volume" and root["encryption"]["at_rest"] is True
    assert res("network", "aws_instance.web/ebs_block_device//dev/sdf").attrs["encryption"]["at_rest"] is False


# -- datastores --------------------------------------------------------------------------------------------------
def test_rds_unencrypted_public_no_backup_vs_encrypted_with_key():
    plain = res("data", "aws_db_instance.plain").attrs
    assert plain["encryption"]["at_rest"] is False and plain["public"] is True
    assert plain["backup"] == {"retention_days": 0, "enabled": False}
    enc = res("data", "aws_db_instance.encrypted").attrs
    assert enc["encryption"]["key_id"] == "aws_kms_key.data" and enc["multi_az"] is True
    assert ("aws_db_instance.encrypted", "encrypted_by", "aws_kms_key.data") in edges("data")


def test_ebs_account_default_encryption_applies_to_unset_volume():
    assert res("data", "aws_ebs_encryption_by_default.on").attrs["ebs_default_encryption"] is True
    assert res("data", "aws_ebs_volume.unset").attrs["encryption"]["at_rest"] is True


def test_queue_topic_table_defaults():
    assert res("data", "aws_sqs_queue.plain").attrs["encryption"]["at_rest"] is False
    assert res("data", "aws_sqs_queue.sse").attrs["encryption"]["key_manager"] == "provider"
    topic = res("data", "aws_sns_topic.plain").attrs["encryption"]
    assert topic["at_rest"] is False and topic["default_source"] == "aws.sns.none"
    table = res("data", "aws_dynamodb_table.default").attrs["encryption"]
    assert table["at_rest"] is True and table["basis"] == "provider_default"
    assert res("data", "aws_dynamodb_table.cmk").attrs["encryption"]["key_manager"] == "customer"
    assert res("data", "aws_efs_file_system.plain").attrs["encryption"]["at_rest"] is False
    cache_ = res("data", "aws_elasticache_replication_group.cache").attrs  # provider v5: "true" strings
    assert cache_["encryption"]["at_rest"] is True and cache_["transport"]["tls_required"] is False


def test_kms_keys_rotation_and_specs():
    data = res("data", "aws_kms_key.data").attrs
    assert data["rotation"] == {"enabled": True, "period_days": 180, "supported": True}
    assert res("data", "aws_kms_key.norotate").attrs["rotation"]["enabled"] is False
    signing = res("data", "aws_kms_key.signing").attrs
    assert (signing["algorithm"], signing["bits"], signing["usage"]) == ("RSA", 2048, "sign")
    assert signing["rotation"]["supported"] is False  # asymmetric KMS keys cannot rotate automatically
    assert res("s3", "aws_kms_key.s3").attrs["rotation"]["period_days"] == 365  # AWS default period


def test_cloudtrail_and_iam_user():
    trail = res("data", "aws_cloudtrail.main").attrs
    assert trail["multi_region"] is True and trail["log_validation"] is True
    assert trail["encryption"]["key_id"] == "aws_kms_key.data"
    assert res("data", "aws_iam_user.ci").attrs["user_type"] == "user"


# -- load balancers and TLS --------------------------------------------------------------------------------------
def test_listener_attached_to_lb_with_policy_versions():
    https = res("lb", "aws_lb_listener.https").attrs
    assert https["tls"]["policy"] == "ELBSecurityPolicy-2016-08"
    assert https["tls"]["versions"] == ("1.0", "1.1", "1.2")
    assert https["load_balancer"] == "aws_lb.web" and https["certificates"] == ("aws_acm_certificate.web",)
    e = edges("lb")
    assert ("aws_lb_listener.https", "attached_to", "aws_lb.web") in e
    assert ("aws_lb_listener.https", "serves_tls", "aws_acm_certificate.web") in e
    assert ("aws_alb_listener.internal_http", "attached_to", "aws_alb.internal") in e


def test_http_listener_with_policy_name_has_no_tls():
    internal = res("lb", "aws_alb_listener.internal_http").attrs
    assert internal["protocol"] == "http" and internal["tls"] is None
    assert internal["redirects_to_https"] is False


def test_http_redirect_listener():
    assert res("lb", "aws_lb_listener.http_redirect").attrs["redirects_to_https"] is True
    assert res("example", "aws_lb_listener.http").attrs["redirects_to_https"] is False


def test_classic_elb_inline_listeners_use_default_policy():
    lst = res("lb", "aws_elb.classic/listener/443").attrs
    assert lst["tls"]["policy"] == "ELBSecurityPolicy-2016-08" and lst["tls"]["min_version"] == "1.0"
    assert res("lb", "aws_elb.classic/listener/80").attrs["tls"] is None
    assert res("lb", "aws_elb.classic").attrs["scheme"] == "internet-facing"


def test_cloudfront_default_certificate_forces_tlsv1():
    default = res("lb", "aws_cloudfront_distribution.default_cert").attrs["tls"]
    assert default["policy"] == "TLSv1" and default["min_version"] == "1.0"
    custom = res("lb", "aws_cloudfront_distribution.custom_cert").attrs["tls"]
    assert custom["policy"] == "TLSv1.2_2021" and custom["min_version"] == "1.2"
    assert res("lb", "aws_cloudfront_distribution.default_cert/http").attrs["redirects_to_https"] is False
    assert res("lb", "aws_cloudfront_distribution.custom_cert/http").attrs["redirects_to_https"] is True


def test_unknown_policy_name_gives_unknown_versions():
    from posture.providers.kit.builders import tls_policy

    tls = tls_policy("aws", "ELBSecurityPolicy-Made-Up-2099", "elbv2")
    assert tls["policy"] == "ELBSecurityPolicy-Made-Up-2099" and tls["versions"] is UNKNOWN


def test_acm_certificate_key_algorithm():
    cert = res("lb", "aws_acm_certificate.web").attrs
    assert (cert["key_algorithm"], cert["key_bits"]) == ("EC", 256)
    assert cert["domains"] == ("www.example.com",) and cert["managed"] is True


def test_example_plants_one_fault_per_category():
    db = res("example", "aws_db_instance.db").attrs
    assert db["encryption"]["at_rest"] is False and db["public"] is False
    assert res("example", "aws_kms_key.assets").attrs["rotation"]["enabled"] is False
    assert res("example", "aws_s3_bucket.assets").attrs["encryption"]["key_id"] == "aws_kms_key.assets"
    assert res("example", "aws_sns_topic.alerts").attrs["encryption"]["at_rest"] is False
    assert res("example", "aws_lb_listener.https").attrs["tls"]["min_version"] == "1.0"
    ssh = [r for r in res("example", "aws_security_group.app").attrs["rules"] if r["ports"] == ((22, 22),)]
    assert ssh and ssh[0]["peers"] == ("0.0.0.0/0",)
    assert ("aws_subnet.private_a", "contains", "aws_db_instance.db") in edges("example")
