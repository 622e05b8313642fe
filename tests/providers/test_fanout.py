"""Fan-out: shard tasks on a thread pool and on a real Dask LocalCluster, gaps, deterministic merge, reuse."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from benchmarks.gen_estate import account_estate, combine
from posture.api import scan_inventory, scan_shards
from posture.fanout import Task, open_executor, run_tasks, task_outputs
from posture.incremental import state_path
from posture.model import Inventory, Resource
from posture.providers.shards import collect_shards, read_shard, shard_tasks
from posture.providers.snapshot import read_snapshot, save_snapshot

ACCOUNTS = 6  # aws, aws, gcp, aws, aws, azure: peering between aws accounts 0-1 and 3-4


@pytest.fixture(scope="module")
def shards(tmp_path_factory) -> list[Path]:
    d = tmp_path_factory.mktemp("shards")
    out = []
    for a in range(ACCOUNTS):
        p = d / f"account-{a}.jsonl"
        save_snapshot(account_estate(a, stacks=3), p)
        out.append(p)
    return out


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0")
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def _report(result) -> list[tuple]:
    return [json.dumps(f.to_dict(), sort_keys=True) for f in result.findings]


def test_thread_pool_merge_matches_one_estate_and_resolves_cross_account_edges(shards):
    whole = combine([account_estate(a, stacks=3) for a in range(ACCOUNTS)])
    expected = scan_inventory(whole)
    got = scan_shards(shards, max_workers=4)
    assert got.findings and _report(got) == _report(expected)
    assert len(got.graph) == len(whole.resources)
    # account 1's first VPC peers with account 0's, in both directions, although each shard holds one end
    a0 = "arn:aws:ec2:eu-west-1:100000000000:vpc/vpc-0-0"
    a1 = "arn:aws:ec2:eu-west-1:100000000001:vpc/vpc-1-0"
    assert a0 in {r.id for r in got.graph.neighbours(a1, "peers_with")}
    assert a1 in {r.id for r in got.graph.neighbours(a0, "peers_with")}
    # GCP service project instances sit in the host project's subnet (shared VPC), across shards
    assert not [g for g in got.gaps if g.code == "dangling_reference"]
    alone = scan_shards(shards[1:2])
    assert any(g.code == "dangling_reference" and g.target == a0 for g in alone.gaps)


def test_dask_cluster_and_thread_pool_give_identical_findings(shards, dask_client):
    threads = scan_shards(shards)
    on_dask = scan_shards(shards, client=dask_client)
    assert on_dask.findings and _report(on_dask) == _report(threads)
    by_address = collect_shards(shards, dask_scheduler=dask_client.scheduler.address)
    assert by_address.inventory == collect_shards(shards).inventory


def test_failed_tasks_become_gaps_and_the_rest_merges(shards, tmp_path, dask_client):
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"posture_snapshot": 1}\n{"type": "resource", "kind": "network"}\n')
    denied = tmp_path / "denied.jsonl"  # listed, then gone before collection: like a denied account
    denied.write_text("")
    tasks = shard_tasks([*shards[:2], broken, denied])
    denied.unlink()
    for executor in (None, dask_client.get_executor()):
        got = run_tasks(tasks, executor)
        assert got.failed == sorted([str(broken), str(denied)])
        gaps = {g.target: g for g in got.inventory.gaps if g.source == "snapshot"}
        assert gaps[str(denied)].code == "InputError" and "no such file" in gaps[str(denied)].reason
        assert "missing field 'id'" in gaps[str(broken)].reason and gaps[str(broken)].code == "InputError"
        assert len(got.inventory.resources) == sum(len(read_snapshot(s).resources) for s in shards[:2])


def _slow_read(path: str, delay: float) -> str:
    time.sleep(delay)
    return read_shard(path)


def test_merge_is_deterministic_whatever_the_completion_order(shards):
    def tasks(order):  # the first submitted task finishes last
        return [Task(str(shards[i]), _slow_read, shard_tasks([shards[i]])[0].normalise,
                     (str(shards[i]), 0.02 * (len(order) - n)), source="snapshot") for n, i in enumerate(order)]

    n = len(shards)
    first = run_tasks(tasks(list(range(n))), ThreadPoolExecutor(n))
    second = run_tasks(tasks(list(reversed(range(n)))), ThreadPoolExecutor(n))
    assert first.inventory == second.inventory
    assert _report(scan_inventory(first.inventory)) == _report(scan_inventory(second.inventory))


def test_unchanged_tasks_reuse_the_previous_snapshot(shards, tmp_path):
    first = collect_shards(shards)
    saved = save_snapshot(first.inventory, tmp_path / "previous.jsonl")
    assert set(task_outputs(read_snapshot(saved))) == {str(s) for s in shards}

    changed = tmp_path / "changed"
    changed.mkdir()
    copies = []
    for s in shards:
        copies.append(changed / s.name)
        copies[-1].write_text(s.read_text())
    inv = read_snapshot(copies[2])
    save_snapshot(Inventory(inv.resources[:-1], inv.edges, inv.gaps), copies[2])  # one resource deleted
    # the previous run was keyed by the old paths: rekey it to the copies' paths
    prev = read_snapshot(saved)
    table = {str(changed / Path(k).name): v for k, v in prev.meta["tasks"].items()}
    prev = Inventory(prev.resources, prev.edges, prev.gaps, {**prev.meta, "tasks": table})

    again = collect_shards(copies, previous=prev)
    assert again.reused == sorted(str(c) for i, c in enumerate(copies) if i != 2)
    assert again.inventory == collect_shards(copies).inventory
    assert len(again.inventory.resources) == len(first.inventory.resources) - 1


def test_thread_pool_is_the_default_and_bounded():
    with open_executor(max_workers=3) as pool:
        assert isinstance(pool, ThreadPoolExecutor) and pool._max_workers == 3


def _copy_shards(shards, directory: Path) -> list[Path]:
    directory.mkdir()
    out = []
    for s in shards:
        out.append(directory / s.name)
        out[-1].write_text(s.read_text())
    return out


def test_incremental_rescan_reuses_unchanged_tasks_and_matches_a_full_scan(shards, tmp_path):
    copies = _copy_shards(shards, tmp_path / "estate")
    prev = tmp_path / "prev.jsonl"
    first = scan_shards(copies, state_out=state_path(prev))
    save_snapshot(first.inventory, prev)

    same = scan_shards(copies, previous=prev)
    assert same.source["tasks_reused"] == len(copies)
    assert same.source["rule_task_pairs_reused"] > 0 and _report(same) == _report(first)
    assert dict(same.checked) == dict(first.checked) and first.checked["POSTURE-ENC-001"] > 0

    inv = read_snapshot(copies[0])  # account 0: open SSH on one more security group
    sg = next(r for r in inv.resources if r.native_type == "aws_security_group" and "sg-db-0-1" in r.id)
    opened = Resource(**{**{f: getattr(sg, f) for f in sg.__slots__}, "attrs": {
        **sg.attrs, "rules": [*sg.attrs["rules"], {"direction": "ingress", "action": "allow", "protocol": "tcp",
                                                  "ports": [[22, 22]], "peers": ["0.0.0.0/0"], "priority": None}]}})
    save_snapshot(Inventory(tuple(opened if r is sg else r for r in inv.resources), inv.edges), copies[0])
    changed = scan_shards(copies, previous=prev)
    full = scan_shards(copies)
    assert changed.source["tasks_reused"] == len(copies) - 1
    assert _report(changed) == _report(full) != _report(first)
    assert dict(changed.checked) == dict(full.checked) == dict(scan_inventory(full.inventory).checked)
    assert any(f.resource.id == sg.id and f.rule_id == "POSTURE-NET-001" for f in changed.findings)

    # a rule whose parameters changed is evaluated in full, not served from the cache
    params = {"POSTURE-NET-001": {"ports": [5432]}}
    narrowed = scan_shards(copies, previous=prev, rule_params=params)
    assert _report(narrowed) == _report(scan_shards(copies, rule_params=params))


def test_rule_locality_is_derived_from_the_condition(tmp_path):
    from posture.rules.lang import load_rule_file

    f = tmp_path / "r.yaml"
    f.write_text("""
