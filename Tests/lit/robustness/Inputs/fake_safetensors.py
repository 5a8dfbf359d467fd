#!/usr/bin/env python3
"""Test helper: makes inputs that are not ordinary safetensors files.

    fake_safetensors.py fifo PATH          a named pipe nobody writes to
    fake_safetensors.py huge PATH          an 8 GiB sparse file whose header length is 2^40
    fake_safetensors.py long-header PATH   a 16-byte file whose header length says 1 MiB
"""
import os
import struct
import sys

kind, path = sys.argv[1], sys.argv[2]
if kind == "fifo":
    os.mkfifo(path)
elif kind == "huge":
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", 1 << 40))
        f.truncate(8 << 30)
elif kind == "long-header":
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", 1 << 20) + b"{}      ")
else:
    sys.exit(f"unknown kind {kind}")
