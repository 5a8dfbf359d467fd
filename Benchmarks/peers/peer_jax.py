#!/usr/bin/env python3
"""method.md's training step in JAX (CPU): one jax.jit of the whole step (forward, losses,
gradients, clipping, AdamW, teacher EMA, centres), the state donated so XLA updates it in
place.

    peer_jax.py --config micro --state S --batch B [--threads T] [--warmup W] [--repeat N]
                [--gather-masked]

A port of reference.py (Tests/fixtures/ssl) to jax.numpy, function for function.
--gather-masked runs the student's heads g and q only on the masked patch rows the losses
read (jnp.nonzero(size=..., fill_value=-1), as vfc's step does); without it, on every
patch, as iBOT's code does.
compile_s is jit(...).lower(...).compile() measured on its own. --threads 1 sets
XLA_FLAGS=--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1; otherwise
XLA uses the CPUs the process may run on (the driver pins it with taskset).
"""

import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

args = common.parse_args(__doc__)
if args.threads == 1:
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                               " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1").strip()

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax.scipy.special import erf  # noqa: E402

C = common


def linear(x, W, b=None):
    y = x @ W.T
    return y if b is None else y + b


def gelu(x):
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def layer_norm(x, w, b):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / jnp.sqrt(var + C.LN_EPS) * w + b