rules:
  - {id: T-LOCAL-1, title: t, severity: low, category: keys.rotation, kinds: [key], message: m,
     fails_when: {any_of: rotation, where: {attr: enabled, eq: false}}}
  - {id: T-GRAPH-1, title: t, severity: low, category: keys.rotation, kinds: [key], message: m,
     fails_when: {related: {edge: encrypted_by, direction: in}}}
  - {id: T-CLOCK-1, title: t, severity: low, category: keys.rotation, kinds: [key], message: m,
     fails_when: {attr: expires, age_gt_days: 90}}
""")
    assert {r.id: r.meta.local for r in load_rule_file(f)} == {"T-LOCAL-1": True, "T-GRAPH-1": False,
                                                               "T-CLOCK-1": False}


def test_rule_key_changes_when_the_rule_or_its_base_changes(tmp_path):
    from posture.incremental import rule_key
    from posture.rules.lang import load_rule_file

    base, inst = tmp_path / "base.yaml", tmp_path / "inst.yaml"
    rule = """rules:
  - {id: T-BASE-1, title: t, severity: low, category: keys.rotation, kinds: [key], message: m,
     params: {days: 90}, fails_when: {attr: rotation.period_days, gt: %s}}
"""
    inst.write_text("instances:\n  - {of: T-BASE-1, id: T-INST-1, params: {days: 30}}\n")

    def keys(threshold):
        base.write_text(rule % threshold)
        known = {r.id: r for r in load_rule_file(base)}
        return [rule_key(r) for r in [*known.values(), *load_rule_file(inst, known)]]

    first = keys("{param: days}")
    assert keys("{param: days}") == first
    changed = keys("365")  # same metadata and parameters, another condition
    assert changed[0] != first[0] and changed[1] != first[1]


def test_a_hung_task_becomes_a_timeout_gap(shards):
    hung = Task("z-hung", _slow_read, shard_tasks([shards[0]])[0].normalise, (str(shards[0]), 3.0), source="snapshot")
    started = time.monotonic()
    got = run_tasks([*shard_tasks(shards[:2]), hung], timeout=1.0)
    assert time.monotonic() - started < 2.5
    assert got.failed == ["z-hung"] and len(got.outputs) == 2
    (gap,) = [g for g in got.inventory.gaps if g.target == "z-hung"]
    assert gap.code == "timeout" and "not finished after 1.0 s" in gap.reason


def test_cli_scan_snapshots_writes_state_and_reuses_it(shards, tmp_path, capsys):
    from posture.cli import main

    out = tmp_path / "org.jsonl"
    args = ["scan", "snapshots", *map(str, shards), "--format", "json", "-q", "--fail-on", "none", "--workers", "3"]
    assert main([*args, "--snapshot-out", str(out)]) == 0
    first = json.loads(capsys.readouterr().out)
    assert out.exists() and state_path(out).exists() and first["findings"]
    assert main([*args, "--previous", str(out)]) == 0
    again = json.loads(capsys.readouterr().out)
    assert [f["fingerprint"] for f in again["findings"]] == [f["fingerprint"] for f in first["findings"]]
    assert main(["scan", "snapshots", str(tmp_path / "nope.jsonl")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "nope.jsonl: no such snapshot file or directory" in err


def test_dask_worker_process_runs_pickled_tasks(shards, tmp_path):
    """A worker in another process: tasks, partial inventories and failures cross a real pickle boundary."""
    distributed = pytest.importorskip("distributed")
    missing = tmp_path / "gone.jsonl"
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        gone = Task(str(missing), read_shard, shard_tasks(shards[:1])[0].normalise, (str(missing),), source="snapshot")
        tasks = [*shard_tasks(shards), gone]
        got = run_tasks(tasks, client.get_executor())
    assert got.inventory == run_tasks(tasks).inventory
    assert got.failed == [str(missing)]
    assert any(g.code == "InputError" and g.target == str(missing) and "no such file" in g.reason
               for g in got.inventory.gaps)


def test_timeout_through_collect_shards_does_not_wait_for_the_hung_task(shards, monkeypatch):
    import posture.providers.shards as shards_mod

    monkeypatch.setattr(shards_mod, "read_shard", lambda path: _slow_read(path, 3.0 if path == str(shards[0]) else 0))
    started = time.monotonic()
    got = collect_shards(shards[:3], timeout=1.0)
    assert time.monotonic() - started < 2.5 and got.failed == [str(shards[0])]
