"""Pure Azure normalisers: ARM REST shapes in, docs/model.md vocabulary out (no SDK, no I/O)."""

from __future__ import annotations

from posture.model import UNKNOWN
from posture.providers.azure.network import nsg_rule, nsg_rules, port_ranges
from posture.providers.azure.normalise import normalise
from posture.providers.azure.stores import iso_duration_days, key_rotation

SUB = "11111111-1111-1111-1111-111111111111"
P = f"/subscriptions/{SUB}/resourceGroups/RG/providers"


def rec(rtype: str, data: dict) -> dict:
    return {"subscription": SUB, "service": "test", "type": rtype, "data": data}


def by_name(inv, name: str):
    (res,) = [r for r in inv.resources if r.name == name]
    return res


def rule(**p) -> dict:
    base = {"protocol": "Tcp", "access": "Allow", "direction": "Inbound", "priority": 100,
            "sourceAddressPrefix": "*", "destinationPortRange": "*"}
    return {"name": "r", "properties": {**base, **p}}


# --------------------------------------------------------------------------- NSG rules


def test_azure_nsg_peers_ports_and_protocols_are_normalised():
    assert nsg_rule(rule(sourceAddressPrefix="Internet", destinationPortRange="3389"), implied=False) == {
        "name": "r", "direction": "ingress", "action": "allow", "protocol": "tcp", "ports": [[3389, 3389]],
        "peers": ["0.0.0.0/0"], "priority": 100, "description": None, "implied": False}
    assert nsg_rule(rule(sourceAddressPrefix="*"), implied=False)["peers"] == ["0.0.0.0/0"]
    assert nsg_rule(rule(sourceAddressPrefix="VirtualNetwork"), implied=False)["peers"] == ["tag:VirtualNetwork"]
    many = nsg_rule(rule(sourceAddressPrefix=None, sourceAddressPrefixes=["10.0.0.0/8", "192.0.2.7"],
                         destinationPortRange=None, destinationPortRanges=["443", "8000-8080"], protocol="*"),
                    implied=False)
    assert many["peers"] == ["10.0.0.0/8", "192.0.2.7"] and many["ports"] == [[443, 443], [8000, 8080]]
    assert many["protocol"] == "all"
    asg = nsg_rule(rule(sourceAddressPrefix=None, sourceApplicationSecurityGroups=[{"id": f"{P}/X/asg"}]),
                   implied=False)
    assert asg["peers"] == [f"sg:{P.lower()}/x/asg"]
    out = nsg_rule(rule(direction="Outbound", destinationAddressPrefix="Internet", sourceAddressPrefix="10.0.0.0/8",
                        protocol="Icmp"), implied=True)
    assert (out["direction"], out["peers"], out["ports"], out["implied"]) == ("egress", ["0.0.0.0/0"], [], True)
    assert port_ranges("*", None) == [[0, 65535]] and port_ranges(None, None) == [[0, 65535]]


def test_azure_nsg_default_rules_are_added_when_the_answer_lacks_them():
    rules = nsg_rules({"properties": {"securityRules": [rule(priority=300, destinationPortRange="22")]}})
    implied = {(r["name"], r["direction"], r["priority"], r["action"]) for r in rules if r["implied"]}
    assert implied == {
        ("AllowVnetInBound", "ingress", 65000, "allow"), ("AllowAzureLoadBalancerInBound", "ingress", 65001, "allow"),
        ("DenyAllInBound", "ingress", 65500, "deny"), ("AllowVnetOutBound", "egress", 65000, "allow"),
        ("AllowInternetOutBound", "egress", 65001, "allow"), ("DenyAllOutBound", "egress", 65500, "deny")}
    assert rules[0]["priority"] == 300 and not rules[0]["implied"]
    deny_all = next(r for r in rules if r["name"] == "DenyAllInBound")
    assert deny_all["peers"] == ["0.0.0.0/0"] and deny_all["ports"] == [[0, 65535]]


