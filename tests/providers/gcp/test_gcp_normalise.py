"""Pure GCP normalisers: REST-shaped records in, docs/model.md vocabulary out."""

from __future__ import annotations

from posture.model import UNKNOWN
from posture.providers.gcp.normalise import normalise
from posture.rules.netlogic import internet_ingress

C = "https://www.googleapis.com/compute/v1/projects/p"
NET = f"{C}/global/networks/main"


def rec(kind, data, project="p"):
    return {"type": kind, "project": project, "data": data}


def fw(name, priority=None, allowed=None, denied=None, src=("0.0.0.0/0",), tags=None, sas=None, **extra):
    d = {"name": name, "network": NET, "selfLink": f"{C}/global/firewalls/{name}", "sourceRanges": list(src), **extra}
    if priority is not None:
        d["priority"] = priority
    for key, value in (("allowed", allowed), ("denied", denied), ("targetTags", tags), ("targetServiceAccounts", sas)):
        if value is not None:
            d[key] = value
    return rec("compute.firewall", d)


def ssh(action="allowed"):
    return [{"IPProtocol": "tcp", "ports": ["22"]}]


def by_name(records):
    resources, edges, gaps = normalise(records)
    assert gaps == []
    return {r.name: r for r in resources}, edges


def open_ssh(resource):
    return internet_ingress(resource.get("rules"), [22])[0] == [22]


def test_gcp_firewall_rule_semantics_and_implied_rules():
    res, _ = by_name(
        [
            fw(
                "web",
                allowed=[
                    {"IPProtocol": "tcp", "ports": ["443", "8000-8080"]},
                    {"IPProtocol": "6"},
                    {"IPProtocol": "icmp"},
                ],
                src=(),
                sourceTags=["lb"],
                tags=["web"],
            )
        ]
    )
    web = res["web"]
    own = [r for r in web.get("rules") if not r["implied"]]
    assert [(r["protocol"], [list(p) for p in r["ports"]]) for r in own] == [
        ("tcp", [[443, 443], [8000, 8080]]),
        ("tcp", [[0, 65535]]),
        ("icmp", []),
    ]
    assert all(r["priority"] == 1000 and r["direction"] == "ingress" for r in own)  # API defaults
    assert own[0]["peers"] == ("tag:lb",)
    assert dict(web.get("targets")) == {"all": False, "tags": ("web",), "service_accounts": ()}
    implied = [r for r in web.get("rules") if r["implied"]]
    assert [(r["direction"], r["action"], r["priority"]) for r in implied] == [
        ("ingress", "deny", 65535),
        ("egress", "allow", 65535),
    ]
    assert web.get("layer") == "instance" and web.get("stateful") is True


def test_gcp_higher_priority_deny_cancels_an_allow_only_where_it_covers_the_targets():
    res, _ = by_name(
        [
            fw("allow-web", allowed=ssh(), tags=["web"]),
            fw("deny-web", priority=900, denied=ssh(), tags=["web", "api"]),
            fw("allow-app", allowed=ssh(), tags=["app", "worker"]),
            fw("deny-app-only", priority=100, denied=ssh(), tags=["app"]),  # does not cover "worker" instances
            fw("allow-sa", allowed=ssh(), sas=["ci@p.iam.gserviceaccount.com"]),
            fw("deny-all-later", priority=2000, denied=ssh()),  # lower priority than the allows: no effect
            fw("allow-tie", priority=500, allowed=ssh(), tags=["tie"]),
            fw("deny-tie", priority=500, denied=ssh(), tags=["tie"]),  # equal priority: deny wins
        ]
    )
    assert not open_ssh(res["allow-web"])
    assert any(r.get("from_rule") == "deny-web" for r in res["allow-web"].get("rules"))
    assert open_ssh(res["allow-app"])
    assert open_ssh(res["allow-sa"])
    assert not open_ssh(res["allow-tie"])
    assert not any(open_ssh(res[n]) for n in ("deny-web", "deny-app-only", "deny-all-later", "deny-tie"))


def test_gcp_disabled_rule_lets_nothing_in():
    res, _ = by_name([fw("rdp", allowed=[{"IPProtocol": "tcp", "ports": ["3389"]}], disabled=True)])
    assert res["rdp"].get("disabled") is True
    assert internet_ingress(res["rdp"].get("rules"), [3389])[0] == []


