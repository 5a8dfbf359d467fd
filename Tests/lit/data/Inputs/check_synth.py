#!/usr/bin/env python3
"""Checks a `vfc data synth` directory: labels.json lists N images whose files exist,
with 1-3 objects of known classes, boxes inside the image and centres inside their boxes.
Prints the class counts."""
import json
import os
import sys

d, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lab = json.load(open(os.path.join(d, "labels.json")))
assert lab["size"] == size and len(lab["images"]) == n, (lab["size"], len(lab["images"]))
assert len(lab["classes"]) >= 4
counts = {}
for e in lab["images"]:
    assert os.path.isfile(os.path.join(d, e["file"])), e["file"]
    assert 1 <= len(e["objects"]) <= 3
    for o in e["objects"]:
        assert lab["classes"][o["class_id"]] == o["class"]
        x0, y0, w, h = o["bbox"]
        assert x0 >= 0 and y0 >= 0 and w > 0 and h > 0 and x0 + w <= size and y0 + h <= size, o
        cx, cy = o["center"]
        assert x0 <= cx <= x0 + w and y0 <= cy <= y0 + h, o
        counts[o["class"]] = counts.get(o["class"], 0) + 1
print("ok synth:", len(lab["images"]), "images, classes", len(counts))
