"""What the peers share: command line, loading the state and batch that vfc reads, the
timing loop and the JSON report (the fields of `vfc step --repeat N --json`)."""

import argparse
import json
import os
import resource
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SSL = os.path.join(HERE, "..", "..", "Tests", "fixtures", "ssl")
sys.path.insert(0, os.path.abspath(SSL))
import configs  # noqa: E402
import safetensors_io  # noqa: E402

METRICS = ("loss", "loss_cls", "loss_mim", "loss_pos", "grad_norm")

from configs import (  # noqa: E402,F401  (re-exported: the peers use common.CLIP etc.)
    ADAM_B1, ADAM_B2, ADAM_EPS, CENTER_MOMENTUM, CLIP, LN_EPS, STUDENT_TEMP, TEACHER_TEMP, is_decayed)


def parse_args(description, modes=None):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--config", required=True, choices=sorted(configs.CONFIGS))
    ap.add_argument("--state", required=True)
    ap.add_argument("--batch", required=True)
    ap.add_argument("--threads", type=int, default=0, help="intra-op threads (0: the library's default)")
    ap.add_argument("--repeat", type=int, default=0, help="timed steps after the first (and the warm-up)")
    ap.add_argument("--warmup", type=int, default=0, help="untimed steps after the first")
    ap.add_argument("--serve", action="store_true",
                    help="benchmark worker: after the first step's JSON line, read a step count per line from "
                         "stdin, run them and print their times; at end of input print peak_rss_bytes")
    ap.add_argument("--gather-masked", action="store_true",
                    help="run the heads g and q only on the masked patch rows the losses read (as vfc's step "
                         "does), not on every patch (as iBOT's code does)")
    if modes:
        ap.add_argument("--mode", choices=modes, default=modes[0])
    return ap.parse_args()


def mask_bounds(cfg, B):
    """The fixed row counts of the gathered patch losses (scripts/ssl_patch_losses.py): at
    most (B Vg / 2) floor(n^2 / 2) content-masked patches (half of the global views masked,
    each at most half) and exactly B Vg round(n^2 / 4) position-masked ones."""
    nn = cfg.n * cfg.n
    return B * cfg.Vg // 2 * (nn // 2), B * cfg.Vg * round(0.25 * nn)


def load(args):
    cfg = configs.get(args.config)
    state = safetensors_io.load_tensors(args.state)
    batch = safetensors_io.load_tensors(args.batch)
    return cfg, state, batch


def peak_rss_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def run(first_step, step, args, compile_s=None):
    """first_step() -> metrics dict (the compiling step, timed as first_step_s); then
    args.warmup untimed and args.repeat timed calls of step() (each must block until the
    step's results exist). Prints one JSON object."""
    t0 = time.perf_counter()
    metrics = first_step()
    first = time.perf_counter() - t0
    out = {k: float(metrics[k]) for k in METRICS}
    out["first_step_s"] = first
    if compile_s is not None:
        out["compile_s"] = compile_s
    if args.serve:
        if compile_s is None:
            out["compile_s"] = first  # the driver refines it: first step minus the median
            out["compile_is_first_step"] = True
        print(json.dumps(out), flush=True)
        for line in sys.stdin:
            try:
                k = int(line)
            except ValueError:
                continue
            times = []
            for _ in range(k):
                t0 = time.perf_counter()
                step()
                times.append(time.perf_counter() - t0)
            print(json.dumps({"step_times_s": times}), flush=True)
        print(json.dumps({"peak_rss_bytes": peak_rss_bytes()}), flush=True)
        return
    for _ in range(args.warmup):
        step()
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    if times:
        med = statistics.median(times)
        out.update(step_times_s=times, median_s=med, min_s=min(times), max_s=max(times))
        # Compile time: measured where the library lets us separate it (JAX), else the
        # first step's excess over a steady step.
        out["compile_s"] = compile_s if compile_s is not None else max(first - med, 0.0)
    elif compile_s is not None:
        out["compile_s"] = compile_s
    out["peak_rss_bytes"] = peak_rss_bytes()
    print(json.dumps(out))
