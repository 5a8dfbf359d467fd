#!/usr/bin/env python3
"""Measurements behind docs/experiments.md's "Sizing": what pretraining does to the field, to
the gradients and to the CLS features, on states and files that vfc writes. NumPy only.

    diagnose.py field STATE...              # the field of the student and the teacher
    diagnose.py smooth STATE SIGMA OUT      # STATE with its fields blurred (for vfc eval)
    diagnose.py coherence GRADS GRADS...    # gradients of different batches: do they agree?
    diagnose.py cls FEATURES...             # vfc eval --features-out: what the CLS token varies with
    diagnose.py targets STATE FEATURES      # how far from uniform the teacher's CLS targets are

field: per-channel mean removed, the correlation of horizontally and vertically adjacent field
pixels and of pixels 8 apart (one micro patch), the norm of the mean vector (the part every
position shares) and the RMS norm of a pixel's remaining vector. A fresh field is white noise
(correlations ~0).

smooth: a Gaussian blur of standard deviation SIGMA field pixels over (y, x) (edges
replicated), rescaled to the original standard deviation, written to both `pos_field` and
`teacher.pos_field`: `vfc eval OUT --probe position` then tells how smooth a field must be
for the linear position probe to read it.

coherence: the mean cosine similarity, over pairs of files, between the gradients of
`vfc step --grads` for different batches from one state, per parameter group. Near 1: the
batches agree on a direction; near 0: the step is noise.

cls: on the training rows of `vfc eval --features-out`: mean cosine similarity between
images' CLS features, the variance share of the top principal components, and the share of
the variance between classes (what kNN can use).

targets: the teacher's CLS head (method.md 4) of STATE applied to the training rows of FEATURES
(`vfc eval STATE --features-out`, teacher features), centred by the rows' mean (the centre a
steady batch mean gives), then softmax at the teacher temperature 0.04 and at the student's
0.1: the mean entropy of these targets (ln K is uniform: nothing to learn) and the standard
deviation of a centred logit over images (in cosine units; divided by 0.04 it is the spread
the teacher's softmax sees).
"""
import argparse
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                                "Tests", "fixtures", "ssl")))
from safetensors_io import load, save  # noqa: E402


def corr(a, b):
    return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum()))


def field(paths):
    for path in paths:
        state = load(path)[0]
        for prefix in ("", "teacher."):
            f = state.get(prefix + "pos_field")
            if f is None:
                continue
            f = f.astype(np.float64)
            mean = f.mean(axis=(0, 1))
            c = f - mean
            print(f"{path} {prefix or 'student.'}pos_field: std {f.std():.4f}, |mean vector| {np.linalg.norm(mean):.4f}, "
                  f"rms |pixel - mean| {np.sqrt((c ** 2).sum(-1).mean()):.4f}, correlation adjacent x {corr(c[:, 1:], c[:, :-1]):.3f} "
                  f"y {corr(c[1:], c[:-1]):.3f}, 8 apart {corr(c[:, 8:], c[:, :-8]):.3f}")


def blur(f, sigma):
    r = max(1, int(np.ceil(3 * sigma)))
    k = np.exp(-np.arange(-r, r + 1) ** 2 / (2 * sigma * sigma))
    k /= k.sum()
    for axis in (0, 1):
        pad = [(0, 0)] * f.ndim
        pad[axis] = (r, r)
        p = np.pad(f, pad, mode="edge")
        f = sum(k[i] * np.take(p, np.arange(i, i + f.shape[axis]), axis=axis) for i in range(2 * r + 1))
    return f


def smooth(path, sigma, out):
    state, meta = load(path)
    f = state["pos_field"].astype(np.float64)
    g = blur(f, sigma)
    g *= f.std() / g.std()
    for name in ("pos_field", "teacher.pos_field"):
        state[name] = g.astype(np.float32)
    save(out, state, meta)
    print(f"wrote {out}")


