"""The baseline of `vfc data bench`: a torchvision + PIL DataLoader with the same work per
image as vfc's pipeline (method.md section 1 / DINO's DataAugmentationDINO), on the same
files, with the same number of worker processes.

Per image: PIL open + convert("RGB") (torchvision's ImageFolder loader), Resize(S) +
CenterCrop(S), then for each of Vg global and Vl local views RandomResizedCrop (scale
(0.25, 1) / (0.05, 0.25), bilinear), RandomHorizontalFlip, ColorJitter(0.4, 0.4, 0.2, 0.1)
with p = 0.8, RandomGrayscale(0.2), GaussianBlur (p 1.0 / 0.1 / 0.5, sigma 0.1..2),
Solarize (p 0.2, second global view), ToTensor, Normalize; default collation. (vfc also
draws the masks; they are a small share of its time.)

Usage (torchvision from PyPI next to the CPU torch of .venv-torch; its compiled ops do not
match that torch build and are not needed for PIL transforms, so their meta registrations
are stubbed out):
    PYTHONPATH=.venv-tv/lib .venv-torch/bin/python Benchmarks/data/torchvision_loader.py \
        --data data/photos --batch 64 --workers 1 --batches 10
"""
import argparse
import os
import sys
import time
import types

sys.modules["torchvision._meta_registrations"] = types.ModuleType("torchvision._meta_registrations")
import torch  # noqa: E402
from PIL import Image  # noqa: E402
from torchvision import transforms as T  # noqa: E402

EXTS = (".jpg", ".jpeg", ".png")


class Folder(torch.utils.data.Dataset):
    def __init__(self, root, size, gsize, lsize, vg, vl):
        self.paths = sorted(os.path.join(d, f) for d, _, fs in os.walk(root, followlinks=True)
                            for f in fs if f.lower().endswith(EXTS))
        self.good = []
        for p in self.paths:  # torchvision would crash on the deliberately truncated file
            try:
                with Image.open(p) as im:
                    im.convert("RGB")
                self.good.append(p)
            except Exception:
                pass
        self.source = T.Compose([T.Resize(size), T.CenterCrop(size)])
        norm = T.Compose([T.ToTensor(), T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])
        jitter = T.Compose([T.RandomHorizontalFlip(),
                            T.RandomApply([T.ColorJitter(0.4, 0.4, 0.2, 0.1)], p=0.8),
                            T.RandomGrayscale(0.2)])

        def blur(p):
            return T.RandomApply([T.GaussianBlur(9, sigma=(0.1, 2.0))], p=p)

        self.globals = [T.Compose([T.RandomResizedCrop(gsize, scale=(0.25, 1.0)), jitter, blur(1.0), norm]),
                        T.Compose([T.RandomResizedCrop(gsize, scale=(0.25, 1.0)), jitter, blur(0.1),
                                   T.RandomSolarize(128, p=0.2), norm])]
        self.local = T.Compose([T.RandomResizedCrop(lsize, scale=(0.05, 0.25)), jitter, blur(0.5), norm])
        self.vg, self.vl = vg, vl

    def __len__(self):
        return 10 ** 9  # an endless stream, as a training run sees it

    def __getitem__(self, i):
        with Image.open(self.good[i % len(self.good)]) as im:
            src = self.source(im.convert("RGB"))
        g = torch.stack([self.globals[min(v, 1)](src) for v in range(self.vg)])
        loc = torch.stack([self.local(src) for _ in range(self.vl)]) if self.vl else torch.empty(0)
        return g, loc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--batches", type=int, default=10)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--global-size", type=int, default=64)
    ap.add_argument("--local-size", type=int, default=32)
    ap.add_argument("--global-views", type=int, default=2)
    ap.add_argument("--local-views", type=int, default=4)
    a = ap.parse_args()
    torch.set_num_threads(1)
    ds = Folder(a.data, a.size, a.global_size, a.local_size, a.global_views, a.local_views)
    loader = torch.utils.data.DataLoader(ds, batch_size=a.batch, num_workers=a.workers, shuffle=False,
                                         prefetch_factor=2 if a.workers else None)
    it = iter(loader)
    next(it)  # warm-up, as vfc data bench
    start = time.perf_counter()
    for _ in range(a.batches):
        next(it)
    seconds = time.perf_counter() - start
    rate = a.batches * a.batch / seconds
    cores = max(1, a.workers)
    print(f"{len(ds.good)} images, {a.batches} batches of {a.batch} in {seconds:.3f} s: {rate:.1f} images/s, "
          f"{rate / cores:.1f} images/s per core ({a.workers} worker process(es))")


if __name__ == "__main__":
    main()
