#!/usr/bin/env python3
"""Writes a tiny safetensors file by hand (8-byte LE header length, JSON header, data),
for the run/ lit tests (not a test itself).

usage: make_safetensors.py OUT NAME:DTYPE:SHAPE:VALUES [...]
  DTYPE  F32, F64, I32, I64, U8 or BOOL
  SHAPE  dims joined by 'x' (2x3), or '-' for rank 0
  VALUES comma-separated numbers, row-major; 'iota' for 0, 1, 2, ...
"""
import json
import struct
import sys

CODES = {"F32": "f", "F64": "d", "I32": "i", "I64": "q", "U8": "B", "BOOL": "?"}


def main(argv):
    out, specs = argv[0], argv[1:]
    header, blobs, offset = {}, [], 0
    for spec in specs:
        name, dtype, shape_s, values_s = spec.split(":")
        shape = [] if shape_s == "-" else [int(d) for d in shape_s.split("x")]
        count = 1
        for d in shape:
            count *= d
        if values_s == "iota":
            values = list(range(count))
        else:
            values = [float(v) for v in values_s.split(",")] if values_s else []
        if len(values) != count:
            sys.exit("%s: %d values for shape %s" % (name, len(values), shape))
        code = CODES[dtype]
        if code in "iqB?":
            values = [int(v) for v in values]
        raw = struct.pack("<%d%s" % (count, code), *values)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header).encode("utf-8")
    h += b" " * ((-len(h)) % 8)
    with open(out, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


if __name__ == "__main__":
    main(sys.argv[1:])
