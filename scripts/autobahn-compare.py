#!/usr/bin/env python3
"""Compares an Autobahn run (the index.json kosoku writes) with the expected
verdicts committed in server/tests/autobahn/expected.json.

Prints the tally, every case that got better, and every case that got worse,
is missing or is new; exits 1 if any got worse, is missing or is new.
With --update, writes the run's verdicts as the expected ones instead, keeping
the note ("why") of each case whose verdict did not change.

Usage: autobahn-compare.py EXPECTED.json INDEX.json [--update]
"""

import json
import os
import sys
from collections import Counter

# How good a verdict is; a case regresses when either of its verdicts ranks
# lower than expected. INFORMATIONAL only ever comes from the cases that
# probe what the RFC leaves open, and is all they can give.
RANK = {"OK": 3, "NON-STRICT": 2, "INFORMATIONAL": 2, "UNIMPLEMENTED": 1}
TALLY = ["OK", "NON-STRICT", "INFORMATIONAL", "FAILED", "UNIMPLEMENTED"]
VERDICTS = ("behavior", "behaviorClose")
# Changes listed at most; the reports hold every case.
MAX_LISTED = 20


def case_key(case_id):
    return [int(part) for part in case_id.split(".")]


def load_run(path):
    with open(path, encoding="utf-8") as f:
        index = json.load(f)
    if len(index) != 1:
        sys.exit(f"autobahn: expected one agent in {path}, found {list(index)}")
    return next(iter(index.values()))


def write_expected(path, runner, cases):
    """One case a line, so a change to a verdict is a one-line diff."""
    lines = [
        f'    {json.dumps(case_id)}: {json.dumps(cases[case_id], ensure_ascii=False)}'
        for case_id in sorted(cases, key=case_key)
    ]
    with open(path, "w", encoding="utf-8") as f:
        f.write('{\n  "runner": ' + json.dumps(runner) + ',\n  "cases": {\n')
        f.write(",\n".join(lines))
        f.write("\n  }\n}\n")


def main():
    args = [arg for arg in sys.argv[1:] if arg != "--update"]
    update = "--update" in sys.argv[1:]
    if len(args) != 2:
        sys.exit(__doc__)
    expected_path, index_path = args
    with open(expected_path, encoding="utf-8") as f:
        expected = json.load(f)
    run = load_run(index_path)

    tally = Counter(result["behavior"] for result in run.values())
    others = sorted(set(tally) - set(TALLY))
    print(
        f"autobahn: {len(run)} cases: "
        + ", ".join(f"{tally[name]} {name}" for name in TALLY + others)
    )

    better, worse = [], []
    for case_id in sorted(set(run) | set(expected["cases"]), key=case_key):
        want = expected["cases"].get(case_id)
        got = run.get(case_id)
        if want is None:
            worse.append((case_id, "new case, not in the expected results"))
            continue
        if got is None:
            worse.append((case_id, f"expected {want['behavior']}, but it did not run"))
            continue
        for verdict in VERDICTS:
            was, now = want[verdict], got[verdict]
            if was == now:
                continue
            change = f"{verdict}: {was} -> {now}"
            if RANK.get(now, 0) < RANK.get(was, 0):
                report = os.path.join(os.path.dirname(index_path), got.get("reportfile", ""))
                close_code = got.get("remoteCloseCode")
                worse.append((case_id, f"{change} (close code {close_code}; see {report})"))
            else:
                better.append((case_id, change))

    if update:
        cases = {}
        for case_id, got in run.items():
            entry = {verdict: got[verdict] for verdict in VERDICTS}
            want = expected["cases"].get(case_id, {})
            if "why" in want and all(want.get(v) == entry[v] for v in VERDICTS):
                entry["why"] = want["why"]
            cases[case_id] = entry
        write_expected(expected_path, expected["runner"], cases)
        print(f"autobahn: wrote {len(cases)} expected verdicts to {expected_path}")
        return 0

    for case_id, change in better:
        print(f"autobahn: better: {case_id} {change}")
    if better:
        print("autobahn: record the improvements with: scripts/autobahn.sh --update")
    for case_id, change in worse[:MAX_LISTED]:
        print(f"autobahn: WORSE: {case_id} {change}")
    if len(worse) > MAX_LISTED:
        print(f"autobahn: WORSE: ... and {len(worse) - MAX_LISTED} more")
    worse_cases = {case_id for case_id, _ in worse}
    if worse:
        print(
            f"autobahn: FAILED: {len(worse_cases)} case(s) worse than {expected_path}",
            file=sys.stderr,
        )
    else:
        print(f"autobahn: no case worse than {expected_path}")
    # Last, in the form test runners close with: cases as good as expected, and not.
    print(f"autobahn: {len(run) - len(worse_cases & set(run))} passed, {len(worse_cases)} failed")
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())
