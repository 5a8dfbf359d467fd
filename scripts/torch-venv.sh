#!/usr/bin/env bash
# Idempotently create .venv-torch at the repository root with the CPU build of PyTorch
# (pinned: a plain `pip install torch` pulls the multi-GB CUDA build) and NumPy, for the
# PyTorch reference of the SSL training step in Tests/fixtures/ssl/, and timm (pinned, without
# its dependencies: its torchvision needs the CUDA torch; timm_check.py stands in for it)
# with pillow and safetensors, for the checks that `vfc export --format timm` loads with
# strict=True and through timm's `local-dir:` source (timm 1.0.x; 0.9 had no such source).
# Prints the venv's python path on stdout (last line).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-torch"
PY="$VENV/bin/python"
TORCH_PIN="torch==2.13.0+cpu"
TIMM_PIN="timm==1.0.31"
SAFETENSORS_PIN="safetensors==0.8.0"

if [[ ! -x "$PY" ]]; then
    echo "torch-venv: creating $VENV" >&2
    python3 -m venv "$VENV"
fi

if "$PY" - <<'PYEOF' >/dev/null 2>&1
import torch, numpy, PIL, safetensors
from importlib.metadata import version
assert torch.__version__ == "2.13.0+cpu", torch.__version__
assert version("timm") == "1.0.31"
assert version("safetensors") == "0.8.0"
PYEOF
then
    :
else
    echo "torch-venv: installing $TORCH_PIN numpy pillow $SAFETENSORS_PIN $TIMM_PIN" >&2
    "$PY" -m pip install --quiet "$TORCH_PIN" numpy pillow "$SAFETENSORS_PIN" >&2
    "$PY" -m pip install --quiet --no-deps "$TIMM_PIN" >&2
fi

echo "$PY"
