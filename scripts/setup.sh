#!/usr/bin/env bash
# Idempotent machine setup for vfc (Debian 12).  Installs the system packages the build
# and the test suite need when they are missing; a no-op (fast) on a prepared machine.
set -euo pipefail

LLVM_BIN=/usr/lib/llvm-19/bin
LIT_PY=/usr/lib/llvm-19/build/utils/lit/lit.py
PACKAGES=(llvm-19-dev llvm-19-tools libopenblas-dev gcc python3 python3-numpy)

is_installed() {
    # dpkg -s exits 0 for removed-but-not-purged packages too, so check the status line.
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=()
for p in "${PACKAGES[@]}"; do
    if is_installed "$p"; then continue; fi
    # NumPy from pip (or any other source) is as good as the Debian package: it is only
    # used to regenerate the fixtures.
    if [[ "$p" == python3-numpy ]] && command -v python3 >/dev/null 2>&1 \
        && python3 -c 'import numpy' >/dev/null 2>&1; then
        continue
    fi
    missing+=("$p")
done

if ((${#missing[@]} > 0)); then
    echo "setup: installing ${missing[*]}"
    SUDO=()
    if [[ "$(id -u)" != 0 ]]; then
        if ! command -v sudo >/dev/null 2>&1; then
            echo "setup: error: not root and sudo is not available; install: ${missing[*]}" >&2
            exit 1
        fi
        SUDO=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

fail=0
for f in "$LLVM_BIN/FileCheck" "$LLVM_BIN/not" "$LIT_PY"; do
    if [[ ! -e "$f" ]]; then
        echo "setup: error: $f is missing (it comes with llvm-19-tools / llvm-19-dev)" >&2
        fail=1
    fi
done
if ! command -v swift >/dev/null 2>&1; then
    echo "setup: error: swift is not on PATH (expected a Swift 6 toolchain, e.g. /opt/swift/usr/bin)" >&2
    fail=1
fi
if ((fail)); then exit 1; fi
echo "setup: ok"
