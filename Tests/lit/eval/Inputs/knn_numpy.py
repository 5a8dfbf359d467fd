"""Recomputes vfc eval's kNN probe in NumPy from --features-out and compares it with the
report: DINO's protocol (L2-normalised features, cosine similarity, the k most similar
training rows vote exp(sim / T)). Prints 'knn agrees: X%' or exits 1."""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "fixtures", "ssl"))
from safetensors_io import load  # noqa: E402

f, _ = load(sys.argv[1])
report = json.load(open(sys.argv[2]))
k, t = report["knn"]["k"], report["knn"]["temperature"]
xtr = f["train_cls"].astype(np.float64)
xva = f["val_cls"].astype(np.float64)
xtr /= np.linalg.norm(xtr, axis=1, keepdims=True)
xva /= np.linalg.norm(xva, axis=1, keepdims=True)
sims = xva @ xtr.T
classes = len(report["classes"])
right = 0
for i in range(len(xva)):
    top = np.argsort(-sims[i], kind="stable")[:k]
    votes = np.zeros(classes)
    for j in top:
        votes[f["train_labels"][j]] += np.exp(sims[i, j] / t)
    right += votes.argmax() == f["val_labels"][i]
ours = 100 * right / len(xva)
if abs(ours - report["knn"]["top1"]) > 1e-9:
    print(f"knn differs: numpy {ours}%, vfc {report['knn']['top1']}%")
    sys.exit(1)
print(f"knn agrees: {ours:.2f}%")
