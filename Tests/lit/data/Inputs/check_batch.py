#!/usr/bin/env python3
"""Checks a `vfc data batch` file against method.md sections 1 and 7 (NumPy).

    check_batch.py BATCH.safetensors --S 64 --P 8 --G 64 --L 32 --Vg 2 --Vl 4 --B 4 [--views]

Layout, dtypes and shapes; boxes inside the S x S source with positive size; flips 0/1;
exactly floor(B*Vg/2) global views with a non-empty content mask, each within 50% of the
patches; exactly round(0.25 n^2) position-masked patches per global view. With --views
(the file must come from --no-photometric --no-normalize --with-sources) every global and
local view is recomputed from source_images, boxes and flips with make_batch.py's
resample_view (NumPy, float64) and must agree within 1e-5. Prints one "ok" line per check.
"""
import argparse
import os
import sys

import numpy as np

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "fixtures", "ssl")
sys.path.insert(0, FIXTURES)
import safetensors_io  # noqa: E402
from make_batch import resample_view  # noqa: E402


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    for k in ("S", "P", "G", "L", "Vg", "Vl", "B"):
        ap.add_argument("--" + k, type=int, required=True)
    ap.add_argument("--views", action="store_true")
    a = ap.parse_args()
    t, meta = safetensors_io.load(a.file)
    B, Vg, Vl, S, G, L = a.B, a.Vg, a.Vl, a.S, a.G, a.L
    n = G // a.P
    expect = {
        "global_views": ((B, Vg, 3, G, G), np.float32), "local_views": ((B, Vl, 3, L, L), np.float32),
        "boxes": ((B, Vg + Vl, 4), np.float32), "flips": ((B, Vg + Vl), np.uint8),
        "content_masks": ((B, Vg, n, n), np.uint8), "position_masks": ((B, Vg, n, n), np.uint8),
    }
    for k, (shape, dt) in expect.items():
        if k not in t:
            fail("missing " + k)
        if t[k].shape != shape or t[k].dtype != dt:
            fail(f"{k}: {t[k].dtype}{list(t[k].shape)}, expected {np.dtype(dt)}{list(shape)}")
    print("ok layout")
    bx = t["boxes"].reshape(-1, 4)
    if not (np.all(bx[:, :2] >= 0) and np.all(bx[:, 2:] >= 1) and np.all(bx[:, 0] + bx[:, 2] <= S)
            and np.all(bx[:, 1] + bx[:, 3] <= S) and np.all(bx == np.round(bx))):
        fail("boxes out of bounds or not integers")
    area = bx[:, 2] * bx[:, 3] / (S * S)
    g_area = area.reshape(B, Vg + Vl)[:, :Vg]
    l_area = area.reshape(B, Vg + Vl)[:, Vg:]
    if g_area.min() < 0.2 or (Vl and l_area.max() > 0.3):
        fail(f"box areas: global min {g_area.min():.3f}, local max {l_area.max() if Vl else 0:.3f}")
    print("ok boxes")
    if not np.all((t["flips"] == 0) | (t["flips"] == 1)):
        fail("flips not 0/1")
    print("ok flips")
    cm = t["content_masks"].reshape(B * Vg, n * n).astype(np.int64)
    pm = t["position_masks"].reshape(B * Vg, n * n).astype(np.int64)
    counts = cm.sum(1)
    if (counts > 0).sum() != (B * Vg) // 2:
        fail(f"{(counts > 0).sum()} content-masked views, expected {(B * Vg) // 2}")
    if counts.max() > 0.5 * n * n:
        fail(f"content mask of {counts.max()} patches > 50%")
    print(f"ok content masks: {(counts > 0).sum()} of {B * Vg} views")
    k = int(round(0.25 * n * n))
    if not np.all(pm.sum(1) == k):
        fail(f"position mask counts {sorted(set(pm.sum(1).tolist()))}, expected {k}")
    print(f"ok position masks: {k} per view")
    if a.views:
        src = t["source_images"].astype(np.float64)
        worst = 0.0
        for b in range(B):
            for v in range(Vg + Vl):
                box = tuple(int(x) for x in t["boxes"][b, v])
                flip = bool(t["flips"][b, v])
                if v < Vg:
                    got = t["global_views"][b, v]
                    ref = resample_view(src[b], box, G, flip)
                else:
                    got = t["local_views"][b, v - Vg]
                    ref = resample_view(src[b], box, L, flip)
                worst = max(worst, float(np.abs(got - ref).max()))
        if worst > 1e-5:
            fail(f"views differ from the NumPy resampling by {worst:.3g}")
        print("ok views match NumPy bilinear resampling")


if __name__ == "__main__":
    main()