def l2n(x):
    return x / jnp.maximum(jnp.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def patchify(views, P):
    N, Ch, H, W = views.shape
    nh, nw = H // P, W // P
    x = views.reshape(N, Ch, nh, P, nw, P).transpose(0, 2, 4, 1, 3, 5)
    return x.reshape(N, nh * nw, Ch * P * P)


def sample_points(boxes, flips, n, cfg):
    i = jnp.repeat(jnp.arange(n, dtype=jnp.float32), n)
    j = jnp.tile(jnp.arange(n, dtype=jnp.float32), n)
    jp = jnp.where(flips.astype(bool)[:, None], (n - 1) - j, j)
    x0, y0, w, h = (boxes[:, k:k + 1] for k in range(4))
    u = x0 + (jp + 0.5) * w / n
    v = y0 + (i + 0.5) * h / n
    fx = jnp.clip(u * cfg.Fs / cfg.S - 0.5, 0.0, cfg.Fs - 1)
    fy = jnp.clip(v * cfg.Fs / cfg.S - 0.5, 0.0, cfg.Fs - 1)
    return fx, fy


def crop_sample(field, fx, fy):
    Fs = field.shape[0]
    x0 = jnp.floor(fx).astype(jnp.int32)
    y0 = jnp.floor(fy).astype(jnp.int32)
    x1 = jnp.minimum(x0 + 1, Fs - 1)
    y1 = jnp.minimum(y0 + 1, Fs - 1)
    ax = (fx - x0.astype(fx.dtype))[..., None]
    ay = (fy - y0.astype(fy.dtype))[..., None]
    top = (1 - ax) * field[y0, x0] + ax * field[y0, x1]
    bot = (1 - ax) * field[y1, x0] + ax * field[y1, x1]
    return (1 - ay) * top + ay * bot


def embed(p, views, boxes, flips, cfg, cm=None, pm=None):
    n = views.shape[-1] // cfg.P
    W = p["patch_embed.proj.weight"]
    x = linear(patchify(views, cfg.P), W.reshape(W.shape[0], -1), p["patch_embed.proj.bias"])
    fx, fy = sample_points(boxes, flips, n, cfg)
    pe = crop_sample(p["pos_field"], fx, fy)
    if cm is not None:
        x = jnp.where(cm[..., None], p["mask_token"], x)
    if pm is not None:
        pe = jnp.where(pm[..., None], p["pos_mask_token"], pe)
    z = x + pe
    cls = jnp.broadcast_to(p["cls_token"] + p["pos_cls"], (z.shape[0], 1, z.shape[-1]))
    return jnp.concatenate([cls, z], axis=1)


def attention(p, pre, x, heads):
    N, T, D = x.shape
    dh = D // heads
    qkv = linear(x, p[pre + "attn.qkv.weight"], p[pre + "attn.qkv.bias"])
    q, k, v = (qkv[..., s * D:(s + 1) * D].reshape(N, T, heads, dh).transpose(0, 2, 1, 3) for s in range(3))
    scores = (q @ k.transpose(0, 1, 3, 2)) / math.sqrt(dh)
    a = jax.nn.softmax(scores, axis=-1) @ v
    a = a.transpose(0, 2, 1, 3).reshape(N, T, D)
    return linear(a, p[pre + "attn.proj.weight"], p[pre + "attn.proj.bias"])


def encoder(p, z, cfg):
    for i in range(cfg.depth):
        pre = f"blocks.{i}."
        z = z + attention(p, pre, layer_norm(z, p[pre + "norm1.weight"], p[pre + "norm1.bias"]), cfg.heads)
        h = layer_norm(z, p[pre + "norm2.weight"], p[pre + "norm2.bias"])
        h = linear(gelu(linear(h, p[pre + "mlp.fc1.weight"], p[pre + "mlp.fc1.bias"])),
                   p[pre + "mlp.fc2.weight"], p[pre + "mlp.fc2.bias"])
        z = z + h
    return layer_norm(z, p["norm.weight"], p["norm.bias"])


def head_g(p, x):
    h = gelu(linear(x, p["head.mlp.0.weight"], p["head.mlp.0.bias"]))
    h = gelu(linear(h, p["head.mlp.2.weight"], p["head.mlp.2.bias"]))
    h = l2n(linear(h, p["head.mlp.4.weight"], p["head.mlp.4.bias"]))
    return linear(h, l2n(p["head.last_layer.weight"]))


def pos_head_q(p, x):
    return linear(gelu(linear(x, p["pos_head.fc1.weight"], p["pos_head.fc1.bias"])),
                  p["pos_head.fc2.weight"], p["pos_head.fc2.bias"])


def cross_entropy(t, center, s):
    pt = jax.nn.softmax((t - center) / C.TEACHER_TEMP, axis=-1)
    return -(pt * jax.nn.log_softmax(s / C.STUDENT_TEMP, axis=-1)).sum(axis=-1)


def losses(params, teacher, c_cls, c_patch, batch, cfg):
    B, Vg, Vl, n = batch["global_views"].shape[0], cfg.Vg, cfg.Vl, cfg.n
    gv = batch["global_views"].reshape(B * Vg, 3, cfg.G, cfg.G)
    gb = batch["boxes"][:, :Vg].reshape(B * Vg, 4)
    gf = batch["flips"][:, :Vg].reshape(B * Vg)
    # teacher (no gradient: teacher is not differentiated, stop_gradient for clarity)
    t = jax.lax.stop_gradient(teacher)
    g_t = head_g(t, encoder(t, embed(t, gv, gb, gf, cfg), cfg))
    t_cls = g_t[:, 0].reshape(B, Vg, -1)
    t_patch = g_t[:, 1:].reshape(B, Vg, n * n, -1)
    fx, fy = sample_points(gb, gf, n, cfg)
    pe_t = crop_sample(t["pos_field"], fx, fy).reshape(B, Vg, n * n, -1)
    # student
    cm = batch["content_masks"].reshape(B * Vg, n * n).astype(bool)
    pm = batch["position_masks"].reshape(B * Vg, n * n).astype(bool)
    out_g = encoder(params, embed(params, gv, gb, gf, cfg, cm, pm), cfg)
    if args.gather_masked:
        return gathered_losses(params, out_g, t_cls, t_patch, pe_t, c_cls, c_patch, batch, cfg)
    g_g = head_g(params, out_g)
    q = pos_head_q(params, out_g[:, 1:]).reshape(B, Vg, n * n, -1)
    lv = batch["local_views"].reshape(B * Vl, 3, cfg.L, cfg.L)
    lb = batch["boxes"][:, Vg:].reshape(B * Vl, 4)
    lf = batch["flips"][:, Vg:].reshape(B * Vl)
    out_l = encoder(params, embed(params, lv, lb, lf, cfg), cfg)
    cls_l = head_g(params, out_l[:, 0])
    s_cls = jnp.concatenate([g_g[:, 0].reshape(B, Vg, -1), cls_l.reshape(B, Vl, -1)], axis=1)
    s_patch = g_g[:, 1:].reshape(B, Vg, n * n, -1)
    # losses (section 5)
    terms = [cross_entropy(t_cls[:, a], c_cls, s_cls[:, b]) for a in range(Vg) for b in range(Vg + Vl) if b != a]
    l_cls = jnp.stack(terms, axis=1).mean()
    m = batch["content_masks"].reshape(B, Vg, -1).astype(jnp.float32)
    ce = cross_entropy(t_patch, c_patch, s_patch)
    l_mim = ((ce * m).sum(axis=-1) / jnp.maximum(m.sum(axis=-1), 1.0)).mean()
    pmask = batch["position_masks"].reshape(B, Vg, -1).astype(jnp.float32)
    d = ((l2n(q) - l2n(pe_t)) ** 2).sum(axis=-1)
    l_pos = (d * pmask).sum() / jnp.maximum(pmask.sum(), 1.0)
    loss = l_cls + l_mim + l_pos
    return loss, (l_cls, l_mim, l_pos, t_cls, t_patch)


def student_cls(params, out_g, batch, cfg):
    """The student's CLS outputs [B, Vg + Vl, K], globals first (local views encoded here)."""
    B, Vg, Vl = batch["global_views"].shape[0], cfg.Vg, cfg.Vl
    lv = batch["local_views"].reshape(B * Vl, 3, cfg.L, cfg.L)
    lb = batch["boxes"][:, Vg:].reshape(B * Vl, 4)
    lf = batch["flips"][:, Vg:].reshape(B * Vl)
    out_l = encoder(params, embed(params, lv, lb, lf, cfg), cfg)
    cls_l = head_g(params, out_l[:, 0])
    return jnp.concatenate([head_g(params, out_g[:, 0]).reshape(B, Vg, -1), cls_l.reshape(B, Vl, -1)], axis=1)


def gathered_losses(params, out_g, t_cls, t_patch, pe_t, c_cls, c_patch, batch, cfg):
    """losses() with g and q run only on the masked patch rows (--gather-masked)."""
    B, Vg, Vl, n = batch["global_views"].shape[0], cfg.Vg, cfg.Vl, cfg.n
    nn = n * n
    s_cls = student_cls(params, out_g, batch, cfg)
    terms = [cross_entropy(t_cls[:, a], c_cls, s_cls[:, b]) for a in range(Vg) for b in range(Vg + Vl) if b != a]
    l_cls = jnp.stack(terms, axis=1).mean()
    rows = out_g[:, 1:].reshape(B * Vg * nn, -1)
    content_bound, position_bound = common.mask_bounds(cfg, B)

    def gather(mask, bound):
        idx = jnp.nonzero(mask.reshape(-1), size=bound, fill_value=-1)[0]
        return jnp.maximum(idx, 0), (idx >= 0).astype(jnp.float32)

    m = batch["content_masks"].reshape(B * Vg, nn).astype(jnp.float32)
    at, keep = gather(m, content_bound)
    K = t_patch.shape[-1]
    ce = cross_entropy(t_patch.reshape(-1, K)[at], c_patch, head_g(params, rows[at]))
    row_w = jnp.repeat(1.0 / jnp.maximum(m.sum(axis=-1), 1.0), nn)[at] * keep
    l_mim = (ce * row_w).sum() / (B * Vg)
    pmask = batch["position_masks"].reshape(B * Vg, nn).astype(jnp.float32)
    at, keep = gather(pmask, position_bound)
    q = pos_head_q(params, rows[at])
    d = ((l2n(q) - l2n(pe_t.reshape(B * Vg * nn, -1)[at])) ** 2).sum(axis=-1)
    l_pos = (d * keep).sum() / jnp.maximum(pmask.sum(), 1.0)
    loss = l_cls + l_mim + l_pos
    return loss, (l_cls, l_mim, l_pos, t_cls, t_patch)


def make_step(cfg, names):
    decayed = {k: common.is_decayed(k, common.configs.param_shapes(cfg)[k]) for k in names}

    def step(state, batch):
        params, teacher, m, v = state["p"], state["t"], state["m"], state["v"]
        (loss, (l_cls, l_mim, l_pos, t_cls, t_patch)), grads = jax.value_and_grad(losses, has_aux=True)(
            params, teacher, state["c_cls"], state["c_patch"], batch, cfg)
        norm = jnp.sqrt(sum(jnp.sum(g * g) for g in grads.values()))
        coef = jnp.minimum(1.0, C.CLIP / (norm + 1e-6))
        lr, wd, mt = batch["lr"], batch["weight_decay"], batch["teacher_momentum"]
        t = state["step"] + 1
        tf = t.astype(jnp.float32)
        bc1, bc2 = 1.0 - C.ADAM_B1 ** tf, 1.0 - C.ADAM_B2 ** tf
        new = {"p": {}, "t": {}, "m": {}, "v": {}}
        for k in names:
            g = grads[k] * coef
            mk = C.ADAM_B1 * m[k] + (1 - C.ADAM_B1) * g
            vk = C.ADAM_B2 * v[k] + (1 - C.ADAM_B2) * g * g
            p = params[k] * (1 - lr * wd) if decayed[k] else params[k]
            p = p - lr * (mk / bc1) / (jnp.sqrt(vk / bc2) + C.ADAM_EPS)
            new["p"][k], new["m"][k], new["v"][k] = p, mk, vk
            new["t"][k] = mt * teacher[k] + (1 - mt) * p
        K = t_cls.shape[-1]
        new["c_cls"] = C.CENTER_MOMENTUM * state["c_cls"] + (1 - C.CENTER_MOMENTUM) * t_cls.reshape(-1, K).mean(axis=0)
        new["c_patch"] = C.CENTER_MOMENTUM * state["c_patch"] + (1 - C.CENTER_MOMENTUM) * t_patch.reshape(-1, K).mean(axis=0)
        new["step"] = t
        metrics = jnp.stack([loss, l_cls, l_mim, l_pos, norm])
        return new, metrics

    return step


def main():
    cfg, state_np, batch_np = common.load(args)
    names = list(common.configs.param_shapes(cfg))
    A = lambda a: jnp.asarray(np.asarray(a))  # noqa: E731
    state = {
        "p": {k: A(state_np[k]) for k in names},
        "t": {k: A(state_np["teacher." + k]) for k in names},
        "m": {k: A(state_np["opt.m." + k]) for k in names},
        "v": {k: A(state_np["opt.v." + k]) for k in names},
        "c_cls": A(state_np["center_cls"]), "c_patch": A(state_np["center_patch"]),
        "step": jnp.asarray(int(state_np["opt.step"]), dtype=jnp.int32),
    }
    batch = {k: A(a) for k, a in batch_np.items()}
    t0 = time.perf_counter()
    compiled = jax.jit(make_step(cfg, names), donate_argnums=0).lower(state, batch).compile()
    compile_s = time.perf_counter() - t0
    holder = [state]

    def step():
        holder[0], metrics = compiled(holder[0], batch)
        return np.asarray(jax.block_until_ready(metrics))

    def first():
        return dict(zip(common.METRICS, step().tolist()))

    common.run(first, step, args, compile_s=compile_s)


if __name__ == "__main__":
    main()
