#!/usr/bin/env python3
"""Checks what the position embedding of an ablation variant depends on, through vfc run.

    ablation_pe.py VFC IR VARIANT TMPDIR

Runs @teacher_global of a fresh state (vfc init --seed 0) on the same views twice, with two
different sets of boxes and flips, and prints what it found:
  - field: the field samples (the second result) change with the boxes (the crop-tied field);
  - sincos, table: they do not (the embedding ignores the crop), and on the global view's
    own grid they are the table itself: for `sincos` MAE's 2-D sin-cos embedding computed
    here, for `table` the state's `teacher.pos_embed`.
"""
import math
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "fixtures", "ssl"))
import safetensors_io as st  # noqa: E402

vfc, ir, variant, tmp = sys.argv[1:5]
os.makedirs(tmp, exist_ok=True)
state = os.path.join(tmp, "state.safetensors")
subprocess.run([vfc, "init", ir, "--seed", "0", "-o", state], check=True, stdout=subprocess.DEVNULL)
params = st.load_tensors(state)
D = params["cls_token"].shape[0]
patch = params["patch_embed.proj.weight"].shape[2]
rng = np.random.default_rng(0)
S = 16 if D == 16 else 64  # nano or micro
n = S // patch
views = rng.standard_normal((2, 3, S, S)).astype(np.float32)


def pe_for(boxes, flips, tag):
    inp, out = os.path.join(tmp, f"in_{tag}.safetensors"), os.path.join(tmp, f"out_{tag}.safetensors")
    st.save(inp, {"views": views, "boxes": np.array(boxes, np.float32), "flips": np.array(flips, np.uint8)})
    subprocess.run([vfc, "run", ir, "--func", "teacher_global", "--inputs", inp, "--params", state,
                    "--output", out], check=True, stdout=subprocess.DEVNULL)
    res = st.load_tensors(out)
    return res["result1"].astype(np.float64)  # [2, n*n, D]


def mae_sincos(n, D):
    """MAE's get_2d_sincos_pos_embed, rows y-major: [x part (sin | cos), y part (sin | cos)]."""
    omega = 1.0 / 10000 ** (np.arange(D // 4) / (D / 4.0))
    ys, xs = np.meshgrid(np.arange(n, dtype=np.float64), np.arange(n, dtype=np.float64), indexing="ij")

    def one(pos):
        out = np.outer(pos.reshape(-1), omega)
        return np.concatenate([np.sin(out), np.cos(out)], axis=1)
    return np.concatenate([one(xs), one(ys)], axis=1)  # [n*n, D]


a = pe_for([[0, 0, S, S], [2, 1, S // 2, S // 2 + 1]], [0, 1], "a")
b = pe_for([[1, 3, S // 2, S // 2], [0, 0, S, S]], [1, 0], "b")
moves = float(np.abs(a - b).max())
print(f"{variant}: field samples change with the crop: {'yes' if moves > 1e-6 else 'no'}")
if variant == "sincos":
    err = float(np.abs(a - mae_sincos(n, D)[None]).max())
    print(f"sincos: global grid equals MAE's 2-D sin-cos table: {'yes' if err < 1e-5 else 'no, max error %g' % err}")
elif variant == "table":
    table = params["teacher.pos_embed"].astype(np.float64).reshape(1, n * n, D)
    err = float(np.abs(a - table).max())
    print(f"table: global grid equals teacher.pos_embed: {'yes' if err < 1e-6 else 'no, max error %g' % err}")
