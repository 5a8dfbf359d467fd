#!/usr/bin/env python3
"""Writes the IR of method.md's training step for each config.

    scripts/gen_ssl.py            # rewrites IR/ssl_micro.ir, IR/ssl_tiny.ir, Tests/fixtures/ssl_nano.ir
                                  # and the ablation variants (VARIANTS): IR/ablation/ssl_micro_<v>.ir,
                                  # Tests/fixtures/ablation/ssl_nano_<v>.ir
    scripts/gen_ssl.py --check    # exits 1 if a committed file differs from what it would write
    scripts/gen_ssl.py --dense-patch-losses nano FILE   # the reference formulation (heads on every patch)

The files are committed; CI runs --check so they never drift from this generator. A
generator (rather than hand-written files) because the three configs differ only in sizes
and the step names every parameter several times (gradient, AdamW state, teacher copy).

Layout of each module (method.md is the contract; section numbers refer to it):
  - params: the student (section 7 names), `teacher.*` (initialised as copies of the
    student), `opt.m.*`, `opt.v.*`, `opt.step`, `center_cls`, `center_patch`;
  - @block, @embed_masked, @embed, @head, @pos_head: one network piece each, weights passed
    as arguments so that the student and the teacher share them;
  - @student_*/@teacher_global: the encoders of section 3 on each kind of view;
  - @loss: the student forward and the three losses of section 5 (reads student params only;
    L_mim and L_pos with the heads on the masked patch rows only: scripts/ssl_patch_losses.py);
  - @update.rK: clipping scale, AdamW and teacher EMA for one parameter of rank K (section 6);
  - @train_step: one step of section 6. Results are named by the values it returns: the
    losses, `grad_norm`, the raw gradients `grad.<param>`, then the new state, each result
    aliasing (updating in place) the param it replaces;
  - @loss_part, @grad_step, @apply_step: @train_step split where the gradients are complete,
    for data parallelism (docs/distributed.md): @grad_step on a slice of the batch returns
    that slice's shares of the losses, raw gradients and teacher-output sums of the whole
    batch; summed over the slices, they go into @apply_step (clip, AdamW, EMA, centres).
"""
import argparse
import math
import os
import sys

# The configs' numbers and the weight-decay rule live once, in the torch-free module that
# the PyTorch reference and the benchmark peers also read.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "fixtures", "ssl"))
import configs as method  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ssl_patch_losses as patch_losses  # noqa: E402
from ssl_patch_losses import head_args, pos_head_args  # noqa: E402

DIMS = ("S", "P", "D", "depth", "heads", "M", "G", "L", "Vg", "Vl", "Hh", "Hb", "K", "Fs")
# nano is a shrunk config for finite-difference checks of the whole loss (not in method.md).
CONFIGS = {name: {k: getattr(c, k) for k in DIMS} for name, c in method.CONFIGS.items()}

OUTPUTS = {"micro": "IR/ssl_micro.ir", "tiny": "IR/ssl_tiny.ir", "nano": "Tests/fixtures/ssl_nano.ir"}

# The ablation of docs/experiments.md: the method with one of its two ideas replaced, everything
# else (names, signatures, losses, optimiser) unchanged, so that vfc train/step/eval run them
# as they run the method. The method itself ("field") is IR/ssl_micro.ir.
VARIANTS = {
    "field": "the method: the crop-tied vector field, content and position masking",
    "sincos": "fixed 2-D sin-cos position embedding on the view's patch grid, not tied to the crop",
    "table": "learnable absolute table `pos_embed` [n, n, D] resized to the view's grid, not tied to the crop",
    "nopos": "the crop-tied field without position masking and prediction (no L_pos, no p_mask, no q)",
}
ABLATION_OUTPUTS = {(cfg, v): path.format(v=v) for v in VARIANTS if v != "field"
                    for cfg, path in (("micro", "IR/ablation/ssl_micro_{v}.ir"),
                                      ("nano", "Tests/fixtures/ablation/ssl_nano_{v}.ir"))}

BLOCK_PARAMS = [  # (suffix, shape in terms of D and M, initialiser)
    ("norm1.weight", "D", "ones"), ("norm1.bias", "D", "zeros"),
    ("attn.qkv.weight", "3D,D", "w"), ("attn.qkv.bias", "3D", "zeros"),
    ("attn.proj.weight", "D,D", "w"), ("attn.proj.bias", "D", "zeros"),
    ("norm2.weight", "D", "ones"), ("norm2.bias", "D", "zeros"),
    ("mlp.fc1.weight", "M,D", "w"), ("mlp.fc1.bias", "M", "zeros"),
    ("mlp.fc2.weight", "D,M", "w"), ("mlp.fc2.bias", "D", "zeros"),
]


def ty(dims, dtype="f32"):
    return f"{dtype}[{', '.join(str(d) for d in dims)}]"


