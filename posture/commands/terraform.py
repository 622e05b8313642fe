"""``posture scan terraform`` and ``posture scan snapshot``."""

from __future__ import annotations

import argparse
from typing import Any

from posture.commands.base import ScanSource
from posture.result import ScanResult


def _terraform_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", help="plan JSON file (terraform show -json plan.out > plan.json), a .tf file or a "
                   "directory of Terraform code (scanned recursively, modules followed)")
    p.add_argument("--var-file", action="append", metavar="FILE",
                   help="a .tfvars file for HCL scans (repeatable; terraform.tfvars and *.auto.tfvars are read "
                   "automatically)")


def _terraform_run(args: argparse.Namespace, options: dict[str, Any]) -> ScanResult:
    from posture.api import scan_terraform

    return scan_terraform(args.path, var_files=args.var_file, repo_root=args.repo_root, skip_paths=args.skip_path,
                          **options)


def _snapshot_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="a snapshot written by --snapshot-out (JSON Lines)")


def _snapshot_run(args: argparse.Namespace, options: dict[str, Any]) -> ScanResult:
    from posture.api import scan_snapshot

    return scan_snapshot(args.file, **options)


SCAN_SOURCES = {
    "terraform": ScanSource("scan a Terraform plan JSON, .tf file or directory", _terraform_args, _terraform_run),
    "snapshot": ScanSource("scan a saved snapshot (JSON Lines)", _snapshot_args, _snapshot_run),
}
