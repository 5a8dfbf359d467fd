"""Max ulp error of a vfc binary's f32 exp/erf/gelu/tanh (JIT) against libm's double
functions on 2e6-point grids, through `vfc run` (so any build can be compared).

Usage: .venv-torch/bin/python scripts/f32_math_ulps.py .build/release/vfc WORKDIR
An ulp is that of the reference rounded to f32 (at least the smallest subnormal); the
"normal results" line leaves out references below the smallest normal f32.
"""
import json, math, struct, subprocess, sys, numpy as np
vfc = sys.argv[1]; work = sys.argv[2]
def write_st(path, tensors):
    header, off, blobs = {}, 0, []
    for k, a in tensors.items():
        b = a.astype('<f4').tobytes(); header[k] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        off += len(b); blobs.append(b)
    h = json.dumps(header).encode(); h += b' ' * ((8 - len(h) % 8) % 8)
    open(path, 'wb').write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
def read_st(path):
    d = open(path, 'rb').read(); n = struct.unpack('<Q', d[:8])[0]; h = json.loads(d[8:8 + n]); out = {}
    for k, v in h.items():
        if k == '__metadata__': continue
        s, e = v['data_offsets']; out[k] = np.frombuffer(d[8 + n + s:8 + n + e], dtype='<f4').reshape(v['shape'])
    return out
def ulps(got, want):
    w32 = np.abs(want).astype(np.float32)
    sp = np.maximum(np.spacing(w32).astype(np.float64), 2.0**-149)
    return np.abs(got.astype(np.float64) - want) / sp
cases = {
  'exp': (np.linspace(-104, 89, 2_000_001), lambda x: math.exp(x) if x < 709 else math.inf),
  'erf': (np.linspace(-7, 7, 2_000_001), math.erf),
  'gelu': (np.linspace(-15, 12, 2_000_001), lambda x: x * 0.5 * math.erfc(-x / math.sqrt(2))),
  'tanh': (np.linspace(-12, 12, 2_000_001), math.tanh),
}
for op, (grid, ref) in cases.items():
    x = grid.astype(np.float32)
    ir = f"func @f(%x: f32[{x.size}]) {{\n  %y = {op} %x\n  return %y\n}}\n"
    open(f'{work}/{op}.ir', 'w').write(ir); write_st(f'{work}/{op}.in.st', {'x': x})
    subprocess.run([vfc, 'run', f'{work}/{op}.ir', '--func', 'f', '--inputs', f'{work}/{op}.in.st', '--output', f'{work}/{op}.out.st'], check=True, stdout=subprocess.DEVNULL)
    got = read_st(f'{work}/{op}.out.st')['result0']
    want = np.array([ref(float(v)) for v in x])
    fin = np.abs(want) <= 3.4028234663852886e38
    over = ~fin
    u = ulps(got[fin], want[fin]); i = np.argmax(u)
    nm = np.abs(want[fin]) >= 1.1754943508222875e-38
    un = ulps(got[fin][nm], want[fin][nm])
    print(f'{op}: normal results max {un.max():.3f} ulp at x={x[fin][nm][np.argmax(un)]!r}')
    rel = np.where(np.abs(want[fin]) > 1e-37, np.abs(got[fin] - want[fin]) / np.maximum(np.abs(want[fin]), 1e-300), 0)
    j = np.argmax(rel)
    print(f'{op}: max {u[i]:.3f} ulp at x={x[fin][i]!r} ({np.mean(u > 1):.2e} of points above 1 ulp); max rel {rel[j]:.3e} at x={x[fin][j]!r}; overflow points not inf: {int(np.sum(~np.isinf(got[over])))}')
