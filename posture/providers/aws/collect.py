"""Plan and run a collection: accounts (one, or an AWS Organization) x regions x services.

Root tasks are submitted to an executor (a bounded thread pool by default, or any
``concurrent.futures``-style executor passed in, such as Dask's); follow-up detail tasks are
submitted as their parents finish. The result is the list of raw batches plus metadata.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from posture.errors import InputError
from posture.progress import Progress
from posture.providers.aws.reader import Reader
from posture.providers.aws.session import SessionSpec
from posture.providers.aws.tasks import SERVICES, TASKS, failed_batch, run_task

MAX_WORKERS = 16
DEFAULT_ORG_ROLE = "OrganizationAccountAccessRole"


@dataclass
class Collection:
    """Raw batches of one collection, and what was planned."""

    batches: list[dict[str, Any]] = field(default_factory=list)
    gaps: list[dict[str, str]] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    regions: dict[str, list[str]] = field(default_factory=dict)
    calls: int = 0
    seconds: float = 0.0


def partition_of(region: str) -> str:
    """The ARN partition of a region."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def _identity(spec: SessionSpec, account: str = "") -> tuple[str | None, Reader]:
    r = Reader(spec, account, spec.home_region(), "sts", "identity")
    got = r.call("get_caller_identity")
    return (got or {}).get("Account"), r


def _accounts(base: SessionSpec, organization: bool, org_role_name: str, executor: Executor,
              out: Collection) -> list[tuple[str, SessionSpec]]:
    me, r = _identity(base)
    out.calls += r.calls
    if me is None:
        reason = r.gaps[0]["reason"] if r.gaps else "no answer"
        raise InputError(f"cannot identify the AWS account ({reason}); check credentials, --profile, --role-arn",
                         where="aws")
    accounts = [(me, base)]
    if not organization:
        return accounts
    org = Reader(base, me, base.home_region(), "organizations", "organization")
    members = org.pages("list_accounts", "Accounts")
    out.calls += org.calls
    out.gaps += org.gaps
    partition = partition_of(base.home_region())
    candidates = [(a["Id"], base.assume(f"arn:{partition}:iam::{a['Id']}:role/{org_role_name}"))
                  for a in members or [] if a.get("Status", "ACTIVE") == "ACTIVE" and a["Id"] != me]
    checks = [executor.submit(_identity, spec, acct) for acct, spec in candidates]
    for (acct, spec), fut in zip(candidates, checks, strict=False):
        found, reader = fut.result()
        out.calls += reader.calls
        if found is None:  # the role could not be assumed: one gap for the whole account
            for gap in reader.gaps:
                out.gaps.append({**gap, "reason": f"assume {org_role_name}: {gap['reason']}"[:400]})
            continue
        accounts.append((acct, spec))
    return accounts


def _regions(spec: SessionSpec, account: str, wanted: Iterable[str] | None, out: Collection) -> list[str]:
    if wanted:
        return list(dict.fromkeys(wanted))
    r = Reader(spec, account, spec.home_region(), "ec2", "regions")
    got = r.call("describe_regions")  # without AllRegions: the regions enabled for this account
    found = None if got is None else got.get("Regions", [])
    out.calls += r.calls
    out.gaps += r.gaps
    if not found:  # cannot list regions: scan the home region rather than nothing
        return [spec.home_region()]
    return sorted(x["RegionName"] for x in found if x.get("OptInStatus") != "not-opted-in")


def collect(
    spec: SessionSpec,
    *,
    regions: Iterable[str] | None = None,
    services: Iterable[str] | None = None,
    organization: bool = False,
    org_role_name: str = DEFAULT_ORG_ROLE,
    executor: Executor | None = None,
    max_workers: int = MAX_WORKERS,
    progress: bool | None = None,
) -> Collection:
    """Collect raw batches for every account, region and service in scope."""
    wanted = set(services or SERVICES)
    unknown = wanted - set(SERVICES)
    if unknown:
        raise InputError(f"unknown service(s) {', '.join(sorted(unknown))}; known: {', '.join(SERVICES)}",
                         where="--service")
    try:
        spec.home_region()
    except ModuleNotFoundError:
        raise  # the CLI names the missing extra
    except Exception as e:  # e.g. botocore ProfileNotFound
        raise InputError(f"cannot set up an AWS session: {e}", where="--profile" if spec.profile else "aws") from None
    out = Collection()
    started = time.monotonic()
    own = executor is None
    pool: Executor = executor or ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="posture-aws")
    try:
        accounts = _accounts(spec, organization, org_role_name, pool, out)
        plan: list[tuple[str, SessionSpec, str, str]] = []
        for account, aspec in accounts:
            home = aspec.home_region()
            out.accounts.append(account)
            out.regions[account] = _regions(aspec, account, regions, out)
            for name, task in TASKS.items():
                if task.service not in wanted or task.scope == "detail":
                    continue
                where = out.regions[account] if task.scope == "regional" else [home]
                plan += [(name, aspec, account, region) for region in where]
        with Progress("aws", total=len(plan), enabled=progress) as bar:
            pending: dict[Future[Any], tuple[str, SessionSpec, str, str]] = {
                pool.submit(run_task, name, aspec, account, region): (name, aspec, account, region)
                for name, aspec, account, region in plan
            }
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    name, aspec, account, region = pending.pop(fut)
                    try:
                        batch = fut.result()
                    except Exception as e:  # the executor failed (a lost Dask worker, unpicklable data): a gap
                        batch = failed_batch(name, account, region, e, "task_failed")
                    out.batches.append(batch)
                    out.calls += batch["calls"]
                    for follow in batch["follow"]:
                        bar.total = (bar.total or 0) + 1
                        nxt = pool.submit(run_task, follow["task"], aspec, account, region, follow["args"])
                        pending[nxt] = (follow["task"], aspec, account, region)
                    bar.advance(note=f"{account} {region} {batch['task']}")
    finally:
        if own:
            pool.shutdown(wait=True)
    out.batches.sort(key=_batch_order)  # completion order varies (threads, Dask): the merge must not
    out.seconds = time.monotonic() - started
    return out


def _batch_order(batch: dict[str, Any]) -> tuple[str, str, str, str]:
    return (batch["account"], batch["region"], batch["task"],
            json.dumps(batch["records"], sort_keys=True, separators=(",", ":"), default=str))
