#!/usr/bin/env python3
"""method.md's training step in PyTorch (CPU), eager or torch.compile.

    peer_torch.py --config micro --state S --batch B [--mode eager|compile]
                  [--threads T] [--warmup W] [--repeat N] [--gather-masked]

The forward pass and the losses are reference.py's (Tests/fixtures/ssl, an independent
implementation of method.md), except loss_pos, written with a mask product instead of
boolean indexing (same value; no data-dependent shape, so torch.compile keeps one graph).
The update (clip, AdamW, teacher EMA, centres) is written with torch's multi-tensor
`_foreach_*` ops, as torch.optim's foreach AdamW does, on tensors that stay put between
steps.

--gather-masked: the student's heads g and q run only on the patch rows the losses read,
gathered with torch.nonzero_static (a fixed size, padded with -1, so torch.compile keeps
one graph) and index_select, each row weighted by its view's 1/max(count, 1) (padding 0):
what vfc's step computes. Without it, g and q run on every patch, as iBOT's code does.

--mode compile: torch.compile (inductor, default mode) of the forward + losses; AOTAutograd
compiles the backward from it, so forward and backward run compiled; the update runs
eager (foreach ops). The first step includes the compile; compile_s is the first step's
excess over the median step.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

import reference  # noqa: E402  (Tests/fixtures/ssl, on the path through common)


def loss_pos(q, pe_teacher, position_masks):
    m = position_masks.reshape(*position_masks.shape[:2], -1).to(q.dtype)
    d = ((reference.l2n(q) - reference.l2n(pe_teacher.detach())) ** 2).sum(dim=-1)
    return (d * m).sum() / torch.clamp(m.sum(), min=1.0)


def gathered_forward(p, batch, cfg, t_patch, pe_t, center_patch):
    """The student's forward with g and q on the masked patch rows only: s_cls and the
    L_mim and L_pos of reference.py."""
    B, Vg, n = reference.cfg_batch(batch, cfg)
    Vl, nn = cfg.Vl, n * n
    views = batch["global_views"].reshape(B * Vg, 3, cfg.G, cfg.G)
    boxes = batch["boxes"][:, :Vg].reshape(B * Vg, 4)
    flips = batch["flips"][:, :Vg].reshape(B * Vg)
    cm = batch["content_masks"].reshape(B * Vg, nn).to(torch.bool)
    pm = batch["position_masks"].reshape(B * Vg, nn).to(torch.bool)
    out_g = reference.encoder(p, reference.embed(p, views, boxes, flips, cfg, cm, pm), cfg)
    cls_g = reference.head_g(p, out_g[:, 0])
    rows = out_g[:, 1:].reshape(B * Vg * nn, -1)
    content_bound, position_bound = common.mask_bounds(cfg, B)

    def gather(mask, bound):
        idx = torch.nonzero_static(mask.reshape(-1), size=bound, fill_value=-1).reshape(-1)
        return idx.clamp(min=0), (idx >= 0).to(rows.dtype)

    at, keep = gather(cm, content_bound)
    K = t_patch.shape[-1]
    ce = reference.cross_entropy(t_patch.reshape(-1, K).index_select(0, at), center_patch,
                                 reference.head_g(p, rows.index_select(0, at)))
    cmf = cm.to(rows.dtype)
    view_w = 1.0 / torch.clamp(cmf.sum(dim=-1), min=1.0)
    row_w = view_w.repeat_interleave(nn).index_select(0, at) * keep
    l_mim = (ce * row_w).sum() / (B * Vg)
    at, keep = gather(pm, position_bound)
    q = reference.pos_head_q(p, rows.index_select(0, at))
    target = pe_t.reshape(B * Vg * nn, -1).index_select(0, at).detach()
    d = ((reference.l2n(q) - reference.l2n(target)) ** 2).sum(dim=-1)
    l_pos = (d * keep).sum() / torch.clamp(pm.to(rows.dtype).sum(), min=1.0)

    lviews = batch["local_views"].reshape(B * Vl, 3, cfg.L, cfg.L)
    lboxes = batch["boxes"][:, Vg:].reshape(B * Vl, 4)
    lflips = batch["flips"][:, Vg:].reshape(B * Vl)
    out_l = reference.encoder(p, reference.embed(p, lviews, lboxes, lflips, cfg), cfg)
    cls_l = reference.head_g(p, out_l[:, 0])
    s_cls = torch.cat([cls_g.reshape(B, Vg, -1), cls_l.reshape(B, Vl, -1)], dim=1)
    return s_cls, l_mim, l_pos


def make_loss(cfg, gather_masked=False):
    def losses(params, teacher, center_cls, center_patch, batch):
        t_cls, t_patch, pe_t = reference.teacher_forward(teacher, batch, cfg)
        if gather_masked:
            s_cls, l_mim, l_pos = gathered_forward(params, batch, cfg, t_patch.detach(), pe_t, center_patch)
            l_cls = reference.loss_cls(t_cls.detach(), s_cls, center_cls)
            return l_cls + l_mim + l_pos, l_cls, l_mim, l_pos, t_cls.detach(), t_patch.detach()
        s_cls, s_patch, q = reference.student_forward(params, batch, cfg)
        l_cls = reference.loss_cls(t_cls.detach(), s_cls, center_cls)
        l_mim = reference.loss_mim(t_patch.detach(), s_patch, center_patch, batch["content_masks"])
        l_pos = loss_pos(q, pe_t, batch["position_masks"])
        return l_cls + l_mim + l_pos, l_cls, l_mim, l_pos, t_cls.detach(), t_patch.detach()
    return losses


def main():
    args = common.parse_args(__doc__, modes=["eager", "compile"])
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    cfg, state_np, batch_np = common.load(args)
    names = list(common.configs.param_shapes(cfg))
    T = lambda a: torch.from_numpy(np.array(a, order="C"))  # noqa: E731
    params = {k: T(state_np[k]).requires_grad_(True) for k in names}
    teacher = {k: T(state_np["teacher." + k]) for k in names}
    m = [T(state_np["opt.m." + k]) for k in names]
    v = [T(state_np["opt.v." + k]) for k in names]
    center_cls, center_patch = T(state_np["center_cls"]), T(state_np["center_patch"])
    step_count = [int(state_np["opt.step"])]
    batch = {k: T(a) for k, a in batch_np.items()}
    lr, wd, mt = (float(batch_np[k]) for k in ("lr", "weight_decay", "teacher_momentum"))
    # The scalars are F32 in the batch; use their F32 values as Python floats.
    plist = [params[k] for k in names]
    tlist = [teacher[k] for k in names]
    decayed = [params[k] for k in names if common.is_decayed(k, params[k].shape)]

    losses = make_loss(cfg, args.gather_masked)
    if args.mode == "compile":
        losses = torch.compile(losses)

    def step():
        for p in plist:
            p.grad = None
        loss, l_cls, l_mim, l_pos, t_cls, t_patch = losses(params, teacher, center_cls, center_patch, batch)
        loss.backward()
        with torch.no_grad():
            grads = [p.grad for p in plist]
            norm = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
            coef = torch.clamp(common.CLIP / (norm + 1e-6), max=1.0)
            torch._foreach_mul_(grads, coef)
            step_count[0] += 1
            t = step_count[0]
            bc1, bc2 = 1.0 - common.ADAM_B1 ** t, 1.0 - common.ADAM_B2 ** t
            torch._foreach_mul_(m, common.ADAM_B1)
            torch._foreach_add_(m, grads, alpha=1 - common.ADAM_B1)
            torch._foreach_mul_(v, common.ADAM_B2)
            torch._foreach_addcmul_(v, grads, grads, value=1 - common.ADAM_B2)
            torch._foreach_mul_(decayed, 1 - lr * wd)
            denom = torch._foreach_sqrt(torch._foreach_div(v, bc2))
            torch._foreach_add_(denom, common.ADAM_EPS)
            torch._foreach_addcdiv_(plist, m, denom, value=-lr / bc1)
            torch._foreach_mul_(tlist, mt)
            torch._foreach_add_(tlist, plist, alpha=1 - mt)
            K = t_cls.shape[-1]
            center_cls.mul_(common.CENTER_MOMENTUM).add_(t_cls.reshape(-1, K).mean(dim=0), alpha=1 - common.CENTER_MOMENTUM)
            center_patch.mul_(common.CENTER_MOMENTUM).add_(t_patch.reshape(-1, K).mean(dim=0), alpha=1 - common.CENTER_MOMENTUM)
        return {"loss": loss.item(), "loss_cls": l_cls.item(), "loss_mim": l_mim.item(),
                "loss_pos": l_pos.item(), "grad_norm": norm.item()}

    common.run(step, step, args)


if __name__ == "__main__":
    main()
