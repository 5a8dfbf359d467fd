#!/usr/bin/env python3
"""Summarises a run's metrics.jsonl for ablation.test: the steps logged, whether every loss is
finite, and whether L_pos was zero at every step (the `nopos` variant) or positive."""
import json
import math
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
keys = ("loss", "loss_cls", "loss_mim", "loss_pos", "grad_norm")
finite = all(math.isfinite(r[k]) for r in rows for k in keys)
pos = [r["loss_pos"] for r in rows]
kind = "zero" if all(p == 0 for p in pos) else "positive" if all(p > 0 for p in pos) else "mixed"
print(f"steps {[r['step'] for r in rows]}, losses finite: {'yes' if finite else 'no'}, loss_pos {kind}")
