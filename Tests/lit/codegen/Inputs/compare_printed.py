#!/usr/bin/env python3
"""Test helper: compares the `resultN = [...]` lines of two `vfc run --print-values`
outputs element by element: |a - b| <= rtol * max(|b|, 0.1 * rms(b)).

    compare_printed.py A.txt B.txt RTOL
"""
import math
import re
import sys


def values(path):
    out = {}
    for line in open(path):
        m = re.match(r"(result\d+) = \[(.*)\]", line.strip())
        if m:
            out[m.group(1)] = [float(x) for x in m.group(2).split(",") if x.strip()]
    return out


a, b, rtol = values(sys.argv[1]), values(sys.argv[2]), float(sys.argv[3])
if not b or a.keys() != b.keys():
    print(f"results differ: {sorted(a)} vs {sorted(b)}")
    sys.exit(1)
worst = 0.0
for k in b:
    rms = math.sqrt(sum(x * x for x in b[k]) / max(len(b[k]), 1))
    for x, y in zip(a[k], b[k]):
        worst = max(worst, abs(x - y) / max(abs(y), 0.1 * rms, 1e-30))
print(f"worst relative difference {worst:.3g}")
sys.exit(0 if worst <= rtol else 1)
