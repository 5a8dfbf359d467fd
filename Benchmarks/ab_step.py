#!/usr/bin/env python3
"""Interleaved A/B of two (or more) vfc binaries on the training step, by process CPU time.

On a shared, loaded machine wall-clock step times mostly measure the scheduler; the CPU
time a 1-thread step uses (VFC_THREADS=1, VFC_SPIN_US=0: no spinning) measures the work.
Each round runs every binary twice, `--repeat SHORT` and `--repeat LONG` (no warmup), and
takes (CPU(LONG) - CPU(SHORT)) / (LONG - SHORT) as its CPU time per step, so the compile
cancels. The first binary is the baseline; the state and batch are made by the first binary
(`vfc init --seed 0`) and Tests/fixtures/ssl/make_batch.py (seed 0). Every binary must give
the same first-step metrics (checked). A binary written VFC@FILE.ir runs that module
instead of IR/ssl_CONFIG.ir (e.g. main's binary on the module main generated): then the
metrics must agree to 1e-4 relative, as another formulation of the step sums in another
order.

    python3 Benchmarks/ab_step.py --config micro --rounds 4 OLD_VFC NEW_VFC
    python3 Benchmarks/ab_step.py --config tiny OLD_VFC@old_tiny.ir NEW_VFC
"""
import argparse, json, os, resource, statistics, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True, choices=["micro", "tiny"])
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--short", type=int, default=1)
    ap.add_argument("--long", type=int, default=9)
    ap.add_argument("binaries", nargs="+")
    a = ap.parse_args()
    ir = os.path.join(ROOT, "IR", f"ssl_{a.config}.ir")
    work = tempfile.mkdtemp(prefix="vfc-ab-step-")
    state, batch = os.path.join(work, "state.safetensors"), os.path.join(work, "batch.safetensors")
    first, _, first_module = a.binaries[0].partition("@")
    subprocess.run([first, "init", first_module or ir, "--seed", "0", "-o", state], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, os.path.join(ROOT, "Tests", "fixtures", "ssl", "make_batch.py"), "--config", a.config,
                    "--seed", "0", "-o", batch], check=True, stdout=subprocess.DEVNULL)
    env = dict(os.environ, VFC_THREADS="1", VFC_SPIN_US="0")
    metrics = {}

    def cpu(spec, repeat):
        binary, _, module = spec.partition("@")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = subprocess.run([binary, "step", module or ir, "--state", state, "--batch", batch, "--json", "--repeat", str(repeat),
                              "--warmup", "0"], env=env, capture_output=True, text=True, check=True).stdout
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        j = json.loads(out)
        metrics.setdefault(spec, (j["loss"], j["grad_norm"]))
        return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime

    per_step = {b: [] for b in a.binaries}
    for r in range(a.rounds):
        for b in a.binaries:
            s = cpu(b, a.short)
            per_step[b].append((cpu(b, a.long) - s) / (a.long - a.short))
            print(f"round {r} {b}: {per_step[b][-1] * 1e3:.1f} ms CPU per step", file=sys.stderr, flush=True)
    base = a.binaries[0]
    for b in a.binaries:
        best, med = min(per_step[b]), statistics.median(per_step[b])
        print(f"{b}: best {best * 1e3:.1f} ms CPU/step ({best / min(per_step[base]):.3f}x), "
              f"median {med * 1e3:.1f} ({med / statistics.median(per_step[base]):.3f}x), {len(per_step[b])} rounds, "
              f"loss {metrics[b][0]}, grad_norm {metrics[b][1]}")
    same_module = all("@" not in b for b in a.binaries)
    ref = metrics[base]
    agree = all(m == ref if same_module else all(abs(x - y) <= 1e-4 * abs(y) for x, y in zip(m, ref))
                for m in metrics.values())
    if not agree:
        print("metrics differ between binaries", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
