#!/usr/bin/env python3
"""One training step of vfc with its products chosen per shape (VFC_GEMM=auto, the
default) against the same step with every product on OpenBLAS (VFC_GEMM=openblas), and
with every product on vfc's generated kernel (VFC_GEMM=vfc), interleaved in one run.

    python3 Benchmarks/gemm_step.py --config micro [--rounds 3] [--repeat 3] [--threads 2]
        [--modes openblas,auto,vfc,auto+store,auto+fixed,auto+dims,auto+static,auto+grid]

Each round starts one `vfc step --repeat R --warmup 1 --json` process per mode, one after
another (a process compiles once, then times R steps); the report is the median over all
timed steps of each mode, and its ratio to openblas. The state comes from `vfc init --seed
0`, the batch from Tests/fixtures/ssl/make_batch.py (the config's B). All modes must give
the same metrics to 1e-5 (relative) or the run stops. A mode `M+store` is M with
VFC_GEMM_EPILOGUE=store: fused kernels' epilogues applied in the product's store instead of
in a pass after it (the same results). A mode `M+fixed` is M with `vfc step --specialize`:
the step compiled for the batch's size (the batch dim a compile-time constant) instead of
once for every batch size (the default, which `M+dims` names: `--runtime-dims`). A mode
`M+static` (`M+grid`) is M with VFC_GEMM_SCHEDULE=static (grid): vfc's kernel splits C's tiles over the
threads in the static grid of MC-row tasks (the balanced grid split in index order) instead of
the balanced grid claimed task by task (the same results).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
MODES = ["openblas", "auto", "vfc"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True, choices=["micro", "tiny"])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--vfc", default=os.path.join(ROOT, ".build", "release", "vfc"))
    ap.add_argument("--modes", default=",".join(MODES), help="VFC_GEMM values, each optionally +pass; the first is the baseline")
    a = ap.parse_args()
    modes = a.modes.split(",")
    work = tempfile.mkdtemp(prefix="vfc-gemm-step-")
    ir = os.path.join(ROOT, "IR", f"ssl_{a.config}.ir")
    state, batch = os.path.join(work, "state.safetensors"), os.path.join(work, "batch.safetensors")
    subprocess.run([a.vfc, "init", ir, "--seed", "0", "-o", state], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, os.path.join(ROOT, "Tests", "fixtures", "ssl", "make_batch.py"), "--config", a.config,
                    "--seed", "0", "-o", batch], check=True, stdout=subprocess.DEVNULL)
    times = {m: [] for m in modes}
    compile_s = {m: [] for m in modes}
    metrics = {}
    for r in range(a.rounds):
        for mode in modes:
            gemm, *options = mode.split("+")
            env = dict(os.environ, VFC_GEMM=gemm, VFC_THREADS=str(a.threads))
            if "store" in options:
                env["VFC_GEMM_EPILOGUE"] = "store"
            for schedule in ("static", "grid"):
                if schedule in options:
                    env["VFC_GEMM_SCHEDULE"] = schedule
            out = subprocess.run([a.vfc, "step", ir, "--state", state, "--batch", batch, "--json", "--repeat", str(a.repeat),
                                  "--warmup", "1"] + (["--runtime-dims"] if "dims" in options else [])
                                 + (["--specialize"] if "fixed" in options else []),
                                 env=env, capture_output=True, text=True, check=True).stdout
            j = json.loads(out)
            times[mode] += j["step_times_s"]
            compile_s[mode].append(j["compile_s"])
            metrics.setdefault(mode, j["loss"])
            print(f"round {r} {mode}: median {j['median_s']:.3f} s", file=sys.stderr)
    ref = metrics[modes[0]]
    for mode, loss in metrics.items():
        if abs(loss - ref) > 1e-5 * abs(ref):
            sys.exit(f"gemm_step.py: loss with VFC_GEMM={mode} is {loss}, with {modes[0]} {ref}")
    base = statistics.median(times[modes[0]])
    for mode in modes:
        med = statistics.median(times[mode])
        print(f"{a.config} T={a.threads} VFC_GEMM={mode}: median {med:.3f} s over {len(times[mode])} steps "
              f"(min {min(times[mode]):.3f}, max {max(times[mode]):.3f}), {med / base:.2f}x {modes[0]}, "
              f"compile {statistics.median(compile_s[mode]):.2f} s")


if __name__ == "__main__":
    main()
