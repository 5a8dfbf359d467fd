"""Compares two vfc eval JSON reports, leaving out the timings."""
import json
import sys

a, b = (json.load(open(p)) for p in sys.argv[1:3])
for r in (a, b):
    r.pop("compile_seconds", None)
    r.pop("feature_seconds", None)
    r.pop("feature_cpu_seconds", None)
if a != b:
    print("reports differ:\n", json.dumps(a, sort_keys=True), "\n", json.dumps(b, sort_keys=True))
    sys.exit(1)
print("same figures")