def test_azure_subnet_and_nic_nsgs_both_apply_to_an_interface():
    vnet, nsg_sn, nsg_nic = f"{P}/Microsoft.Network/virtualNetworks/v", f"{P}/N/nsg-sn", f"{P}/N/nsg-nic"
    inv = normalise([
        rec("Microsoft.Network/virtualNetworks", {"id": vnet, "name": "v", "properties": {
            "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
            "subnets": [{"id": f"{vnet}/subnets/s", "name": "s", "properties": {
                "addressPrefix": "10.0.0.0/24", "networkSecurityGroup": {"id": nsg_sn}}}]}}),
        rec("Microsoft.Network/networkSecurityGroups", {"id": nsg_sn, "name": "nsg-sn", "properties": {
            "subnets": [{"id": f"{vnet}/subnets/s"}]}}),
        rec("Microsoft.Network/networkSecurityGroups", {"id": nsg_nic, "name": "nsg-nic", "properties": {}}),
        rec("Microsoft.Network/networkInterfaces", {"id": f"{P}/N/nic", "name": "nic", "properties": {
            "networkSecurityGroup": {"id": nsg_nic.upper()},
            "ipConfigurations": [{"properties": {"privateIPAddress": "10.0.0.4",
                                                 "subnet": {"id": f"{vnet}/subnets/S"}}}]}}),
    ])
    nic = by_name(inv, "nic")
    assert nic.attrs["firewalls"] == (nsg_nic.lower(), nsg_sn.lower())
    assert nic.attrs["subnet"] == f"{vnet}/subnets/s".lower()
    assert by_name(inv, "nsg-sn").attrs["layer"] == "subnet" and by_name(inv, "nsg-nic").attrs["layer"] == "instance"
    edges = {(e.src.rsplit("/", 1)[-1], e.kind, e.dst.rsplit("/", 1)[-1]) for e in inv.edges}
    assert {("s", "protected_by", "nsg-sn"), ("nic", "protected_by", "nsg-nic"), ("v", "contains", "s"),
            ("s", "contains", "nic")} <= edges


# --------------------------------------------------------------------------- data stores


def test_azure_storage_account_tls_https_encryption_and_public_access():
    inv = normalise([
        rec("Microsoft.Storage/storageAccounts", {"id": f"{P}/S/old", "name": "old", "properties": {
            "supportsHttpsTrafficOnly": False, "encryption": {"keySource": "Microsoft.Storage"}}}),
        rec("Microsoft.KeyVault/vaults", {"id": f"{P}/V/vaults/kv", "name": "kv",
                                          "properties": {"vaultUri": "https://kv.vault.azure.net/"}}),
        rec("Microsoft.Storage/storageAccounts", {"id": f"{P}/S/cmk", "name": "cmk", "properties": {
            "minimumTlsVersion": "TLS1_2", "supportsHttpsTrafficOnly": True, "publicNetworkAccess": "Enabled",
            "networkAcls": {"defaultAction": "Deny"},
            "encryption": {"keySource": "Microsoft.Keyvault", "requireInfrastructureEncryption": True,
                           "keyvaultproperties": {"keyname": "K1", "keyvaulturi": "https://KV.vault.azure.net"}}}}),
    ])
    old, cmk = by_name(inv, "old"), by_name(inv, "cmk")
    old_https, old_http = by_name(inv, "old:443"), by_name(inv, "old:80")
    # unset minimumTlsVersion is read as the documented default (TLS1_0), from the knowledge table
    assert old_https.get("tls.setting") == "TLS1_0" and "1.0" in old_https.get("tls.versions")
    assert old_https.get("endpoint_of") == old.id and old_http.get("redirects_to_https") is False
    assert old.get("transport") == {"tls_required": False, "min_tls_version": "1.0"}
    assert old.get("network_public") is True
    # anonymous reads: containers are not read, so an open account that may allow them is undecided...
    assert old.get("public") is UNKNOWN
    assert old.get("encryption.at_rest") is True and old.get("encryption.basis") == "provider_default"
    assert old.get("encryption.algorithm") == "AES-256" and old.get("encryption.default_source") == "azure.storage.sse"
    assert by_name(inv, "cmk:443").get("tls.versions") == ("1.2", "1.3") and cmk.get("network_public") is False
    assert cmk.get("public") is False  # ...and one whose firewall denies the internet is not publicly readable
    assert not [r for r in inv.resources if r.name == "cmk:80"]  # HTTPS only: no plain-HTTP endpoint
    key_id = f"{P}/V/vaults/kv/keys/k1".lower()
    assert cmk.get("encryption.key_manager") == "customer" and cmk.get("encryption.key_id") == key_id
    assert cmk.get("encryption.infrastructure_encryption") is True
    assert any(e.kind == "encrypted_by" and e.dst == key_id for e in inv.edges)


