#!/usr/bin/env python3
"""Test helper: /dev/null is still a character device and DIR holds no temporary file of
an atomic write (`.NAME.tmp.PID`).

    no_temporaries.py DIR
"""
import os
import stat
import sys

assert stat.S_ISCHR(os.stat("/dev/null").st_mode), "/dev/null was replaced"
left = [n for n in os.listdir(sys.argv[1]) if ".tmp." in n]
assert not left, left
print("no temporary files")
