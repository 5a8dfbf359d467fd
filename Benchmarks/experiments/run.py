#!/usr/bin/env python3
"""The ablation of docs/experiments.md: pretrain every variant for several seeds on synthetic
data, evaluate every probe with `vfc eval` at several points of pretraining, and write the
results (JSON), the plot (SVG) and the generated part of docs/experiments.md.

    python3 Benchmarks/experiments/run.py                      # everything, the documented size
    python3 Benchmarks/experiments/run.py --steps 60 --seeds 0 # a quick look
    python3 Benchmarks/experiments/run.py --phase report       # rewrite the report from results.json

Variants (scripts/gen_ssl.py, VARIANTS): field (the method, IR/ssl_micro.ir), sincos, table,
nopos (IR/ablation/ssl_micro_<v>.ir). The random-init floor is each variant's state at step 0
(`vfc init --seed`, the state `vfc train --seed` starts from). Checkpoints at thirds of the
run (the trainer keeps the newest 3) give the curve over pretraining steps. Phases: `train`
(skips runs whose final checkpoint exists), `eval` (skips evaluations already in the results),
`report`; `all` runs the three. Standard library only.
"""
import argparse
import datetime
import glob
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
VARIANT_IR = {"field": "IR/ssl_micro.ir", "sincos": "IR/ablation/ssl_micro_sincos.ir",
              "table": "IR/ablation/ssl_micro_table.ir", "nopos": "IR/ablation/ssl_micro_nopos.ir"}


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--phase", choices=["all", "train", "eval", "report"], default="all")
    ap.add_argument("--variants", default="field,sincos,table,nopos")
    ap.add_argument("--seeds", default="0,1,2,3,4")
    # The defaults are the smallest setting whose training shows in the probes on a 2-core
    # machine (docs/experiments.md, "Sizing": round 3's M5, teacher momentum 0.9 from the start).
    ap.add_argument("--data", choices=["one-shape", "synth"], default="one-shape",
                    help="one-shape: vfc data synth --preset one-shape (one shape per image, one colour, "
                         "grey noise); synth: vfc data synth's default (1-3 objects, random colours and backgrounds)")
    ap.add_argument("--steps", type=int, default=150, help="pretraining steps per run (a multiple of 3)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup-steps", type=int, default=30)
    ap.add_argument("--momentum", type=float, default=0.9, help="teacher momentum at the start (cosine to 1)")
    ap.add_argument("--train-images", type=int, default=2000, help="images for pretraining (data seed 0)")
    ap.add_argument("--eval-images", type=int, default=1000, help="images for the probes (data seed 1)")
    ap.add_argument("--val-fraction", type=float, default=0.2, help="of the probe data, held out for scoring")
    ap.add_argument("--probes", default="all", help="vfc eval --probe")
    ap.add_argument("--eval-steps", default="",
                    help="steps whose states are evaluated, e.g. 0,300 (default: 0 and the three checkpoints)")
    ap.add_argument("--threads", type=int, default=1, help="threads per vfc process")
    ap.add_argument("--jobs", type=int, default=2, help="vfc processes at once")
    ap.add_argument("--out", default=os.path.join(REPO, ".build", "experiments"), help="runs, data, results")
    ap.add_argument("--results", default=os.path.join(REPO, "Benchmarks", "experiments", "results.json"),
                    help="the results (read to skip evaluations done; committed with the report)")
    ap.add_argument("--doc", default=os.path.join(REPO, "docs", "experiments.md"))
    ap.add_argument("--vfc", default=os.path.join(REPO, ".build", "release", "vfc"))
    ap.add_argument("--note", default="", help="a sentence for the report (e.g. why the run is smaller)")
    return ap.parse_args()


def say(msg):
    print(f"[{datetime.datetime.now(datetime.timezone.utc):%H:%M:%S}] {msg}", flush=True)


def run(cmd, **kw):
    say(" ".join(cmd))
    return subprocess.run(cmd, check=True, **kw)


def machine():
    info = {"date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "cores": os.cpu_count(), "load_average": [round(x, 1) for x in os.getloadavg()],
            "platform": platform.platform()}
    try:
        for line in open("/proc/cpuinfo"):
            key, _, value = line.partition(":")
            key = key.strip()
            if key in ("model name", "cpu family", "model") and key not in info:
                info[key] = value.strip()
    except OSError:
        pass
    return info


