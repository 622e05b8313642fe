"""Segmentation policies: zones of the estate and the flows allowed between them.

A policy file (YAML) names zones by tags, names or CIDRs and lists forbidden or allowed flows::

    zones:
      prod: {tags: {env: prod}}
      dev:  {tags: {env: dev}, names: ["dev-*"], cidrs: ["10.1.0.0/16"]}
    flows:
      - {from: dev, to: prod, allow: false}
      - {from: prod, to: dev, allow: false}

``posture scan ... --segmentation-policy FILE`` checks it with rule POSTURE-SEG-100 against the flows
the graph actually allows (same network or peered networks, and firewalls that admit the source's
addresses or security groups).
"""

from __future__ import annotations

import os
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from posture.inputs import load_model


class Zone(BaseModel):
    """Resources belong to a zone when all ``tags`` match, a ``names`` glob matches, or they sit in ``cidrs``."""

    model_config = ConfigDict(extra="forbid")
    tags: dict[str, str] = Field(default_factory=dict)
    names: list[str] = Field(default_factory=list)
    cidrs: list[str] = Field(default_factory=list)

    @field_validator("cidrs")
    @classmethod
    def _cidrs(cls, v: list[str]) -> list[str]:
        import ipaddress

        for c in v:
            ipaddress.ip_network(c, strict=False)
        return v

    @model_validator(mode="after")
    def _not_empty(self) -> Zone:
        if not (self.tags or self.names or self.cidrs):
            raise ValueError("a zone needs tags, names or cidrs")
        return self


class Flow(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: str = Field(alias="from")
    to: str
    allow: bool = False


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    zones: dict[str, Zone]
    flows: list[Flow]

    @model_validator(mode="after")
    def _known_zones(self) -> Policy:
        for i, f in enumerate(self.flows):
            for end in (f.from_, f.to):
                if end not in self.zones:
                    raise ValueError(f"flows[{i}]: unknown zone {end!r}")
        return self


def load_policy(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and validate a policy file; returns plain data usable as a rule parameter."""
    return load_model(path, Policy, "config", "segmentation policy").model_dump(by_alias=True)
