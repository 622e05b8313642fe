"""logging.audit rules that look across resources or need per-provider tables."""

from __future__ import annotations

from collections.abc import Iterator

from posture.knowledge.audit import required_log_types
from posture.model import UNKNOWN, Resource
from posture.rules.base import RuleContext, RuleFixture, Violation, rule, unknown_words

REQUIRED_LOG_TYPES = required_log_types()


@rule(
    id="POSTURE-LOG-005",
    title="Audit log configuration leaves out log types or exempts members",
    severity="medium",
    category="logging.audit",
    kinds=["log_sink"],
    local=True,
    controls=["SOC2:CC7.2", "ISO27001:8.15", "CIS-GCP:2.1", "CIS-AZURE:5.1.2", "PCI:10.2.1", "NIST:AU-2",
              "NIST:AU-12"],
    rationale="GCP records data access only for the audit log types configured, and Azure exports only the "
    "activity log categories a diagnostic setting names; exempted members are never recorded. The required "
    "types per provider are a parameter.",
    remediation="Configure every required log type (google_project_iam_audit_config for allServices with "
    "ADMIN_READ, DATA_READ and DATA_WRITE and no exempted_members; an Azure diagnostic setting exporting the "
    "Administrative, Security, Alert and Policy categories).",
    expected="every required audit log type recorded, nobody exempted",
    params={"required": REQUIRED_LOG_TYPES},
    fixtures=[RuleFixture("logging/azure_gcp.jsonl",
                          fail=("google_project_iam_audit_config.admin_only",
                                "google_project_iam_audit_config.exempted",
                                "azurerm_monitor_diagnostic_setting.partial"),
                          pass_=("google_project_iam_audit_config.all", "azurerm_monitor_diagnostic_setting.full"))],
)
def audit_log_types(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    """Missing required log types or exempted members on a sink that lists its log types."""
    types = resource.get("log_types")
    required = (ctx.params["required"] or {}).get(resource.provider)
    if types is None or not required:
        return
    if types is UNKNOWN:
        yield Violation(f"cannot verify: log types {unknown_words(resource)}", unverified=True)
        return
    have = {str(t).lower() for t in types}
    missing = [t for t in required if t.lower() not in have]
    exempted = resource.get("exempted_members")
    if exempted is UNKNOWN or exempted is None:
        exempted = []
    if missing or exempted:
        parts = [f"does not record {', '.join(missing)}"] if missing else []
        parts += [f"exempts {len(exempted)} member(s)"] if exempted else []
        yield Violation(f"{resource.name or resource.id} {' and '.join(parts)}",
                        observed={"log_types": list(types), "missing": missing, "exempted_members": len(exempted)},
                        expected=ctx.rule.expected)


def _covers(sink: Resource, account: Resource) -> bool | None:
    if sink.provider != account.provider or sink.get("enabled") is False:
        return False
    if sink.account and account.account and sink.account != account.account \
            and sink.get("covers") != "organization":
        return False
    if sink.get("multi_region") is True or not sink.region or sink.region == account.region:
        return True
    return None if sink.get("multi_region") is UNKNOWN else False


@rule(
    id="POSTURE-LOG-006",
    title="No audit trail records activity in this account",
    severity="high",
    category="logging.audit",
    kinds=["account"],
    controls=["SOC2:CC7.2", "ISO27001:8.15", "CIS-AWS:3.1", "CIS-AZURE:5.1.1", "CIS-GCP:2.2", "PCI:10.2.1",
              "NIST:AU-2", "NIST:AU-12"],
    rationale="Without a CloudTrail trail, an Azure activity log export or a GCP audit log sink covering the "
    "account (and region), nothing records who changed what. Only live scans and snapshots are judged: a "
    "Terraform plan describes part of an estate, so a missing trail there proves nothing.",
    remediation="Create a multi-region CloudTrail trail (or an organization trail), a subscription diagnostic "
    "setting exporting the activity log, or a project/organization log sink for audit logs.",
    expected="an enabled audit log sink covering the account and region",
    fixtures=[RuleFixture("logging/accounts.jsonl",
                          fail=("aws:account:111111111111:eu-west-1",),
                          # the account as a whole: its regions carry the verdict (one finding per missing trail)
                          pass_=("aws:account:111111111111", "aws:account:222222222222:eu-west-1",
                                 "aws:account:222222222222:us-east-1",
                                 "aws:account:333333333333:eu-west-1"))],
    # not counted as checked on a plan (a statement's audit-log claim must not "hold" on what was never judged)
    applies=lambda resource, ctx: not resource.source.startswith("terraform"),
)
def no_audit_trail(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    """An account (region) with no enabled audit sink covering it.

    An account judged region by region is not judged again as a whole: the same missing trail would be two
    findings."""
    if not resource.region:
        if "regional" not in ctx.memo:
            ctx.memo["regional"] = {(a.provider, a.account) for a in ctx.graph.by_kind("account") if a.region}
        if (resource.provider, resource.account) in ctx.memo["regional"]:
            return
    verdicts = [_covers(s, resource) for s in ctx.graph.by_kind("log_sink")]
    if True in verdicts:
        return
    if None in verdicts:
        yield Violation("cannot verify: whether a trail covers this region is unknown", unverified=True)
        return
    where = f"{resource.account or resource.id}" + (f" in {resource.region}" if resource.region else "")
    yield Violation(f"no enabled audit trail records activity of {where}", expected=ctx.rule.expected)
