# -*- Python -*-
# lit configuration for vfc's FileCheck / end-to-end tests.
#
# Run:  python3 /usr/lib/llvm-19/build/utils/lit/lit.py -sv Tests/lit
# (scripts/test.sh does this after building .build/release/vfc).
#
# Substitutions available in RUN lines:
#   vfc         <repo>/.build/release/vfc   (override with the environment variable VFC)
#   FileCheck   /usr/lib/llvm-19/bin/FileCheck
#   not         /usr/lib/llvm-19/bin/not
#   %python     the python3 running lit
#   %fixtures   <repo>/Tests/fixtures
#   %tools      <repo>/Tests/lit/tools
#   %repo       <repo>
#   %torchpython the PyTorch venv's python (tests using it say `REQUIRES: torch`)
#   %lit        lit itself (the python running it and its lit.py)
#   %mpirun     Open MPI's mpirun with the options the tests need (see below)
# plus lit's own (%s, %S, %t, %T, ...).  RUN lines are executed by lit's internal shell
# (pipes, &&, ||, redirections; no $(...) or shell loops).
# Test output goes to <repo>/.build/lit/ (so %t files live there).

import os
import re
import sys

import lit.formats

config.name = "vfc"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".ir", ".test"]
# Basenames excluded from discovery at every level.
config.excludes = ["tools", "Inputs", "Output", "lit.cfg.py", "README.md"]

config.test_source_root = os.path.dirname(os.path.abspath(__file__))
repo_root = os.path.abspath(os.path.join(config.test_source_root, "..", ".."))
config.test_exec_root = os.path.join(repo_root, ".build", "lit")

llvm_bin = "/usr/lib/llvm-19/bin"
vfc_path = os.path.abspath(os.environ.get("VFC") or os.path.join(repo_root, ".build", "release", "vfc"))

if not os.path.exists(vfc_path):
    lit_config.warning("vfc binary not found at %s (build it: swift build -c release --product vfc)" % vfc_path)
else:
    config.available_features.add("vfc")
for tool in ("FileCheck", "not"):
    if not os.path.exists(os.path.join(llvm_bin, tool)):
        lit_config.fatal("%s not found in %s (run scripts/setup.sh)" % (tool, llvm_bin))

config.environment["PATH"] = os.pathsep.join([llvm_bin, os.environ.get("PATH", "")])
for var in ("HOME", "TMPDIR", "LANG", "LC_ALL"):
    if var in os.environ:
        config.environment[var] = os.environ[var]


def tool_pattern(name):
    # Match `name` as a whole command word only: not inside paths, file names, options
    # (`--not`), or lit-style %substitutions.
    return r"(?<![\w.\-/%=])" + re.escape(name) + r"(?![\w.\-/])"


# Substitutions are regular expressions; the %-prefixed ones are listed before lit's
# built-ins (lit appends its own after config.substitutions), so %tools is not eaten by %t.
config.substitutions.append(("%python", sys.executable.replace("\\", "/")))
# The virtualenv with PyTorch and timm that scripts/torch-venv.sh makes (scripts/test.sh runs
# it first, and counts a failure when it cannot). The tests that use it say `REQUIRES: torch`:
# without the venv they are UNSUPPORTED, so `lit Tests/lit` alone is green on a machine
# without PyTorch. VFC_TORCH_PYTHON names another interpreter (a missing path turns the
# feature off, which is how that case is tested).
torch_python = os.path.abspath(os.environ.get("VFC_TORCH_PYTHON") or os.path.join(repo_root, ".venv-torch", "bin", "python"))
if os.access(torch_python, os.X_OK):
    config.available_features.add("torch")
else:
    lit_config.note("no PyTorch venv at %s (scripts/torch-venv.sh makes it): the REQUIRES: torch tests are UNSUPPORTED" % torch_python)
config.substitutions.append(("%torchpython", torch_python))
# lit itself, for the test that runs it without the venv.
lit_script = os.path.abspath(sys.argv[0]) if sys.argv[0].endswith("lit.py") else "lit"
config.substitutions.append(("%lit", sys.executable.replace("\\", "/") + " " + lit_script))
# Open MPI's launcher for the data-parallel tests (openmpi-bin, from scripts/setup.sh): root
# allowed (CI containers), more ranks than cores, no core binding, shared memory without
# the cross-memory-attach copies that containers often forbid.
config.substitutions.append(("%mpirun", "mpirun --allow-run-as-root --oversubscribe --bind-to none --mca btl self,vader "
                             "--mca btl_vader_single_copy_mechanism none"))
config.substitutions.append(("%fixtures", os.path.join(repo_root, "Tests", "fixtures")))
config.substitutions.append(("%tools", os.path.join(config.test_source_root, "tools")))
config.substitutions.append(("%repo", repo_root))
config.substitutions.append((tool_pattern("FileCheck"), os.path.join(llvm_bin, "FileCheck")))
config.substitutions.append((tool_pattern("not"), os.path.join(llvm_bin, "not")))
config.substitutions.append((tool_pattern("vfc"), vfc_path))
