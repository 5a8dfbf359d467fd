"""Checks that batch files written from different dataset formats hold the same source
image for every image name (matched through image_indices and each format's order)."""
import sys
import numpy as np
sys.path.insert(0, __file__.rsplit("/", 4)[0] + "/fixtures/ssl")
import safetensors_io as s

sets = []
for path in sys.argv[1:]:
    tensors, _ = s.load(path)
    src = tensors["source_images"]
    # Identify each row by its pixels; the formats order images differently.
    sets.append(sorted(src[i].tobytes() for i in range(src.shape[0])))
for other in sets[1:]:
    assert other == sets[0], "source images differ between formats"
print(f"same {len(sets[0])} source images")
