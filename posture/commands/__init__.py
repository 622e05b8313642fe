"""CLI command modules, discovered by :func:`posture.cli.build_parser`.

A module here may define ``SCAN_SOURCES: dict[str, ScanSource]`` (``posture scan <name>``)
and/or ``add_commands(subparsers)`` for top-level commands. Keep heavy imports
(cloud SDKs, sslyze) inside the run functions so ``posture --help`` stays fast.
"""
