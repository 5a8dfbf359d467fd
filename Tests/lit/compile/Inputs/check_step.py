#!/usr/bin/env python3
"""Compares call_step's results with `vfc step --backend interp` (f64): the loss and the
updated params, to 1e-5 relative (f32 arithmetic against f64).
usage: check_step.py AFTER.safetensors REF.safetensors REF.json CALL_STEP.log"""
import json
import struct
import sys

FORMATS = {"F32": "f", "F64": "d"}


def read(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    out = {}
    for name, info in json.loads(data[8:8 + n]).items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        code = FORMATS[info["dtype"]]
        raw = data[8 + n + b:8 + n + e]
        out[name] = struct.unpack("<%d%s" % (len(raw) // struct.calcsize(code), code), raw)
    return out


def close(a, b):
    return abs(a - b) <= 1e-5 * max(abs(b), 1e-3)


after, ref = read(sys.argv[1]), read(sys.argv[2])
metrics = json.loads(open(sys.argv[3]).read())
loss = [float(l.split()[1]) for l in open(sys.argv[4]) if l.startswith("loss ")][0]
print("loss", "ok" if close(loss, metrics["loss"]) else "MISMATCH %r vs %r" % (loss, metrics["loss"]))
for name in ("w.0", "b.0", "steps"):
    same = name in after and len(after[name]) == len(ref[name]) and all(close(x, y) for x, y in zip(after[name], ref[name]))
    print(name, "ok" if same else "MISMATCH %r vs %r" % (after.get(name), ref[name]))
