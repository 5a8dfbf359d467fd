#!/usr/bin/env python3
"""Test helper: the first global view of each image of a batch as `images` [B, 3, G, G]."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "fixtures", "ssl"))
from safetensors_io import load_tensors, save  # noqa: E402

batch = load_tensors(sys.argv[1])
save(sys.argv[2], {"images": np.ascontiguousarray(batch["global_views"][:, 0], dtype=np.float32)})
