#!/usr/bin/env python3
"""Test helper: copies a batch with every global view content-masked on its first
ceil(RATIO n^2) patches (default 0.6), a batch outside method.md section 1 (which masks
half of the views, each at most half): more masked patches than the step's bound.

    overmask.py IN OUT [RATIO]
"""
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "fixtures", "ssl"))
from safetensors_io import load_tensors, save  # noqa: E402


def main():
    src, out = sys.argv[1], sys.argv[2]
    ratio = float(sys.argv[3]) if len(sys.argv) > 3 else 0.6
    tensors = load_tensors(src)
    masks = tensors["content_masks"]
    B, Vg, n, _ = masks.shape
    flat = masks.reshape(B * Vg, n * n)
    flat[:] = 0
    flat[:, :math.ceil(ratio * n * n)] = 1
    tensors["content_masks"] = flat.reshape(B, Vg, n, n)
    save(out, tensors)


if __name__ == "__main__":
    main()