def checkpoint_steps(steps):
    """Thirds of the run: the trainer keeps the newest 3 checkpoints, so all of them stay."""
    every = max(1, steps // 3)
    points = list(range(every, steps + 1, every))
    if points[-1] != steps:
        points.append(steps)
    return every, points[-3:]


def data_command(args, path, n, seed):
    preset = ["--preset", "one-shape"] if args.data == "one-shape" else []
    return [args.vfc, "data", "synth", "--out", path, "--n", str(n), "--seed", str(seed)] + preset


def data(args):
    paths = {}
    for name, n, seed in (("train", args.train_images, 0), ("probe", args.eval_images, 1)):
        path = os.path.join(args.out, "data", args.data, name)
        if not os.path.exists(os.path.join(path, "labels.json")):
            run(data_command(args, path, n, seed))
        paths[name] = path
    return paths


def train_command(args, variant, seed, paths, every, ir=None):
    return [args.vfc, "train", ir or os.path.join(REPO, VARIANT_IR[variant]), "--data", paths["train"],
            "--out", run_dir(args, variant, seed), "--steps", str(args.steps), "--schedule-steps", str(args.steps),
            "--batch", str(args.batch), "--lr", str(args.lr), "--warmup-steps", str(args.warmup_steps),
            "--momentum", str(args.momentum), "--seed", str(seed), "--checkpoint-every", str(every),
            "--threads", str(args.threads), "--log-every", "25"]


def run_dir(args, variant, seed):
    return os.path.join(args.out, "runs", f"{variant}-s{seed}")


def state_path(args, variant, seed, step):
    if step == 0:
        return os.path.join(args.out, "init", f"{variant}-s{seed}.safetensors")
    return os.path.join(run_dir(args, variant, seed), f"ckpt-{step:08d}.safetensors")


def eval_command(args, paths, variant, seed, step):
    return [args.vfc, "eval", state_path(args, variant, seed, step), "--ir", os.path.join(REPO, VARIANT_IR[variant]),
            "--data", paths["probe"], "--split", str(args.val_fraction), "--probe", args.probes,
            "--threads", str(args.threads), "--json"]


def flatten(prefix, value, out):
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        if math.isfinite(value):
            out[prefix] = float(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            flatten(f"{prefix}.{k}" if prefix else k, v, out)


class Job:
    """One vfc process: a training run (its log in OUT/runs/NAME.log) or an evaluation (its
    JSON report on standard output, kept in OUT/evals/)."""

    def __init__(self, kind, cmd, key, output):
        self.kind, self.cmd, self.key, self.output = kind, cmd, key, output
        self.proc = self.file = None
        self.started = 0.0

    def start(self):
        say(" ".join(self.cmd))
        self.file = open(self.output + ".tmp", "w")
        self.started = time.time()
        self.proc = subprocess.Popen(self.cmd, stdout=self.file,
                                     stderr=subprocess.STDOUT if self.kind == "train" else subprocess.DEVNULL)


def schedule(args, paths, variants, seeds, points, results, train, evaluate):
    """Runs the trainings and evaluations, --jobs at a time: every run's step-0 evaluation
    waits behind the trainings, and a finished run's checkpoints are evaluated next, so that
    evaluation overlaps the remaining training."""
    os.makedirs(os.path.join(args.out, "init"), exist_ok=True)
    for sub in ("runs", "evals"):
        os.makedirs(os.path.join(args.out, sub), exist_ok=True)
    every, _ = checkpoint_steps(args.steps)
    done = {(r["variant"], r["seed"], r["step"]) for r in results["evaluations"]}

    def eval_jobs(variant, seed, steps):
        return [Job("eval", eval_command(args, paths, variant, seed, step), (variant, seed, step),
                    os.path.join(args.out, "evals", f"{variant}-s{seed}-{step}.json"))
                for step in steps if evaluate and (variant, seed, step) not in done]

    queue, inits, after = [], [], {}
    for variant in variants:
        for seed in seeds:
            init = state_path(args, variant, seed, 0)
            if not os.path.exists(init):
                run([args.vfc, "init", os.path.join(REPO, VARIANT_IR[variant]), "--seed", str(seed), "-o", init],
                    stdout=subprocess.DEVNULL)
            first = eval_jobs(variant, seed, [0])
            finished = os.path.exists(state_path(args, variant, seed, args.steps))
            if train and not finished:
                cmd = train_command(args, variant, seed, paths, every)
                if glob.glob(os.path.join(run_dir(args, variant, seed), "ckpt-*.safetensors")):
                    # An interrupted run (Ctrl-C or SIGTERM leave a checkpoint) continues.
                    cmd = [args.vfc, "train", "--resume", run_dir(args, variant, seed), "--log-every", "25"]
                elif os.path.exists(run_dir(args, variant, seed)):
                    raise SystemExit(f"{run_dir(args, variant, seed)} holds a run without checkpoints: remove it and rerun")
                queue.append(Job("train", cmd, (variant, seed), run_dir(args, variant, seed) + ".log"))
                queue += first
                first = []
                after[(variant, seed)] = eval_jobs(variant, seed, points)
            elif finished:
                queue += eval_jobs(variant, seed, points)
            inits += first
    queue += inits
    running, t0 = [], time.time()
    while queue or running:
        while queue and len(running) < args.jobs:
            job = queue.pop(0)
            job.start()
            running.append(job)
        time.sleep(2)
        for job in list(running):
            if job.proc.poll() is None:
                continue
            running.remove(job)
            job.file.close()
            os.replace(job.output + ".tmp", job.output)
            if job.proc.returncode != 0:
                raise SystemExit(f"failed ({job.proc.returncode}): {' '.join(job.cmd)} (see {job.output})")
            if job.kind == "train":
                say(f"trained {job.key[0]} seed {job.key[1]} in {time.time() - job.started:.0f} s")
                queue = after.pop(job.key, []) + queue
                results["train_seconds"] = round(results.get("train_seconds", 0) + time.time() - job.started, 1)
            else:
                metrics = {}
                flatten("", json.load(open(job.output)), metrics)
                variant, seed, step = job.key
                results["evaluations"].append({"variant": variant, "seed": seed, "step": step,
                                               "seconds": round(time.time() - job.started, 1), "metrics": metrics})
            save(args, results)
    results["wall_seconds"] = round(time.time() - t0, 1)
    save(args, results)


# The settings that change the numbers: results of other settings are never reused.
MEASURED = ("data", "steps", "batch", "lr", "warmup_steps", "momentum", "train_images", "eval_images", "val_fraction", "probes")


def check_same_config(args, results):
    old = results.get("config")
    if not old or not results.get("evaluations"):
        return
    differ = [k for k in MEASURED if k in old and old[k] != getattr(args, k)]
    if differ:
        raise SystemExit(f"{results_path(args)} holds evaluations of another configuration ("
                         + ", ".join(f"{k} {old[k]} there, {getattr(args, k)} here" for k in differ)
                         + "): pass --results NEW.json, or remove it to start over")


def results_path(args):
    return args.results


def save(args, results):
    path = results_path(args)
    with open(path + ".tmp", "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
    os.replace(path + ".tmp", path)


def main():
    args = parse_args()
    variants = [v for v in args.variants.split(",") if v]
    seeds = [int(s) for s in args.seeds.split(",") if s]
    for v in variants:
        if v not in VARIANT_IR:
            raise SystemExit(f"unknown variant '{v}' (known: {', '.join(VARIANT_IR)})")
    if args.phase != "report" and not os.path.exists(args.vfc):
        raise SystemExit(f"{args.vfc} not found: swift build -c release --product vfc")
    os.makedirs(args.out, exist_ok=True)
    if os.path.exists(results_path(args)):
        results = json.load(open(results_path(args)))
    else:
        results = {"evaluations": []}
    _, points = checkpoint_steps(args.steps)
    if args.eval_steps:
        wanted = [int(x) for x in args.eval_steps.split(",") if x]
        points = [p for p in points if p in wanted]
    if args.phase in ("all", "train", "eval"):
        check_same_config(args, results)
        results["config"] = {k: v for k, v in vars(args).items()
                             if k not in ("phase", "out", "doc", "vfc", "results")}
        results["machine"] = machine()
        def shown(cmd):
            return " ".join(cmd).replace(args.vfc, "vfc").replace(REPO + "/", "")
        results["commands"] = {"synth": [shown(data_command(args, f"DATA/{name}", n, seed)) for name, n, seed in
                                         (("train", args.train_images, 0), ("probe", args.eval_images, 1))],
                               "invocation": shlex.join(["python3", "Benchmarks/experiments/run.py"] + sys.argv[1:])}
        paths = data(args)
        every, _ = checkpoint_steps(args.steps)
        results["commands"]["train"] = " ".join(train_command(args, "VARIANT", "SEED", paths, every, ir="IR.ir")).replace(
            args.vfc, "vfc").replace(args.out, "OUT").replace(REPO + "/", "")
        schedule(args, paths, variants, seeds, points, results, train=args.phase in ("all", "train"),
                 evaluate=args.phase in ("all", "eval"))
    if args.phase in ("all", "report"):
        note = args.note or results.get("config", {}).get("note", "")
        report.write(results, args.doc, os.path.join(os.path.dirname(args.doc), "experiments.svg"), note)
        say(f"wrote {args.doc}")


if __name__ == "__main__":
    main()
