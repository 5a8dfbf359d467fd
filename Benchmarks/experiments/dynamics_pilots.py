#!/usr/bin/env python3
"""The pilots of docs/training-dynamics.md: settings inside method.md (lr, teacher momentum,
weight decay, steps) trained on one-shape data (one_shape.py) for several seeds, each probed
with `vfc eval --probe knn,linear,position --split 0.2` against its seed's fresh `vfc init`
state. At most --jobs processes at a time, each `nice -n 5 ... --threads 1`.

    python3 Benchmarks/experiments/dynamics_pilots.py --work DIR [--settings P0,P1] [--seeds 0,1,2]
    python3 Benchmarks/experiments/dynamics_pilots.py --work DIR --summary   # the table only

DIR/train and DIR/probe must hold `one_shape.py DIR/train 2000 0` and `one_shape.py
DIR/probe 1000 1`. Runs go to DIR/runs/SETTING-sSEED (checkpoints every 100 steps, the
trainer keeps the newest 3, and an in-run kNN on the probe data every 100 steps), reports
to DIR/evals/NAME.json; both are skipped when already there. --summary prints, per setting,
mean +- std over seeds of each probe (fresh -> trained) and L_cls over the run (mean of
steps 1-50, lowest, mean of the last 50, share of the last 100 steps above 6.5). Standard
library only.
"""
import argparse
import concurrent.futures
import json
import os
import statistics
import subprocess
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
IR = os.path.join(REPO, "IR", "ssl_micro.ir")
# name: (steps, extra vfc train options); every setting has --batch 32 --warmup-steps 30
# and --schedule-steps equal to its steps.
SETTINGS = {
    "P0": (300, ["--lr", "1e-3", "--momentum", "0.9"]),            # round 3's M5, 300 steps (M6)
    "P1": (300, ["--lr", "3e-4", "--momentum", "0.9"]),
    "P2": (300, ["--lr", "1e-3", "--momentum", "0.9", "--weight-decay-end", "0.04"]),
    "P3": (300, ["--lr", "1e-3", "--momentum", "0.97"]),
    "P4": (300, ["--lr", "1e-4", "--momentum", "0.9"]),
    "P5": (300, ["--lr", "3e-4", "--momentum", "0.97"]),
}


def sh(cmd, log):
    with open(log, "w") as f:
        r = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        raise SystemExit(f"failed ({r.returncode}): {' '.join(cmd)} (see {log})")


def train(a, setting, seed):
    steps, extra = SETTINGS[setting]
    run = os.path.join(a.work, "runs", f"{setting}-s{seed}")
    if os.path.exists(os.path.join(run, f"ckpt-{steps:06d}.safetensors")) or os.path.exists(os.path.join(run, "done")):
        return run
    cmd = ["nice", "-n", "5", a.vfc, "train", IR, "--data", os.path.join(a.work, "train"), "--out", run,
           "--steps", str(steps), "--schedule-steps", str(steps), "--batch", "32", "--warmup-steps", "30",
           "--seed", str(seed), "--threads", "1", "--workers", "1", "--checkpoint-every", "100",
           "--eval-every", "100", "--eval-data", os.path.join(a.work, "probe"), "--eval-probe", "knn", *extra]
    if os.path.exists(run):
        cmd = ["nice", "-n", "5", a.vfc, "train", "--resume", run]
    sh(cmd, run + ".log")
    open(os.path.join(run, "done"), "w").close()
    return run


def evaluate(a, name, state, ir_args):
    out = os.path.join(a.work, "evals", name + ".json")
    if not os.path.exists(out):
        sh(["nice", "-n", "5", a.vfc, "eval", state, *ir_args, "--data", os.path.join(a.work, "probe"),
            "--probe", "knn,linear,position", "--split", "0.2", "--threads", "1", "-o", out], out + ".log")
    return out


def fresh(a, seed):
    state = os.path.join(a.work, f"init-s{seed}.safetensors")
    if not os.path.exists(state):
        sh([a.vfc, "init", IR, "--seed", str(seed), "-o", state], state + ".log")
    return evaluate(a, f"init-s{seed}", state, ["--ir", IR])


def job(a, setting, seed):
    run = train(a, setting, seed)
    return evaluate(a, f"{setting}-s{seed}", run, ["--ir", IR])


def figures(path):
    r = json.load(open(path))
    out = {}
    for key, want in (("knn", "top1"), ("linear", "top1"), ("position", "r2")):
        v = r.get(key) or r.get("probes", {}).get(key)
        if isinstance(v, dict):
            out[key] = v.get(want, v.get(want + "_percent"))
    return out


def summary(a):
    def ms(xs):
        xs = [x for x in xs if x is not None]
        if not xs:
            return "-"
        return f"{statistics.mean(xs):.3g} ± {statistics.stdev(xs):.2g}" if len(xs) > 1 else f"{xs[0]:.3g}"
    seeds = [int(s) for s in a.seeds.split(",")]
    for setting in a.settings.split(","):
        rows, cls = [], []
        for s in seeds:
            e = os.path.join(a.work, "evals", f"{setting}-s{s}.json")
            f = os.path.join(a.work, "evals", f"init-s{s}.json")
            m = os.path.join(a.work, "runs", f"{setting}-s{s}", "metrics.jsonl")
            if not (os.path.exists(e) and os.path.exists(f)):
                continue
            rows.append((figures(f), figures(e), s))
            lines = [json.loads(x) for x in open(m) if x.strip()]
            lc = [x["loss_cls"] for x in lines if "loss_cls" in x]
            knn = [round(x["eval/knn_top1"], 1) for x in lines if "eval/knn_top1" in x]
            cls.append((s, sum(lc[:50]) / 50, min(lc), sum(lc[-50:]) / 50,
                        sum(v > 6.5 for v in lc[-100:]) / 100, knn))
        if not rows:
            continue
        print(f"{setting} {SETTINGS[setting]} seeds {[r[2] for r in rows]}")
        for k in ("knn", "linear", "position"):
            print(f"  {k}: fresh {ms([r[0].get(k) for r in rows])} -> trained {ms([r[1].get(k) for r in rows])}"
                  f"  per seed {[(r[0].get(k), r[1].get(k)) for r in rows]}")
        for s, first, low, last, high, knn in cls:
            print(f"  seed {s}: L_cls first-50 mean {first:.2f}, lowest {low:.2f}, last-50 mean {last:.2f}, "
                  f"last 100 above 6.5: {high:.0%}; in-run kNN at 100/200/300 {knn}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", required=True)
    ap.add_argument("--settings", default="P0,P1", help="names of SETTINGS (P2-P5 were not run)")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--vfc", default=os.path.join(REPO, ".build", "release", "vfc"))
    ap.add_argument("--summary", action="store_true")
    a = ap.parse_args()
    if a.summary:
        return summary(a)
    os.makedirs(os.path.join(a.work, "runs"), exist_ok=True)
    os.makedirs(os.path.join(a.work, "evals"), exist_ok=True)
    seeds = [int(s) for s in a.seeds.split(",")]
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
        for f in [pool.submit(fresh, a, s) for s in seeds]:
            f.result()
        # Seed-major, so every setting has its first seeds early.
        jobs = [pool.submit(job, a, st, s) for s in seeds for st in a.settings.split(",")]
        for f in concurrent.futures.as_completed(jobs):
            print(f.result(), flush=True)
    summary(a)


if __name__ == "__main__":
    sys.exit(main())