def test_gcp_network_subnet_and_instance_edges():
    records = [
        rec(
            "compute.network",
            {"name": "default", "selfLink": f"{C}/global/networks/default", "autoCreateSubnetworks": True},
        ),
        rec("compute.network", {"name": "main", "selfLink": NET}),
        rec(
            "compute.subnetwork",
            {
                "name": "a",
                "network": NET,
                "ipCidrRange": "10.0.0.0/24",
                "region": f"{C}/regions/us-east1",
                "privateIpGoogleAccess": True,
                "logConfig": {"enable": True},
                "selfLink": f"{C}/regions/us-east1/subnetworks/a",
            },
        ),
        rec(
            "compute.instance",
            {
                "name": "vm",
                "zone": f"{C}/zones/us-east1-b",
                "tags": {"items": ["web"]},
                "selfLink": f"{C}/zones/us-east1-b/instances/vm",
                "serviceAccounts": [{"email": "vm@p.iam.gserviceaccount.com"}],
                "networkInterfaces": [
                    {
                        "network": NET,
                        "subnetwork": f"{C}/regions/us-east1/subnetworks/a",
                        "networkIP": "10.0.0.2",
                        "accessConfigs": [{"natIP": "34.1.1.1"}],
                    }
                ],
                "disks": [{"source": f"{C}/zones/us-east1-b/disks/vm"}],
            },
        ),
        fw("for-web", allowed=ssh(), tags=["web"]),
        fw("for-db", allowed=ssh(), tags=["db"]),
        fw("for-all", allowed=[{"IPProtocol": "icmp"}]),
        fw("for-all-off", allowed=[{"IPProtocol": "icmp"}], disabled=True),
    ]
    res, edges = by_name(records)
    assert res["default"].get("is_default") is True and res["main"].get("is_default") is False
    assert res["main"].get("cidrs") == ("10.0.0.0/24",) and res["main"].get("flow_logs") is True
    assert res["a"].get("private_access") is True and res["a"].region == "us-east1"
    vm = res["vm"]
    assert vm.get("public_ips") == ("34.1.1.1",) and vm.get("network_tags") == ("web",)
    assert vm.region == "us-east1" and vm.get("zone") == "us-east1-b"
    protected = {e.dst.rsplit("/", 1)[1] for e in edges if e.kind == "protected_by"}
    assert protected == {"for-web", "for-all"}
    kinds = {(e.kind, e.src.rsplit("/", 1)[1], e.dst.rsplit("/", 1)[1]) for e in edges}
    assert (
        ("contains", "main", "a") in kinds and ("contains", "a", "vm") in kinds and ("attached_to", "vm", "vm") in kinds
    )
    assert res["for-web"].get("is_default") is False


def test_gcp_disk_encryption_google_default_cmek_and_csek():
    key = "projects/p/locations/us/keyRings/r/cryptoKeys/k"
    res, edges = by_name(
        [
            rec(
                "compute.disk",
                {"name": "plain", "zone": f"{C}/zones/us-east1-b", "selfLink": f"{C}/zones/us-east1-b/disks/plain"},
            ),
            rec(
                "compute.disk",
                {
                    "name": "cmek",
                    "zone": f"{C}/zones/us-east1-b",
                    "selfLink": f"{C}/zones/us-east1-b/disks/cmek",
                    "diskEncryptionKey": {"kmsKeyName": f"{key}/cryptoKeyVersions/3"},
                },
            ),
            rec(
                "compute.disk",
                {
                    "name": "csek",
                    "region": f"{C}/regions/us-east1",
                    "selfLink": f"{C}/regions/us-east1/disks/csek",
                    "diskEncryptionKey": {"sha256": "abc="},
                },
            ),
        ]
    )
    plain = res["plain"].get("encryption")
    assert plain["at_rest"] is True and plain["key_manager"] == "provider" and plain["algorithm"] == "AES-256"
    assert plain["basis"] == "provider_default" and plain["default_source"] == "gcp.compute_disk.google_default"
    assert plain["default_since"]
    cmek = res["cmek"].get("encryption")
    assert cmek["key_manager"] == "customer" and cmek["basis"] == "explicit"
    assert cmek["key_id"] == f"//cloudkms.googleapis.com/{key}"  # the key, not the version
    assert [e.dst for e in edges if e.kind == "encrypted_by"] == [cmek["key_id"]]
    assert (
        res["csek"].get("encryption")["key_manager"] == "customer"
        and res["csek"].native_type == "compute.v1.regionDisk"
    )


