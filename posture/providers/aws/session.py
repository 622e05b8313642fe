"""Where AWS clients come from: a picklable session recipe, never credentials.

A :class:`SessionSpec` says *how* to obtain credentials (a profile, a role to assume, a
parent spec to assume it from, or a boto3 session the caller already holds). Collection
tasks receive the spec and ask it for clients; the spec builds one boto3 session per process
and caches clients, so tasks can run in threads here or be pickled to Dask workers (a spec
wrapping a caller's session object only works in-process). Endpoints are never set here:
boto3 reads ``AWS_ENDPOINT_URL`` and ``AWS_ENDPOINT_URL_<SERVICE>`` itself.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

RETRY_CONFIG: dict[str, Any] = {"retries": {"mode": "adaptive", "max_attempts": 10}, "max_pool_connections": 32,
                                "connect_timeout": 10, "read_timeout": 60}
"""botocore client configuration: adaptive client-side rate limiting and retries for throttling."""

DEFAULT_REGION = "us-east-1"

_lock = threading.Lock()
_sessions: dict[SessionSpec, Any] = {}
_clients: dict[tuple[SessionSpec, str, str], Any] = {}


@dataclass(frozen=True)
class SessionSpec:
    """How to get an AWS session: ``profile``, optionally ``role_arn`` assumed from ``parent``.

    ``scan_id`` keys the per-process client cache, so two scans never share clients;
    :func:`release` drops a scan's clients when it ends. Credentials are only ever held by
    boto3 in memory, never by this object.
    """

    profile: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    parent: SessionSpec | None = None
    region: str | None = None
    session: Any = field(default=None, compare=False, repr=False)
    session_name: str = "posture"
    scan_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def assume(self, role_arn: str, external_id: str | None = None) -> SessionSpec:
        """A spec for ``role_arn`` assumed with this spec's credentials (same scan)."""
        return SessionSpec(role_arn=role_arn, external_id=external_id, parent=self, region=self.region,
                           scan_id=self.scan_id)

    def home_region(self) -> str:
        """The region for global calls (STS, IAM, Organizations, region discovery)."""
        if self.region:
            return self.region
        if self.parent is not None:
            return self.parent.home_region()
        if self.session is not None and self.session.region_name:
            return str(self.session.region_name)
        return boto3_session(replace(self, role_arn=None)).region_name or DEFAULT_REGION

    def client(self, service: str, region: str | None = None) -> Any:
        """A cached botocore client for ``service`` in ``region`` (thread-safe)."""
        region = region or self.home_region()
        key = (self, service, region)
        with _lock:
            found = _clients.get(key)
        if found is not None:
            return found
        from botocore.config import Config

        session = boto3_session(self)
        with _lock:  # creating clients from one boto3 session is not thread-safe
            found = _clients.get(key)
            if found is None:
                found = session.client(service, region_name=region, config=Config(**RETRY_CONFIG))
                if service == "s3control":
                    found.meta.events.register("before-sign", _local_account_host)
                _clients[key] = found
        return found


def _local_account_host(request: Any, **kwargs: Any) -> None:
    """S3 Control puts the account id in the host name (``<account>.<endpoint>``). With an endpoint
    override on an IP address or ``localhost`` (moto, LocalStack) that name cannot resolve, so the
    prefix is dropped there; real AWS endpoints are never touched."""
    import ipaddress
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(request.url)
    account, _, rest = (parts.hostname or "").partition(".")
    if not (account.isdigit() and len(account) == 12):
        return
    try:
        ipaddress.ip_address(rest)
    except ValueError:
        if rest != "localhost":
            return
    request.url = urlunsplit(parts._replace(netloc=parts.netloc.split(".", 1)[1]))


def boto3_session(spec: SessionSpec) -> Any:
    """The boto3 session for ``spec`` (built once per process, assuming roles as needed)."""
    with _lock:
        found = _sessions.get(spec)
    if found is not None:
        return found
    import boto3

    if spec.role_arn:
        parent = spec.parent or replace(spec, role_arn=None, external_id=None)
        sts = parent.client("sts")
        kwargs: dict[str, str] = {"RoleArn": spec.role_arn, "RoleSessionName": spec.session_name}
        if spec.external_id:
            kwargs["ExternalId"] = spec.external_id
        creds = sts.assume_role(**kwargs)["Credentials"]
        session = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                                aws_session_token=creds["SessionToken"], region_name=parent.home_region())
    elif spec.session is not None:
        session = spec.session
    else:
        session = boto3.Session(profile_name=spec.profile, region_name=spec.region)
    with _lock:
        return _sessions.setdefault(spec, session)


def release(scan_id: str) -> None:
    """Forget the sessions and clients of one scan (called when the scan ends)."""
    with _lock:
        for key in [k for k in _clients if k[0].scan_id == scan_id]:
            del _clients[key]
        for spec in [s for s in _sessions if s.scan_id == scan_id]:
            del _sessions[spec]