def test_azure_managed_disk_platform_and_customer_keys():
    des = f"{P}/C/diskEncryptionSets/des"
    inv = normalise([
        rec("Microsoft.KeyVault/vaults", {"id": f"{P}/V/vaults/kv", "properties": {"vaultUri": "https://kv.vault.azure.net/"}}),
        rec("Microsoft.Compute/diskEncryptionSets", {"id": des, "properties": {
            "activeKey": {"keyUrl": "https://kv.vault.azure.net/keys/dk/0123abcd"}}}),
        rec("Microsoft.Compute/disks", {"id": f"{P}/C/disks/plain", "name": "plain", "properties": {}}),
        rec("Microsoft.Compute/disks", {"id": f"{P}/C/disks/cmk", "name": "cmk", "properties": {
            "encryption": {"type": "EncryptionAtRestWithPlatformAndCustomerKeys", "diskEncryptionSetId": des}}}),
    ])
    plain, cmk = by_name(inv, "plain"), by_name(inv, "cmk")
    assert plain.get("encryption.basis") == "provider_default"
    assert plain.get("encryption.default_source") == "azure.managed_disk.sse_pmk"
    assert cmk.get("encryption.key_id") == f"{P}/V/vaults/kv/keys/dk".lower()
    assert cmk.get("encryption.disk_encryption_set") == des.lower()
    assert cmk.get("encryption.infrastructure_encryption") is True and cmk.get("store_type") == "disk"


def test_azure_sql_tde_states_and_server_tls():
    srv = f"{P}/Microsoft.Sql/servers/s"
    inv = normalise([
        rec("Microsoft.Sql/servers", {"id": srv, "name": "s", "properties": {"minimalTlsVersion": "1.0"}}),
        *[rec("Microsoft.Sql/servers/databases", {"id": f"{srv}/databases/{n}", "name": n})
          for n in ("on", "off", "unread")],
        rec("Microsoft.Sql/servers/databases/transparentDataEncryption",
            {"id": f"{srv}/databases/on/transparentDataEncryption/Current", "properties": {"state": "Enabled"}}),
        rec("Microsoft.Sql/servers/databases/transparentDataEncryption",
            {"id": f"{srv}/databases/off/transparentDataEncryption/Current", "properties": {"state": "Disabled"}}),
    ])
    assert by_name(inv, "on").get("encryption.at_rest") is True
    assert by_name(inv, "on").get("encryption.algorithm") == "AES-256"
    assert by_name(inv, "off").get("encryption.at_rest") is False
    assert by_name(inv, "unread").get("encryption.at_rest") is UNKNOWN  # TDE not readable: never a silent pass
    server, endpoint = by_name(inv, "s"), by_name(inv, "s:1433")
    assert (server.kind, server.get("store_type"), server.get("transport.min_tls_version")) == (
        "datastore", "sql_server", "1.0")
    assert server.get("encryption.at_rest") is UNKNOWN  # the TDE protector was not read
    assert endpoint.kind == "listener" and endpoint.get("tls.versions")[0] == "1.0" and server.get("public") is True


def test_azure_key_spec_rotation_and_expiry():
    kv = f"{P}/Microsoft.KeyVault/vaults/kv"
    inv = normalise([
        rec("Microsoft.KeyVault/vaults", {"id": kv, "name": "kv", "location": "westeurope", "properties": {}}),
        rec("Microsoft.KeyVault/vaults/keys", {"id": f"{kv}/keys/ec", "name": "ec", "properties": {
            "kty": "EC-HSM", "curveName": "P-384", "keyOps": ["sign"], "attributes": {"exp": 1893456000}}}),
        rec("Microsoft.KeyVault/vaults/keys", {"id": f"{kv}/keys/rsa", "name": "rsa", "properties": {
            "kty": "RSA", "keySize": 2048, "attributes": {"enabled": False}}}),
    ])
    ec, rsa = by_name(inv, "ec"), by_name(inv, "rsa")
    assert (ec.get("algorithm"), ec.get("bits"), ec.get("protection"), ec.get("usage")) == ("EC", 384, "hsm", "sign")
    assert ec.get("expires") == "2030-01-01T00:00:00Z" and ec.region == "westeurope"
    assert (rsa.get("algorithm"), rsa.get("bits"), rsa.get("enabled")) == ("RSA", 2048, False)
    assert rsa.get("rotation") == {"enabled": False, "period_days": None}
    assert key_rotation({"lifetimeActions": [{"trigger": {"timeAfterCreate": "P90D"}, "action": {"type": "rotate"}}]}) \
        == {"enabled": True, "period_days": 90}
    assert key_rotation({"attributes": {"expiryTime": "P1Y"}, "lifetimeActions": [
        {"trigger": {"timeBeforeExpiry": "P30D"}, "action": {"type": "Rotate"}}]})["period_days"] == 335
    notify_only = {"lifetimeActions": [{"trigger": {"timeBeforeExpiry": "P30D"}, "action": {"type": "Notify"}}]}
    assert key_rotation(notify_only) == {"enabled": False, "period_days": None}
    assert iso_duration_days("P2M1W") == 67 and iso_duration_days("PT1H") is None


