"""GCP collection: small task functions (project x service) returning raw records.

A raw record is ``{"type": "compute.firewall", "project": "p", "data": {...}}``
where ``data`` is the resource in its documented REST JSON shape (proto-plus
messages are turned into plain dicts with their JSON field names). Tasks run
concurrently on a bounded executor; a failed task becomes a coverage
:class:`~posture.model.Gap` and the scan goes on. Every list is paged by the
SDK's own pager (``nextPageToken``); throttling (429, 5xx, rate-limit 403s) is
retried with backoff, honouring ``Retry-After``.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from posture.model import Gap
from posture.progress import Progress
from posture.providers.gcp.clients import CredentialsRecipe, GcpClients

Record = dict[str, Any]
Task = Callable[[GcpClients, str, "RetryPolicy"], list[Record]]

_RETRY_STATUS = {429, 500, 502, 503, 504}
_RATE_LIMIT_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"}


# --------------------------------------------------------------------------- errors and retries


@dataclass(frozen=True)
class CallError:
    """What a failed SDK call says: HTTP status, Google's most specific code, message, Retry-After."""

    status: int | None
    code: str
    message: str
    retry_after: float | None = None

    @property
    def retryable(self) -> bool:
        return self.status in _RETRY_STATUS or (self.status == 403 and self.code in _RATE_LIMIT_REASONS)


def _seconds(value: Any) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except (TypeError, ValueError):
        return None  # an HTTP-date: fall back to exponential backoff


def _first_reason(entries: Any) -> str | None:
    return next((str(e["reason"]) for e in entries or () if isinstance(e, dict) and e.get("reason")), None)


_REQUEST_PREFIX = re.compile(r"^[A-Z]+ https?://\S+: ")


def describe(exc: BaseException) -> CallError:
    """Read an SDK error: google.api_core (google-cloud clients) or googleapiclient ``HttpError``.

    ``code`` is the ``google.rpc.ErrorInfo`` reason (``SERVICE_DISABLED``, ``IAM_PERMISSION_DENIED``),
    else the legacy ``errors[].reason`` (``accessNotConfigured``, ``notFound``), else the exception class.
    """
    from google.api_core.exceptions import GoogleAPICallError
    from googleapiclient.errors import HttpError

    if isinstance(exc, GoogleAPICallError):
        status = exc.code if isinstance(exc.code, int) else None
        headers = getattr(exc.response, "headers", None) or {}
        message = _REQUEST_PREFIX.sub("", str(exc.message or ""))  # api_core prefixes "GET https://...: "
        return CallError(status, exc.reason or _first_reason(exc.errors) or type(exc).__name__, message,
                         _seconds(headers.get("Retry-After")))
    if isinstance(exc, HttpError):
        try:
            doc = json.loads(exc.content.decode("utf-8", "replace"))
            err = doc.get("error") if isinstance(doc, dict) else None
            body = err if isinstance(err, dict) else {}
        except ValueError:
            body = {}
        status = int(exc.resp.status)
        code = _first_reason(body.get("details")) or _first_reason(body.get("errors")) or f"HTTP{status}"
        return CallError(status, code, str(body.get("message") or exc.reason), _seconds(exc.resp.get("retry-after")))
    return CallError(None, type(exc).__name__, str(exc))


@dataclass(frozen=True)
class RetryPolicy:
    """Retries for throttled or transiently failing calls: exponential backoff, ``Retry-After`` first."""

    attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 30.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(self.max_delay, retry_after)
        return min(self.max_delay, self.base_delay * 2 ** (attempt - 1) * (0.5 + random.random() / 2))

    def call(self, fn: Callable[[], Any]) -> Any:
        for attempt in range(1, self.attempts + 1):
            try:
                return fn()
            except Exception as exc:
                err = describe(exc)
                if attempt == self.attempts or not err.retryable:
                    raise
                self.sleep(self.delay(attempt, err.retry_after))
        raise AssertionError("unreachable")  # pragma: no cover


# --------------------------------------------------------------------------- tasks


def plain(message: Any) -> dict[str, Any]:
    """A proto-plus message as a plain dict in its REST JSON shape (camelCase, enum names)."""
    return type(message).to_dict(message, use_integers_for_enums=False, preserving_proto_field_name=False)


def _records(kind: str, project: str, items: Iterable[dict[str, Any]]) -> list[Record]:
    return [{"type": kind, "project": project, "data": item} for item in items]


