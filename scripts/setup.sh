#!/usr/bin/env bash
# Idempotent machine setup for vfc (Debian 12).  Installs the system packages the build
# and the test suite need when they are missing, and extracts the sample photographs of
# Debian's python3-skimage package into data/photos/ (git-ignored); a no-op (fast) on a
# prepared machine.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PHOTOS_DIR="$ROOT/data/photos"

LLVM_BIN=/usr/lib/llvm-19/bin
LIT_PY=/usr/lib/llvm-19/build/utils/lit/lit.py
PACKAGES=(llvm-19-dev llvm-19-tools libopenblas-dev libturbojpeg0-dev libpng-dev libopenmpi-dev openmpi-bin gcc python3 python3-numpy)

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

SUDO=()
if [[ "$(id -u)" != 0 ]] && command -v sudo >/dev/null 2>&1; then SUDO=(sudo); fi
apt_updated=0

if ((${#missing[@]} > 0)); then
    echo "setup: installing ${missing[*]}"
    if [[ "$(id -u)" != 0 ]] && ((${#SUDO[@]} == 0)); then
        echo "setup: error: not root and sudo is not available; install: ${missing[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
    apt_updated=1
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

# Sample photographs for `vfc train --data data/photos`: the PNG and JPEG files of
# skimage/data in the python3-skimage .deb (downloaded by apt, never installed). Done once:
# data/photos/.complete marks a finished extraction.
if [[ ! -f "$PHOTOS_DIR/.complete" ]]; then
    echo "setup: extracting sample photographs into data/photos/"
    tmp="$(mktemp -d)"
    chmod 0777 "$tmp"  # apt-get download runs as _apt and writes here
    photos_ok=0
    for attempt in 1 2; do
        if (cd "$tmp" && apt-get download python3-skimage >/dev/null 2>&1); then photos_ok=1; break; fi
        # The package lists may be missing on a fresh machine: update them once, then retry.
        if ((attempt == 1 && apt_updated == 0)) && { [[ "$(id -u)" == 0 ]] || ((${#SUDO[@]} > 0)); }; then
            "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update >/dev/null
            apt_updated=1
        else
            break
        fi
    done
    if ((photos_ok)); then
        mkdir -p "$tmp/x" "$PHOTOS_DIR"
        dpkg-deb --fsys-tarfile "$tmp"/python3-skimage_*.deb \
            | tar -x -C "$tmp/x" --wildcards '*/skimage/data/*.png' '*/skimage/data/*.jpg'
        find "$tmp/x" -path '*/skimage/data/*' -type f \( -name '*.png' -o -name '*.jpg' \) \
            -exec cp -f {} "$PHOTOS_DIR/" \;
        touch "$PHOTOS_DIR/.complete"
        echo "setup: $(find "$PHOTOS_DIR" -maxdepth 1 -type f \( -name '*.png' -o -name '*.jpg' \) | wc -l) photographs in data/photos/"
    else
        echo "setup: warning: could not download python3-skimage; data/photos/ is not available" >&2
    fi
    rm -rf "$tmp"
fi

fail=0
for f in "$LLVM_BIN/FileCheck" "$LLVM_BIN/not" "$LIT_PY" /usr/bin/mpirun; do
    if [[ ! -e "$f" ]]; then
        echo "setup: error: $f is missing (it comes with llvm-19-tools / llvm-19-dev / openmpi-bin)" >&2
        fail=1
    fi
done
if ! command -v swift >/dev/null 2>&1; then
    echo "setup: error: swift is not on PATH (expected a Swift 6 toolchain, e.g. /opt/swift/usr/bin)" >&2
    fail=1
fi
if ((fail)); then exit 1; fi
echo "setup: ok"
