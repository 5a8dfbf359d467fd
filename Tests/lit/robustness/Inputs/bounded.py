#!/usr/bin/env python3
"""Test helper: runs a command with a time limit and a 4 GiB address-space limit, prints
its output and how it ended (`exit N`, `signal N` or `timed out`), and exits 0, so that
a hang or an unbounded allocation shows up as a FileCheck mismatch instead of stalling
or exhausting the machine.

    bounded.py SECONDS -- COMMAND...
"""
import resource
import subprocess
import sys

seconds = float(sys.argv[1])
cmd = sys.argv[sys.argv.index("--") + 1:]


def limit():
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))


try:
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=seconds, preexec_fn=limit)
    print(p.stdout.strip())
    print(f"exit {p.returncode}" if p.returncode >= 0 else f"signal {-p.returncode}")
except subprocess.TimeoutExpired:
    print(f"timed out after {seconds} s")