def _listing(kind: str, client_name: str) -> Task:
    def task(clients: GcpClients, project: str, retry: RetryPolicy) -> list[Record]:
        client = clients.compute(client_name)
        return _records(kind, project, retry.call(lambda: [plain(x) for x in client.list(project=project)]))

    task.__name__ = f"collect_{kind.replace('.', '_')}"
    return task


def _aggregated(kind: str, client_name: str, field_name: str) -> Task:
    def task(clients: GcpClients, project: str, retry: RetryPolicy) -> list[Record]:
        client = clients.compute(client_name)

        def fetch() -> list[dict[str, Any]]:
            return [plain(x) for _, scoped in client.aggregated_list(project=project)
                    for x in getattr(scoped, field_name)]

        return _records(kind, project, retry.call(fetch))

    task.__name__ = f"collect_{kind.replace('.', '_')}"
    return task


collect_networks = _listing("compute.network", "Networks")
collect_firewalls = _listing("compute.firewall", "Firewalls")
collect_ssl_policies = _listing("compute.sslPolicy", "SslPolicies")
collect_target_ssl_proxies = _listing("compute.targetSslProxy", "TargetSslProxies")
collect_subnetworks = _aggregated("compute.subnetwork", "Subnetworks", "subnetworks")
collect_instances = _aggregated("compute.instance", "Instances", "instances")
collect_disks = _aggregated("compute.disk", "Disks", "disks")
collect_target_https_proxies = _aggregated("compute.targetHttpsProxy", "TargetHttpsProxies", "target_https_proxies")


def _kms_locations(client: Any, project: str, retry: RetryPolicy) -> list[str]:
    from google.cloud.location import locations_pb2

    names: list[str] = []
    token = ""
    while True:  # the locations mixin returns a bare response, so page by hand
        req = locations_pb2.ListLocationsRequest(name=f"projects/{project}", page_token=token)
        resp = retry.call(partial(client.list_locations, request=req))
        names += [loc.name for loc in resp.locations]
        token = resp.next_page_token
        if not token:
            return names


def collect_kms(clients: GcpClients, project: str, retry: RetryPolicy) -> list[Record]:
    """Key rings and crypto keys in every Cloud KMS location of ``project``."""
    client = clients.kms()
    out: list[Record] = []

    def rings_in(location: str) -> list[dict[str, Any]]:
        return [plain(r) for r in client.list_key_rings(parent=location)]

    def keys_in(ring: str) -> list[dict[str, Any]]:
        return [plain(k) for k in client.list_crypto_keys(parent=ring)]

    for location in _kms_locations(client, project, retry):
        rings = retry.call(partial(rings_in, location))
        out += _records("kms.keyRing", project, rings)
        for ring in rings:
            out += _records("kms.cryptoKey", project, retry.call(partial(keys_in, ring["name"])))
    return out


def collect_buckets(clients: GcpClients, project: str, retry: RetryPolicy) -> list[Record]:
    """Cloud Storage buckets with the settings the normaliser reads (public properties only)."""
    client = clients.storage(project)

    def fetch() -> list[dict[str, Any]]:
        out = []
        for b in client.list_buckets(retry=None):  # our RetryPolicy retries; the SDK's would double it
            iam = b.iam_configuration
            out.append({
                "name": b.name, "id": b.id, "selfLink": b.self_link, "location": b.location,
                "locationType": b.location_type, "storageClass": b.storage_class,
                "labels": dict(b.labels or {}), "defaultKmsKeyName": b.default_kms_key_name,
                "uniformBucketLevelAccess": iam.uniform_bucket_level_access_enabled,
                "publicAccessPrevention": iam.public_access_prevention,
                "versioning": b.versioning_enabled, "retentionPeriod": b.retention_period,
            })
        return out

    return _records("storage.bucket", project, retry.call(fetch))


def collect_sql_instances(clients: GcpClients, project: str, retry: RetryPolicy) -> list[Record]:
    """Cloud SQL instances through the SQL Admin API (googleapiclient, paged with ``list_next``)."""
    instances = clients.discovery("sqladmin", "v1").instances()
    items: list[dict[str, Any]] = []
    request = instances.list(project=project)
    while request is not None:
        page = retry.call(partial(request.execute, num_retries=0))
        for item in page.get("items") or []:
            item.pop("serverCaCert", None)  # a certificate blob the normaliser never needs
            items.append(item)
        request = instances.list_next(request, page)
    return _records("sqladmin.instance", project, items)


