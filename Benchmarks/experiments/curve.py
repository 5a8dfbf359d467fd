#!/usr/bin/env python3
"""The table of docs/experiments.md's "Longer budget" from one run: for the fresh state and
each checkpoint, the figures of `vfc eval --json` (EVALS/NAME.json, NAME = init-s0 or
ckpt-STEP), the position R^2 that `vfc train --eval-every` logged in the run's metrics.jsonl
(when it was run with the earlier AdamW position head), and the losses averaged over the 50
steps up to the checkpoint. With --jsonl OUT it also writes the probe figures as metrics
lines (`eval/knn_top1`, `eval/linear_top1`, `eval/position_r2_x100`) for `vfc plot OUT
--metrics ...`. Standard library only.

    python3 Benchmarks/experiments/curve.py RUN_DIR EVALS [--jsonl OUT]
"""
import argparse
import glob
import json
import os
import re


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run")
    ap.add_argument("evals")
    ap.add_argument("--jsonl")
    a = ap.parse_args()
    metrics = [json.loads(line) for line in open(os.path.join(a.run, "metrics.jsonl")) if line.strip()]
    logged = {m["step"]: m for m in metrics if "eval/position_r2" in m}
    rows = []
    for path in glob.glob(os.path.join(a.evals, "*.json")):
        name = os.path.basename(path)[:-5]
        m = re.fullmatch(r"init-s\d+|ckpt-(\d+)", name)
        if not m:
            continue
        step = int(m.group(1)) if m.group(1) else 0
        rows.append((step, json.load(open(path))))
    rows.sort(key=lambda r: r[0])
    print("| step | kNN % | linear % | position R^2 (exact) | error, patches | R^2, AdamW head (--eval-every) | loss_cls | loss_mim | loss_pos | teacher momentum |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    lines = []
    for step, r in rows:
        window = [m for m in metrics if step - 50 < m["step"] <= step]
        mean = lambda k: sum(m[k] for m in window) / len(window) if window else float("nan")  # noqa: E731
        old = logged.get(step, {}).get("eval/position_r2")
        cells = [str(step), f"{r['knn']['top1']:.1f}", f"{r['linear']['top1']:.1f}", f"{r['position']['r2']:.3f}",
                 f"{r['position']['mean_error_patches']:.3f}", "" if old is None else f"{old:.3f}"]
        cells += ["", "", "", ""] if not window else [f"{mean('loss_cls'):.2f}", f"{mean('loss_mim'):.2f}",
                                                     f"{mean('loss_pos'):.3f}", f"{window[-1]['teacher_momentum']:.4f}"]
        print("| " + " | ".join(cells) + " |")
        lines.append({"step": step, "eval/knn_top1": r["knn"]["top1"], "eval/linear_top1": r["linear"]["top1"],
                      "eval/position_r2_x100": 100 * r["position"]["r2"]})
    if a.jsonl:
        with open(a.jsonl + ".tmp", "w") as f:
            for line in lines:
                f.write(json.dumps(line) + "\n")
        os.replace(a.jsonl + ".tmp", a.jsonl)


if __name__ == "__main__":
    main()
