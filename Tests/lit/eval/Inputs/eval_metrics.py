"""Lists, per step of a metrics.jsonl, the eval/ figures it holds (finite numbers), or '-'."""
import json
import math
import sys

for line in open(sys.argv[1]):
    r = json.loads(line)
    names = sorted(k for k, v in r.items() if k.startswith("eval/") and isinstance(v, (int, float)) and math.isfinite(v))
    print(f"step {r['step']}: {' '.join(names) or '-'}")
