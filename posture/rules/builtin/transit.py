"""encryption.in_transit rules that need the cipher-strength knowledge table."""

from __future__ import annotations

from collections.abc import Iterator

from posture.model import UNKNOWN, Resource
from posture.rules.base import RuleContext, RuleFixture, Violation, rule, unknown_words


@rule(
    id="POSTURE-TLS-005",
    title="TLS endpoint offers weak cipher suites",
    severity="high",
    category="encryption.in_transit",
    kinds=["listener", "endpoint", "tls_policy"],
    local=True,
    controls=["SOC2:CC6.7", "ISO27001:8.24", "CIS-GCP:3.9", "PCI:4.2.1", "NIST:SC-8", "NIST:SC-13"],
    rationale="NULL, EXPORT, anonymous, RC4, DES/3DES (Sweet32) and MD5 suites can be broken or downgraded to. "
    "Offered suites come from the provider policy's cipher list in the knowledge table (or the live probe) and "
    "are classified by posture/knowledge/ciphers.yaml; one rule judges configured and observed suites alike "
    "(the probe's own weak-cipher rule was folded into this one). Set strengths to [weak, legacy] to also report "
    "CBC and non-forward-secret suites (Mozilla 'intermediate').",
    remediation="Choose a policy without legacy suites (ELBSecurityPolicy-TLS13-1-2-2021-06, CloudFront "
    "TLSv1.2_2021, a GCP SSL policy with profile MODERN or RESTRICTED, AppGwSslPolicy20220101S).",
    expected="only strong (forward-secret AEAD) cipher suites",
    params={"strengths": ["weak"]},
    fixtures=[RuleFixture("transit/aws/plan.json",
                          fail=("aws_lb_listener.old_policy", "aws_cloudfront_distribution.default_cert"),
                          pass_=("aws_lb_listener.modern", "aws_lb_listener.default_policy",
                                 "aws_cloudfront_distribution.modern", "aws_lb_listener.plain_http")),
              RuleFixture("transit/azure_gcp.jsonl",
                          fail=("google_compute_target_https_proxy.compatible_tls10",),
                          pass_=("google_compute_target_https_proxy.modern_tls12",))],
)
def weak_ciphers(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    """Cipher suites of a strength the parameter forbids."""
    from posture.knowledge import cipher_strength, classify_cipher

    tls = resource.get("tls") if resource.kind != "tls_policy" else resource.attrs
    if tls is UNKNOWN:
        yield Violation(f"cannot verify: TLS settings {unknown_words(resource)}", unverified=True)
        return
    if not tls:
        return
    ciphers = tls.get("ciphers")
    if ciphers is UNKNOWN:
        # Only a named policy whose suites we cannot resolve is worth an "info"; platform-managed endpoints
        # (a minimum-TLS setting and no policy) have no configurable suites to check.
        if tls.get("policy") not in (None, ""):
            yield Violation(f"cannot verify: cipher suites of policy {tls.get('policy')} are not known",
                            observed={"policy": tls.get("policy")}, unverified=True)
        return
    forbidden = set(ctx.params["strengths"])
    bad = [c for c in ciphers or () if cipher_strength(str(c)) in forbidden]
    if bad:
        yield Violation(f"{resource.name or resource.id} offers {len(bad)} {'/'.join(sorted(forbidden))} cipher "
                        f"suite(s): {', '.join(bad)}",
                        observed={"policy": tls.get("policy"), "ciphers": bad,
                                  "reasons": {c: classify_cipher(str(c))["reason"] for c in bad}},
                        expected=ctx.rule.expected)
