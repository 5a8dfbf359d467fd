"""Writes a results.json of Benchmarks/experiments/run.py holding one evaluation made with
`--steps STEPS`, `--lr 0.003` and run.py's other defaults (batch 32, warm-up 30, momentum 0.9, validation
fraction 0.2): `old_results.py OUT STEPS`."""
import json
import sys

out, steps = sys.argv[1], int(sys.argv[2])
config = {"steps": steps, "batch": 32, "lr": 0.003, "warmup_steps": 30, "momentum": 0.9, "train_images": 2000,
          "eval_images": 1000, "val_fraction": 0.2, "probes": "all", "seeds": "0", "variants": "field"}
json.dump({"config": config, "evaluations": [{"variant": "field", "seed": 0, "step": 0, "seconds": 1.0,
                                              "metrics": {"knn.top1": 20.0}}]}, open(out, "w"))
