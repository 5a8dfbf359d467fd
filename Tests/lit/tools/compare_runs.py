#!/usr/bin/env python3
"""Test helper: a data-parallel run computes what one process computes.

    compare_runs.py REFERENCE_RUN PARALLEL_RUN [--rtol 1e-5] [--replicas N]

- every step of both metrics.jsonl: loss, loss_cls, loss_mim, loss_pos and grad_norm
  within rtol relative (the schedule values lr, weight_decay, teacher_momentum equal);
- the newest checkpoints of both runs: each part of the state (the student, the teacher,
  opt.m, opt.v, the rest: centres and opt.step) and the whole within rtol relative L2
  (||a - b|| <= rtol * ||b||). Not each tensor alone: a gradient that is zero in exact
  arithmetic (the key bias: softmax ignores a constant added to every score) is rounding
  noise, whose sign AdamW's m / sqrt(v) turns into a step of +-lr either way;
- with --replicas N: PARALLEL_RUN/rank-R/ (R = 1 .. N-1, written by --rank-checkpoints)
  holds the same newest checkpoint as rank 0, every tensor's bytes identical.
Prints one line per check; exit 0 if all hold, 1 otherwise.
"""
import argparse
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_safetensors import read_safetensors  # noqa: E402

LOSSES = ["loss", "loss_cls", "loss_mim", "loss_pos", "grad_norm"]
SCHEDULE = ["lr", "weight_decay", "teacher_momentum"]


def metrics(run):
    return [json.loads(line) for line in open(os.path.join(run, "metrics.jsonl")) if line.strip()]


def newest(run):
    names = sorted(n for n in os.listdir(run) if n.startswith("ckpt-") and n.endswith(".safetensors"))
    if not names:
        raise SystemExit(f"{run}: no checkpoint")
    return os.path.join(run, names[-1])


def raw_tensors(path):
    """{name: bytes of its data} straight from the file."""
    import struct
    data = open(path, "rb").read()
    (hlen,) = struct.unpack_from("<Q", data, 0)
    header = json.loads(data[8:8 + hlen])
    header.pop("__metadata__", None)
    return {k: data[8 + hlen + v["data_offsets"][0]:8 + hlen + v["data_offsets"][1]] for k, v in header.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("reference")
    ap.add_argument("parallel")
    ap.add_argument("--rtol", type=float, default=1e-5)
    ap.add_argument("--replicas", type=int, default=1)
    args = ap.parse_args()
    ok = True

    a, b = metrics(args.reference), metrics(args.parallel)
    if [e["step"] for e in a] != [e["step"] for e in b]:
        print(f"steps differ: {[e['step'] for e in a]} vs {[e['step'] for e in b]}")
        return 1
    worst = 0.0
    for x, y in zip(a, b):
        for k in SCHEDULE:
            if x[k] != y[k]:
                print(f"step {x['step']}: {k} {x[k]!r} vs {y[k]!r}")
                ok = False
        for k in LOSSES:
            rel = abs(x[k] - y[k]) / max(abs(x[k]), 1e-30)
            worst = max(worst, rel)
            if not rel <= args.rtol:
                print(f"step {x['step']}: {k} {x[k]!r} (reference) vs {y[k]!r}: relative error {rel:.3g} > {args.rtol}")
                ok = False
    print(f"metrics: {len(a)} steps, largest relative error {worst:.3g}" + (" ok" if ok else ""))

    ref, par = read_safetensors(newest(args.reference)), read_safetensors(newest(args.parallel))
    if sorted(ref) != sorted(par):
        print(f"checkpoints hold different tensors: {sorted(set(ref) ^ set(par))[:5]}")
        return 1
    parts, worst_tensor, worst_name = {}, 0.0, ""
    for name in sorted(ref):
        (_, rshape, rv), (_, pshape, pv) = ref[name], par[name]
        if rshape != pshape:
            print(f"{name}: shape {rshape} vs {pshape}")
            ok = False
            continue
        diff = sum((p - r) ** 2 for p, r in zip(pv, rv))
        norm = sum(r * r for r in rv)
        part = next((p for p in ("teacher.", "opt.m.", "opt.v.") if name.startswith(p)), None)
        part = part[:-1] if part else ("rest" if name in ("opt.step", "center_cls", "center_patch") else "student")
        for key in (part, "whole state"):
            d, n = parts.get(key, (0.0, 0.0))
            parts[key] = (d + diff, n + norm)
        rel = math.sqrt(diff / norm) if norm > 0 else (0.0 if diff == 0 else math.inf)
        if rel > worst_tensor:
            worst_tensor, worst_name = rel, name
    for key, (d, n) in parts.items():
        rel = math.sqrt(d / n) if n > 0 else (0.0 if d == 0 else math.inf)
        good = rel <= args.rtol
        ok = ok and good
        print(f"state, {key}: relative L2 error {rel:.3g}" + (" ok" if good else f" > {args.rtol}"))
    print(f"state: {len(ref)} tensors; the largest relative L2 error of one tensor {worst_tensor:.3g} ({worst_name or '-'})")

    rank0 = raw_tensors(newest(args.parallel))
    for r in range(1, args.replicas):
        path = newest(os.path.join(args.parallel, f"rank-{r}"))
        if os.path.basename(path) != os.path.basename(newest(args.parallel)):
            print(f"rank {r}: newest checkpoint {os.path.basename(path)}, rank 0's {os.path.basename(newest(args.parallel))}")
            ok = False
            continue
        other = raw_tensors(path)
        differing = [k for k in rank0 if other.get(k) != rank0[k]]
        if differing or sorted(other) != sorted(rank0):
            print(f"rank {r}: {len(differing)} tensors differ from rank 0's (first: {differing[:3]})")
            ok = False
        else:
            print(f"rank {r}: state identical to rank 0's bit for bit ({len(rank0)} tensors)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
