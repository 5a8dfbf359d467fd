"""How far vfc's S x S source images are from PIL's (torchvision's Resize(S) + CenterCrop(S)
on Image.open(f).convert("RGB")), with and without DCT-domain scaling.

    PYTHONPATH=.venv-tv/lib .venv-torch/bin/python Benchmarks/data/sources_vs_pil.py \
        --vfc .build/release/vfc --size 64 data/photos/*.jpg data/photos/*.png

For every file it writes a one-line list file, asks `vfc data batch --with-sources` for the
source image (--dct-scaling off and on) and prints the largest and mean absolute
difference to PIL's, in 1/255 units."""
import argparse
import os
import subprocess
import sys
import tempfile
import types

import numpy as np
from PIL import Image

sys.modules["torchvision._meta_registrations"] = types.ModuleType("torchvision._meta_registrations")
from torchvision import transforms as T  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "fixtures", "ssl"))
import safetensors_io  # noqa: E402


def vfc_source(vfc, path, size, dct, tmp):
    listing = os.path.join(tmp, "one.txt")
    with open(listing, "w") as f:
        f.write(os.path.abspath(path) + "\n")
    out = os.path.join(tmp, "b.safetensors")
    cmd = [vfc, "data", "batch", "--data", listing, "--size", str(size), "--global", str(size), "--local", "8",
           "--patch", "8", "--batch", "1", "--with-sources", "-o", out] + (["--dct-scaling"] if dct else [])
    subprocess.run(cmd, check=True, capture_output=True)
    return safetensors_io.load(out)[0]["source_images"][0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vfc", default=".build/release/vfc")
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    pil = T.Compose([T.Resize(a.size), T.CenterCrop(a.size)])
    worst = {False: 0.0, True: 0.0}
    with tempfile.TemporaryDirectory() as tmp:
        for path in a.files:
            try:
                with Image.open(path) as im:
                    ref = np.asarray(pil(im.convert("RGB")), dtype=np.float64)
                    size = im.size
            except Exception as e:  # the deliberately truncated sample
                print(f"{os.path.basename(path)}: PIL cannot read it ({type(e).__name__})")
                continue
            cells = []
            for dct in (False, True):
                got = vfc_source(a.vfc, path, a.size, dct, tmp) * 255
                d = np.abs(got - ref)
                worst[dct] = max(worst[dct], d.max())
                cells.append(f"{'dct' if dct else 'full'} max {d.max():5.2f} mean {d.mean():5.3f}")
            print(f"{os.path.basename(path):24s} {size[0]:5d}x{size[1]:<5d} " + "  ".join(cells))
    print(f"largest difference over all files: full decode {worst[False]:.2f}/255, DCT-scaled {worst[True]:.2f}/255")


if __name__ == "__main__":
    main()
