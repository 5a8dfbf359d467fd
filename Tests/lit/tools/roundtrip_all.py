#!/usr/bin/env python3
"""Round trip of every .ir file under the given roots: for each file that `vfc opt` accepts,
`vfc opt FILE | vfc opt -` must print exactly what `vfc opt FILE` prints, and so must a
second trip (printing is idempotent). Files `vfc opt` rejects (the error tests) must fail
with exit 1 and a located error. Prints a summary; exit 1 on any mismatch."""
import os
import re
import subprocess
import sys

LOCATED = re.compile(r"^[^\n]*:\d+:\d+: error: ", re.M)


def opt(vfc, path=None, stdin=None):
    cmd = [vfc, "opt", path if path else "-"]
    return subprocess.run(cmd, input=stdin, capture_output=True, timeout=60)


def main():
    vfc, roots = sys.argv[1], sys.argv[2:]
    files = sorted(os.path.join(d, n) for r in roots for d, _, ns in os.walk(r) for n in ns
                   if n.endswith(".ir") and "/Output/" not in os.path.join(d, n))
    valid, failures = 0, 0
    for f in files:
        first = opt(vfc, f)
        if first.returncode != 0:
            if first.returncode != 1 or not LOCATED.search(first.stderr.decode("utf-8", "replace")):
                print(f"FAIL {f}: exit {first.returncode} without a located error")
                failures += 1
            continue
        valid += 1
        second = opt(vfc, stdin=first.stdout)
        third = opt(vfc, stdin=second.stdout)
        if second.returncode != 0 or second.stdout != first.stdout or third.stdout != second.stdout:
            print(f"FAIL {f}: round trip differs")
            failures += 1
    print(f"files: {len(files)}, valid: {valid}, failures: {failures}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
