#!/usr/bin/env python3
"""Checks that every function an LLVM IR file defines carries "target-cpu"=CPU and
"prefer-vector-width"=WIDTH (directly or through its attribute groups); prints
"functions: K, with target-cpu=CPU and prefer-vector-width=WIDTH: M" and one line per
function that lacks them.

usage: check_attributes.py FILE.ll CPU WIDTH"""
import re
import sys


def main(path, cpu, width):
    text = open(path, encoding="utf-8").read()
    groups = {m.group(1): m.group(2) for m in re.finditer(r"^attributes #(\d+) = \{(.*)\}$", text, re.M)}
    wanted = ['"target-cpu"="%s"' % cpu, '"prefer-vector-width"="%s"' % width]
    total = good = 0
    for m in re.finditer(r"^define [^@]*@([\w.$\"]+)\((.*)$", text, re.M):
        total += 1
        rest = m.group(2)
        attrs = " ".join(groups.get(g, "") for g in re.findall(r"#(\d+)", rest)) + " " + rest
        if all(w in attrs for w in wanted):
            good += 1
        else:
            print("missing attributes: @%s" % m.group(1))
    print("functions: %d, with target-cpu=%s and prefer-vector-width=%s: %d" % (total, cpu, width, good))
    return 0 if total and good == total else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