TASKS: dict[str, tuple[str, Task]] = {
    "networks": ("compute", collect_networks),
    "subnetworks": ("compute", collect_subnetworks),
    "firewalls": ("compute", collect_firewalls),
    "instances": ("compute", collect_instances),
    "disks": ("compute", collect_disks),
    "ssl_policies": ("compute", collect_ssl_policies),
    "target_https_proxies": ("compute", collect_target_https_proxies),
    "target_ssl_proxies": ("compute", collect_target_ssl_proxies),
    "kms": ("cloudkms", collect_kms),
    "buckets": ("storage", collect_buckets),
    "sql_instances": ("sqladmin", collect_sql_instances),
}
"""Every collection task: name -> (service, function(clients, project, retry) -> raw records)."""


def gap_for(exc: BaseException, *, service: str, project: str, what: str) -> Gap:
    """A failed call as a coverage gap (permission denied, API disabled, not found, throttled...)."""
    err = describe(exc)
    lines = err.message.strip().splitlines()
    message = (lines[0] if lines else type(exc).__name__)[:300]
    prefix = f"{what}: HTTP {err.status}: " if err.status else f"{what}: "
    return Gap("gcp", prefix + message, err.code, service=service, account=project, target=what)


# --------------------------------------------------------------------------- projects and the runner


def list_projects(clients: GcpClients, retry: RetryPolicy) -> tuple[list[str], list[Gap]]:
    """Ids of every active project the credentials can see (Resource Manager v1, paged)."""
    try:
        projects = clients.discovery("cloudresourcemanager", "v1").projects()
        ids: list[str] = []
        request = projects.list(filter="lifecycleState:ACTIVE")
        while request is not None:
            page = retry.call(partial(request.execute, num_retries=0))
            ids += [p["projectId"] for p in page.get("projects") or []
                    if p.get("lifecycleState", "ACTIVE") == "ACTIVE"]
            request = projects.list_next(request, page)
    except Exception as exc:
        return [], [gap_for(exc, service="cloudresourcemanager", project="", what="projects")]
    return sorted(set(ids)), []


def _run_one(clients: GcpClients | CredentialsRecipe, project: str, name: str,
             retry: RetryPolicy) -> tuple[list[Record], list[Gap]]:
    # Top-level, and the task goes by name: a Dask worker unpickles this call and builds its own clients.
    service, task = TASKS[name]
    try:
        if isinstance(clients, CredentialsRecipe):
            clients = clients.clients()
        return task(clients, project, retry), []
    except Exception as exc:
        return [], [gap_for(exc, service=service, project=project, what=name)]


def collect(
    clients: GcpClients | CredentialsRecipe,
    projects: Sequence[str],
    *,
    tasks: Iterable[str] | None = None,
    executor: Executor | None = None,
    max_workers: int = 8,
    retry: RetryPolicy | None = None,
    progress: bool | None = None,
) -> tuple[list[Record], list[Gap]]:
    """Run every task for every project concurrently (bounded); returns raw records and gaps.

    With a :class:`CredentialsRecipe` each task builds its own clients (what remote Dask workers need).
    """
    retry = retry or RetryPolicy()
    jobs = [(p, name) for p in projects for name in (tasks or TASKS)]
    own = executor is None
    pool: Executor = executor or ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="posture-gcp")
    results: dict[int, tuple[list[Record], list[Gap]]] = {}
    try:
        with Progress("gcp", total=len(jobs), enabled=progress) as bar:
            futures = {pool.submit(_run_one, clients, p, name, retry): i for i, (p, name) in enumerate(jobs)}
            for fut in as_completed(futures):
                i = futures[fut]
                results[i] = fut.result()
                bar.advance(note=f"{jobs[i][0]} {jobs[i][1]}")
    finally:
        if own:
            pool.shutdown(wait=True)
    records = [r for i in sorted(results) for r in results[i][0]]
    gaps = [g for i in sorted(results) for g in results[i][1]]
    return records, list(_unique(gaps))


def _unique(gaps: Iterable[Gap]) -> Iterator[Gap]:
    """One gap per (service, project, code, message): a disabled API fails all its tasks the same way."""
    groups: dict[tuple[str, str, str, str], list[Gap]] = {}
    for g in gaps:
        groups.setdefault((g.service, g.account, g.code, g.reason.split(": ", 1)[-1]), []).append(g)
    for (service, _, _, rest), same in groups.items():
        if len(same) == 1:
            yield same[0]
        else:
            what = ", ".join(g.target for g in same)
            yield Gap("gcp", f"{what}: {rest}", same[0].code, service=service, account=same[0].account,
                      target=service)
