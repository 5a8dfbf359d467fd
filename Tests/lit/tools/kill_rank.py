#!/usr/bin/env python3
"""Test helper: kill one rank of a running `mpirun ... vfc train` and check that the job
ends, with an error, within a bounded time and leaves only complete checkpoints.

    kill_rank.py --run RUN_DIR --rank R --after-step K [--signal KILL] [--bound S] -- mpirun ...

Starts the command, waits until RUN_DIR/metrics.jsonl reaches step K, sends the signal to
the process of rank R (found by OMPI_COMM_WORLD_RANK among the command's descendants),
then waits at most S seconds for the command to end. Prints the command's output, then
`ended: exit code N` or `hang: still running after S s` (the job is then killed), and one
line per checkpoint in RUN_DIR (`complete` when it parses) and per temporary file of a write
cut short. Exit 0 when the command ended
within the bound with a non-zero code (with --expect-success: with code 0) and every
checkpoint is complete, else 1.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_safetensors import FormatError, read_safetensors  # noqa: E402


def last_step(run):
    try:
        lines = [l for l in open(os.path.join(run, "metrics.jsonl")) if l.strip()]
        return json.loads(lines[-1])["step"] if lines else 0
    except (OSError, ValueError, KeyError):
        return 0


def children():
    """{pid: parent pid} of every process."""
    out = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = open(f"/proc/{d}/stat").read()
                out[int(d)] = int(stat[stat.rindex(")") + 2:].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    return out


def rank_pid(root, rank):
    parents = children()
    for pid in parents:
        p, chain = pid, set()
        while p in parents and p not in chain and p != root:
            chain.add(p)
            p = parents[p]
        if p != root or pid == root:
            continue
        try:
            env = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
            cmd = open(f"/proc/{pid}/cmdline", "rb").read()
        except OSError:
            continue
        if f"OMPI_COMM_WORLD_RANK={rank}".encode() in env and b"vfc" in cmd.split(b"\0")[0]:
            return pid
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True)
    ap.add_argument("--rank", type=int, required=True)
    ap.add_argument("--after-step", type=int, required=True)
    ap.add_argument("--signal", default="KILL")
    ap.add_argument("--bound", type=float, default=60)
    ap.add_argument("--expect-success", action="store_true", help="the command must end with exit code 0")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    log = open(os.path.abspath(args.run) + ".log", "w+b")
    job = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    ok = True
    start = time.time()
    while last_step(args.run) < args.after_step and job.poll() is None and time.time() - start < 600:
        time.sleep(0.05)
    pid = rank_pid(job.pid, args.rank) if job.poll() is None else None
    if pid is None:
        print(f"no process of rank {args.rank} to signal (the job ended or never reached step {args.after_step})")
        ok = False
    else:
        print(f"signalled rank {args.rank} (pid {pid}) with SIG{args.signal}", flush=True)
        os.kill(pid, getattr(signal, "SIG" + args.signal))
        killed = time.time()
        try:
            job.wait(timeout=args.bound)
        except subprocess.TimeoutExpired:
            pass
    if job.poll() is None:
        print(f"hang: still running after {args.bound:g} s")
        os.killpg(job.pid, signal.SIGKILL)
        job.wait()
        ok = False
    else:
        print(f"ended: exit code {job.returncode}")
        ok = ok and (job.returncode == 0) == args.expect_success
        if pid is not None:
            print(f"within the bound: {time.time() - killed <= args.bound}")
    log.seek(0)
    sys.stdout.write(log.read().decode(errors="replace"))
    for name in sorted(os.listdir(args.run)):
        path = os.path.join(args.run, name)
        if ".tmp" in name:
            # A write cut short: never taken for a checkpoint, removed by the next save or resume.
            print(f"temporary file {name}")
        elif name.startswith("ckpt-"):
            try:
                read_safetensors(path)
                print(f"checkpoint {name}: complete")
            except (FormatError, OSError, ValueError) as e:
                print(f"checkpoint {name}: INCOMPLETE ({e})")
                ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
