"""OCSF conformance: every event of a multi-cloud scan validates against the OCSF models Prowler uses
(py-ocsf-models), and fills every required and recommended attribute those models can hold."""
import json
import re
import typing
from dataclasses import replace

import pytest
from pydantic import BaseModel

from posture.api import scan_inventory
from posture.providers.terraform import load_terraform
from posture.report import render
from tests.helpers.paths import ROOT

ocsf_findings = pytest.importorskip("py_ocsf_models.events.findings")  # in the `test` extra
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding  # noqa: E402
from py_ocsf_models.events.findings.detection_finding import DetectionFinding  # noqa: E402

# OCSF 1.3 base event attributes marked "recommended" (schema.ocsf.io/1.3.0/base_event); the model's
# docstrings mark the recommended attributes of the objects ("(name) [Recommended]").
BASE_RECOMMENDED = {"activity_name", "category_name", "class_name", "message", "observables", "severity", "status",
                    "status_code", "status_detail", "status_id", "timezone_offset", "type_name"}
# recommended attributes a configuration scanner cannot know, with the reason (documented in docs/output.md)
EXEMPT = {("ResourceDetails", "owner"): "who owns a resource is not in a plan or a cloud API's configuration",
          ("Cloud", "region"): "filled whenever the source states the region (checked below), never guessed"}


def _recommended(model: type[BaseModel]) -> set[str]:
    marked = {m for cls in model.__mro__ for m in re.findall(r"\((\w+)\) \[Recommended\]", cls.__doc__ or "")}
    return marked & set(model.model_fields)


def _nested_model(annotation: typing.Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _nested_model(arg)
        if found is not None:
            return found
    return None


def _missing(model: type[BaseModel], data: dict, where: str, extra: set[str] = frozenset()) -> list[str]:
    """Required or recommended attributes of ``model`` that ``data`` leaves empty, recursively."""
    out = []
    wanted = {n for n, f in model.model_fields.items() if f.is_required()} | _recommended(model) | extra
    for name in sorted(wanted & set(model.model_fields)):
        if (model.__name__, name) in EXEMPT:
            continue
        if data.get(name) in (None, "", [], {}):
            out.append(f"{where}{name}")
    for name, field in model.model_fields.items():
        sub = _nested_model(field.annotation)
        value = data.get(name)
        if sub is None or value is None:
            continue
        for i, item in enumerate(value if isinstance(value, list) else [value]):
            if isinstance(item, dict):
                out += _missing(sub, item, f"{where}{name}[{i}]." if isinstance(value, list) else f"{where}{name}.")
    return out


@pytest.fixture(scope="module")
def multicloud():
    """Azure + GCP (examples/multicloud) and AWS (examples/aws-webapp) in one scan."""
    inv = load_terraform(ROOT / "examples/multicloud/plan.json", ()).merge(
        load_terraform(ROOT / "examples/aws-webapp/plan.json", ()))
    result = scan_inventory(inv, source={"type": "terraform", "target": "examples"})
    assert {f.resource.provider for f in result.findings} == {"aws", "azure", "gcp"}
    fs = list(result.findings)
    fs[0] = replace(fs[0], status="suppressed", status_reason="accepted")  # a suppressed one too
    return replace(result, findings=tuple(fs))


def _validate(events: list[dict], model: type[BaseModel]) -> tuple[int, list[str]]:
    valid, problems = 0, []
    for e in events:
        model(**e)  # raises on a missing required field or a wrong type
        valid += 1
        problems += [f"{e['finding_info']['uid']}: {m}" for m in _missing(model, e, "", BASE_RECOMMENDED)]
    return valid, problems


def test_every_detection_finding_validates_and_fills_recommended(multicloud):
    events = json.loads(render(multicloud, "ocsf"))
    valid, problems = _validate(events, DetectionFinding)
    assert valid == len(events) == len(multicloud.findings) > 40
    assert problems == []
    cloud_events = [e for e in events if e["resources"][0]["data"]["account"]]
    assert cloud_events and all(e["cloud"]["account"]["type_id"] in (10, 99) for e in cloud_events)
    regions = {f.fingerprint: f.resource.region for f in multicloud.findings}
    for e in events:
        assert e["cloud"].get("region") == (regions[e["finding_info"]["uid"]] or None)


def test_every_compliance_finding_validates_including_passed(multicloud):
    failing = json.loads(render(multicloud, "ocsf-compliance"))
    events = json.loads(render(multicloud, "ocsf-compliance", {"include_passed": True}))
    passed = events[len(failing):]
    valid, problems = _validate(events, ComplianceFinding)
    assert valid == len(events) and problems == []
    assert passed and all(e["compliance"]["status_id"] == 1 for e in passed)
    assert {e["compliance"]["status_id"] for e in failing} <= {2, 3}
    # a passed requirement really has no open finding mapped to it
    failing_controls = {c for f in multicloud.findings if f.status == "open" for c in f.controls}
    assert not {e["compliance"]["control"] for e in passed} & failing_controls


def test_include_passed_limited_to_the_frameworks_asked(multicloud):
    events = json.loads(render(multicloud, "ocsf-compliance", {"include_passed": True, "frameworks": ["cis-aws"]}))
    passed = [e for e in events if e["compliance"]["status_id"] == 1]
    assert passed and all(e["compliance"]["control"].startswith("CIS-AWS:") for e in passed)


def test_the_check_would_catch_a_missing_account_name():
    event = {"cloud": {"provider": "AWS", "account": {"uid": "1", "type_id": 10}}}
    with pytest.raises(Exception, match="name"):
        DetectionFinding.model_validate({**_minimal(), **event})
    missing = _missing(DetectionFinding, {**_minimal(), "cloud": {"provider": "AWS"}}, "", BASE_RECOMMENDED)
    assert {"resources", "finding_info.analytic", "message", "observables"} <= set(missing)


def _minimal() -> dict:
    return {"activity_id": 1, "class_uid": 2004, "type_uid": 200401, "time": 1, "severity_id": 1,
            "metadata": {"product": {"name": "p", "vendor_name": "v"}, "version": "1.3.0"},
            "finding_info": {"uid": "u", "title": "t"}}
