#!/usr/bin/env bash
# Idempotently create .venv-torch at the repository root with the CPU build of PyTorch
# (pinned: a plain `pip install torch` pulls the multi-GB CUDA build) and NumPy, for the
# PyTorch reference of the SSL training step in Tests/fixtures/ssl/.
# Prints the venv's python path on stdout (last line).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-torch"
PY="$VENV/bin/python"
TORCH_PIN="torch==2.13.0+cpu"

if [[ ! -x "$PY" ]]; then
    echo "torch-venv: creating $VENV" >&2
    python3 -m venv "$VENV"
fi

if "$PY" - <<'PYEOF' >/dev/null 2>&1
import torch, numpy
assert torch.__version__ == "2.13.0+cpu", torch.__version__
PYEOF
then
    :
else
    echo "torch-venv: installing $TORCH_PIN numpy" >&2
    "$PY" -m pip install --quiet "$TORCH_PIN" numpy >&2
fi

echo "$PY"