class Config:
    def __init__(self, name, c, variant="field", dense_patch_losses=False):
        self.name = name
        self.variant = variant
        self.dense_patch_losses = dense_patch_losses
        self.__dict__.update(c)
        self.n = self.G // self.P
        self.nl = self.L // self.P
        self.V = self.Vg + self.Vl
        self.dh = self.D // self.heads

    def shape(self, spec):
        """'3D,D' -> [3*D, D] with the config's numbers."""
        out = []
        for part in spec.split(","):
            k = 1
            while part[0].isdigit():
                k, part = k * int(part[0]), part[1:]
            out.append(k * getattr(self, part))
        return out

    def params(self):
        """Student params in method.md section 7 order: (name, shape, initialiser)."""
        D, P, Fs = self.D, self.P, self.Fs
        ps = [("patch_embed.proj.weight", [D, 3, P, P], "w"), ("patch_embed.proj.bias", [D], "zeros"),
              ("pos_field", [Fs, Fs, D], "w"), ("cls_token", [D], "w"), ("pos_cls", [D], "w"),
              ("mask_token", [D], "w"), ("pos_mask_token", [D], "w")]
        for i in range(self.depth):
            ps += [(f"blocks.{i}.{s}", self.shape(sh), init) for s, sh, init in BLOCK_PARAMS]
        ps += [("norm.weight", [D], "ones"), ("norm.bias", [D], "zeros"),
               ("head.mlp.0.weight", [self.Hh, D], "w"), ("head.mlp.0.bias", [self.Hh], "zeros"),
               ("head.mlp.2.weight", [self.Hh, self.Hh], "w"), ("head.mlp.2.bias", [self.Hh], "zeros"),
               ("head.mlp.4.weight", [self.Hb, self.Hh], "w"), ("head.mlp.4.bias", [self.Hb], "zeros"),
               ("head.last_layer.weight", [self.K, self.Hb], "w"),
               ("pos_head.fc1.weight", [D, D], "w"), ("pos_head.fc1.bias", [D], "zeros"),
               ("pos_head.fc2.weight", [D, D], "w"), ("pos_head.fc2.bias", [D], "zeros")]
        if self.variant == "sincos":
            ps = [p for p in ps if p[0] != "pos_field"]
        elif self.variant == "table":
            ps = [("pos_embed", [self.n, self.n, D], "w") if p[0] == "pos_field" else p for p in ps]
        elif self.variant == "nopos":
            ps = [p for p in ps if p[0] != "pos_mask_token" and not p[0].startswith("pos_head.")]
        return ps

    @property
    def position_masking(self):
        return self.variant != "nopos"

    def table_param(self):
        """The student's learnable position embedding passed to the @embed_* functions, if any."""
        return {"field": "pos_field", "table": "pos_embed", "nopos": "pos_field"}.get(self.variant)

    def table_type(self):
        side = self.n if self.variant in ("table", "sincos") else self.Fs
        return ty([side, side, self.D])


def decays(name, shape):
    """Section 6: weight decay for every `*.weight` of rank >= 2, nothing else."""
    return method.is_decayed(name, shape)


class Writer:
    def __init__(self):
        self.lines = []

    def __call__(self, line=""):
        self.lines.append(line)

    def text(self):
        return "\n".join(self.lines) + "\n"


def block_args(prefix, i):
    return ", ".join(f"@{prefix}blocks.{i}.{s}" for s, _, _ in BLOCK_PARAMS)


def emit_params(w, c):
    params = c.params()
    width = max(len(n) for n, _, _ in params) + len("teacher.") + 1
    inits = {"w": "trunc_normal(0.02)", "zeros": "zeros", "ones": "ones"}
    w("// Student parameters (method.md sections 6 and 7).")
    for name, shape, init in params:
        w(f"param @{name:<{width}}: {ty(shape)} = {inits[init]}")
    w()
    w("// The teacher: the same network with its own parameters, starting as a copy of the student.")
    for name, shape, _ in params:
        w(f"param @{'teacher.' + name:<{width}}: {ty(shape)} = copy(@{name})")
    w()
    w("// AdamW moments, the step count and the centres of the teacher outputs.")
    for name, shape, _ in params:
        w(f"param @{'opt.m.' + name:<{width}}: {ty(shape)} = zeros")
    for name, shape, _ in params:
        w(f"param @{'opt.v.' + name:<{width}}: {ty(shape)} = zeros")
    w(f"param @{'opt.step':<{width}}: i64[] = zeros")
    w(f"param @{'center_cls':<{width}}: f32[{c.K}] = zeros")
    w(f"param @{'center_patch':<{width}}: f32[{c.K}] = zeros")
    w()


def emit_block(w, c):
    D, M = c.D, c.M
    w("// One pre-norm encoder block (section 3); the weights are arguments so that every block of")
    w("// the student and the teacher is this one function.")
    args = [("z", "f32[N, T, %d]" % D)]
    for s, sh, _ in BLOCK_PARAMS:
        args.append((s.replace(".", "_"), ty(c.shape(sh))))
    w("func @block(" + ", ".join(f"%{a}: {t}" for a, t in args) + f") -> f32[N, T, {D}] {{")
    h, dh = c.heads, c.dh
    w(f"  %h = layer_norm %z, %norm1_weight, %norm1_bias {{eps = 1e-6}}")
    w(f"  %qkv = linear %h, %attn_qkv_weight, %attn_qkv_bias")
    w(f"  %qkv5 = reshape %qkv {{shape = [N, T, 3, {h}, {dh}]}}           // rows q | k | v, head-major")
    w(f"  %heads = transpose %qkv5 {{perm = [2, 0, 3, 1, 4]}}           // [3, N, heads, T, dh]")
    for k, (nm, lo) in enumerate([("q", 0), ("k", 1), ("v", 2)]):
        w(f"  %{nm}1 = slice %heads {{axis = 0, start = {lo}, end = {lo + 1}}}")
        w(f"  %{nm} = reshape %{nm}1 {{shape = [N, {h}, T, {dh}]}}")
    w(f"  %scores = matmul %q, %k {{transpose_b}}                     // [N, heads, T, T]")
    w(f"  %scaled = mul %scores, {repr(1.0 / math.sqrt(dh))}                  // 1 / sqrt(dh)")
    w(f"  %attn = softmax %scaled {{axis = -1}}                       // over keys")
    w(f"  %o = matmul %attn, %v")
    w(f"  %ot = transpose %o {{perm = [0, 2, 1, 3]}}")
    w(f"  %oc = reshape %ot {{shape = [N, T, {D}]}}")
    w(f"  %a = linear %oc, %attn_proj_weight, %attn_proj_bias")
    w(f"  %z1 = add %z, %a")
    w(f"  %h2 = layer_norm %z1, %norm2_weight, %norm2_bias {{eps = 1e-6}}")
    w(f"  %f1 = linear %h2, %mlp_fc1_weight, %mlp_fc1_bias")
    w(f"  %g = gelu %f1                                             // erf form")
    w(f"  %f2 = linear %g, %mlp_fc2_weight, %mlp_fc2_bias")
    w(f"  %z2 = add %z1, %f2")
    w(f"  return %z2")
    w("}")
    w()


