"""One collection task's access to AWS: paged reads, error-to-gap conversion, call counting.

Every call a task makes goes through a :class:`Reader`, which turns the outcome into plain,
JSON-serialisable data: records (datetimes as ISO strings, response metadata dropped), coverage
gaps for calls that were denied, not implemented, throttled past all retries or otherwise
failed, and the number of API calls made. Nothing here keeps credentials.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from datetime import date, datetime, timezone
from typing import Any

from posture.providers.aws.session import SessionSpec

DENIED = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess", "AuthorizationError",
    "Forbidden", "AuthFailure", "InvalidClientTokenId", "UnrecognizedClientException", "OptInRequired",
    "SubscriptionRequiredException", "AWSOrganizationsNotInUseException",
})
"""Error codes meaning "this principal/region may not read this": a coverage gap, not a failure."""

THROTTLED = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded", "TooManyRequestsException",
    "SlowDown", "RequestThrottled", "RequestThrottledException", "ProvisionedThroughputExceededException",
})
"""Error codes botocore's adaptive mode retries; if they survive it, the reader backs off a few more times."""

NOT_IMPLEMENTED = frozenset({"NotImplemented", "InvalidAction", "UnknownOperationException",
                             "UnsupportedOperation", "InternalFailure"})

EXTRA_ATTEMPTS = 3
"""Reader-level retries of a throttled call after botocore gave up (exponential backoff)."""

BACKOFF_SECONDS = 0.5


def plain(value: Any) -> Any:
    """A boto3 response as JSON-ready data: datetimes to ISO 8601 UTC, bytes decoded, metadata dropped."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


class Missing:
    """Result of a call whose error code was listed as "absent" (e.g. NoSuchBucketPolicy)."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __repr__(self) -> str:
        return f"Missing({self.code})"


