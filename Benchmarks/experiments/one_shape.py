#!/usr/bin/env python3
"""Pilot data for docs/experiments.md's "Sizing": one shape per image whose class is its
shape, in the same colour (230, 60, 40) on every image, over a grey low-contrast value-noise
background, so that the shape (with its position, scale and rotation) is the only thing that
differs between images and what the augmentations keep (colour jitter cannot make colour a
class). Circumradius 20-40 % of the 64-pixel side, centre at least 0.6 radius inside, a
random rotation; drawn at 4x and box-downsampled; the box is the circumcircle's, clipped
to the image. Writes OUT/images/NNNNN.png and a
labels.json in `vfc data synth`'s format (docs/data.md), so `vfc train` and `vfc eval` read
it like synth data. Deterministic for a seed. Needs numpy and PIL (the .venv-torch venv).

    .venv-torch/bin/python Benchmarks/experiments/one_shape.py OUT N SEED
"""
import json
import math
import os
import sys

import numpy as np
from PIL import Image, ImageDraw

CLASSES = ["circle", "square", "triangle", "star", "cross"]
SIDE, SUPER = 64, 4
COLOUR = (230, 60, 40)


def polygon(kind, cx, cy, r, rot):
    """The corners of shape `kind` (1 square, 2 triangle, 3 star, 4 cross) of circumradius r."""
    if kind == 4:
        w = 0.35 * r
        pts = [(w, r), (w, w), (r, w), (r, -w), (w, -w), (w, -r), (-w, -r), (-w, -w), (-r, -w), (-r, w), (-w, w), (-w, r)]
        return [(cx + x * math.cos(rot) - y * math.sin(rot), cy + x * math.sin(rot) + y * math.cos(rot)) for x, y in pts]
    k, radii = {1: (4, [r] * 4), 2: (3, [r] * 3), 3: (10, [r if i % 2 == 0 else 0.45 * r for i in range(10)])}[kind]
    return [(cx + radii[i] * math.cos(rot + 2 * math.pi * i / k), cy + radii[i] * math.sin(rot + 2 * math.pi * i / k))
            for i in range(k)]


def main():
    out, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = np.random.default_rng(seed)
    os.makedirs(os.path.join(out, "images"), exist_ok=True)
    entries = []
    for i in range(n):
        grid = rng.uniform(90, 150, (7, 7))
        bg = np.array(Image.fromarray(grid.astype(np.float32)).resize((SIDE, SIDE), Image.BILINEAR))
        bg = bg + rng.uniform(-8, 8, (SIDE, SIDE))
        img = Image.fromarray(np.clip(bg, 0, 255).astype(np.uint8)).convert("RGB")
        img = img.resize((SIDE * SUPER, SIDE * SUPER), Image.NEAREST)
        draw = ImageDraw.Draw(img)
        c = int(rng.integers(5))
        r = SIDE * rng.uniform(0.2, 0.4)
        cx, cy = rng.uniform(0.6 * r, SIDE - 0.6 * r), rng.uniform(0.6 * r, SIDE - 0.6 * r)
        rot = rng.uniform(0, 2 * math.pi)
        if c == 0:
            draw.ellipse([(cx - r) * SUPER, (cy - r) * SUPER, (cx + r) * SUPER, (cy + r) * SUPER], fill=COLOUR)
        else:
            draw.polygon([(x * SUPER, y * SUPER) for x, y in polygon(c, cx, cy, r, rot)], fill=COLOUR)
        name = f"images/{i:05d}.png"
        img.resize((SIDE, SIDE), Image.BOX).save(os.path.join(out, name))
        x0, y0 = max(0, int(cx - r)), max(0, int(cy - r))
        x1, y1 = min(SIDE, int(cx + r) + 1), min(SIDE, int(cy + r) + 1)
        entries.append({"file": name, "background": "noise", "objects": [{
            "class": CLASSES[c], "class_id": c, "bbox": [x0, y0, x1 - x0, y1 - y0], "center": [cx, cy],
            "radius": r, "rotation": rot, "color": list(COLOUR)}]})
    with open(os.path.join(out, "labels.json"), "w") as f:
        json.dump({"seed": seed, "size": SIDE, "classes": CLASSES, "images": entries}, f)


if __name__ == "__main__":
    main()
