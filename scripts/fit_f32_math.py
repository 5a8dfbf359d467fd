#!/usr/bin/env python3
"""Fits the polynomials of Sources/VFCCodegen/Ops/Emitter+MathF32.swift and prints their f32
coefficients (lowest degree first).

Each is a weighted minimax fit (Lawson's iteratively reweighted least squares on
Chebyshev nodes, targets from mpmath at 30 digits); the coefficients are then rounded to
f32 one at a time, lowest first, refitting the remaining ones after each rounding, so
the printed set is the best found with f32 coefficients. Needs numpy and mpmath (both in
the .venv-torch environment: .venv-torch/bin/python scripts/fit_f32_math.py).
"""
import mpmath as mp
import numpy as np

mp.mp.dps = 30
F = np.float32


def nodes(a, b, n):
    k = np.arange(n)
    return (a + b) / 2 + (b - a) / 2 * np.cos(np.pi * (k + 0.5) / n)


def lawson(f, deg, var, weight, fixed, iters=40):
    V = np.vstack([var**i for i in range(deg + 1)]).T
    nf = len(fixed)
    rhs = f - (V[:, :nf] @ np.array(fixed, dtype=np.float64) if nf else 0)
    W, w = V[:, nf:], np.ones_like(var)
    for _ in range(iters):
        sw = weight * np.sqrt(w)
        c, *_ = np.linalg.lstsq(W * sw[:, None], rhs * sw, rcond=None)
        e = np.abs((W @ c - rhs) * weight)
        w = w * e
        w /= w.sum()
    return list(fixed) + list(c), e.max()


def fit_f32(name, f, deg, var, weight):
    fixed = []
    for i in range(deg + 1):
        c, _ = lawson(f, deg, var, weight, fixed)
        fixed.append(F(c[i]))
    c, err = lawson(f, deg, var, weight, fixed)
    print(f"{name}: max weighted error {err:.2e}")
    print("    [" + ", ".join(repr(float(F(v))) for v in c) + "]")


# exp(r) = 1 + r + r^2 P(r), |r| <= ln2/2, relative error.
r = nodes(-0.3466, 0.3466, 1500)
fit_f32("exp P(r)", np.array([float((mp.exp(mp.mpf(x)) - 1 - x) / x**2) for x in r]), 4, r, r**2 / np.exp(r))

# erf(x) = x + x Q(x^2), |x| <= 1, relative error of erf(x)/x.
z = nodes(0, 1, 1500)
q = np.array([float(mp.erf(mp.sqrt(v)) / mp.sqrt(v) - 1) for v in z])
fit_f32("erf Q(x^2)", q, 6, z, 1 / (q + 1))

# log(erfc(t) exp(t^2) (t + 2)) = Q(Y), Y = (t - 2) / (t + 2), 0.5 <= t <= 11, absolute error.
t = nodes(0.5, 11, 3000)
g = np.array([float(mp.log(mp.erfc(mp.mpf(v)) * mp.exp(mp.mpf(v) ** 2) * (v + 2))) for v in t])
fit_f32("erfc Q(Y)", g, 9, (t - 2) / (t + 2), np.ones_like(t))

# tanh(x) = x + x^3 P(x^2), |x| <= 0.625, relative error of tanh(x)/x.
z = nodes(0, 0.625**2, 1500)
p = np.array([float((mp.tanh(mp.sqrt(v)) / mp.sqrt(v) - 1) / v) for v in z])
fit_f32("tanh P(x^2)", p, 4, z, z / (1 + z * p))
