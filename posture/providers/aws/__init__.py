"""Live AWS as a source: collect with boto3 (concurrently, paged, gaps not crashes), normalise purely.

``collect_aws`` returns the normalised Inventory (``posture.api.scan_aws`` evaluates it); its options are
one :class:`AwsOptions`.
Modules: ``session`` (picklable session recipe, client cache, retry config), ``reader`` (paging,
error-to-gap, call counting), ``tasks_*`` (collection tasks per service), ``tasks`` (task table),
``collect`` (accounts x regions x services on an executor), ``norm_*`` and ``normalise`` (pure
normalisers to the model of docs/model.md). Heavy SDK imports happen inside functions only.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from posture.model import Inventory

__all__ = ["AwsOptions", "collect_aws"]


@dataclass(frozen=True)
class AwsOptions:
    """How to read AWS: credentials, scope and concurrency (see :func:`collect_aws`)."""

    session: Any = None
    regions: Iterable[str] | None = None
    executor: Executor | None = None
    profile: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    organization: bool = False
    org_role_name: str | None = None
    services: Iterable[str] | None = None
    max_workers: int | None = None
    progress: bool | None = False
    client: Any = None
    dask_scheduler: str | None = None


def collect_aws(options: AwsOptions | None = None) -> Inventory:
    """Read an AWS account (or every account of an Organization) into a normalised Inventory.

    ``session`` is a boto3 Session to use (default: the standard credential chain, or
    ``profile``); ``role_arn`` is assumed from it first. ``regions`` defaults to every region
    enabled for the account. ``executor`` runs the collection tasks (default: a thread pool of
    ``max_workers``). ``client`` (a ``distributed.Client``) or ``dask_scheduler`` (an address such as
    ``tcp://scheduler:8786``) runs the account x region x service tasks on a Dask cluster instead:
    tasks then carry a picklable session *recipe* (``profile``, ``role_arn``, or the environment's
    credentials, which each worker resolves itself), so a live ``session`` is refused there.
    Denied, unsupported or failing reads, and tasks lost by the executor, become coverage gaps.
    """
    from contextlib import nullcontext

    from posture.fanout import open_executor
    from posture.providers.aws.collect import DEFAULT_ORG_ROLE, MAX_WORKERS, collect
    from posture.providers.aws.normalise import normalise
    from posture.providers.aws.session import SessionSpec, release

    o = options or AwsOptions()
    session, regions, executor, client, dask_scheduler = o.session, o.regions, o.executor, o.client, o.dask_scheduler
    dask = client is not None or bool(dask_scheduler)
    if dask and session is not None:
        from posture.errors import InputError

        raise InputError("a live boto3.Session cannot be sent to remote Dask workers; pass profile= or role_arn=, "
                         "or give the workers credentials in their environment", where="aws session")
    base = SessionSpec(profile=o.profile, session=session)
    spec = base.assume(o.role_arn, o.external_id) if o.role_arn else base
    running = open_executor(dask_scheduler, client=client) if dask else nullcontext(executor)
    try:
        with running as pool:
            got = collect(spec, regions=regions, services=o.services, organization=o.organization,
                          org_role_name=o.org_role_name or DEFAULT_ORG_ROLE, executor=pool,
                          max_workers=o.max_workers or MAX_WORKERS, progress=o.progress)
    finally:
        release(spec.scan_id)
    meta = {"aws": {"accounts": got.accounts, "regions": got.regions, "api_calls": got.calls,
                    "collect_seconds": round(got.seconds, 3), "tasks": len(got.batches)}}
    return normalise(got.batches, got.gaps, meta)
