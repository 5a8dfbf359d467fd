#!/usr/bin/env bash
# Idempotently create the peers' Python environments (never runtime dependencies of vfc):
#   .venv-torch  PyTorch CPU wheel (pinned) + NumPy, via scripts/torch-venv.sh
#   .venv-jax    JAX (CPU, from PyPI, pinned) + NumPy
# Prints two lines on stdout: the torch venv's python, then the JAX venv's python.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
JAX_PIN="jax[cpu]==0.10.2"
TORCH_PY="$("$ROOT/scripts/torch-venv.sh" | tail -1)"

VENV="$ROOT/.venv-jax"
PY="$VENV/bin/python"
if [[ ! -x "$PY" ]]; then
    echo "peers/setup: creating $VENV" >&2
    python3 -m venv "$VENV"
fi
if ! "$PY" -c 'import jax, numpy; assert jax.__version__ == "0.10.2", jax.__version__' >/dev/null 2>&1; then
    echo "peers/setup: installing $JAX_PIN numpy" >&2
    "$PY" -m pip install --quiet "$JAX_PIN" numpy >&2
fi
echo "$TORCH_PY"
echo "$PY"
