#!/usr/bin/env python3
"""method.md's training step in PyTorch (CPU), eager or torch.compile.

    peer_torch.py --config micro --state S --batch B [--mode eager|compile]
                  [--threads T] [--warmup W] [--repeat N]

The forward pass and the losses are reference.py's (Tests/fixtures/ssl, an independent
implementation of method.md), except loss_pos, written with a mask product instead of
boolean indexing (same value; no data-dependent shape, so torch.compile keeps one graph).
The update (clip, AdamW, teacher EMA, centres) is written with torch's multi-tensor
`_foreach_*` ops, as torch.optim's foreach AdamW does, on tensors that stay put between
steps.

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


def make_loss(cfg):
    def losses(params, teacher, center_cls, center_patch, batch):
        t_cls, t_patch, pe_t = reference.teacher_forward(teacher, batch, cfg)
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

    losses = make_loss(cfg)
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