def emit_pos_source(w, c):
    """The operands (table, boxes, flips) of the crop_sample(_add) that gives each patch its
    position embedding. The method samples its field at the view's box and flip; the
    ablation's tables are sampled on the whole image's box without flip, which resizes them
    bilinearly (align_corners = false) to the view's grid and ignores the crop."""
    if c.variant in ("field", "nopos"):
        return "%field", "%boxes", "%flips"
    w(f"  %whole = constant {{value = [0, 0, {c.S}, {c.S}]}} : f32[4]")
    w(f"  %whole_boxes = broadcast %whole {{shape = [N, 4], dims = [1]}}")
    w(f"  %no_flip = constant {{value = 0}} : u8[]")
    w(f"  %no_flips = broadcast %no_flip {{shape = [N], dims = []}}")
    if c.variant == "sincos":
        w(f"  %field = call @pos_sincos()")
    return "%field", "%whole_boxes", "%no_flips"


def sincos_table(c):
    """MAE's 2-D sin-cos embedding on the n x n patch grid, [y, x, D]: the first D/2 channels
    encode x, the rest y, each as sin | cos of position * 10000^(-k / (D/4))."""
    quarter = c.D // 4
    assert 4 * quarter == c.D, "sin-cos needs D divisible by 4"
    omega = [1.0 / 10000 ** (k / quarter) for k in range(quarter)]
    values = []
    for y in range(c.n):
        for x in range(c.n):
            for pos in (x, y):
                values += [math.sin(pos * o) for o in omega] + [math.cos(pos * o) for o in omega]
    return values


def emit_sincos(w, c):
    w(f"// The fixed position embedding of the `sincos` variant: {VARIANTS['sincos']}.")
    w(f"func @pos_sincos() -> {c.table_type()} {{")
    text = ", ".join(f"{v:.8g}" for v in sincos_table(c))
    w(f"  %table = constant {{value = [{text}]}} : {c.table_type()}")
    w("  return %table")
    w("}")
    w()


def emit_embeddings(w, c):
    D, P, n, S = c.D, c.P, c.n, c.S
    table = f"%field: {c.table_type()}, " if c.table_param() else ""
    common = f"%w: f32[{D}, 3, {P}, {P}], %b: f32[{D}], {table}%cls: f32[{D}], %pos_cls: f32[{D}]"
    if c.variant == "sincos":
        emit_sincos(w, c)
    pm = c.position_masking
    w("// Section 2, student global views: patch embedding, then the field cropped with each view's")
    w("// box and flip and sampled at the patch centres, content and position masks applied, in one")
    w("// crop_sample_add; CLS token first.")
    if c.variant != "field":
        w(f"// Variant `{c.variant}`: {VARIANTS[c.variant]}.")
    position_args = f"%position_mask: u8[N, {n * n}], " if pm else ""
    token_args = f", %mask_token: f32[{D}]" + (f", %pos_mask_token: f32[{D}]" if pm else "")
    w(f"func @embed_masked(%views: f32[N, 3, {c.G}, {c.G}], %boxes: f32[N, 4], %flips: u8[N], "
      f"%content_mask: u8[N, {n * n}], {position_args}{common}{token_args}) -> f32[N, {n * n + 1}, {D}] {{")
    w(f"  %patches = patchify %views {{patch = {P}}}                   // (channel, py, px) order")
    w(f"  %w2 = reshape %w {{shape = [{D}, {3 * P * P}]}}")
    w(f"  %x = linear %patches, %w2, %b")
    field, boxes, flips = emit_pos_source(w, c)
    if not pm:
        w(f"  %no_position_mask = constant {{value = 0}} : u8[]")
        w(f"  %position_mask = broadcast %no_position_mask {{shape = [N, {n * n}], dims = []}}")
        w(f"  %zero = constant {{value = 0}} : f32[]")
        w(f"  %pos_mask_token = broadcast %zero {{shape = [{D}], dims = []}}")
    w(f"  %z = crop_sample_add %x, {field}, {boxes}, {flips}, %content_mask, %mask_token, "
      f"%position_mask, %pos_mask_token {{grid = {n}, source = {S}}}")
    w(f"  %c = add %cls, %pos_cls")
    w(f"  %c3 = broadcast %c {{shape = [N, 1, {D}], dims = [2]}}")
    w(f"  %tokens = concat %c3, %z {{axis = 1}}")
    w(f"  return %tokens")
    w("}")
    w()
    for kind, side, grid in (("global", c.G, n), ("local", c.L, c.nl)):
        r = grid * grid
        what = ("teacher global views: tokens, and the field samples themselves (the position "
                "target of L_pos)" if kind == "global" else "student local views")
        w(f"// Section 2 without masks, {what}.")
        results = f"(f32[N, {r + 1}, {D}], f32[N, {r}, {D}])" if kind == "global" else f"f32[N, {r + 1}, {D}]"
        w(f"func @embed_{kind}(%views: f32[N, 3, {side}, {side}], %boxes: f32[N, 4], %flips: u8[N], "
          f"{common}) -> {results} {{")
        w(f"  %patches = patchify %views {{patch = {P}}}")
        w(f"  %w2 = reshape %w {{shape = [{D}, {3 * P * P}]}}")
        w(f"  %x = linear %patches, %w2, %b")
        field, boxes, flips = emit_pos_source(w, c)
        w(f"  %pe = crop_sample {field}, {boxes}, {flips} {{grid = {grid}, source = {S}}}")
        w(f"  %z = add %x, %pe")
        w(f"  %c = add %cls, %pos_cls")
        w(f"  %c3 = broadcast %c {{shape = [N, 1, {D}], dims = [2]}}")
        w(f"  %tokens = concat %c3, %z {{axis = 1}}")
        w(f"  return %tokens, %pe" if kind == "global" else "  return %tokens")
        w("}")
        w()

