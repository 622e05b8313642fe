"""Resource addresses as sources and the gate both read them (Terraform's ``module.a["x"].type.name[0]``)."""

from __future__ import annotations

import re

_INDEX_RE = re.compile(r"\[(?:\"(?:[^\"\\]|\\.)*\"|[^\]]*)\]")



def strip_keys(address: str) -> str:
    """``module.a["x"].aws_vpc.v[0]`` -> ``module.a.aws_vpc.v``."""
    return _INDEX_RE.sub("", address)