def coherence(paths):
    grads = [load(p)[0] for p in paths]
    names = sorted(grads[0])
    groups = {
        "pos_field": [n for n in names if n.endswith("pos_field")],
        "patch_embed": [n for n in names if "patch_embed" in n],
        "blocks": [n for n in names if ".blocks." in n or n.startswith("grad.blocks.")],
        "head": [n for n in names if ".head." in n or n.startswith("grad.head.")],
        "pos_head": [n for n in names if "pos_head" in n],
        "all": names,
    }
    parts = []
    for group, keys in groups.items():
        if not keys:
            continue
        v = [np.concatenate([g[k].ravel().astype(np.float64) for k in keys]) for g in grads]
        cs = [v[a] @ v[b] / (np.linalg.norm(v[a]) * np.linalg.norm(v[b]) + 1e-30)
              for a in range(len(v)) for b in range(a + 1, len(v))]
        parts.append(f"{group} {np.mean(cs):.3f}")
    print("mean cosine between the batches' gradients: " + "; ".join(parts))


def cls(paths):
    for path in paths:
        t = load(path)[0]
        x, y = t["train_cls"].astype(np.float64), t["train_labels"]
        n = x / np.linalg.norm(x, axis=1, keepdims=True)
        c = n @ n.T
        off = c[~np.eye(len(c), dtype=bool)]
        mu = x.mean(0)
        s = np.linalg.svd(x - mu, compute_uv=False) ** 2
        total = ((x - mu) ** 2).sum()
        between = sum((y == k).sum() * ((x[y == k].mean(0) - mu) ** 2).sum() for k in np.unique(y))
        print(f"{path}: mean pairwise cosine {off.mean():.3f}, top-3 principal components {np.round(s[:3] / s.sum(), 3).tolist()} "
              f"of the variance, between classes {between / total:.4f}")


def targets(state_path, features_path):
    st, f = load(state_path)[0], load(features_path)[0]
    p = lambda n: st["teacher." + n].astype(np.float64)  # noqa: E731
    erf = np.vectorize(math.erf)
    gelu = lambda z: 0.5 * z * (1 + erf(z / math.sqrt(2)))  # noqa: E731
    h = gelu(f["train_cls"].astype(np.float64) @ p("head.mlp.0.weight").T + p("head.mlp.0.bias"))
    h = gelu(h @ p("head.mlp.2.weight").T + p("head.mlp.2.bias"))
    h = h @ p("head.mlp.4.weight").T + p("head.mlp.4.bias")
    h /= np.maximum(np.linalg.norm(h, axis=1, keepdims=True), 1e-12)
    v = p("head.last_layer.weight")
    v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    c = h @ v.T
    c -= c.mean(0)
    parts = []
    for temp in (0.04, 0.1):
        z = c / temp
        z -= z.max(1, keepdims=True)
        q = np.exp(z)
        q /= q.sum(1, keepdims=True)
        parts.append(f"entropy at T {temp} {-(q * np.log(q + 1e-300)).sum(1).mean():.3f}")
    print(f"{state_path}: {', '.join(parts)} (ln K {math.log(len(v)):.3f}); centred logit std over images {c.std(0).mean():.4f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="what", required=True)
    sub.add_parser("field").add_argument("states", nargs="+")
    sm = sub.add_parser("smooth")
    sm.add_argument("state")
    sm.add_argument("sigma", type=float)
    sm.add_argument("out")
    sub.add_parser("coherence").add_argument("grads", nargs="+")
    sub.add_parser("cls").add_argument("features", nargs="+")
    tg = sub.add_parser("targets")
    tg.add_argument("state")
    tg.add_argument("features")
    a = ap.parse_args()
    if a.what == "field":
        field(a.states)
    elif a.what == "smooth":
        smooth(a.state, a.sigma, a.out)
    elif a.what == "coherence":
        if len(a.grads) < 2:
            raise SystemExit("coherence needs the gradients of at least two batches")
        coherence(a.grads)
    elif a.what == "targets":
        targets(a.state, a.features)
    else:
        cls(a.features)


if __name__ == "__main__":
    main()