def emit_heads(w, c):
    D = c.D
    w("// Head g (section 4), shared by CLS and patch tokens: MLP, l2-normalise, then the prototypes,")
    w("// whose rows are l2-normalised in the forward pass (no bias).")
    w(f"func @head(%x: f32[N, T, {D}], %w0: f32[{c.Hh}, {D}], %b0: f32[{c.Hh}], %w2: f32[{c.Hh}, {c.Hh}], "
      f"%b2: f32[{c.Hh}], %w4: f32[{c.Hb}, {c.Hh}], %b4: f32[{c.Hb}], %prototypes: f32[{c.K}, {c.Hb}]) "
      f"-> f32[N, T, {c.K}] {{")
    w("  %h0 = linear %x, %w0, %b0")
    w("  %a0 = gelu %h0")
    w("  %h2 = linear %a0, %w2, %b2")
    w("  %a2 = gelu %h2")
    w("  %h4 = linear %a2, %w4, %b4")
    w("  %e = l2_normalize %h4 {axis = -1, eps = 1e-12}")
    w("  %vn = l2_normalize %prototypes {axis = -1, eps = 1e-12}")
    w("  %logits = matmul %e, %vn {transpose_b}")
    w("  return %logits")
    w("}")
    w()
    if not c.position_masking:
        return
    w("// Position head q (section 4).")
    w(f"func @pos_head(%x: f32[N, T, {D}], %w1: f32[{D}, {D}], %b1: f32[{D}], %w2: f32[{D}, {D}], "
      f"%b2: f32[{D}]) -> f32[N, T, {D}] {{")
    w("  %h = linear %x, %w1, %b1")
    w("  %a = gelu %h")
    w("  %y = linear %a, %w2, %b2")
    w("  return %y")
    w("}")
    w()


def embed_args(c, prefix):
    table = [c.table_param()] if c.table_param() else []
    return ", ".join(f"@{prefix}{p}" for p in ["patch_embed.proj.weight", "patch_embed.proj.bias"] + table +
                     ["cls_token", "pos_cls"])


def emit_encoders(w, c):
    D, n, nl = c.D, c.n, c.nl
    tg, tl = n * n + 1, nl * nl + 1

    def blocks(prefix, tokens, results="%z0"):
        w(f"  {results} = {tokens}")
        for i in range(c.depth):
            w(f"  %z{i + 1} = call @block(%z{i}, {block_args(prefix, i)})")
        w(f"  %out = layer_norm %z{c.depth}, @{prefix}norm.weight, @{prefix}norm.bias {{eps = 1e-6}}")

    w("// The student encoder (section 3) on masked global views: final-LN tokens [CLS, patches].")
    pm = c.position_masking
    if not pm:
        w("// Variant `nopos`: %position_mask is not used (kept so that every variant has one signature).")
    w(f"func @student_global(%views: f32[N, 3, {c.G}, {c.G}], %boxes: f32[N, 4], %flips: u8[N], "
      f"%content_mask: u8[N, {n * n}], %position_mask: u8[N, {n * n}]) -> f32[N, {tg}, {D}] {{")
    blocks("", f"call @embed_masked(%views, %boxes, %flips, %content_mask, {'%position_mask, ' if pm else ''}"
               f"{embed_args(c, '')}, @mask_token{', @pos_mask_token' if pm else ''})")
    w("  return %out")
    w("}")
    w()
    w("// The student encoder on unmasked local views.")
    w(f"func @student_local(%views: f32[N, 3, {c.L}, {c.L}], %boxes: f32[N, 4], %flips: u8[N]) "
      f"-> f32[N, {tl}, {D}] {{")
    blocks("", f"call @embed_local(%views, %boxes, %flips, {embed_args(c, '')})")
    w("  return %out")
    w("}")
    w()
    w("// The teacher encoder on unmasked global views, and its field samples at the patch centres.")
    w(f"func @teacher_global(%views: f32[N, 3, {c.G}, {c.G}], %boxes: f32[N, 4], %flips: u8[N]) "
      f"-> (f32[N, {tg}, {D}], f32[N, {n * n}, {D}]) {{")
    blocks("teacher.", f"call @embed_global(%views, %boxes, %flips, {embed_args(c, 'teacher.')})", results="%z0, %pe")
    w("  return %out, %pe")
    w("}")
    w()
    assert c.G == c.S, "whole-image features need global views of the source's size"
    for prefix, name in (("", "features"), ("teacher.", "teacher_features")):
        who = "teacher" if prefix else "student"
        w(f"// The {who} encoder on whole images (box = the image, no flip, no masks): the features")
        w(f"// of the exported backbone (vfc export; timm's forward_features).")
        w(f"func @{name}(%images: f32[N, 3, {c.G}, {c.G}]) -> f32[N, {tg}, {D}] {{")
        w(f"  %box = constant {{value = [0, 0, {c.S}, {c.S}]}} : f32[4]")
        w(f"  %boxes = broadcast %box {{shape = [N, 4], dims = [1]}}")
        w(f"  %no_flip = constant {{value = 0}} : u8[]")
        w(f"  %flips = broadcast %no_flip {{shape = [N], dims = []}}")
        blocks(prefix, f"call @embed_global(%images, %boxes, %flips, {embed_args(c, prefix)})", results="%z0, %pe")
        w("  return %out")
        w("}")
        w()


