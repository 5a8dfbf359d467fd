#!/usr/bin/env python3
"""The training-step benchmark: vfc against PyTorch (eager, torch.compile) and JAX (jit).

    python3 Benchmarks/peers/run.py --config micro [--threads 1,2] [--batch B]
        [--repeat 10] [--warmup 2] [--impls vfc,torch-eager,torch-compile,jax]
        [--coretype Haswell] [--vfc PATH] [--keep DIR] [--gather-masked]

For the config it makes a state (`vfc init`) and a batch (make_batch.py, B from
method.md's table unless --batch), then for each thread count:
1. starts one worker process per implementation (pinned with taskset to the first T
   CPUs, VFC_THREADS / OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS = T, and
   each library's own thread setting); each runs its first (compiling) step and reports
   its metrics;
2. checks that all agree (relative 1e-4 on loss, loss_cls, loss_mim, loss_pos; 1e-3 on
   grad_norm) and refuses to time otherwise, naming who disagrees;
3. sends each worker the warm-up steps, then one timed step at a time, round-robin
   (A B C D A B C D ...) until each has --repeat timed steps;
4. times cblas_sgemm of the system OpenBLAS (vfc's) at every GEMM shape of the step
   (Benchmarks/peers/gemm_floor.c, same pinning and threads): the GEMM floor;
and prints one table. --coretype X runs everything again with OPENBLAS_CORETYPE=X
(labelled). --gather-masked makes the peers run the student's heads only on the masked
patch rows, as vfc's step does (like for like); without it they run them on every patch,
as iBOT's code does. Workers speak a line protocol on stdin/stdout (`vfc step --serve`, the peers'
--serve): a number k runs k steps and prints their times; end of input prints peak RSS.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
SSL = os.path.join(ROOT, "Tests", "fixtures", "ssl")
sys.path.insert(0, HERE)
import common  # noqa: E402
import flops as flopcount  # noqa: E402

IMPLS = ["vfc", "torch-eager", "torch-compile", "jax"]
TOL = {"loss": 1e-4, "loss_cls": 1e-4, "loss_mim": 1e-4, "loss_pos": 1e-4, "grad_norm": 1e-3}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


class Worker:
    def __init__(self, name, argv, env, threads):
        self.name = name
        cpus = ",".join(str(c) for c in range(threads))
        full = ["taskset", "-c", cpus] + argv + ["--serve"]
        self.proc = subprocess.Popen(full, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True, cwd=ROOT)
        self.times = []

    def read(self):
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"run.py: {self.name} exited (status {self.proc.wait()}) without a result")
        return json.loads(line)

    def steps(self, k):
        self.proc.stdin.write(f"{k}\n")
        self.proc.stdin.flush()
        return self.read()["step_times_s"]

    def finish(self):
        self.proc.stdin.close()
        out = self.read()
        self.proc.wait()
        return out

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def rel(a, b):
    return abs(a - b) / max(abs(a), abs(b), 1e-30)


def disagreements(results):
    bad = []
    names = list(results)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            for k, tol in TOL.items():
                x, y = results[a][k], results[b][k]
                if not (rel(x, y) <= tol):
                    bad.append(f"{a} vs {b}: {k} {x:.9g} vs {y:.9g} (relative {rel(x, y):.2e} > {tol:g})")
    return bad


def gemm_floor(cfg, B, threads, env, exe):
    shapes = {}
    for m, n, k, ta, tb, c in flopcount.gemms(cfg, B):
        shapes[(m, n, k, ta, tb)] = shapes.get((m, n, k, ta, tb), 0) + c
    text = "".join(f"{m} {n} {k} {ta} {tb} {c}\n" for (m, n, k, ta, tb), c in shapes.items())
    out = subprocess.run(["taskset", "-c", ",".join(map(str, range(threads))), exe, str(threads)],
                         input=text, capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True, choices=["micro", "tiny", "nano"])
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--batch", type=int, help="images per batch (default: method.md's B)")
    ap.add_argument("--repeat", type=int, default=10, help="timed steps per implementation (>= 10 for the record)")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--impls", default=",".join(IMPLS))
    ap.add_argument("--coretype", help="also run with OPENBLAS_CORETYPE set to this (e.g. Haswell)")
    ap.add_argument("--vfc", default=os.path.join(ROOT, ".build", "release", "vfc"))
    ap.add_argument("--keep", help="keep the state, batch and raw JSON in this folder")
    ap.add_argument("--json", help="also write every figure to this JSON file")
    ap.add_argument("--gather-masked", action="store_true",
                    help="the peers run the heads g and q only on the masked patch rows, as vfc does")
    ap.add_argument("--gap", type=float, default=0.0,
                    help="seconds of idle cores before each timed step: the thread pools of the implementation "
                         "that ran before (OpenMP, Eigen) spin for a while after a step and would slow the next one")
    a = ap.parse_args()
    cfg = common.configs.get(a.config)
    B = a.batch or cfg.B
    impls = a.impls.split(",")
    for i in impls:
        if i not in IMPLS:
            ap.error(f"unknown implementation {i}")
    if not os.path.exists(a.vfc):
        log("run.py: building vfc (swift build -c release --product vfc)")
        subprocess.run(["swift", "build", "-c", "release", "--product", "vfc"], cwd=ROOT, check=True)
    pys = subprocess.run([os.path.join(HERE, "setup.sh")], capture_output=True, text=True, check=True).stdout.split()
    torch_py, jax_py = pys[-2], pys[-1]
    work = a.keep or tempfile.mkdtemp(prefix="vfc-peers-")
    os.makedirs(work, exist_ok=True)
    floor_exe = os.path.join(work, "gemm_floor")
    subprocess.run(["cc", "-O2", os.path.join(HERE, "gemm_floor.c"), "-o", floor_exe, "-lopenblas"], check=True)
    ir = os.path.join(ROOT, "IR", f"ssl_{a.config}.ir") if a.config != "nano" else os.path.join(ROOT, "Tests", "fixtures", "ssl_nano.ir")
    state = os.path.join(work, "state.safetensors")
    batch = os.path.join(work, "batch.safetensors")
    subprocess.run([a.vfc, "init", ir, "--seed", "0", "-o", state], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, os.path.join(SSL, "make_batch.py"), "--config", a.config, "--batch", str(B),
                    "--seed", "0", "-o", batch], check=True, stdout=subprocess.DEVNULL)
    step_flops = flopcount.step_flops(cfg, B)  # vfc's step: the heads on the masked rows
    dense_flops = flopcount.step_flops(cfg, B, gathered=False)
    stats_flops = None
    try:
        out = subprocess.run([a.vfc, "compile", ir, "--func", "train_step", "--bind", f"B={B}", "--stats", "--emit", "llvm"],
                             capture_output=True, text=True, check=True).stdout
        stats_flops = int(next(l.split(":")[1] for l in out.splitlines() if l.startswith("flops:")))
    except Exception as e:  # noqa: BLE001
        log(f"run.py: vfc compile --stats failed ({e}); no cross-check of the flop count")

    def argv(impl, T):
        common_args = ["--config", a.config, "--state", state, "--batch", batch, "--threads", str(T)]
        common_args += ["--gather-masked"] if a.gather_masked else []
        if impl == "vfc":
            return [a.vfc, "step", ir, "--state", state, "--batch", batch, "--json"]
        if impl == "torch-eager":
            return [torch_py, os.path.join(HERE, "peer_torch.py"), "--mode", "eager"] + common_args
        if impl == "torch-compile":
            return [torch_py, os.path.join(HERE, "peer_torch.py"), "--mode", "compile"] + common_args
        return [jax_py, os.path.join(HERE, "peer_jax.py")] + common_args

    variants = [("env", os.environ.get("OPENBLAS_CORETYPE"))]
    if a.coretype:
        variants.append(("set", a.coretype))
    report = {"config": a.config, "B": B, "gather_masked": a.gather_masked, "step_flops": step_flops, "dense_step_flops": dense_flops, "vfc_stats_flops": stats_flops,
              "date": time.strftime("%Y-%m-%d %H:%M"), "runs": []}
    rows = []
    for _, coretype in variants:
        for T in [int(t) for t in a.threads.split(",")]:
            env = dict(os.environ)
            env.pop("OPENBLAS_CORETYPE", None)
            if coretype:
                env["OPENBLAS_CORETYPE"] = coretype
            for k in ("VFC_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
                env[k] = str(T)
            label = f"CORETYPE={coretype or 'unset'}"
            workers = {}
            first = {}
            try:
                for impl in impls:  # one at a time, so that compiles do not overlap
                    log(f"run.py: {a.config} B={B} T={T} {label}: starting {impl}")
                    w = Worker(impl, argv(impl, T), env, T)
                    workers[impl] = w
                    first[impl] = w.read()
                    log(f"run.py:   {impl}: " + ", ".join(f"{k} {first[impl][k]:.7g}" for k in common.METRICS))
                bad = disagreements(first)
                if bad:
                    log("run.py: the implementations disagree on the first step's metrics; refusing to time:")
                    for b in bad:
                        log("  " + b)
                    raise SystemExit(1)
                for w in workers.values():
                    w.steps(a.warmup)
                for _ in range(a.repeat):
                    for impl in impls:
                        time.sleep(a.gap)
                        workers[impl].times += workers[impl].steps(1)
                final = {impl: w.finish() for impl, w in workers.items()}
            finally:
                for w in workers.values():
                    w.kill()
            floor = gemm_floor(cfg, B, T, env, floor_exe)
            for impl in impls:
                ts = workers[impl].times
                med = statistics.median(ts)
                if first[impl].get("compile_is_first_step"):
                    # torch: the compile happens inside the first step; its excess over a
                    # steady step is the compile time.
                    first[impl]["compile_s"] = max(first[impl]["first_step_s"] - med, 0.0)
                r = {"impl": impl, "threads": T, "coretype": coretype or "unset", "corename": floor["corename"],
                     "median_s": med, "min_s": min(ts), "max_s": max(ts), "step_times_s": ts,
                     "images_per_s": B / med,
                     "gflops": (step_flops if impl == "vfc" or a.gather_masked else dense_flops) / med * 1e-9,
                     "floor_fraction": floor["floor_s"] / med, "floor_s": floor["floor_s"],
                     "floor_gflops": floor["gflops"],
                     "compile_s": first[impl].get("compile_s"), "first_step_s": first[impl].get("first_step_s"),
                     "peak_rss_bytes": final[impl]["peak_rss_bytes"],
                     "metrics": {k: first[impl][k] for k in common.METRICS}}
                report["runs"].append(r)
                rows.append(r)
    print(f"config {a.config}, B={B}, step {step_flops / 1e9:.2f} GFLOP with the heads on the masked rows, "
          f"{dense_flops / 1e9:.2f} on every patch (analytic matmul count"
          + (f"; vfc compile --stats: {stats_flops / 1e9:.2f} GFLOP incl. elementwise" if stats_flops else "") + ")")
    print(f"{a.repeat} timed steps each after {a.warmup} warm-up, interleaved; date {report['date']}; peers' heads on "
          + ("the masked patch rows only (--gather-masked)" if a.gather_masked else "every patch"))
    hdr = f"{'impl':<14} {'T':>2} {'coretype':<14} {'median ms':>10} {'min':>9} {'max':>9} {'img/s':>7} {'GFLOP/s':>8} {'floor':>6} {'compile s':>9} {'RSS MiB':>8}"
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        comp = r["compile_s"]
        print(f"{r['impl']:<14} {r['threads']:>2} {r['coretype'] + '/' + r['corename']:<14} {r['median_s'] * 1e3:>10.1f} "
              f"{r['min_s'] * 1e3:>9.1f} {r['max_s'] * 1e3:>9.1f} {r['images_per_s']:>7.1f} {r['gflops']:>8.1f} "
              f"{r['floor_fraction'] * 100:>5.0f}% {comp if comp is not None else float('nan'):>9.2f} {r['peak_rss_bytes'] / 2**20:>8.0f}")
    floors = {(r["threads"], r["coretype"]): (r["floor_s"], r["floor_gflops"]) for r in rows}
    for (T, ct), (fs, g) in floors.items():
        print(f"GEMM floor T={T} coretype={ct}: {fs * 1e3:.1f} ms ({g:.1f} GFLOP/s of cblas_sgemm at the step's shapes)")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(report, f, indent=1)
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