class Reader:
    """Reads for one task (account x region x service); collects records, gaps and a call count."""

    def __init__(self, spec: SessionSpec, account: str, region: str, service: str, task: str) -> None:
        self.spec, self.account, self.region, self.service, self.task = spec, account, region, service, task
        self.records: dict[str, list[dict[str, Any]]] = {}
        self.gaps: list[dict[str, str]] = []
        self.follow: list[dict[str, Any]] = []
        self.calls = 0
        self.backoff = BACKOFF_SECONDS

    # -- clients and calls -------------------------------------------------------------------
    def client(self, service: str | None = None, region: str | None = None) -> Any:
        return self.spec.client(service or self.service, region or self.region)

    def call(self, op: str, *, service: str | None = None, region: str | None = None,
             absent: Iterable[str] = (), target: str = "", **kwargs: Any) -> Any:
        """``client.op(**kwargs)`` as plain data; ``Missing`` for an ``absent`` code; ``None`` (+ gap) on error."""
        return self._attempt(lambda: plain(getattr(self.client(service, region), op)(**kwargs)), op, service, region,
                             absent, target)

    def pages(self, op: str, key: str, *, service: str | None = None, region: str | None = None,
              absent: Iterable[str] = (), target: str = "", **kwargs: Any) -> Any:
        """All items under ``key`` across every page of ``op``; ``None`` (+ gap) if any page failed;
        ``Missing`` for an ``absent`` code."""
        got = self.pages_multi(op, (key,), service=service, region=region, absent=absent, target=target, **kwargs)
        return got if got is None or isinstance(got, Missing) else got[key]

    def pages_multi(self, op: str, keys: tuple[str, ...], *, service: str | None = None,
                    region: str | None = None, absent: Iterable[str] = (), target: str = "", **kwargs: Any) -> Any:
        """Like :meth:`pages` for operations returning several lists (``{key: items}``).

        A throttled page is retried from where it stopped (the paginator's resume token).
        """
        items: dict[str, list[Any]] = {k: [] for k in keys}
        token: Any = None

        def run() -> dict[str, list[Any]]:
            nonlocal token
            client = self.client(service, region)  # inside the attempt: assuming a role may be denied
            if not client.can_paginate(op):
                return self._manual_pages(client, op, keys, items, kwargs)
            config = {"StartingToken": token} if token else {}
            iterator = client.get_paginator(op).paginate(**kwargs, PaginationConfig=config)
            try:
                for page in iterator:
                    self.calls += 1
                    for k in keys:
                        items[k].extend(plain(dig(page, k)))
                    token = iterator.resume_token
            except Exception:
                token = iterator.resume_token or token
                raise
            return items

        return self._attempt(run, op, service, region, absent, target, counted=True)

    def _manual_pages(self, client: Any, op: str, keys: tuple[str, ...], items: dict[str, list[Any]],
                      kwargs: dict[str, Any]) -> dict[str, list[Any]]:
        marker: str | None = None
        for k in keys:  # a retry starts over
            items[k].clear()
        while True:
            self.calls += 1
            page = plain(getattr(client, op)(**(dict(kwargs, Marker=marker) if marker else kwargs)))
            for k in keys:
                items[k].extend(dig(page, k))
            marker = page.get("NextMarker") or page.get("NextToken")
            if not marker:
                return items

    def _attempt(self, fn: Callable[[], Any], op: str, service: str | None, region: str | None,
                 absent: Iterable[str], target: str, counted: bool = False) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        absent = set(absent)
        for attempt in range(EXTRA_ATTEMPTS + 1):
            try:
                if not counted:
                    self.calls += 1
                return fn()
            except ClientError as e:
                self.calls += counted  # a failed page was still a request
                code = _code(e)
                if code in absent:
                    return Missing(code)
                if code in THROTTLED and attempt < EXTRA_ATTEMPTS:
                    time.sleep(self.backoff * (2 ** attempt))
                    continue
                kind = "not_implemented" if code in NOT_IMPLEMENTED else code
                self.gap(op, kind, _message(e), service, region, target)
                return None
            except NotImplementedError as e:  # moto in-process: action not implemented
                self.gap(op, "not_implemented", str(e) or "not implemented", service, region, target)
                return None
            except BotoCoreError as e:  # endpoint unreachable, bad region, credentials missing ...
                self.gap(op, type(e).__name__, str(e), service, region, target)
                return None
        return None  # pragma: no cover - loop always returns

    def gap(self, op: str, code: str, reason: str, service: str | None = None, region: str | None = None,
            target: str = "") -> None:
        """Record a coverage gap for ``op`` (one line, no credentials: botocore messages carry none)."""
        self.gaps.append({
            "source": "aws", "service": service or self.service, "region": region or self.region,
            "account": self.account, "code": code, "target": target,
            "reason": f"{op}: {' '.join(reason.split())}"[:400],
        })

    # -- results -----------------------------------------------------------------------------
    def put(self, rtype: str, items: list[Any] | None, region: str | None = None) -> None:
        """Store records of ``rtype``; ``None`` (the list could not be read) stores nothing, so the
        normaliser can tell "read and empty" from "not read"."""
        if items is None:
            return
        bucket = self.records.setdefault(rtype, [])
        for item in items:
            bucket.append({**item, "_account": self.account, "_region": region or self.region})

    def then(self, task: str, **args: Any) -> None:
        """Schedule a follow-up task (e.g. per-item detail reads in chunks)."""
        self.follow.append({"task": task, "args": args})

    def result(self) -> dict[str, Any]:
        return {"task": self.task, "service": self.service, "account": self.account, "region": self.region,
                "records": self.records, "gaps": self.gaps, "calls": self.calls, "follow": self.follow}


def dig(page: dict[str, Any], key: str) -> list[Any]:
    """The list under a (dotted) result key of a page, ``[]`` when absent."""
    cur: Any = page
    for part in key.split("."):
        cur = cur.get(part) if isinstance(cur, dict) else None
    return list(cur or [])


_STATUS_CODES = {"401": "AccessDenied", "403": "AccessDenied", "501": "NotImplemented"}
_XML_FIELD = re.compile(r"<(Code|Message)>([^<]*)</\1>")


def _code(e: Any) -> str:
    """The error code; an HTTP status stands in when the body had none (403 -> AccessDenied)."""
    code = str(e.response.get("Error", {}).get("Code") or "")
    fields = dict(_XML_FIELD.findall(str(e.response.get("Error", {}).get("Message") or "")))
    if fields.get("Code"):  # an XML error body parsed by a JSON-protocol client
        return fields["Code"]
    if not code or code.isdigit():
        status = code if code.isdigit() else str(e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
        return _STATUS_CODES.get(status, code or "ClientError")
    return code


def _message(e: Exception) -> str:
    err = getattr(e, "response", {}).get("Error", {})
    text = str(err.get("Message") or e)
    return dict(_XML_FIELD.findall(text)).get("Message", text)