def batch_types(c):
    n = c.n
    return [("global_views", f"f32[B, {c.Vg}, 3, {c.G}, {c.G}]"),
            ("local_views", f"f32[B, {c.Vl}, 3, {c.L}, {c.L}]"),
            ("boxes", f"f32[B, {c.V}, 4]"), ("flips", f"u8[B, {c.V}]"),
            ("content_masks", f"u8[B, {c.Vg}, {n}, {n}]"), ("position_masks", f"u8[B, {c.Vg}, {n}, {n}]")]


def split_globals(w, c):
    """Global views, boxes and flips as one batch of Vg*B views, image-major."""
    Ng = f"{c.Vg}*B"
    w(f"  %gv = reshape %global_views {{shape = [{Ng}, 3, {c.G}, {c.G}]}}")
    w(f"  %gb3 = slice %boxes {{axis = 1, start = 0, end = {c.Vg}}}")
    w(f"  %gb = reshape %gb3 {{shape = [{Ng}, 4]}}")
    w(f"  %gf2 = slice %flips {{axis = 1, start = 0, end = {c.Vg}}}")
    w(f"  %gf = reshape %gf2 {{shape = [{Ng}]}}")



def emit_loss(w, c, part=False):
    """@loss, or with `part` @loss_part: the share of a slice of the batch in the losses of the
    whole batch (data parallelism): sums over the slice divided by the whole batch's image
    count and position-mask count (arguments), so that the shares of the slices add up to
    the losses of the whole batch, and their gradients to its gradients."""
    D, K, n, Vg, Vl, V = c.D, c.K, c.n, c.Vg, c.Vl, c.V
    Ng, Nl, nn = f"{Vg}*B", f"{Vl}*B", n * n
    args = batch_types(c) + [("teacher_cls", f"f32[B, {Vg}, {K}]"), ("teacher_patch", f"f32[{Ng}, {nn}, {K}]"),
                             ("pos_target", f"f32[{Ng}, {nn}, {D}]")]
    if part:
        args += [("images", "f32[]"), ("position_count", "f32[]")]
        w("// The share of this slice of the batch in the three losses of section 5 over the whole batch")
        w("// (data parallelism): as @loss, but every mean is a sum over the slice divided by the whole")
        w("// batch's count, %images images or %position_count position-masked patches, so that the")
        w("// shares of the slices (and their gradients) add up to the losses of the whole batch.")
    else:
        w("// The student forward and the three losses of section 5. The teacher's sharpened, centred")
        w("// probabilities and its field samples come in as arguments, so this reads student params only.")
    name = "loss_part" if part else "loss"
    w(f"func @{name}(" + ", ".join(f"%{a}: {t}" for a, t in args) + ") -> (f32[], f32[], f32[], f32[]) {")
    w(f"  // Views of each kind as one batch, image-major (row b*{Vg} + v for global view v of image b).")
    split_globals(w, c)
    w(f"  %lv = reshape %local_views {{shape = [{Nl}, 3, {c.L}, {c.L}]}}")
    w(f"  %lb3 = slice %boxes {{axis = 1, start = {Vg}, end = {V}}}")
    w(f"  %lb = reshape %lb3 {{shape = [{Nl}, 4]}}")
    w(f"  %lf2 = slice %flips {{axis = 1, start = {Vg}, end = {V}}}")
    w(f"  %lf = reshape %lf2 {{shape = [{Nl}]}}")
    w(f"  %cm = reshape %content_masks {{shape = [{Ng}, {nn}]}}")
    w(f"  %pm = reshape %position_masks {{shape = [{Ng}, {nn}]}}")
    w(f"  %sg = call @student_global(%gv, %gb, %gf, %cm, %pm)")
    w(f"  %sl = call @student_local(%lv, %lb, %lf)")
    w()
    w(f"  // L_cls: every (teacher global view a, student view b != a) pair of an image.")
    w(f"  %gcls1 = slice %sg {{axis = 1, start = 0, end = 1}}")
    w(f"  %gcls = reshape %gcls1 {{shape = [B, {Vg}, {D}]}}")
    w(f"  %lcls1 = slice %sl {{axis = 1, start = 0, end = 1}}")
    w(f"  %lcls = reshape %lcls1 {{shape = [B, {Vl}, {D}]}}")
    w(f"  %cls = concat %gcls, %lcls {{axis = 1}}                    // [B, views, D], globals first")
    w(f"  %s_cls = call @head(%cls, {head_args('')})")
    w(f"  %s_cls_t = mul %s_cls, 10.0                               // 1 / ts")
    w(f"  %log_q = log_softmax %s_cls_t {{axis = -1}}")
    w(f"  %tq = matmul %teacher_cls, %log_q {{transpose_b}}           // [B, a, b]: sum_k p_a log q_b")
    pairs = [0.0 if a == b else 1.0 for a in range(Vg) for b in range(V)]
    w(f"  %pairs = constant {{value = [{', '.join('1' if p else '0' for p in pairs)}]}} : f32[{Vg}, {V}]")
    w(f"  %pairs3 = broadcast %pairs {{shape = [B, {Vg}, {V}], dims = [1, 2]}}")
    w(f"  %tq_kept = mul %tq, %pairs3")
    w(f"  %tq_image = reduce_sum %tq_kept {{axes = [1, 2]}}")
    if part:
        w(f"  %tq_sum = reduce_sum %tq_image {{axes = [0]}}")
        w(f"  %tq_mean = div %tq_sum, %images")
    else:
        w(f"  %tq_mean = reduce_mean %tq_image {{axes = [0]}}")
    w(f"  %loss_cls = mul %tq_mean, {repr(-1.0 / (Vg * V - Vg))}      // -1 / pairs per image")
    w()
    patch_losses.emit(w, c, part, dense=c.dense_patch_losses)
    w(f"  %loss_cm = add %loss_cls, %loss_mim")
    w(f"  %loss = add %loss_cm, %loss_pos")
    w(f"  return %loss, %loss_cls, %loss_mim, %loss_pos")
    w("}")
    w()


