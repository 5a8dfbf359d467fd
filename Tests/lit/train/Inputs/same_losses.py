#!/usr/bin/env python3
"""Test helper: two runs' metrics.jsonl hold the same steps with bit-identical losses,
gradient norms and schedule values (wall time and throughput may differ).

    same_losses.py A_RUN_DIR B_RUN_DIR
"""
import json
import sys

KEYS = ["loss", "loss_cls", "loss_mim", "loss_pos", "grad_norm", "lr", "weight_decay", "teacher_momentum"]


def read(run):
    return [json.loads(line) for line in open(f"{run}/metrics.jsonl") if line.strip()]


a, b = read(sys.argv[1]), read(sys.argv[2])
if [e["step"] for e in a] != [e["step"] for e in b]:
    print(f"steps differ: {[e['step'] for e in a]} vs {[e['step'] for e in b]}")
    sys.exit(1)
for x, y in zip(a, b):
    for k in KEYS:
        if x[k] != y[k]:
            print(f"step {x['step']}: {k} {x[k]!r} vs {y[k]!r}")
            sys.exit(1)
print(f"{len(a)} steps identical")
