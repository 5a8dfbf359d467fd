#!/usr/bin/env python3
"""Data-parallel throughput of `vfc train` on one machine: N ranks x T/N threads (mpirun)
against 1 process x T threads, run interleaved (A B A B ...) so that load from other work
on the machine falls on both alike.

    Benchmarks/distributed/run.py CONFIG [--batch B] [--steps S] [--reps R] [--ranks N] [--threads T]

CONFIG is micro or tiny (IR/ssl_CONFIG.ir) on data/photos (scripts/setup.sh). For every run
it prints the median of the per-step images/s (metrics.jsonl) over the steps after the
second, and under mpirun the median seconds of the gradient allreduce per step
(`allreduce_s`: transfer plus the wait for the slowest rank), then the medians over runs.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
VFC = os.path.join(ROOT, ".build", "release", "vfc")
MPIRUN = ["mpirun", "--allow-run-as-root", "--mca", "btl", "self,vader", "--bind-to", "core"]


def run(args, out, ranks):
    cmd = [VFC, "train", os.path.join(ROOT, "IR", f"ssl_{args.config}.ir"), "--data", args.data, "--out", out,
           "--steps", str(args.steps), "--batch", str(args.batch), "--log-every", "1000"]
    if ranks > 1:
        cmd = MPIRUN + ["-np", str(ranks)] + cmd + ["--threads", str(args.threads // ranks)]
    else:
        cmd += ["--threads", str(args.threads)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    steps = [json.loads(l) for l in open(os.path.join(out, "metrics.jsonl")) if l.strip()][2:]
    rate = statistics.median(s["images_per_s"] for s in steps)
    allreduce = statistics.median(s["allreduce_s"] for s in steps) if ranks > 1 else None
    step = statistics.median(args.batch / s["images_per_s"] for s in steps)
    return rate, allreduce, step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("config", choices=["micro", "tiny"])
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--steps", type=int, default=12)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data", default=os.path.join(ROOT, "data", "photos"))
    args = ap.parse_args()
    results = {"one": [], "ranks": []}
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.reps):
            for kind, ranks in (("one", 1), ("ranks", args.ranks)):
                rate, allreduce, step = run(args, os.path.join(tmp, f"{kind}{rep}"), ranks)
                results[kind].append((rate, allreduce, step))
                what = f"1 process x {args.threads} threads" if ranks == 1 else f"{ranks} ranks x {args.threads // ranks} thread(s)"
                extra = f", allreduce {allreduce * 1e3:.1f} ms of a {step * 1e3:.0f} ms step" if allreduce is not None else ""
                print(f"{args.config} B={args.batch} rep {rep}: {what}: {rate:.2f} images/s{extra}", flush=True)
    one = statistics.median(r[0] for r in results["one"])
    par = statistics.median(r[0] for r in results["ranks"])
    ar = statistics.median(r[1] for r in results["ranks"])
    st = statistics.median(r[2] for r in results["ranks"])
    print(f"{args.config}: median {one:.2f} images/s (1 x {args.threads}) vs {par:.2f} ({args.ranks} x {args.threads // args.ranks}): "
          f"ratio {par / one:.2f}; allreduce {ar * 1e3:.1f} ms = {100 * ar / st:.0f}% of the step")


if __name__ == "__main__":
    sys.exit(main())
