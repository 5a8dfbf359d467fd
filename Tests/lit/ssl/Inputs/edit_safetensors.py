#!/usr/bin/env python3
"""Test helper: copies a safetensors file dropping or reshaping tensors, or describes some.

    edit_safetensors.py IN OUT [--drop NAME]... [--reshape NAME=d0,d1,...]...
    edit_safetensors.py IN --describe NAME...   (prints NAME DTYPE [SHAPE] sum=S per tensor)

A reshape to a different element count keeps the data's first elements (or repeats it),
which is all a shape-error test needs.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "fixtures", "ssl"))
from safetensors_io import load_tensors, save  # noqa: E402

NAMES = {np.dtype("float32"): "F32", np.dtype("float64"): "F64", np.dtype("int64"): "I64",
         np.dtype("int32"): "I32", np.dtype("uint8"): "U8"}


def main():
    args = sys.argv[1:]
    tensors = load_tensors(args[0])
    if len(args) > 1 and args[1] == "--describe":
        for name in args[2:]:
            t = tensors[name]
            print(f"{name} {NAMES[t.dtype]} {list(t.shape)} sum={float(np.asarray(t, np.float64).sum()):.9g}")
        return 0
    out, rest = args[1], args[2:]
    while rest:
        flag, value, rest = rest[0], rest[1], rest[2:]
        if flag == "--drop":
            del tensors[value]
        elif flag == "--reshape":
            name, dims = value.split("=")
            shape = [int(d) for d in dims.split(",")]
            flat = np.resize(tensors[name].ravel(), int(np.prod(shape)))
            tensors[name] = flat.reshape(shape)
        else:
            print(f"unknown flag {flag}")
            return 2
    save(out, tensors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
