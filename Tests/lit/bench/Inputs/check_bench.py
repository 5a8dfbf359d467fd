"""Checks of `vfc step --repeat/--profile` output (fields present and sane; no timing
thresholds).

    check_bench.py repeat STEP.json REPEAT.json N   # --repeat N JSON vs the plain step's
    check_bench.py profile TABLE.txt                 # shares of the --profile table
"""
import json
import re
import sys


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def repeat(plain_path, path, n):
    plain = json.load(open(plain_path))
    r = json.load(open(path))
    for k in ("loss", "loss_cls", "loss_mim", "loss_pos", "grad_norm"):
        if r.get(k) != plain[k]:
            fail(f"{k}: {r.get(k)} differs from the single step's {plain[k]}")
    for k in ("compile_s", "first_step_s", "step_times_s", "median_s", "min_s", "max_s", "peak_rss_bytes"):
        if k not in r:
            fail(f"missing {k}")
    ts = r["step_times_s"]
    if len(ts) != n or not all(t > 0 for t in ts):
        fail(f"step_times_s {ts}: expected {n} positive times")
    if not (r["min_s"] == min(ts) and r["max_s"] == max(ts) and r["min_s"] <= r["median_s"] <= r["max_s"]):
        fail("min/median/max do not match step_times_s")
    if not r["compile_s"] > 0:
        fail("compile_s not positive")
    if not 1 << 20 < r["peak_rss_bytes"] < 1 << 40:
        fail(f"peak_rss_bytes {r['peak_rss_bytes']}")
    print(f"repeat ok: {n} steps")


def profile(path):
    text = open(path).read()
    rows, groups, section = 0.0, 0.0, "rows"
    for line in text.splitlines():
        if line.startswith("groups:"):
            section = "groups"
            continue
        if line.startswith("other kernels by op:"):
            section = "ops"
            continue
        m = re.match(r"\s*([0-9.]+)%", line)
        if not m:
            continue
        if section == "rows":
            rows += float(m.group(1))
        elif section == "groups":
            groups += float(m.group(1))
    for name, total in (("rows", rows), ("groups", groups)):
        if abs(total - 100) > 0.5:
            fail(f"{name} shares sum to {total:.2f}%")
    print("profile shares ok")


if sys.argv[1] == "repeat":
    repeat(sys.argv[2], sys.argv[3], int(sys.argv[4]))
else:
    profile(sys.argv[2])
