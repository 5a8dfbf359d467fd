#!/usr/bin/env python3
"""Mutation robustness check: every .ir file under ROOT, mutated many ways, must make
`vfc check` and `vfc opt` end with exit 0 (the mutant is still valid) or exit 1 with a
located `FILE:LINE:COL: error:` message; never a signal, another exit code, or more than
10 s. With --run, mutants that check are also run on random inputs (run-time errors
without a location start with `vfc: error:`). Mutations: truncation at random points, deleted lines, swapped tokens, numbers
replaced by huge, negative or zero values, and random bytes.

Prints one line per failure and a summary; exit 1 if any mutant failed."""
import argparse
import os
import random
import re
import subprocess
import sys
import tempfile

LOCATED = re.compile(r"^[^\n]*:\d+:\d+: error: ", re.M)
NUMBER = re.compile(r"(?<![%@\w.])-?\d+(\.\d+)?(e-?\d+)?")
TOKEN = re.compile(r"%[\w.]+|@[\w.]+|[A-Za-z_]\w*|-?\d+(?:\.\d+)?|[\[\](){},:=*]")


def mutants(text, rng, count):
    lines = text.split("\n")
    kinds = ["truncate", "delete_line", "swap_tokens", "number", "bytes", "duplicate_line"]
    for i in range(count):
        kind = kinds[i % len(kinds)]
        if kind == "truncate":
            yield kind, text[: rng.randrange(len(text) + 1)]
        elif kind == "delete_line":
            k = rng.randrange(len(lines))
            yield kind, "\n".join(lines[:k] + lines[k + 1:])
        elif kind == "duplicate_line":
            k = rng.randrange(len(lines))
            yield kind, "\n".join(lines[: k + 1] + [lines[k]] + lines[k + 1:])
        elif kind == "swap_tokens":
            toks = list(TOKEN.finditer(text))
            if len(toks) < 2:
                continue
            a, b = sorted(rng.sample(range(len(toks)), 2))
            ta, tb = toks[a], toks[b]
            yield kind, (text[: ta.start()] + tb.group() + text[ta.end(): tb.start()] + ta.group() + text[tb.end():])
        elif kind == "number":
            nums = list(NUMBER.finditer(text))
            if not nums:
                continue
            m = rng.choice(nums)
            new = rng.choice(["99999999999", "-1", "0", "4294967296", "-7", "123456789012345678901234567890",
                              "1e308", "2147483647", "3"])
            yield kind, text[: m.start()] + new + text[m.end():]
        else:
            pos = rng.randrange(len(text) + 1)
            junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 4))).decode("latin-1")
            yield kind, text[:pos] + junk + text[pos:]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--vfc", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--count", type=int, default=60, help="mutants per file")
    ap.add_argument("--run", action="store_true",
                    help="also `vfc run` the first function of each mutant that checks, on random inputs")
    ap.add_argument("--max-lines", type=int, default=1200,
                    help="mutate only files up to this many lines: the whole training steps of "
                         "IR/ssl_*.ir take seconds per command; the same generated code is mutated "
                         "at small sizes through Tests/fixtures/ssl_nano.ir")
    ap.add_argument("roots", nargs="+")
    args = ap.parse_args()
    files = []
    for d, dirs, names in (w for r in args.roots for w in os.walk(r)):
        dirs[:] = [x for x in dirs if not x.startswith(".") and x not in ("Output",)]
        files += [os.path.join(d, n) for n in sorted(names) if n.endswith(".ir")]
    files.sort()
    rng = random.Random(args.seed)
    failures, runs, errors = 0, 0, 0
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            text = open(path, encoding="utf-8", errors="replace").read()
            if text.count("\n") > args.max_lines:
                print(f"skipped {path}: {text.count(chr(10))} lines (over --max-lines)")
                continue
            for n, (kind, mutant) in enumerate(mutants(text, rng, args.count)):
                mpath = os.path.join(tmp, "mutant.ir")
                with open(mpath, "w", encoding="latin-1", errors="replace") as f:
                    f.write(mutant)
                cmds = [[args.vfc, "check", "-q", mpath],
                        [args.vfc, "opt", "--passes", "autodiff,inline,canonicalize,cse,dce", mpath],
                        [args.vfc, "grad", mpath]][: 1 + (n % 3)]
                func = re.search(r"func @([\w.]+)", mutant)
                if args.run and func:
                    cmds.append([args.vfc, "run", mpath, "--func", func.group(1), "--random-inputs",
                                 "--bind", "N=2", "--bind", "T=5", "--bind", "M=3"])
                for cmd in cmds:
                    runs += 1
                    try:
                        p = subprocess.run(cmd, capture_output=True, timeout=10)
                    except subprocess.TimeoutExpired:
                        print(f"FAIL {path} #{n} {kind}: {cmd[1]} ran past 10 s")
                        failures += 1
                        continue
                    err = p.stderr.decode("utf-8", "replace")
                    if p.returncode == 1:
                        errors += 1
                        if not LOCATED.search(err) and not err.startswith("vfc: error: "):
                            print(f"FAIL {path} #{n} {kind}: {cmd[1]} exit 1 without FILE:LINE:COL: error: {err[:200]!r}")
                            failures += 1
                    elif p.returncode != 0:
                        print(f"FAIL {path} #{n} {kind}: {cmd[1]} exit {p.returncode}: {err[-300:]!r}")
                        failures += 1
                        keep = os.path.join(tempfile.gettempdir(), f"vfc-crash-{os.getpid()}-{n}.ir")
                        with open(keep, "w", encoding="latin-1", errors="replace") as f:
                            f.write(mutant)
                        print(f"  mutant kept at {keep}")
    print(f"files: {len(files)}, runs: {runs}, located errors: {errors}, failures: {failures}")
    return 1 if failures or not files else 0


if __name__ == "__main__":
    sys.exit(main())
