#!/usr/bin/env python3
"""Test helper: starts `vfc train ...`, waits until RUN_DIR has ckpt-STEP and a later step
in metrics.jsonl (so the run is between checkpoints), then sends SIGKILL, SIGINT or
SIGTERM, and prints how the process ended. Fails if the run finished before it could be
interrupted.

    interrupt.py kill|int|term RUN_DIR STEP -- VFC train ARGS...
"""
import json
import os
import signal
import subprocess
import sys
import time

mode, run, step = sys.argv[1], sys.argv[2], int(sys.argv[3])
cmd = sys.argv[sys.argv.index("--") + 1:]
proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
ckpt = os.path.join(run, f"ckpt-{step:08d}.safetensors")
deadline = time.time() + 300


def last_step():
    try:
        lines = [l for l in open(os.path.join(run, "metrics.jsonl")) if l.strip()]
        return json.loads(lines[-1])["step"] if lines else 0
    except (OSError, ValueError, KeyError):
        return 0


while time.time() < deadline and proc.poll() is None:
    if os.path.exists(ckpt) and last_step() > step:
        break
    time.sleep(0.01)
if proc.poll() is not None:
    print(f"the run ended (exit {proc.returncode}) before it could be interrupted")
    print(proc.stdout.read())
    sys.exit(1)
at = last_step()
proc.send_signal({"kill": signal.SIGKILL, "int": signal.SIGINT, "term": signal.SIGTERM}[mode])
out, _ = proc.communicate(timeout=120)
print(out)
print(f"interrupted after step {at}: exit {proc.returncode}")
