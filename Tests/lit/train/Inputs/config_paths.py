#!/usr/bin/env python3
"""Test helper for a run's config.json paths.

    config_paths.py show RUN_DIR                    prints `module PATH` and `data PATH`
    config_paths.py relative RUN_DIR MODULE DATA    rewrites them (as runs recorded before
                                                    paths were made absolute)
"""
import json
import sys

cmd, run = sys.argv[1], sys.argv[2]
path = f"{run}/config.json"
config = json.load(open(path))
if cmd == "show":
    print("module", config["module"])
    print("data", config["data"])
elif cmd == "relative":
    config["module"], config["data"] = sys.argv[3], sys.argv[4]
    with open(path, "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
else:
    sys.exit(__doc__)
