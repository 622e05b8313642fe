"""Counting fuzz outcomes: one JSON line per case (per test process), summed and printed per target.

With ``POSTURE_FUZZ_TALLY=1`` each case is appended to ``$POSTURE_FUZZ_TALLY_DIR/<worker>.jsonl`` (the
directory is made by the first pytest process, tests/conftest.py, and inherited by xdist workers); the
summary is printed at the end of the run; the input of every case that broke the contract is kept in
``cases/`` there. ``python -m tests.helpers.fuzz_tally DIR`` prints it again.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter, defaultdict
from pathlib import Path

from tests.helpers.fuzz_runner import CLASSES, Outcome


def enabled() -> bool:
    return os.environ.get("POSTURE_FUZZ_TALLY", "") not in ("", "0")


def record(outcome: Outcome) -> None:
    """Append one case to this process's tally file (when tallying)."""
    where = os.environ.get("POSTURE_FUZZ_TALLY_DIR")
    if not (enabled() and where):
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with open(Path(where) / f"{worker}.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(outcome.record()) + "\n")


def keep(outcome: Outcome, content: bytes | str) -> None:
    """Save the input of a case that broke the contract (tallying only), to reproduce it by hand."""
    where = os.environ.get("POSTURE_FUZZ_TALLY_DIR")
    if not (enabled() and where and outcome.violations and isinstance(content, bytes)):
        return
    cases = Path(where) / "cases"
    cases.mkdir(exist_ok=True)
    n = len(list(cases.glob(f"{outcome.target}-*")))
    (cases / f"{outcome.target}-{n}.input").write_bytes(content)


def load(directory: str | os.PathLike[str]) -> list[dict]:
    return [json.loads(line) for f in sorted(Path(directory).glob("*.jsonl"))
            for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]


def summarize(records: list[dict], show: int = 3) -> str:
    """The exit-code distribution per target and in all, then the violations grouped by target."""
    per: dict[str, Counter[str]] = defaultdict(Counter)
    bad: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        per[r["target"]][r["class"]] += 1
        if r["violations"]:
            bad[r["target"]].append(r)
    cols = ("cases", *CLASSES, "violations")
    width = max([len(t) for t in per] + [6])
    out = [f"{'target':<{width}} " + " ".join(f"{c:>10}" for c in cols)]
    total: Counter[str] = Counter()
    for target in sorted(per):
        row = per[target] | Counter({"cases": sum(per[target].values()), "violations": len(bad[target])})
        total.update(row)
        out.append(f"{target:<{width}} " + " ".join(f"{row[c]:>10}" for c in cols))
    out.append(f"{'TOTAL':<{width}} " + " ".join(f"{total[c]:>10}" for c in cols))
    if bad:
        out.append("")
        out.append("violations by target (first of each kind):")
    for target in sorted(bad):
        kinds: dict[str, list[dict]] = defaultdict(list)
        for r in bad[target]:
            kinds[r["violations"][0].split(":")[0]].append(r)
        for kind, rs in sorted(kinds.items()):
            out.append(f"  {target}: {kind} x{len(rs)}")
            for r in rs[:show]:
                tail = r["stderr"].strip().splitlines()[-1:] or [""]
                out.append(f"      {r['label'][:70]} -> {tail[0][:160]}")
    return "\n".join(out)


if __name__ == "__main__":
    print(summarize(load(sys.argv[1])))