def emit_updates(w, c):
    ranks = sorted({len(s) for _, s, _ in c.params()})
    for r in ranks:
        t = "f32[" + ", ".join(f"X{i}" for i in range(r)) + "]"
        w(f"// Section 6.3-6.4 for one parameter of rank {r}: gradient times the clipping coefficient,")
        w(f"// AdamW (decoupled decay wd, bias corrections bc1 = 1 - b1^t, bc2 = 1 - b2^t), then the")
        w(f"// teacher's EMA towards the updated parameter.")
        w(f"func @update.r{r}(%p: {t}, %m: {t}, %v: {t}, %tp: {t}, %g: {t}, %coef: f32[], %lr: f32[], "
          f"%wd: f32[], %bc1: f32[], %bc2: f32[], %momentum: f32[]) -> ({t}, {t}, {t}, {t}) {{")
        for line in ["%gc = mul %g, %coef",
                     "%m1 = mul %m, 0.9", "%m2 = mul %gc, 0.1", "%m_new = add %m1, %m2",
                     "%v1 = mul %v, 0.999", "%gc2 = mul %gc, %gc", "%v2 = mul %gc2, 0.001", "%v_new = add %v1, %v2",
                     "%lr_wd = mul %lr, %wd", "%keep = sub 1.0, %lr_wd", "%decayed = mul %p, %keep",
                     "%m_hat = div %m_new, %bc1", "%v_hat = div %v_new, %bc2", "%root = sqrt %v_hat",
                     "%denom = add %root, 1e-8", "%dir = div %m_hat, %denom", "%step = mul %dir, %lr",
                     "%p_new = sub %decayed, %step",
                     "%tp_kept = mul %tp, %momentum", "%one_minus = sub 1.0, %momentum",
                     "%tp_moved = mul %p_new, %one_minus", "%tp_new = add %tp_kept, %tp_moved",
                     "return %p_new, %m_new, %v_new, %tp_new"]:
            w("  " + line)
        w("}")
        w()


def emit_results(w, results):
    for i, (t, note) in enumerate(results):
        sep = "," if i + 1 < len(results) else ""
        w(f"    {t}{sep}" + (f"  {note}" if note else ""))
    w(") {")


def state_results(c):
    """The new state, each result updating in place (aliases) the param it replaces."""
    results = []
    for prefix in ("", "teacher.", "opt.m.", "opt.v."):
        results += [(f"{ty(s)} aliases @{prefix}{p}", "") for p, s, _ in c.params()]
    return results + [("i64[] aliases @opt.step", ""), (f"f32[{c.K}] aliases @center_cls", ""),
                      (f"f32[{c.K}] aliases @center_patch", "")]


def state_returns(c):
    rets = []
    for prefix in ("", "teacher.", "opt.m.", "opt.v."):
        rets += [f"%new.{prefix}{p}" for p, _, _ in c.params()]
    return rets + ["%new.opt.step", "%new.center_cls", "%new.center_patch"]


def emit_teacher(w, c):
    """The teacher's targets (6.1); leaves %t_cls [B, Vg, K] and %t_patch [Vg*B, n^2, K] raw."""
    K, n, Vg = c.K, c.n, c.Vg
    Ng, nn = f"{Vg}*B", n * n
    w("  // Teacher (6.1): global views, no masks, no gradient; sharpened with centres from before the step.")
    split_globals(w, c)
    w(f"  %t_tokens, %t_field = call @teacher_global(%gv, %gb, %gf)")
    w(f"  %t_out = call @head(%t_tokens, {head_args('teacher.')})")
    w(f"  %t_cls1 = slice %t_out {{axis = 1, start = 0, end = 1}}")
    w(f"  %t_cls = reshape %t_cls1 {{shape = [B, {Vg}, {K}]}}")
    w(f"  %t_patch = slice %t_out {{axis = 1, start = 1, end = {nn + 1}}}")
    w(f"  %c_cls = broadcast @center_cls {{shape = [B, {Vg}, {K}], dims = [2]}}")
    w(f"  %t_cls_c = sub %t_cls, %c_cls")
    w(f"  %t_cls_s = mul %t_cls_c, 25.0                             // 1 / tt")
    w(f"  %teacher_cls = softmax %t_cls_s {{axis = -1}}")
    w(f"  %c_patch = broadcast @center_patch {{shape = [{Ng}, {nn}, {K}], dims = [2]}}")
    w(f"  %t_patch_c = sub %t_patch, %c_patch")
    w(f"  %t_patch_s = mul %t_patch_c, 25.0")
    w(f"  %teacher_patch = softmax %t_patch_s {{axis = -1}}")
    w("  // The targets are constants of the student's loss. Marked so, fusion cannot move the")
    w("  // teacher's softmax into the student's loss kernels, which would keep the raw teacher")
    w("  // logits alive through the student's forward and backward.")
    for v in ("teacher_cls", "teacher_patch", "t_field"):
        w(f"  %{v}_sg = stop_gradient %{v}")


