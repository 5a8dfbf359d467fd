#!/usr/bin/env python3
"""Runs a command and prints `exit N` (or `signal N`): lit's `not` only tells zero from
non-zero, and the exit-code classes of docs/cli.md need the number.

    exit_code.py COMMAND [ARG...]

The command's standard output and error are discarded. This script itself exits 0.
"""
import subprocess
import sys

if len(sys.argv) < 2:
    sys.exit(__doc__)
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
print(f"signal {-rc}" if rc < 0 else f"exit {rc}")
