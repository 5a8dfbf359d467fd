#!/usr/bin/env python3
"""Controlled boxes, flips and masks for the crop-sample gradient checks (method.md section 2).

    python3 crop_inputs.py small|micro OUT.safetensors

Random boxes would mostly be degenerate (normal draws: negative widths, every sample point
clamped), so the checks get boxes that cover each case of the bilinear sampling:
  small (source 16, grid 4, N = 4; for the vision_crop_* tests):
    (6, 5, 10, 11)      flipped, touches the right and bottom borders (x0 + w = y0 + h = 16)
    (2.5, 1.25, 5, 7.5) non-integer, unflipped, interior
    (0, 13, 2, 3)       tiny (w, h < grid), flipped, bottom-left: fx clamps to 0, fy to Fs-1
    (0, 0, 16, 16)      the whole image
  micro (source 64, grid 8, N = 2; for IR/patch_embed.ir with --bind N=2):
    (20, 10, 44, 54)    flipped, touches the right and bottom borders
    (63, 0, 1, 1.5)     tiny, top-right corner: samples clamp at both x = Fs-1 (x1 == x0) and y = 0
Masks mix masked and unmasked positions (content and position masks independent; one view
without any content mask). Written by hand (struct + json), no dependencies.
"""
import json
import struct
import sys


def write_safetensors(path, tensors):
    """tensors: name -> (dtype, shape, flat list). Header keys sorted, padded to 8 bytes."""
    fmt = {"F32": "f", "U8": "B"}
    size = {"F32": 4, "U8": 1}
    order = sorted(tensors, key=lambda k: (-size[tensors[k][0]], k))
    header, blobs, offset = {}, [], 0
    for name in order:
        dtype, shape, values = tensors[name]
        raw = struct.pack("<%d%s" % (len(values), fmt[dtype]), *values)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    h += b" " * ((-len(h)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def mask(n, t, every, phase):
    """[n, t] u8: position k of view v is masked when (k + phase * v) % every == 0."""
    return [1 if (k + phase * v) % every == 0 else 0 for v in range(n) for k in range(t)]


def main():
    preset, out = sys.argv[1], sys.argv[2]
    if preset == "small":
        boxes = [(6, 5, 10, 11), (2.5, 1.25, 5, 7.5), (0, 13, 2, 3), (0, 0, 16, 16)]
        flips = [1, 0, 1, 0]
        t = 16
        mc = mask(4, t, 3, 1)
        mc[t:2 * t] = [0] * t  # view 1: no content-masked patch
        mp = mask(4, t, 4, 1)
        names = ("mc", "mp")
    elif preset == "micro":
        boxes = [(20, 10, 44, 54), (63, 0, 1, 1.5)]
        flips = [1, 0]
        t = 64
        mc = mask(2, t, 3, 1)
        mp = mask(2, t, 4, 3)
        names = ("content_mask", "position_mask")
    else:
        sys.exit("unknown preset %r (small, micro)" % preset)
    n = len(boxes)
    write_safetensors(out, {
        "boxes": ("F32", [n, 4], [float(c) for b in boxes for c in b]),
        "flips": ("U8", [n], flips),
        names[0]: ("U8", [n, t], mc),
        names[1]: ("U8", [n, t], mp),
    })


if __name__ == "__main__":
    main()
