"""The Google SDK clients of one scan, built from the caller's credentials.

Every client is the real one: google-cloud-compute and google-cloud-kms over
REST, google-cloud-storage, and googleapiclient (static discovery documents)
for Cloud SQL Admin and Resource Manager. A :class:`~posture.providers.gcp.replay.Replay`
can be put under all of them for tests and offline runs; nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from posture.errors import InputError

READ_ONLY_SCOPE = "https://www.googleapis.com/auth/cloud-platform.read-only"


def default_credentials() -> Any:
    """Application Default Credentials (read-only scope); a clear InputError when there are none."""
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    try:
        credentials, _ = google.auth.default(scopes=[READ_ONLY_SCOPE])
    except DefaultCredentialsError:
        raise InputError("no Google credentials found: set GOOGLE_APPLICATION_CREDENTIALS or run "
                         "`gcloud auth application-default login`", where="gcp") from None
    return credentials


class GcpClients:
    """Builds a fresh SDK client per call (clients are cheap; tasks run on several threads)."""

    def __init__(self, credentials: Any, replay: Any = None) -> None:
        self.credentials = credentials
        self.replay = replay

    def _session(self) -> Any:
        from google.auth.transport.requests import AuthorizedSession

        session = AuthorizedSession(self.credentials)
        if self.replay is not None:
            session.mount("https://", self.replay.adapter())
        return session

    def _over_replay(self, client: Any) -> Any:
        # The generated REST transports build their own AuthorizedSession (``transport._session``) and
        # take no session argument: mounting the replay adapter on it is the one seam they offer.
        if self.replay is not None:
            client.transport._session.mount("https://", self.replay.adapter())
        return client

    def compute(self, name: str) -> Any:
        """A google-cloud-compute client over REST, e.g. ``compute("Firewalls")``."""
        from google.cloud import compute_v1

        return self._over_replay(getattr(compute_v1, f"{name}Client")(credentials=self.credentials, transport="rest"))

    def kms(self) -> Any:
        """A Cloud KMS client over REST."""
        from google.cloud import kms_v1

        return self._over_replay(kms_v1.KeyManagementServiceClient(credentials=self.credentials, transport="rest"))

    def storage(self, project: str) -> Any:
        """A Cloud Storage client for ``project``."""
        from google.cloud import storage  # type: ignore[attr-defined]

        return storage.Client(project=project, credentials=self.credentials, _http=self._session())

    def discovery(self, api: str, version: str) -> Any:
        """A googleapiclient resource from the packaged (static) discovery document."""
        import google_auth_httplib2
        import httplib2
        from googleapiclient.discovery import build

        base = self.replay.http() if self.replay is not None else httplib2.Http(timeout=60)
        http = google_auth_httplib2.AuthorizedHttp(self.credentials, http=base)
        return build(api, version, http=http, static_discovery=True, cache_discovery=False)


@dataclass(frozen=True)
class CredentialsRecipe:
    """How a worker gets its own credentials, so tasks can run on remote Dask workers (picklable).

    ``replay_dir`` unset: Application Default Credentials (``google.auth.default()``) on the worker.
    Set: the recorded responses under that directory, anonymous credentials (tests, offline demos).
    """

    replay_dir: str | None = None

    def clients(self) -> GcpClients:
        """The SDK clients this recipe describes, built where it is called."""
        if self.replay_dir:
            from google.auth.credentials import AnonymousCredentials

            from posture.providers.gcp.replay import Replay

            return GcpClients(AnonymousCredentials(), Replay.from_directory(self.replay_dir))
        return GcpClients(default_credentials())
