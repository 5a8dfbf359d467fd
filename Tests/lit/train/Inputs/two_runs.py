#!/usr/bin/env python3
"""Test helper: starts `vfc train ...` (the first run), waits until it has logged a step,
then runs the same command again (the second run) and reports how the second one ended
and whether its message names the first one's process id; then stops the first with
SIGINT and reports its exit status.

    two_runs.py RUN_DIR -- VFC train ARGS...
"""
import os
import signal
import subprocess
import sys
import time

run = sys.argv[1]
cmd = sys.argv[sys.argv.index("--") + 1:]
first = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
metrics = os.path.join(run, "metrics.jsonl")
deadline = time.time() + 300
while time.time() < deadline and first.poll() is None:
    if os.path.exists(metrics) and os.path.getsize(metrics) > 0:
        break
    time.sleep(0.01)
if first.poll() is not None:
    print(f"the first run ended (exit {first.returncode}) before the second started")
    print(first.stdout.read())
    sys.exit(1)
second = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
print(second.stdout.strip())
print(f"second run: exit {second.returncode}")
print("the message names the first run's pid" if f"pid {first.pid}" in second.stdout else f"no 'pid {first.pid}' in the message")
first.send_signal(signal.SIGINT)
out, _ = first.communicate(timeout=300)
print(f"first run: exit {first.returncode}")
