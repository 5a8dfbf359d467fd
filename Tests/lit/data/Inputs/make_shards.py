"""Packs the images of a `vfc data synth` folder into WebDataset-style tar shards with
Python's tarfile (an independent writer): KEY.png plus KEY.cls (the index of the image's
first object class), N per shard, as OUT/train-000.tar, train-001.tar, ..."""
import io
import json
import sys
import tarfile

src, out, per = sys.argv[1], sys.argv[2], int(sys.argv[3])
labels = json.load(open(f"{src}/labels.json"))["images"]
for s in range(0, len(labels), per):
    with tarfile.open(f"{out}/train-{s // per:03d}.tar", "w", format=tarfile.USTAR_FORMAT) as tar:
        for entry in labels[s:s + per]:
            key = entry["file"].split("/")[-1].split(".")[0]
            tar.add(f"{src}/{entry['file']}", arcname=f"{key}.png")
            cls = str(entry["objects"][0]["class_id"]).encode()
            info = tarfile.TarInfo(f"{key}.cls")
            info.size = len(cls)
            tar.addfile(info, io.BytesIO(cls))