def test_azure_key_expiry_from_the_key_or_its_rotation_policy_judged_by_key_007():
    from posture import scan_inventory

    kv = f"{P}/Microsoft.KeyVault/vaults/kv"
    inv = normalise([
        rec("Microsoft.KeyVault/vaults", {"id": kv, "name": "kv", "location": "westeurope", "properties": {}}),
        rec("Microsoft.KeyVault/vaults/keys", {"id": f"{kv}/keys/dated", "name": "dated", "properties": {
            "kty": "RSA", "keySize": 3072, "attributes": {"exp": 1893456000}}}),
        rec("Microsoft.KeyVault/vaults/keys", {"id": f"{kv}/keys/policy", "name": "policy", "properties": {
            "kty": "RSA", "keySize": 3072, "attributes": {},
            "rotationPolicy": {"attributes": {"expiryTime": "P90D"}, "lifetimeActions": [
                {"trigger": {"timeBeforeExpiry": "P30D"}, "action": {"type": "Rotate"}}]}}}),
        rec("Microsoft.KeyVault/vaults/keys", {"id": f"{kv}/keys/forever", "name": "forever", "properties": {
            "kty": "RSA", "keySize": 3072, "attributes": {}}}),
    ])
    dated, policy, forever = by_name(inv, "dated"), by_name(inv, "policy"), by_name(inv, "forever")
    assert all(k.get("expiry_supported") is True for k in (dated, policy, forever))
    assert (policy.get("expiry_policy_days"), forever.get("expiry_policy_days"), forever.get("expires")) == (
        90, None, None)
    failing = {f.resource.name for f in scan_inventory(inv).findings
               if f.rule_id == "POSTURE-KEY-007" and f.status == "open"}
    assert failing == {"forever"}


def test_azure_app_gateway_ssl_policies_resolve_through_the_knowledge_table():
    def gateway(name: str, ssl_policy: dict | None) -> dict:
        gid = f"{P}/Microsoft.Network/applicationGateways/{name}"
        return rec("Microsoft.Network/applicationGateways", {"id": gid, "name": name, "properties": {
            "frontendPorts": [{"id": f"{gid}/frontendPorts/p", "properties": {"port": 443}}],
            "httpListeners": [{"id": f"{gid}/httpListeners/l", "name": "l", "properties": {
                "protocol": "Https", "frontendPort": {"id": f"{gid}/frontendPorts/p"}}}],
            **({"sslPolicy": ssl_policy} if ssl_policy is not None else {})}})

    inv = normalise([
        gateway("modern", {"policyType": "Predefined", "policyName": "AppGwSslPolicy20220101"}),
        gateway("custom", {"policyType": "CustomV2", "minProtocolVersion": "TLSv1_2",
                           "cipherSuites": ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"]}),
        gateway("unset", None),
        gateway("legacy-shape", {"disabledSslProtocols": ["TLSv1_0", "TLSv1_1"]}),
        gateway("unknown", {"policyType": "Predefined", "policyName": "AppGwSslPolicy20990101"}),
    ])
    tls = {r.name.split("/")[0]: r.get("tls") for r in inv.resources if r.kind == "listener"}
    assert tls["modern"]["versions"] == ("1.2", "1.3") and tls["modern"]["policy"] == "AppGwSslPolicy20220101"
    assert tls["custom"]["min_version"] == "1.2" and "1.1" not in tls["custom"]["versions"]
    assert tls["custom"]["ciphers"] == ("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",)
    assert tls["unset"]["policy"] == "AppGwSslPolicy20150501" and "1.0" in tls["unset"]["versions"]  # older default
    assert tls["legacy-shape"]["versions"] == ("1.2",)
    assert tls["unknown"]["versions"] is UNKNOWN
    lb = by_name(inv, "modern")
    assert (lb.kind, lb.get("lb_type"), lb.get("scheme")) == ("load_balancer", "app_gateway", "internal")


def test_azure_app_service_is_compute_with_https_and_http_listeners():
    site = f"{P}/Microsoft.Web/sites/app"
    inv = normalise([
        rec("Microsoft.Web/sites", {"id": site, "name": "app", "properties": {"httpsOnly": False}}),
        rec("Microsoft.Web/sites/config", {"id": f"{site}/config/web", "properties": {"minTlsVersion": "1.1"}}),
    ])
    https, http, app = by_name(inv, "app:443"), by_name(inv, "app:80"), by_name(inv, "app")
    assert https.get("tls.versions") == ("1.1", "1.2", "1.3") and https.get("tls.setting") == "1.1"
    assert http.get("redirects_to_https") is False and http.id == f"{site.lower()}/http"
    assert app.kind == "compute" and app.get("app_service") is True
    assert {(e.src, e.kind, e.dst) for e in inv.edges} == {(https.id, "attached_to", app.id),
                                                            (http.id, "attached_to", app.id)}