def test_gcp_ssl_policies_and_proxies_resolve_versions_through_knowledge():
    pol = f"{C}/global/sslPolicies"
    res, edges = by_name(
        [
            rec(
                "compute.sslPolicy",
                {"name": "old", "profile": "COMPATIBLE", "minTlsVersion": "TLS_1_0", "selfLink": f"{pol}/old"},
            ),
            rec(
                "compute.sslPolicy",
                {"name": "new", "profile": "MODERN", "minTlsVersion": "TLS_1_2", "selfLink": f"{pol}/new"},
            ),
            rec(
                "compute.targetHttpsProxy",
                {"name": "p-new", "sslPolicy": f"{pol}/new", "selfLink": f"{C}/global/targetHttpsProxies/p-new"},
            ),
            rec("compute.targetHttpsProxy", {"name": "p-none", "selfLink": f"{C}/global/targetHttpsProxies/p-none"}),
            rec(
                "compute.targetSslProxy",
                {
                    "name": "p-elsewhere",
                    "sslPolicy": f"{C}/regions/x/sslPolicies/missing",
                    "selfLink": f"{C}/global/targetSslProxies/p-elsewhere",
                },
            ),
        ]
    )
    assert res["old"].kind == "tls_policy" and res["old"].get("versions") == ("1.0", "1.1", "1.2", "1.3")
    assert res["new"].get("min_version") == "1.2" and res["new"].get("profile") == "MODERN"
    assert res["p-new"].get("tls.versions") == ("1.2", "1.3") and res["p-new"].get("protocol") == "https"
    none = res["p-none"].get("tls")
    assert none["default_policy"] is True and none["policy"] == "COMPATIBLE:TLS_1_0" and "1.0" in none["versions"]
    elsewhere = res["p-elsewhere"].get("tls")
    assert elsewhere["versions"] is UNKNOWN and elsewhere["policy"] == "missing"
    assert res["p-elsewhere"].get("protocol") == "tls"
    assert {(e.src.rsplit("/", 1)[1], e.kind) for e in edges} == {
        ("p-new", "uses_policy"),
        ("p-elsewhere", "uses_policy"),
    }


def test_gcp_kms_keys_rotation_algorithm_and_protection():
    ring = "projects/p/locations/europe-west1/keyRings/r"
    res, _ = by_name(
        [
            rec(
                "kms.cryptoKey",
                {
                    "name": f"{ring}/cryptoKeys/rot",
                    "purpose": "ENCRYPT_DECRYPT",
                    "rotationPeriod": "7776000s",
                    "nextRotationTime": "2027-01-01T00:00:00Z",
                    "primary": {"state": "ENABLED"},
                    "versionTemplate": {"algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION", "protectionLevel": "HSM"},
                },
            ),
            rec(
                "kms.cryptoKey",
                {
                    "name": f"{ring}/cryptoKeys/none",
                    "purpose": "ENCRYPT_DECRYPT",
                    "primary": {"state": "ENABLED"},
                    "versionTemplate": {"algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION"},
                },
            ),
            rec(
                "kms.cryptoKey",
                {
                    "name": f"{ring}/cryptoKeys/sig",
                    "purpose": "ASYMMETRIC_SIGN",
                    "versionTemplate": {"algorithm": "EC_SIGN_P256_SHA256", "protectionLevel": "SOFTWARE"},
                },
            ),
        ]
    )
    rot = res["rot"]
    assert rot.id == f"//cloudkms.googleapis.com/{ring}/cryptoKeys/rot" and rot.region == "europe-west1"
    assert dict(rot.get("rotation")) == {
        "enabled": True,
        "period_days": 90,
        "next": "2027-01-01T00:00:00Z",
        "supported": True,
    }
    assert (rot.get("algorithm"), rot.get("bits"), rot.get("protection"), rot.get("usage")) == (
        "AES-256",
        256,
        "hsm",
        "encrypt",
    )
    assert rot.get("enabled") is True and rot.get("manager") == "customer"
    assert res["none"].get("rotation.enabled") is False and res["none"].get("rotation.period_days") is None
    sig = res["sig"]
    assert (sig.get("algorithm"), sig.get("bits"), sig.get("usage")) == ("EC", 256, "sign")
    assert sig.get("rotation.supported") is False and sig.get("enabled") is None


