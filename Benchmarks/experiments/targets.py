#!/usr/bin/env python3
"""What the teacher's CLS targets of method.md 5 look like in a state (a `vfc init` state or a
`vfc train` checkpoint), on batches of the data pipeline: which way L_cls has collapsed.

    .venv-torch/bin/python Benchmarks/experiments/targets.py --data IMAGES STATE... \
        [--batch 32] [--batches 2] [--seed 0] [--vfc .build/release/vfc]

The batches are `vfc data batch --data IMAGES --seed SEED --index I` (I < --batches), the
micro config's views; the teacher is Tests/fixtures/ssl/reference.py's teacher_forward on
the state's teacher.* tensors, and C its center_cls. Per state, over the batches' global
views:
- |C|: the centre's norm; |t - C|: the RMS of the centred logits, and spread: their standard
  deviation over images (mean over the K outputs), in logit units (cosine similarities: the
  head l2-normalises before its last layer); the teacher temperature is 0.04;
- H(target): the mean entropy of one image's target softmax((t - C) / 0.04), ln K when
  uniform;
- H(mean): the entropy of the batch's mean target: low when every image gets the same
  prototype, ln K when the targets spread over all outputs;
- top: the share of views whose argmax is the batch's most common one.
Uniform collapse: H(target) near ln K. One-prototype collapse: H(mean) low, top near 1.
"""
import argparse
import math
import os
import sys
import tempfile

import torch

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "Tests", "fixtures", "ssl"))
import configs  # noqa: E402
import reference  # noqa: E402
import safetensors_io  # noqa: E402
import trajectory  # noqa: E402


def batches(a, cfg):
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(a.batches):
            path = os.path.join(tmp, f"b{i}.safetensors")
            out.append(reference.to_torch(trajectory.pipeline_batch(a.vfc, a.data, a.batch, a.seed, i, cfg, path),
                                          torch.float32))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("states", nargs="+")
    ap.add_argument("--data", required=True)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--batches", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--vfc", default=os.path.join(REPO, ".build", "release", "vfc"))
    a = ap.parse_args()
    torch.set_num_threads(1)
    cfg = configs.get("micro")
    data = batches(a, cfg)
    print(f"ln K = {math.log(cfg.K):.3f}")
    print(f"{'state':<48} {'|C|':>6} {'|t-C|':>7} {'spread':>7} {'H(target)':>9} {'H(mean)':>8} {'top':>5}")
    for path in a.states:
        st = reference.to_torch(safetensors_io.load_tensors(path), torch.float32)
        C = st["center_cls"]
        c, p = (torch.cat(x) for x in zip(*(trajectory.cls_targets(st, b, cfg) for b in data)))
        h = float(trajectory.entropy(p).mean())
        hm = float(trajectory.entropy(p.mean(0)))
        am = p.argmax(-1)
        top = float((am == am.mode().values).float().mean())
        name = os.path.relpath(path)[-48:]
        print(f"{name:<48} {float(C.norm()):6.3f} {float(c.pow(2).mean().sqrt()):7.4f} "
              f"{float(c.std(0).mean()):7.4f} {h:9.3f} {hm:8.3f} {top:5.2f}")


if __name__ == "__main__":
    sys.exit(main())
