"""``posture scan gcp``: live GCP projects through the Google SDKs."""

from __future__ import annotations

import argparse
import os
from typing import Any

from posture.commands.base import ScanSource
from posture.result import ScanResult


def _gcp_args(p: argparse.ArgumentParser) -> None:
    from posture.providers.gcp.collect import TASKS

    p.add_argument("--project", action="append", metavar="ID",
                   help="project id to scan (repeatable; default: every active project the credentials can see)")
    p.add_argument("--service", action="append", choices=sorted(TASKS), metavar="NAME",
                   help=f"only these collection tasks (repeatable): {', '.join(sorted(TASKS))}")
    p.add_argument("--max-workers", type=int, default=8, metavar="N",
                   help="concurrent API calls across projects and services (default: 8)")
    p.add_argument("--dask-scheduler", metavar="ADDRESS",
                   help="run the project x service tasks on a Dask cluster (e.g. tcp://scheduler:8786); "
                        "workers use their own Application Default Credentials")


def _gcp_run(args: argparse.Namespace, options: dict[str, Any]) -> ScanResult:
    from posture.api import scan_gcp
    from posture.errors import InputError
    from posture.providers.gcp import REPLAY_ENV

    if args.max_workers < 1:
        raise InputError("must be at least 1", where="--max-workers")
    credentials: Any = None
    replay = retry = None
    replay_dir = os.environ.get(REPLAY_ENV)
    if replay_dir:  # testing hook: serve recorded responses under the real SDK clients
        from google.auth.credentials import AnonymousCredentials

        from posture.providers.gcp.clients import CredentialsRecipe
        from posture.providers.gcp.collect import RetryPolicy
        from posture.providers.gcp.replay import Replay

        if args.dask_scheduler:  # workers load the recordings themselves
            credentials = CredentialsRecipe(replay_dir)
        else:
            credentials, replay = AnonymousCredentials(), Replay.from_directory(replay_dir)
        retry = RetryPolicy(base_delay=0.0, max_delay=0.0)  # recorded answers: waiting gains nothing
    return scan_gcp(credentials, args.project, max_workers=args.max_workers, services=args.service, retry=retry,
                    replay=replay, progress=False if args.quiet else None, dask_scheduler=args.dask_scheduler,
                    **options)


SCAN_SOURCES = {"gcp": ScanSource("scan live GCP projects (Application Default Credentials)", _gcp_args, _gcp_run,
                                  gaps="warn")}
