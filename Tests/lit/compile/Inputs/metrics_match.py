#!/usr/bin/env python3
"""Checks train.c's first logged step against a `vfc step --json` line: every metric within
RTOL relative. usage: metrics_match.py LOG JSON RTOL. Prints "match" or the mismatches."""
import json
import sys

log, ref_path, rtol = sys.argv[1], sys.argv[2], float(sys.argv[3])
fields = next(line.split() for line in open(log) if line.startswith("step "))
c = {fields[i]: float(fields[i + 1]) for i in range(2, len(fields) - 1, 2)}
ref = json.loads(open(ref_path).readline())
bad = [f"{k}: C {c.get(k)} vfc step {v}" for k, v in ref.items()
       if k in ("loss", "loss_cls", "loss_mim", "loss_pos", "grad_norm") and not abs(c.get(k, float("nan")) - v) <= rtol * abs(v)]
print("\n".join(bad) if bad else "match")
sys.exit(1 if bad else 0)
