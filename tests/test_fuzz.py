"""Fuzzing every parser and user file of the CLI and the API against the input contract (issue 18, item 7).

The contract (docs/inputs.md, "Fuzzing"): exit 0, 1 or 2; on exit 2 one ``posture: error:`` line naming the
file; no exit 3, no traceback; every case within its timeout and memory limit; nothing sent beyond loopback.

Three kinds of case per target (tests/helpers/fuzz_targets.py):

- mutations of the repository's own fixtures (hypothesis draws the seed, the mutations and their randomness);
- whole documents of hostile values (JSON, JSON Lines and YAML targets);
- hand-made hostile files: a named pipe, /dev/zero, a directory, a missing file, a symlink loop, integers over
  4,300 digits, deep nesting, invalid UTF-8, impossible dates, unhashable keys, an alias bomb.

The default run is bounded (about a minute on two cores with ``-n 2``). A campaign:
``POSTURE_FUZZ_EXAMPLES=200 POSTURE_FUZZ_TALLY=1 python -m pytest tests/test_fuzz.py -n 2`` (and
``POSTURE_FUZZ_SEED``, ``POSTURE_FUZZ_TIMEOUT``, ``POSTURE_FUZZ_MEM_MB``, ``POSTURE_FUZZ_ROOT``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from tests.helpers import fuzz_tally
from tests.helpers.fuzz_inputs import documents, mutated
from tests.helpers.fuzz_runner import Case, FuzzServer, Outcome
from tests.helpers.fuzz_targets import SNAPSHOT, SPECIALS, TARGETS, WARM, Target, write_special

EXAMPLES = int(os.environ.get("POSTURE_FUZZ_EXAMPLES") or 8)
SEED = os.environ.get("POSTURE_FUZZ_SEED")
#: Hand-made cases run by default for every target; a campaign runs all of SPECIALS everywhere.
DEFAULT_SPECIALS = {"fifo", "dev_zero", "directory", "missing"}
CONTENT_SPECIALS = {"json": {"huge_int", "deep_json", "nul_bytes"}, "jsonl": {"huge_int", "deep_json", "bad_utf8"},
                    "yaml": {"deep_yaml", "bad_utf8", "bad_date", "unhashable_key", "alias_bomb", "huge_int"},
                    "hcl": {"bad_utf8", "nul_bytes"}, "text": {"bad_utf8", "empty"}}

pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")


@pytest.fixture(scope="session")
def server() -> Iterator[FuzzServer]:
    s = FuzzServer(warm=WARM)
    yield s
    s.close()
    shutil.rmtree(s.scratch, ignore_errors=True)


@pytest.fixture(scope="session")
def history_seed(server: FuzzServer) -> Path:
    """A real history database, written by the code under test."""
    db = server.scratch / "seed-history.db"
    out = server.run(Case("history_seed", ("scan", "snapshot", str(SNAPSHOT), "-q", "--format", "json",
                                           "--history", str(db))))
    assert out.klass in ("exit0", "exit1") and db.exists(), out
    return db


def _run(server: FuzzServer, target: Target, content: bytes | str, label: str) -> Outcome:
    workdir = Path(tempfile.mkdtemp(dir=server.scratch))
    try:
        outcome = server.run(target.case(workdir, content, label))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    fuzz_tally.record(outcome)
    fuzz_tally.keep(outcome, content)
    return outcome


def _check(outcome: Outcome, seen: list[Outcome]) -> None:
    """Fail at once in a normal run; in a tally run collect, so the campaign counts every case."""
    if not outcome.violations:
        return
    seen.append(outcome)
    if not fuzz_tally.enabled():
        pytest.fail(_explain(outcome), pytrace=False)


def _explain(o: Outcome) -> str:
    return (f"{o.target} [{o.label}]: {', '.join(o.violations)} (class {o.klass}, {o.elapsed}s, "
            f"{o.maxrss_mb} MB)\n{o.stderr_tail[-1500:]}")


def _fuzz(server: FuzzServer, target: Target, strategy: st.SearchStrategy, examples: int) -> None:
    seen: list[Outcome] = []

    @settings(max_examples=examples, deadline=None, database=None, derandomize=SEED is None,
              phases=(Phase.explicit, Phase.generate), suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(drawn: tuple[bytes, str]) -> None:
        content, label = drawn
        _check(_run(server, target, content, label), seen)

    if SEED is not None:
        run = hypothesis_seed(int(SEED))(run)
    run()
    assert not seen, "\n\n".join(_explain(o) for o in seen[:10])


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_mutated_fixtures(server: FuzzServer, target: Target) -> None:
    _fuzz(server, target, mutated(target.seeds, target.fmt), EXAMPLES)


@pytest.mark.parametrize("target", [t for t in TARGETS if t.fmt in ("json", "jsonl", "yaml")], ids=lambda t: t.name)
def test_generated_documents(server: FuzzServer, target: Target) -> None:
    _fuzz(server, target, documents(target.fmt), max(2, EXAMPLES // 3))


def _specials(target: Target) -> list[str]:
    if fuzz_tally.enabled() or os.environ.get("POSTURE_FUZZ_EXAMPLES"):
        return list(target.specials)
    return [s for s in target.specials if s in DEFAULT_SPECIALS | CONTENT_SPECIALS.get(target.fmt, set())]


@pytest.mark.parametrize(("target", "special"), [(t, s) for t in TARGETS for s in _specials(t)],
                         ids=lambda v: v.name if isinstance(v, Target) else v)
def test_hand_made_files(server: FuzzServer, target: Target, special: str) -> None:
    outcome = _run(server, target, special, special)
    assert not outcome.violations, _explain(outcome)


# --------------------------------------------------------------------------- paths that are not documents
def _history(db: Path) -> tuple[Target, ...]:
    return (Target("history_read", "binary", (db,), "history.db",
                   argv=lambda p, _: ("history", "list", "--history", str(p), "--format", "json")),
            Target("history_write", "binary", (db,), "history.db",
                   argv=lambda p, _: ("scan", "snapshot", str(SNAPSHOT), "-q", "--format", "json",
                                      "--history", str(p))))


@pytest.mark.parametrize("which", [0, 1], ids=["history_read", "history_write"])
def test_history_database(server: FuzzServer, history_seed: Path, which: int) -> None:
    target = _history(history_seed)[which]
    _fuzz(server, target, mutated(target.seeds, "binary"), max(3, EXAMPLES // 2))
    for special in ("fifo", "dev_zero", "directory", "symlink_loop", "empty", "nul_bytes", "bad_utf8"):
        outcome = _run(server, target, special, special)
        assert not outcome.violations, _explain(outcome)


def test_history_in_unwritable_directory(server: FuzzServer) -> None:
    """A new database where no directory can be made (under a regular file): exit 2 naming the path."""
    target = Target("history_unwritable", "binary", (), "history.db",
                    argv=lambda p, _: ("scan", "snapshot", str(SNAPSHOT), "-q", "--history", str(p / "sub/h.db")))
    outcome = _run(server, target, b"a regular file", "history under a regular file")
    assert outcome.klass == "exit2" and not outcome.violations, _explain(outcome)


@pytest.mark.parametrize("special", ["directory", "missing_parent", "fifo", "dev_full"])
def test_snapshot_out(server: FuzzServer, special: str) -> None:
    """``--snapshot-out`` naming a directory, a file in a missing directory, a pipe or /dev/full."""
    workdir = Path(tempfile.mkdtemp(dir=server.scratch))
    path = workdir / ("missing/out.jsonl" if special == "missing_parent" else "out.jsonl")
    try:
        if special in ("directory", "fifo"):
            write_special(path, special)
        elif special == "dev_full":
            path.symlink_to("/dev/full")
        argv = ("scan", "snapshot", str(SNAPSHOT), "-q", "--format", "json", "--snapshot-out", str(path))
        outcome = server.run(Case("snapshot_out", argv, names=(str(path), path.name), cwd=str(workdir),
                                  label=special))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    fuzz_tally.record(outcome)
    assert not outcome.violations, _explain(outcome)


# --------------------------------------------------------------------------- the harness itself
@pytest.mark.parametrize(("api", "expected"), [
    ({"func": "json:loads", "args": ["{"]}, ("exit3", "traceback")),
    ({"func": "time:sleep", "args": [30]}, ("hang",)),
    ({"func": "socket:create_connection", "args": [["192.0.2.1", 80]]}, ("exit3", "network outside loopback")),
    ({"func": "socket:getaddrinfo", "args": ["example.com", 443]}, ("exit3", "network outside loopback")),
    ({"func": "bytearray", "args": [1 << 40]}, ("mem",)),
])
def test_harness_catches_violations(server: FuzzServer, api: dict, expected: tuple[str, ...]) -> None:
    """The classifier must see a crash, a hang, a packet beyond loopback and a memory blow-up."""
    api = {**api, "func": api["func"] if ":" in api["func"] else f"builtins:{api['func']}"}
    outcome = server.run(Case("harness", api=api), timeout=2)
    found = " ".join(outcome.violations)
    assert all(e in found for e in expected), outcome


def test_harness_error_line_names_the_file() -> None:
    from tests.helpers.fuzz_runner import classify
    answer = {"hung": False, "rc": 2, "elapsed": 0.1, "stderr": "posture: error: something is wrong\n", "net": []}
    assert classify(Case("t", names=("plan.json",)), answer).violations == ("error line does not name the file",)
    two = {**answer, "stderr": "posture: error: plan.json: x\nposture: error: plan.json: y\n"}
    assert classify(Case("t", names=("plan.json",)), two).violations == ("2 error lines",)
    ok = {**answer, "stderr": "posture: error: /tmp/x/plan.json:3: bad\n"}
    assert classify(Case("t", names=("plan.json",)), ok).violations == ()


def test_specials_cover_every_kind() -> None:
    assert {"fifo", "dev_zero", "huge_int", "deep_json", "alias_bomb"} <= set(SPECIALS)
