"""Terraform sources: plan JSON (``terraform show -json``) now; HCL later.

``load_plan(path)`` / ``parse_plan(data, origin)`` return an :class:`~posture.model.Inventory`.
"""

from posture.providers.terraform.plan import load_plan, parse_plan

__all__ = ["load_plan", "parse_plan"]
