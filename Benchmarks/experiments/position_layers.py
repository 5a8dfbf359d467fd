#!/usr/bin/env python3
"""Where the position of a patch is readable in the encoder: the R^2 of a least-squares
linear map from the patch tokens at each level of the teacher (or student) to the patch
centre's position in the source image, on random global crops, as `vfc eval --probe
position` poses it (docs/evaluation.md) but solved exactly and at every level:

    pe        the field samples alone (method.md 2: the input-level position code)
    patch     the patch embedding alone (the content, no position)
    embed     patch embedding + field samples (the encoder's input)
    block1..  the residual stream after each block
    final_ln  the encoder's output after the final LayerNorm (what vfc eval probes)

The forward pass is the independent PyTorch reference of Tests/fixtures/ssl/reference.py
(float64), so a level's figure does not depend on vfc's compiled code, and `final_ln` checks
vfc's own probe (trained by AdamW for a fixed number of steps) against the exact minimiser.
Crops: RandomResizedCrop boxes of the global views (area 25-100 %, aspect 3/4-4/3, a flip
with probability 1/2), one per image, drawn from --seed; the view is a bilinear resample of
the box (make_batch.py's resample_view; vfc's pipeline differs in the pixels, not in the
geometry). Images are resized to S when they are not S x S, ImageNet-normalised. A seeded
fifth of the images is held out: the map is fitted on the others' patches (features
standardised on them) and scored on the held-out ones, R^2 = 1 - SS_res / SS_tot over both
coordinates.

    .venv-torch/bin/python Benchmarks/experiments/position_layers.py STATE... --data DIR
        [--config micro] [--images 1000] [--student] [--seed 0]
"""
import argparse
import glob
import math
import os
import sys

import numpy as np
import torch
from PIL import Image

FIXTURES = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "fixtures", "ssl"))
sys.path.insert(0, FIXTURES)
import configs  # noqa: E402
import reference as ref  # noqa: E402
from make_batch import GLOBAL_SCALE, random_resized_crop_box, resample_view  # noqa: E402
from safetensors_io import load  # noqa: E402

MEAN = np.array([0.485, 0.456, 0.406])
STD = np.array([0.229, 0.224, 0.225])


def images(folder, S, limit):
    paths = sorted(glob.glob(os.path.join(folder, "**", "*.png"), recursive=True)
                   + glob.glob(os.path.join(folder, "**", "*.jpg"), recursive=True))[:limit]
    if not paths:
        raise SystemExit(f"no PNG or JPEG images under {folder}")
    out = []
    for p in paths:
        im = Image.open(p).convert("RGB")
        if im.size != (S, S):
            im = im.resize((S, S), Image.BILINEAR)
        out.append((np.asarray(im, np.float64) / 255.0 - MEAN) / STD)
    return out


def crops(imgs, cfg, seed):
    """One global crop per image: views [N, 3, G, G], boxes [N, 4], flips [N], and each
    patch centre's position in the source image normalised to [0, 1], [N, n*n, 2]."""
    rng = np.random.default_rng(seed)
    n = cfg.n
    views, boxes, flips, targets = [], [], [], []
    for img in imgs:
        box = random_resized_crop_box(rng, cfg.S, GLOBAL_SCALE)
        flip = bool(rng.random() < 0.5)
        views.append(resample_view(img, box, cfg.G, flip))
        x0, y0, w, h = box
        j = np.tile(np.arange(n), n)
        i = np.repeat(np.arange(n), n)
        jp = (n - 1 - j) if flip else j
        targets.append(np.stack([(x0 + (jp + 0.5) * w / n) / cfg.S, (y0 + (i + 0.5) * h / n) / cfg.S], -1))
        boxes.append(box)
        flips.append(flip)
    return (torch.tensor(np.stack(views)), torch.tensor(np.array(boxes, np.float64)),
            torch.tensor(flips), np.stack(targets))


def levels(p, views, boxes, flips, cfg):
    """The patch tokens [N, n*n, D] at every level, in order."""
    n = cfg.n
    x = ref.patch_embed(p, views, cfg.P)
    fx, fy = ref.sample_points(boxes, flips, n, cfg)
    pe = ref.crop_sample(p["pos_field"], fx, fy)
    out = {"pe": pe, "patch": x, "embed": x + pe}
    cls = (p["cls_token"] + p["pos_cls"]).expand(x.shape[0], 1, -1)
    z = torch.cat([cls, x + pe], dim=1)
    for b in range(cfg.depth):
        z = ref.block(p, b, z, cfg.heads)
        out[f"block{b + 1}"] = z[:, 1:]
    out["final_ln"] = ref.layer_norm(z, p["norm.weight"], p["norm.bias"])[:, 1:]
    return out


def r2(train_x, train_y, val_x, val_y):
    mu, sd = train_x.mean(0), train_x.std(0)
    sd[sd == 0] = 1
    a = np.hstack([(train_x - mu) / sd, np.ones((len(train_x), 1))])
    b = np.hstack([(val_x - mu) / sd, np.ones((len(val_x), 1))])
    w, *_ = np.linalg.lstsq(a, train_y, rcond=None)
    res = ((b @ w - val_y) ** 2).sum()
    return 1 - res / ((val_y - val_y.mean(0)) ** 2).sum()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("states", nargs="+")
    ap.add_argument("--data", required=True)
    ap.add_argument("--config", default="micro")
    ap.add_argument("--images", type=int, default=1000)
    ap.add_argument("--student", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(1)
    cfg = configs.get(a.config)
    imgs = images(a.data, cfg.S, a.images)
    views, boxes, flips, targets = crops(imgs, cfg, a.seed)
    val = np.random.default_rng(a.seed).permutation(len(imgs))[: len(imgs) // 5]
    is_val = np.zeros(len(imgs), bool)
    is_val[val] = True
    prefix = "" if a.student else "teacher."
    names = None
    for path in a.states:
        state = load(path)[0]
        p = {k[len(prefix):]: torch.tensor(v.astype(np.float64)) for k, v in state.items()
             if k.startswith(prefix) and (prefix or not k.startswith(("teacher.", "opt.")))}
        with torch.no_grad():
            feats = {k: v.numpy() for k, v in levels(p, views, boxes, flips, cfg).items()}
        names = names or list(feats)
        cells = []
        for k in names:
            f = feats[k]
            cells.append(r2(f[~is_val].reshape(-1, f.shape[-1]), targets[~is_val].reshape(-1, 2),
                            f[is_val].reshape(-1, f.shape[-1]), targets[is_val].reshape(-1, 2)))
        print(f"{path} ({'student' if a.student else 'teacher'}): R^2 " + ", ".join(
            f"{k} {c:.3f}" for k, c in zip(names, cells)), flush=True)


if __name__ == "__main__":
    main()
