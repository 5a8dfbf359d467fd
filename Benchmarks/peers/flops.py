"""The matrix products of one training step of method.md, counted analytically.

gemms(cfg, B) lists (m, n, k, transA, transB, count) for every product of the step (the
shapes the GEMM floor is timed at); step_flops = sum of 2 m n k count. The rule
(Benchmarks/README.md): every linear and attention product of the forward pass is 2mnk;
where gradients flow (the student) each also has its two backward products (x3 in all),
except the patch embedding, whose input (pixels) needs no gradient (x2: forward and
weight gradient); the teacher forward counts once. Elementwise work is not counted.

The step of vfc's modules (`gathered`, the default) runs the student's heads only on the
patch rows the losses read: g on the CLS tokens and on the content-bound rows
(common.mask_bounds: (B Vg / 2) floor(n^2 / 2)), q on the B Vg round(n^2 / 4)
position-masked rows. gathered=False counts iBOT's form, the heads on every patch token.
"""
from common import mask_bounds



def _linear(out, rows, din, dout, count=1, grad=True, input_grad=True):
    out.append((rows, dout, din, 0, 1, count))          # y = x W^T
    if grad:
        out.append((dout, din, rows, 1, 0, count))      # dW = dy^T x
        if input_grad:
            out.append((rows, din, dout, 0, 0, count))  # dx = dy W


def _attention(out, N, T, D, heads, grad):
    dh = D // heads
    c = N * heads
    out.append((T, T, dh, 0, 1, c))       # S = q k^T
    out.append((T, dh, T, 0, 0, c))       # O = A v
    if grad:
        out.append((T, T, dh, 0, 1, c))   # dA = dO v^T
        out.append((T, dh, T, 1, 0, c))   # dv = A^T dO
        out.append((T, dh, T, 0, 0, c))   # dq = dS k
        out.append((T, dh, T, 1, 0, c))   # dk = dS^T q


def _encoder(out, cfg, N, side, grad):
    n = side // cfg.P
    T = 1 + n * n
    _linear(out, N * n * n, 3 * cfg.P * cfg.P, cfg.D, grad=grad, input_grad=False)
    rows = N * T
    for _ in range(cfg.depth):
        _linear(out, rows, cfg.D, 3 * cfg.D, grad=grad)
        _attention(out, N, T, cfg.D, cfg.heads, grad)
        _linear(out, rows, cfg.D, cfg.D, grad=grad)
        _linear(out, rows, cfg.D, cfg.M, grad=grad)
        _linear(out, rows, cfg.M, cfg.D, grad=grad)


def _head_g(out, cfg, rows, grad):
    _linear(out, rows, cfg.D, cfg.Hh, grad=grad)
    _linear(out, rows, cfg.Hh, cfg.Hh, grad=grad)
    _linear(out, rows, cfg.Hh, cfg.Hb, grad=grad)
    _linear(out, rows, cfg.Hb, cfg.K, grad=grad)


def gemms(cfg, B, gathered=True):
    out = []
    Ng, Nl, n = B * cfg.Vg, B * cfg.Vl, cfg.G // cfg.P
    Tg = 1 + n * n
    # teacher: global views, forward only
    _encoder(out, cfg, Ng, cfg.G, grad=False)
    _head_g(out, cfg, Ng * Tg, grad=False)
    # student: masked global views (g on the CLS tokens and the content-masked rows, q on
    # the position-masked rows; or both on every patch token), local views (g on the CLS token)
    _encoder(out, cfg, Ng, cfg.G, grad=True)
    content, position = mask_bounds(cfg, B) if gathered else (Ng * n * n, Ng * n * n)
    _head_g(out, cfg, Ng + content, grad=True)
    _linear(out, position, cfg.D, cfg.D, grad=True)
    _linear(out, position, cfg.D, cfg.D, grad=True)
    _encoder(out, cfg, Nl, cfg.L, grad=True)
    _head_g(out, cfg, Nl, grad=True)
    return out


def step_flops(cfg, B, gathered=True):
    return sum(2 * m * n * k * c for m, n, k, _, _, c in gemms(cfg, B, gathered))


if __name__ == "__main__":
    import sys

    import common
    for name in sys.argv[1:] or ["micro", "tiny"]:
        cfg = common.configs.get(name)
        print(name, cfg.B, f"{step_flops(cfg, cfg.B) / 1e9:.3f} GFLOP (heads on the masked rows; "
              f"{step_flops(cfg, cfg.B, gathered=False) / 1e9:.3f} on every patch)")