def emit_value_and_grad(w, c, loss="loss", extra=""):
    params = c.params()
    w("  // Student losses and their gradients w.r.t. every student param (6.1, 6.2).")
    grads = ", ".join(f"%grad.{p}" for p, _, _ in params)
    wrt = ", ".join(f"@{p}" for p, _, _ in params)
    w(f"  %loss, %loss_cls, %loss_mim, %loss_pos, {grads} = value_and_grad @{loss}(%global_views, %local_views, "
      f"%boxes, %flips, %content_masks, %position_masks, %teacher_cls_sg, %teacher_patch_sg, %t_field_sg{extra}) "
      f"{{wrt = [{wrt}]}}")
    w()


def emit_clip_and_update(w, c):
    """Global norm, clipping, AdamW and the teacher EMA (6.2-6.4) from %grad.<param>."""
    params = c.params()
    w("  // Global gradient norm and the clipping coefficient min(1, 3 / (norm + 1e-6)) (6.2).")
    acc = None
    for i, (p, s, _) in enumerate(params):
        axes = ", ".join(str(a) for a in range(len(s)))
        w(f"  %sq.{p} = mul %grad.{p}, %grad.{p}")
        w(f"  %ss.{p} = reduce_sum %sq.{p} {{axes = [{axes}]}}")
        if acc is None:
            acc = f"%ss.{p}"
        else:
            w(f"  %acc.{i} = add {acc}, %ss.{p}")
            acc = f"%acc.{i}"
    w(f"  %grad_norm = sqrt {acc}")
    w(f"  %norm_eps = add %grad_norm, 1e-6")
    w(f"  %ratio = div 3.0, %norm_eps")
    w(f"  %coef = min %ratio, 1.0")
    w()
    w("  // AdamW bias corrections with t = step + 1 (6.3).")
    w("  %new.opt.step = add @opt.step, 1")
    w("  %t = convert %new.opt.step {dtype = f32}")
    w("  %b1t = pow 0.9, %t")
    w("  %bc1 = sub 1.0, %b1t")
    w("  %b2t = pow 0.999, %t")
    w("  %bc2 = sub 1.0, %b2t")
    w("  %no_decay = constant {value = 0} : f32[]")
    w()
    w("  // AdamW and the teacher EMA, parameter by parameter (6.3, 6.4); weight decay only for")
    w("  // weight matrices of rank >= 2.")
    for p, s, _ in params:
        wd = "%weight_decay" if decays(p, s) else "%no_decay"
        w(f"  %new.{p}, %new.opt.m.{p}, %new.opt.v.{p}, %new.teacher.{p} = call @update.r{len(s)}(@{p}, "
          f"@opt.m.{p}, @opt.v.{p}, @teacher.{p}, %grad.{p}, %coef, %lr, {wd}, %bc1, %bc2, %teacher_momentum)")
    w()


def emit_centres(w):
    w("  // New centres (6.5).")
    for which in ("cls", "patch"):
        w(f"  %c_{which}_kept = mul @center_{which}, 0.9")
        w(f"  %c_{which}_moved = mul %mean_{which}, 0.1")
        w(f"  %new.center_{which} = add %c_{which}_kept, %c_{which}_moved")


def emit_train_step(w, c):
    params = c.params()
    args = batch_types(c) + [("lr", "f32[]"), ("weight_decay", "f32[]"), ("teacher_momentum", "f32[]")]
    w("// One training step (section 6). Results, named by the values returned: the losses before the")
    w("// update, grad_norm (before clipping), the raw gradients grad.<param>, then the new state, each")
    w("// result updating in place (aliases) the param it replaces.")
    w("func @train_step(" + ", ".join(f"%{a}: {t}" for a, t in args) + ") -> (")
    results = [("f32[]", f"// {m}") for m in ("loss", "loss_cls", "loss_mim", "loss_pos", "grad_norm")]
    results += [(ty(s), f"// grad.{p}") for p, s, _ in params]
    emit_results(w, results + state_results(c))
    emit_teacher(w, c)
    w("  // Centres from the raw teacher outputs of this batch (6.5), taken here so that those")
    w("  // outputs die before the student's pass.")
    w("  %mean_cls = reduce_mean %t_cls {axes = [0, 1]}")
    w("  %mean_patch = reduce_mean %t_patch {axes = [0, 1]}")
    w()
    emit_value_and_grad(w, c)
    emit_clip_and_update(w, c)
    emit_centres(w)
    rets = ["%loss", "%loss_cls", "%loss_mim", "%loss_pos", "%grad_norm"] + [f"%grad.{p}" for p, _, _ in params]
    w("  return " + ",\n         ".join(rets + state_returns(c)))
    w("}")


