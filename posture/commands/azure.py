"""``posture scan azure``: live Azure subscriptions through the azure-mgmt clients."""

from __future__ import annotations

import argparse
import logging
import os
from typing import Any

from posture.commands.base import ScanSource
from posture.providers.azure import SERVICES as _SERVICES
from posture.result import ScanResult


def _azure_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--subscription", action="append", metavar="ID",
                   help="subscription id to scan (repeatable; default: every subscription the credential can see)")
    p.add_argument("--service", action="append", choices=_SERVICES, metavar="NAME",
                   help=f"only these services (repeatable; default all: {', '.join(_SERVICES)})")
    p.add_argument("--max-workers", type=int, default=8, metavar="N",
                   help="concurrent subscription x service reads (default: 8)")
    p.add_argument("--dask-scheduler", metavar="ADDRESS",
                   help="run the subscription x service tasks on a Dask cluster (e.g. tcp://scheduler:8786); "
                        "workers use their own DefaultAzureCredential")


def _azure_run(args: argparse.Namespace, options: dict[str, Any]) -> ScanResult:
    from posture.api import scan_azure
    from posture.errors import InputError

    if args.max_workers < 1:
        raise InputError("must be at least 1", where="--max-workers")
    if not os.environ.get("POSTURE_DEBUG"):
        # the SDK logs retries and provider-registration attempts as warnings; they surface as gaps instead
        logging.getLogger("azure").setLevel(logging.ERROR)
    return scan_azure(subscriptions=args.subscription, services=args.service, max_workers=args.max_workers,
                      progress=False if args.quiet else None, dask_scheduler=args.dask_scheduler, **options)


SCAN_SOURCES = {"azure": ScanSource("scan live Azure subscriptions (Reader role)", _azure_args, _azure_run,
                                    gaps="warn")}
