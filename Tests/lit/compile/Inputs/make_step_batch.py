#!/usr/bin/env python3
"""A batch for Inputs/step.ir's @step: x [B, 3] of small dyadic rationals and lr = 0.125.
usage: make_step_batch.py OUT.safetensors B"""
import json
import struct
import sys

out, b = sys.argv[1], int(sys.argv[2])
tensors = {"x": ([b, 3], [((i * 7) % 11 - 5) / 8.0 for i in range(b * 3)]), "lr": ([], [0.125])}
header, blobs, offset = {}, [], 0
for name, (shape, values) in tensors.items():
    raw = struct.pack("<%df" % len(values), *values)
    header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(raw)]}
    blobs.append(raw)
    offset += len(raw)
text = json.dumps(header).encode()
text += b" " * (-len(text) % 8)
with open(out, "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
