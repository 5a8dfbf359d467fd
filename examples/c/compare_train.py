#!/usr/bin/env python3
"""Checks the C training loop (train.c) against `vfc step`: the metrics of each step and
the state after the last one. Pure Python (struct, json): no NumPy needed.

usage: compare_train.py --c-log LOG --c-state OUT.safetensors --ref-json K=STEP_K.json ... \
           --ref-state REF.safetensors [--rtol 1e-6]

LOG holds train.c's lines "step K loss L loss_cls .. grad_norm G"; each --ref-json file
holds the JSON line of `vfc step --json` whose first metrics are those of step K. A metric matches when
|c - ref| <= rtol * |ref|; a tensor of the state when max |c - ref| <= rtol * max |ref|
(the tensor's scale: elements near zero are compared at that scale, not their own).
Every tensor of the reference state must be in the C state with the same dtype and shape.
Prints one line per failure and a summary; exit code 0 when everything matches.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixture import read_safetensors  # noqa: E402

METRICS = ("loss", "loss_cls", "loss_mim", "loss_pos", "grad_norm")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--c-log", required=True)
    ap.add_argument("--c-state", required=True)
    ap.add_argument("--ref-json", nargs="+", required=True)
    ap.add_argument("--ref-state", required=True)
    ap.add_argument("--rtol", type=float, default=1e-6)
    a = ap.parse_args()

    failures = []
    steps = [line.split() for line in open(a.c_log) if line.startswith("step ")]
    worst_metric = 0.0
    for spec in a.ref_json:
        k, ref_path = spec.split("=", 1)
        k = int(k)
        if not 1 <= k <= len(steps):
            failures.append("train.c ran %d steps, no step %d" % (len(steps), k))
            continue
        words = steps[k - 1]
        got = {words[i]: float(words[i + 1]) for i in range(2, len(words) - 1, 2)}
        with open(ref_path) as f:
            ref = json.loads(f.read())
        for m in METRICS:
            if m not in got or m not in ref:
                failures.append("step %d: metric %s missing" % (k, m))
                continue
            err = abs(got[m] - ref[m]) / max(abs(ref[m]), 1e-30)
            worst_metric = max(worst_metric, err)
            if err > a.rtol:
                failures.append("step %d: %s %.9g, vfc step %.9g (relative %.2e)" % (k, m, got[m], ref[m], err))

    c_state, ref_state = read_safetensors(a.c_state), read_safetensors(a.ref_state)
    worst_tensor, worst_name = 0.0, ""
    for name, (dtype, shape, ref) in sorted(ref_state.items()):
        if name not in c_state:
            failures.append("tensor %s: not in the C state" % name)
            continue
        cd, cs, got = c_state[name]
        if (cd, cs) != (dtype, shape):
            failures.append("tensor %s: %s%s in C, %s%s from vfc step" % (name, cd, cs, dtype, shape))
            continue
        scale = max((abs(x) for x in ref), default=0.0)
        diff = max((abs(x - y) for x, y in zip(got, ref)), default=0.0)
        err = diff / scale if scale > 0 else diff
        if err > worst_tensor:
            worst_tensor, worst_name = err, name
        if err > a.rtol:
            failures.append("tensor %s: max |diff| %.3g, %.2e of its scale %.3g" % (name, diff, err, scale))

    for f in failures[:40]:
        print("MISMATCH " + f)
    print("compared the metrics of %d of %d steps (worst %.2e) and %d tensors (worst %.2e%s): %s"
          % (len(a.ref_json), len(steps), worst_metric, len(ref_state), worst_tensor,
             " in " + worst_name if worst_name else "", "ok" if not failures else "%d mismatches" % len(failures)))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
