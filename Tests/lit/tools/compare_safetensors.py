#!/usr/bin/env python3
"""Compare tensors of two safetensors files (pure Python: struct + json, no NumPy).

For every key K of B that starts with --prefix-b (default "expected."), compares B[K]
(the reference) with A[K minus the prefix] (the actual result): shapes must be equal and
every element must satisfy |a - b| <= atol + rtol * |b| (NaN matches NaN only, an infinity
only the same infinity).  Dtypes may differ (values are compared as Python floats/ints).
Prints max abs and max rel error per tensor; exit 0 if all match, 1 on any mismatch,
missing key or when B holds no key with the prefix, 2 on usage / file format errors.
"""
import argparse
import json
import math
import struct
import sys

# safetensors dtype -> (struct code, size in bytes)
DTYPES = {
    "F64": ("d", 8), "F32": ("f", 4), "F16": ("e", 2),
    "I64": ("q", 8), "I32": ("i", 4), "I16": ("h", 2), "I8": ("b", 1),
    "U64": ("Q", 8), "U32": ("I", 4), "U16": ("H", 2), "U8": ("B", 1),
    "BOOL": ("?", 1), "BF16": (None, 2),
}


class FormatError(Exception):
    pass


def read_safetensors(path):
    """Returns {name: (dtype, shape, flat list of values)} (metadata dropped)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise FormatError("%s: too short for a safetensors file" % path)
    (hlen,) = struct.unpack_from("<Q", data, 0)
    if 8 + hlen > len(data):
        raise FormatError("%s: header length %d exceeds file size" % (path, hlen))
    try:
        header = json.loads(data[8:8 + hlen].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise FormatError("%s: bad header: %s" % (path, e))
    base = 8 + hlen
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = info["dtype"]
        shape = [int(s) for s in info["shape"]]
        begin, end = (int(x) for x in info["data_offsets"])
        if dtype not in DTYPES:
            raise FormatError("%s: tensor %s: unsupported dtype %s" % (path, name, dtype))
        code, size = DTYPES[dtype]
        count = 1
        for s in shape:
            count *= s
        if end - begin != count * size or base + end > len(data):
            raise FormatError("%s: tensor %s: data_offsets %s do not fit dtype %s shape %s"
                              % (path, name, [begin, end], dtype, shape))
        raw = data[base + begin:base + end]
        if code is None:  # BF16: the upper half of an F32
            vals = [struct.unpack("<f", b"\x00\x00" + raw[i:i + 2])[0]
                    for i in range(0, len(raw), 2)]
        else:
            vals = list(struct.unpack("<%d%s" % (count, code), raw))
        if dtype == "BOOL":
            vals = [int(v) for v in vals]
        out[name] = (dtype, shape, vals)
    return out


def compare(actual, expected, rtol, atol):
    """Returns (ok, max_abs, max_rel, first_bad_index)."""
    max_abs = 0.0
    max_rel = 0.0
    first_bad = None
    for i, (a, b) in enumerate(zip(actual, expected)):
        a = float(a)
        b = float(b)
        if math.isnan(a) or math.isnan(b):
            good = math.isnan(a) and math.isnan(b)
            if not good:
                max_abs = max_rel = math.inf
        elif math.isinf(a) or math.isinf(b):
            good = a == b
            if not good:
                max_abs = max_rel = math.inf
        else:
            d = abs(a - b)
            max_abs = max(max_abs, d)
            if d > 0:
                max_rel = max(max_rel, d / abs(b) if b != 0 else math.inf)
            good = d <= atol + rtol * abs(b)
        if not good and first_bad is None:
            first_bad = i
    return first_bad is None, max_abs, max_rel, first_bad


def unravel(index, shape):
    idx = []
    for s in reversed(shape):
        idx.append(index % s if s else 0)
        index = index // s if s else 0
    return list(reversed(idx))


def main(argv=None):
    p = argparse.ArgumentParser(
        prog="compare_safetensors.py",
        description="Compare B's tensors named <prefix-b>K (reference) with A's tensors "
                    "named <prefix-a>K (actual).")
    p.add_argument("a", metavar="A", help="safetensors file with the actual results")
    p.add_argument("b", metavar="B", help="safetensors file with the reference tensors")
    p.add_argument("--prefix-b", default="expected.",
                   help="only keys of B with this prefix are compared; the rest of the key "
                        "names the tensor in A (default: %(default)s)")
    p.add_argument("--prefix-a", default="",
                   help="prefix added to the stripped name to find it in A (default: none)")
    p.add_argument("--rtol", type=float, default=1e-5, help="relative tolerance (default: %(default)g)")
    p.add_argument("--atol", type=float, default=1e-6, help="absolute tolerance (default: %(default)g)")
    p.add_argument("--quiet", action="store_true", help="print only mismatches and the summary")
    args = p.parse_args(argv)

    try:
        ta = read_safetensors(args.a)
        tb = read_safetensors(args.b)
    except (OSError, FormatError, KeyError, ValueError) as e:
        print("error: %s" % e, file=sys.stderr)
        return 2

    keys = sorted(k for k in tb if k.startswith(args.prefix_b))
    if not keys:
        print("FAIL: %s has no tensor whose name starts with %r" % (args.b, args.prefix_b))
        return 1
    bad = 0
    for kb in keys:
        ka = args.prefix_a + kb[len(args.prefix_b):]
        _, shape_b, vb = tb[kb]
        if ka not in ta:
            print("FAIL %s: missing in %s (have: %s)" % (ka, args.a, ", ".join(sorted(ta)) or "nothing"))
            bad += 1
            continue
        _, shape_a, va = ta[ka]
        if shape_a != shape_b:
            print("FAIL %s: shape %s != expected %s" % (ka, shape_a, shape_b))
            bad += 1
            continue
        ok, max_abs, max_rel, first = compare(va, vb, args.rtol, args.atol)
        line = "%s %s %s: max_abs=%.3e max_rel=%.3e" % ("ok  " if ok else "FAIL", ka, shape_a, max_abs, max_rel)
        if not ok:
            line += " first mismatch at %s: got %r expected %r" % (unravel(first, shape_a), va[first], vb[first])
            bad += 1
        if not ok or not args.quiet:
            print(line)
    print("%d of %d tensors match (rtol=%g, atol=%g)" % (len(keys) - bad, len(keys), args.rtol, args.atol))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
