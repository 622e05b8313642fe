"""Live Azure source: read subscriptions through the real ``azure-mgmt-*`` clients and normalise them.

``collect_azure`` runs one task per subscription x service (see :mod:`.collect`) on a bounded
thread pool (or an executor passed in) and normalises the raw records (:mod:`.normalise`, pure);
``posture.api.scan_azure`` evaluates the rules on the result. The Azure SDK is imported only when a scan runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from concurrent.futures import Executor, Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

from posture.errors import InputError
from posture.model import Gap, Inventory, freeze

SERVICES = ("network", "compute", "storage", "keyvault", "sql", "web")
"""Every Azure service a scan reads (``services=`` selects a subset)."""

REPLAY_ENV = "POSTURE_AZURE_REPLAY"
"""Testing hook: a directory of recorded ARM answers; when set, clients use :class:`.replay.ReplayTransport`."""


def _session(credential: Any, client_kwargs: Mapping[str, Any] | None) -> Any:
    from posture.providers.azure.collect import AzureSession, CredentialRecipe

    if isinstance(credential, CredentialRecipe):
        return credential.session()

    kwargs = dict(client_kwargs or {})
    replay = os.environ.get(REPLAY_ENV)
    if replay and "transport" not in kwargs:
        from posture.providers.azure.replay import ReplayTransport, StaticTokenCredential

        if not os.path.isdir(replay):
            raise InputError("not a directory of recorded Azure answers", where=f"{REPLAY_ENV}={replay}")
        kwargs["transport"] = ReplayTransport.from_directory(replay)
        kwargs.setdefault("retry_backoff_factor", 0.0)
        credential = credential or StaticTokenCredential()
    if credential is None:
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
    return AzureSession(credential, kwargs)


@dataclass(frozen=True)
class AzureOptions:
    """How to read Azure: credential, scope and concurrency (see :func:`collect_azure`)."""

    credential: Any = None
    subscriptions: Iterable[str] | None = None
    executor: Executor | None = None
    services: Iterable[str] | None = None
    max_workers: int = 8
    client_kwargs: Mapping[str, Any] | None = None
    progress: bool | None = None
    client: Any = None
    dask_scheduler: str | None = None


def collect_azure(options: AzureOptions | None = None) -> Inventory:
    """Read Azure subscriptions into a normalised :class:`~posture.model.Inventory`.

    ``credential`` is any azure-core ``TokenCredential`` (default ``DefaultAzureCredential``);
    ``subscriptions`` defaults to every subscription the credential can see; ``executor`` runs the
    subscription x service tasks (default: a thread pool of at most ``max_workers``);
    ``client_kwargs`` go to every management client (``transport=``, ``retry_total=``...).
    Denied, throttled or failed calls become coverage gaps; only an unusable credential raises.
    ``client``/``dask_scheduler``: run the tasks on a Dask cluster (a ``distributed.Client`` or a scheduler
    address); workers build their own credential from a :class:`~.collect.CredentialRecipe` (``credential``;
    default ``DefaultAzureCredential`` on each worker, or the ``POSTURE_AZURE_REPLAY`` recordings), never
    from a live credential object.
    """
    from contextlib import nullcontext

    from azure.core.exceptions import ClientAuthenticationError

    from posture.fanout import open_executor
    from posture.progress import Progress
    from posture.providers.azure.collect import (
        COLLECTORS,
        Collected,
        CredentialRecipe,
        error_gap,
        list_subscriptions,
        run_service,
    )
    from posture.providers.azure.normalise import normalise

    o = options or AzureOptions()
    credential, subscriptions, executor, services = o.credential, o.subscriptions, o.executor, o.services
    max_workers, client_kwargs, progress, client, dask_scheduler = (o.max_workers, o.client_kwargs, o.progress,
                                                                    o.client, o.dask_scheduler)
    chosen = list(dict.fromkeys(services or SERVICES))
    unknown = [s for s in chosen if s not in COLLECTORS]
    if unknown:
        raise InputError(f"unknown Azure service(s) {', '.join(unknown)}; known: {', '.join(SERVICES)}",
                         where="services")
    dask = client is not None or bool(dask_scheduler)
    if dask:
        if not isinstance(credential, (CredentialRecipe, type(None))) or "transport" in (client_kwargs or {}):
            raise InputError("a live credential or transport cannot be sent to remote Dask workers: pass "
                             "credential=None (workers use DefaultAzureCredential) or a CredentialRecipe",
                             where="azure")
        if credential is None:
            credential = CredentialRecipe(os.environ.get(REPLAY_ENV) or None, dict(client_kwargs or {}))
    session = _session(credential, client_kwargs)
    task_session = credential if isinstance(credential, CredentialRecipe) else session
    gaps: list[Gap] = []
    if subscriptions:
        subs = list(dict.fromkeys(s.strip() for s in subscriptions if s.strip()))
    else:
        try:
            subs, gaps = list_subscriptions(session)
        except ClientAuthenticationError as exc:
            raise InputError(f"no usable Azure credential: {str(exc).splitlines()[0]}",
                             where="azure credential") from None
        except Exception as exc:  # e.g. the subscription list itself denied or throttled
            gaps.append(error_gap(exc, "subscriptions", "", "list subscriptions"))
            subs = []

    tasks = [(sub, svc) for sub in subs for svc in chosen]
    given = open_executor(dask_scheduler, client=client) if dask else nullcontext(executor)
    results: dict[Future[Collected], tuple[str, str]] = {}
    with given as chosen_pool:
        pool = chosen_pool or ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(tasks) or 1)),
                                                 thread_name_prefix="posture-azure")
        try:
            with Progress("azure", total=len(tasks), enabled=progress) as bar:
                results = {pool.submit(run_service, task_session, svc, sub): (sub, svc) for sub, svc in tasks}
                for fut in as_completed(results):
                    bar.advance(note="{} {}".format(*results[fut]))
        finally:
            if chosen_pool is None:
                pool.shutdown(wait=True)
    records: list[dict[str, Any]] = []
    for fut, (sub, svc) in results.items():  # task order, so output does not depend on timing
        try:
            got = fut.result()
        except Exception as exc:  # a task bug or a network failure: a gap, never a crashed scan
            gaps.append(error_gap(exc, svc, sub, f"read {svc}"))
        else:
            records.extend(got.records)
            gaps.extend(got.gaps)
    if tasks and not records and gaps and all(g.code == "ClientAuthenticationError" for g in gaps):
        raise InputError(f"no usable Azure credential: {gaps[0].reason}", where="azure credential")
    inventory = normalise(records)
    meta = {"source": "azure", "subscriptions": subs, "services": chosen, "records": len(records)}
    return Inventory(inventory.resources, inventory.edges, tuple(gaps) + inventory.gaps, freeze(meta))


__all__ = ["REPLAY_ENV", "SERVICES", "AzureOptions", "collect_azure"]