def test_gcp_buckets_default_key_uniform_access_and_public_prevention():
    res, edges = by_name(
        [
            rec(
                "storage.bucket",
                {
                    "name": "logs",
                    "location": "US",
                    "uniformBucketLevelAccess": True,
                    "publicAccessPrevention": "inherited",
                },
            ),
            rec(
                "storage.bucket",
                {
                    "name": "data",
                    "location": "EU",
                    "publicAccessPrevention": "enforced",
                    "defaultKmsKeyName": "projects/p/locations/eu/keyRings/r/cryptoKeys/k",
                },
            ),
        ]
    )
    logs, data = res["logs"], res["data"]
    assert logs.id == "//storage.googleapis.com/projects/_/buckets/logs" and logs.region == "us"
    assert (
        logs.get("encryption.basis") == "provider_default"
        and logs.get("encryption.default_source") == "gcp.storage.google_default"
    )
    assert logs.get("public") is UNKNOWN and logs.get("uniform_access") is True
    assert data.get("public") is False and data.get("encryption.key_manager") == "customer"
    assert [e.kind for e in edges] == ["encrypted_by"]


def test_gcp_cloud_sql_transport_public_backups_and_ha():
    def sql(name, ip, backup=None, avail="ZONAL"):
        return rec(
            "sqladmin.instance",
            {
                "name": name,
                "region": "us-central1",
                "databaseVersion": "POSTGRES_15",
                "settings": {"ipConfiguration": ip, "availabilityType": avail, "backupConfiguration": backup or {}},
            },
        )

    res, _ = by_name(
        [
            sql(
                "open",
                {
                    "ipv4Enabled": True,
                    "sslMode": "ALLOW_UNENCRYPTED_AND_ENCRYPTED",
                    "requireSsl": True,
                    "authorizedNetworks": [{"value": "0.0.0.0/0"}],
                },
            ),
            sql(
                "strict",
                {
                    "ipv4Enabled": True,
                    "sslMode": "TRUSTED_CLIENT_CERTIFICATE_REQUIRED",
                    "authorizedNetworks": [{"value": "198.51.100.0/24"}],
                },
                {"enabled": True, "backupRetentionSettings": {"retainedBackups": 30}},
                avail="REGIONAL",
            ),
            sql("legacy", {"ipv4Enabled": False, "requireSsl": True, "authorizedNetworks": [{"value": "0.0.0.0/0"}]}),
            sql("unset", {"ipv4Enabled": True}),
        ]
    )
    assert res["open"].get("transport.tls_required") is False  # sslMode supersedes requireSsl
    assert res["open"].get("public") is True and res["open"].get("backup.enabled") is False
    strict = res["strict"]
    assert strict.get("transport.tls_required") is True and strict.get("public") is False
    assert strict.get("multi_az") is True and dict(strict.get("backup")) == {
        "enabled": True,
        "retention_days": 30,
        "point_in_time_recovery": False,
    }
    assert res["legacy"].get("transport.tls_required") is True and res["legacy"].get("public") is False
    assert res["unset"].get("transport.tls_required") is False
    assert (
        strict.get("engine") == "postgres" and strict.get("encryption.default_source") == "gcp.cloudsql.google_default"
    )


def test_gcp_malformed_record_becomes_a_gap_and_the_rest_is_kept():
    resources, _, gaps = normalise(
        [
            rec("compute.firewall", {"name": "broken", "network": NET}),  # no selfLink
            rec("storage.bucket", {"name": "fine"}),
            rec("kms.keyRing", {"name": "projects/p/locations/l/keyRings/r"}),
        ]
    )
    assert [r.name for r in resources] == ["fine"]
    (gap,) = gaps
    assert (gap.code, gap.service, gap.account, gap.target) == ("normalise_error", "compute", "p", "broken")
