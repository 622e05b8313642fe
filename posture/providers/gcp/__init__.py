"""Live GCP projects as a source: collect with the real Google SDKs, normalise, evaluate.

``collect`` (SDK calls, the only code importing Google libraries) -> ``normalise``
(pure) -> an Inventory; ``posture.api.scan_gcp`` builds the graph and evaluates the rules. See docs/gcp.md
for roles, options and gaps.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from posture.model import Inventory
    from posture.providers.gcp.collect import RetryPolicy
    from posture.providers.gcp.replay import Replay

REPLAY_ENV = "POSTURE_GCP_REPLAY"
"""Testing hook: a directory of recorded responses; when set, the CLI scans it instead of Google."""


@dataclass(frozen=True)
class GcpOptions:
    """How to read GCP: credentials, scope, concurrency, retries (see :func:`collect_gcp`).

    ``credentials``: a ``google.auth.credentials.Credentials`` or a
    :class:`~posture.providers.gcp.clients.CredentialsRecipe` (each task builds its own clients);
    default Application Default Credentials (``google.auth.default()``, read-only scope).
    ``client``/``dask_scheduler``: run the tasks on a Dask cluster (a ``distributed.Client`` or a
    scheduler address); workers get credentials from a recipe, never a live credentials object.
    ``projects``: project ids; default every active project Resource Manager lists. ``executor``: run the
    collection tasks (project x service) on it; default a ThreadPoolExecutor of ``max_workers``.
    ``services``: task names of :data:`posture.providers.gcp.collect.TASKS` (default all). ``retry``: a
    :class:`~posture.providers.gcp.collect.RetryPolicy` for throttling. ``replay``: a
    :class:`~posture.providers.gcp.replay.Replay` of recorded responses served under the SDKs
    instead of the network (tests, offline demos). ``progress``: progress line on stderr (default:
    when stderr is a terminal).
    """

    credentials: Any = None
    projects: Iterable[str] | None = None
    executor: Executor | None = None
    max_workers: int = 8
    services: Iterable[str] | None = None
    retry: RetryPolicy | None = None
    replay: Replay | None = None
    progress: bool | None = None
    client: Any = None
    dask_scheduler: str | None = None


def collect_gcp(options: GcpOptions | None = None) -> Inventory:
    """Read GCP projects into a normalised :class:`~posture.model.Inventory` (no rules run).

    Denied calls and disabled APIs become coverage gaps in the inventory.
    """
    from contextlib import nullcontext

    from posture.fanout import open_executor
    from posture.model import Gap, Inventory, freeze
    from posture.providers.gcp.clients import CredentialsRecipe, GcpClients, default_credentials
    from posture.providers.gcp.collect import RetryPolicy, collect, list_projects
    from posture.providers.gcp.normalise import normalise

    o = options or GcpOptions()
    credentials, projects, executor, max_workers, services = (o.credentials, o.projects, o.executor,
                                                              o.max_workers, o.services)
    retry, replay, progress, client, dask_scheduler = o.retry, o.replay, o.progress, o.client, o.dask_scheduler
    dask = client is not None or bool(dask_scheduler)
    if dask and (replay is not None or not isinstance(credentials, (CredentialsRecipe, type(None)))):
        from posture.errors import InputError

        raise InputError("live credentials cannot be sent to remote Dask workers: pass credentials=None "
                         "(workers use Application Default Credentials) or a CredentialsRecipe", where="gcp")
    if dask and credentials is None:
        credentials = CredentialsRecipe()
    if isinstance(credentials, CredentialsRecipe):
        recipe: CredentialsRecipe | None = credentials
        clients = credentials.clients()
    else:
        recipe, clients = None, GcpClients(credentials or default_credentials(), replay)
    retry = retry or RetryPolicy()
    gaps: list[Gap] = []
    if projects is None:
        chosen, gaps = list_projects(clients, retry)
    else:
        chosen = list(dict.fromkeys(projects))
    with open_executor(dask_scheduler, client=client, max_workers=max_workers) if dask \
            else nullcontext(executor) as pool:
        records, task_gaps = collect(recipe or clients, chosen, tasks=services, executor=pool,
                                     max_workers=max_workers, retry=retry, progress=progress)
    resources, edges, norm_gaps = normalise(records)
    meta = {"source": "gcp", "projects": chosen, "records": len(records)}
    return Inventory(tuple(resources), tuple(edges), tuple(gaps + task_gaps + norm_gaps), freeze(meta))


__all__ = ["REPLAY_ENV", "GcpOptions", "collect_gcp"]