def emit_grad_step(w, c):
    params = c.params()
    args = batch_types(c) + [("images", "f32[]"), ("position_count", "f32[]")]
    w("// The first half of @train_step on a slice of the batch (data parallelism, docs/distributed.md):")
    w("// this slice's shares of the losses of the whole batch and of their gradients (@loss_part),")
    w("// and the sums of its raw teacher outputs for the centres. Summed over the slices, the results")
    w("// are the losses, raw gradients and teacher-output sums of the whole batch; %images and")
    w("// %position_count are the whole batch's image and position-masked patch counts. Reads the")
    w("// state, writes nothing.")
    w("func @grad_step(" + ", ".join(f"%{a}: {t}" for a, t in args) + ") -> (")
    results = [("f32[]", f"// {m}") for m in ("loss", "loss_cls", "loss_mim", "loss_pos")]
    results += [(ty(s), f"// grad.{p}") for p, s, _ in params]
    results += [(f"f32[{c.K}]", "// teacher_cls_sum"), (f"f32[{c.K}]", "// teacher_patch_sum")]
    emit_results(w, results)
    emit_teacher(w, c)
    w("  %teacher_cls_sum = reduce_sum %t_cls {axes = [0, 1]}")
    w("  %teacher_patch_sum = reduce_sum %t_patch {axes = [0, 1]}")
    w()
    emit_value_and_grad(w, c, loss="loss_part", extra=", %images, %position_count")
    rets = ["%loss", "%loss_cls", "%loss_mim", "%loss_pos"] + [f"%grad.{p}" for p, _, _ in params]
    rets += ["%teacher_cls_sum", "%teacher_patch_sum"]
    w("  return " + ",\n         ".join(rets))
    w("}")
    w()


def emit_apply_step(w, c):
    params = c.params()
    nn = c.n * c.n
    args = [(f"grad.{p}", ty(s)) for p, s, _ in params]
    args += [("teacher_cls_sum", f"f32[{c.K}]"), ("teacher_patch_sum", f"f32[{c.K}]"), ("images", "f32[]"),
             ("lr", "f32[]"), ("weight_decay", "f32[]"), ("teacher_momentum", "f32[]")]
    w("// The second half of @train_step: from the raw gradients and teacher-output sums of the whole")
    w("// batch (the sums of @grad_step's results over the slices) and its image count, the gradient")
    w("// norm, clipping, AdamW, the teacher EMA and the centres (6.2-6.5), as @train_step computes them.")
    w("func @apply_step(" + ", ".join(f"%{a}: {t}" for a, t in args) + ") -> (")
    emit_results(w, [("f32[]", "// grad_norm")] + state_results(c))
    emit_clip_and_update(w, c)
    w(f"  %global_count = mul %images, {float(c.Vg)}")
    w(f"  %patch_count = mul %global_count, {float(nn)}")
    w("  %mean_cls = div %teacher_cls_sum, %global_count")
    w("  %mean_patch = div %teacher_patch_sum, %patch_count")
    emit_centres(w)
    w("  return " + ",\n         ".join(["%grad_norm"] + state_returns(c)))
    w("}")


def generate(name, variant="field", dense_patch_losses=False):
    c = Config(name, CONFIGS[name], variant, dense_patch_losses)
    w = Writer()
    w(f"// GENERATED by scripts/gen_ssl.py from method.md; do not edit (CI checks it is up to date).")
    w(f"// The self-supervised training step of the `{name}` config: crop-tied vector-field ViT with")
    w(f"// content and position masking, DINO + iBOT + position losses, AdamW, teacher EMA, centres.")
    if variant != "field":
        w(f"// Ablation variant `{variant}` (docs/experiments.md): {VARIANTS[variant]}; all else as above.")
    w(f"// S={c.S} P={c.P} D={c.D} depth={c.depth} heads={c.heads} M={c.M} G={c.G} L={c.L} Vg={c.Vg} "
      f"Vl={c.Vl} Hh={c.Hh} Hb={c.Hb} K={c.K} Fs={c.Fs}; B images per batch (symbolic).")
    w(f"module @ssl_{name}" + (f"_{variant}" if variant != "field" else ""))
    w()
    emit_params(w, c)
    emit_embeddings(w, c)
    emit_block(w, c)
    emit_encoders(w, c)
    emit_heads(w, c)
    emit_loss(w, c)
    emit_loss(w, c, part=True)
    emit_updates(w, c)
    emit_train_step(w, c)
    w()
    emit_grad_step(w, c)
    emit_apply_step(w, c)
    return w.text()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="exit 1 if a committed file is out of date")
    ap.add_argument("--dense-patch-losses", nargs=2, metavar=("CONFIG", "FILE"),
                    help="write CONFIG's module with g and q on every patch (the reference formulation "
                         "of scripts/ssl_patch_losses.py) to FILE, and nothing else")
    args = ap.parse_args()
    if args.dense_patch_losses:
        name, out = args.dense_patch_losses
        if name not in CONFIGS:
            ap.error(f"unknown config {name!r}; known: {', '.join(CONFIGS)}")
        with open(out + ".tmp", "w") as f:
            f.write(generate(name, dense_patch_losses=True))
        os.replace(out + ".tmp", out)
        return
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    stale = []
    jobs = [((name, "field"), rel) for name, rel in OUTPUTS.items()] + list(ABLATION_OUTPUTS.items())
    for (name, variant), rel in jobs:
        path = os.path.join(root, rel)
        text = generate(name, variant)
        old = open(path).read() if os.path.exists(path) else None
        if args.check:
            if old != text:
                stale.append(rel)
        elif old != text:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path + ".tmp", "w") as f:
                f.write(text)
            os.replace(path + ".tmp", path)
            print(f"wrote {rel}")
    if stale:
        print("out of date (run scripts/gen_ssl.py): " + ", ".join(stale), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
