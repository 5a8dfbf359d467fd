#!/usr/bin/env bash
# Builds and runs the C examples: `vfc compile` writes an object and its C header, gcc
# links them with a main program and the vfc runtime, and the program compares its results
# with the reference interpreter's (expected*.h, from make_fixture.py). Two examples:
#   model.ir (elementwise, --bind N=4)                        main.c       expected.h
#   ../../IR/vit_block.ir @block (--bind N=1 --bind T=5)      block_main.c expected_block.h
# Exit code 0 when both match.
#
#   examples/c/run.sh                    # uses .build/release/vfc
#   VFC=path/to/vfc CC=clang BUILD=/tmp/x examples/c/run.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
REPO="$(cd ../.. && pwd)"
VFC="${VFC:-$REPO/.build/release/vfc}"
# The C compiler: $CC, else gcc, cc, or the clang that ships with the Swift toolchain.
if [[ -z "${CC:-}" ]]; then
    for c in gcc cc clang "$(dirname "$(command -v swift 2>/dev/null || echo /nonexistent/swift)")/clang"; do
        if command -v "$c" >/dev/null 2>&1; then CC="$c"; break; fi
    done
fi
if [[ -z "${CC:-}" ]]; then
    echo "examples/c/run.sh: no C compiler (gcc, cc or clang); set CC" >&2
    exit 1
fi
BUILD="${BUILD:-build}"
RUNTIME="$REPO/Sources/VFCRuntime"
CFLAGS=(-O2 -std=c11 -Wall -Wextra -Werror -I"$BUILD" -I"$RUNTIME/include")
LIBS=(-lopenblas -lpthread -lm)

run() { echo "+ $*"; "$@"; }

mkdir -p "$BUILD"
# The runtime is compiled once, without -Werror (it is not the example's code).
run "$CC" -O2 -I"$RUNTIME/include" -c "$RUNTIME/runtime.c" -o "$BUILD/runtime.o"

run "$VFC" compile model.ir --bind N=4 -o "$BUILD/model.o"
run "$CC" "${CFLAGS[@]}" -c main.c -o "$BUILD/main.o"
run "$CC" "$BUILD/main.o" "$BUILD/model.o" "$BUILD/runtime.o" -o "$BUILD/example" "${LIBS[@]}"

run "$VFC" compile "$REPO/IR/vit_block.ir" --func block --bind N=1 --bind T=5 -o "$BUILD/block.o"
run "$CC" "${CFLAGS[@]}" -c block_main.c -o "$BUILD/block_main.o"
run "$CC" "$BUILD/block_main.o" "$BUILD/block.o" "$BUILD/runtime.o" -o "$BUILD/block_example" "${LIBS[@]}"

status=0
"$BUILD/example" || status=1
"$BUILD/block_example" || status=1
exit "$status"
