#!/usr/bin/env python3
"""Parses all of standard input as one JSON object and prints its sorted keys: fails (exit
1, with the reason) when the stream holds anything else, such as a progress line."""
import json
import sys

text = sys.stdin.read()
try:
    value = json.loads(text)
except ValueError as e:
    sys.exit(f"not one JSON object ({e}): {text[:200]!r}")
if not isinstance(value, dict):
    sys.exit(f"not a JSON object: {text[:200]!r}")
print("one JSON object:", sorted(value))
