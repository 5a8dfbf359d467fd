#!/usr/bin/env bash
# Builds and runs the C examples: `vfc compile` writes an object and its C header, gcc
# links them with a main program and the vfc runtime, and the program compares its results
# with the reference interpreter's (expected*.h, from make_fixture.py). Two examples:
#   model.ir (elementwise, --bind N=4)                        main.c       expected.h
#   ../../IR/vit_block.ir @block (--bind N=1 --bind T=5)      block_main.c expected_block.h
#   ../../IR/ssl_micro.ir @train_step (--bind B=2)              train.c      vfc step
#     (20 training steps from a `vfc init` state on one batch; the losses of the first and
#     last step and the final state checked against `vfc step` by compare_train.py, 1e-6
#     relative)
# Exit code 0 when all match.
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

run() { echo "+ $*" >&2; "$@"; }

mkdir -p "$BUILD"
# The runtime is compiled once, without -Werror (it is not the example's code).
RUNTIME_OBJS=()
for f in runtime_pool runtime_gemm runtime_buffers runtime_profile; do
    run "$CC" -O2 -I"$RUNTIME/include" -c "$RUNTIME/$f.c" -o "$BUILD/$f.o"
    RUNTIME_OBJS+=("$BUILD/$f.o")
done
# The named-buffer loader (vfc_state_load/save) is part of the example's build: warnings are
# errors there.
run "$CC" "${CFLAGS[@]}" -pedantic -c "$RUNTIME/state.c" -o "$BUILD/state.o"
run "$CC" "${CFLAGS[@]}" -pedantic -c "$RUNTIME/safetensors_read.c" -o "$BUILD/safetensors_read.o"

run "$VFC" compile model.ir --bind N=4 -o "$BUILD/model.o"
run "$CC" "${CFLAGS[@]}" -c main.c -o "$BUILD/main.o"
run "$CC" "$BUILD/main.o" "$BUILD/model.o" "${RUNTIME_OBJS[@]}" -o "$BUILD/example" "${LIBS[@]}"

run "$VFC" compile "$REPO/IR/vit_block.ir" --func block --bind N=1 --bind T=5 -o "$BUILD/block.o"
run "$CC" "${CFLAGS[@]}" -c block_main.c -o "$BUILD/block_main.o"
run "$CC" "$BUILD/block_main.o" "$BUILD/block.o" "${RUNTIME_OBJS[@]}" -o "$BUILD/block_example" "${LIBS[@]}"

# Training in C: train.c on the micro model's train_step, against `vfc step` (the JIT). The
# program links the whole runtime, so that OpenBLAS is set up as in vfc.
STEPS=20
BATCH="$REPO/Tests/fixtures/ssl/micro_batch0.safetensors"
for f in cpu cpu_cache gemm; do run "$CC" -O2 -I"$RUNTIME/include" -c "$RUNTIME/$f.c" -o "$BUILD/$f.o"; done
run "$VFC" compile "$REPO/IR/ssl_micro.ir" --func train_step --bind B=2 -o "$BUILD/train_step.o"
run "$CC" "${CFLAGS[@]}" -pedantic -c train.c -o "$BUILD/train.o"
run "$CC" "$BUILD/train.o" "$BUILD/train_step.o" "${RUNTIME_OBJS[@]}" "$BUILD/state.o" "$BUILD/safetensors_read.o" \
    "$BUILD/cpu.o" "$BUILD/cpu_cache.o" "$BUILD/gemm.o" -o "$BUILD/train" "${LIBS[@]}"
run "$VFC" init "$REPO/IR/ssl_micro.ir" --seed 0 -o "$BUILD/state0.safetensors"
status=0
"$BUILD/example" || status=1
"$BUILD/block_example" || status=1
echo "+ $BUILD/train (${STEPS} steps)"
if "$BUILD/train" "$BUILD/state0.safetensors" "$BATCH" "$BUILD/train_c.safetensors" "$STEPS" > "$BUILD/train_c.log"; then
    # The reference: steps 1..STEPS-1 in one `vfc step` process (its JSON has step 1's
    # metrics), then step STEPS alone (its metrics). --grads keeps the gradients as results,
    # as in the compiled train_step. VFC_GEMM=openblas: an object calls OpenBLAS for every
    # product, while the JIT's default runs the larger ones on vfc's own kernel, whose
    # rounding differs (about 1e-6 relative after three steps).
    export VFC_GEMM=openblas
    run "$VFC" step "$REPO/IR/ssl_micro.ir" --state "$BUILD/state0.safetensors" --batch "$BATCH" --json \
        --repeat $((STEPS - 2)) --out "$BUILD/ref_before.safetensors" --grads "$BUILD/ref_grads.safetensors" \
        > "$BUILD/ref_first.json" || status=1
    run "$VFC" step "$REPO/IR/ssl_micro.ir" --state "$BUILD/ref_before.safetensors" --batch "$BATCH" --json \
        --out "$BUILD/ref_last.safetensors" --grads "$BUILD/ref_grads.safetensors" > "$BUILD/ref_last.json" || status=1
    unset VFC_GEMM
    run python3 compare_train.py --c-log "$BUILD/train_c.log" --c-state "$BUILD/train_c.safetensors" \
        --ref-json "1=$BUILD/ref_first.json" "$STEPS=$BUILD/ref_last.json" --ref-state "$BUILD/ref_last.safetensors" \
        --rtol 1e-6 || status=1
    # A `vfc data batch` file (no run-time scalars: given as flags) trains too; a batch of
    # another size is refused by the object compiled for B=2.
    run "$VFC" data synth --out "$BUILD/synth" --n 6 --seed 0 --size 64 > /dev/null
    run "$VFC" data batch --data "$BUILD/synth" --batch 2 -o "$BUILD/data_b2.safetensors" > /dev/null
    run "$VFC" data batch --data "$BUILD/synth" --batch 3 -o "$BUILD/data_b3.safetensors" > /dev/null
    run "$BUILD/train" "$BUILD/state0.safetensors" "$BUILD/data_b2.safetensors" "$BUILD/data_after.safetensors" 2 \
        --lr 1e-3 --weight-decay 0.04 --teacher-momentum 0.996 || status=1
    if "$BUILD/train" "$BUILD/state0.safetensors" "$BUILD/data_b3.safetensors" "$BUILD/data_after.safetensors" 1 \
        --lr 1e-3 --weight-decay 0.04 --teacher-momentum 0.996 2> "$BUILD/b3.err"; then
        echo "train: a B=3 batch was accepted by the B=2 object" >&2
        status=1
    elif ! grep -q "dim B is 3, the object was compiled for B=2" "$BUILD/b3.err"; then
        echo "train: unexpected error for a B=3 batch: $(cat "$BUILD/b3.err")" >&2
        status=1
    fi
else
    echo "train: FAILED" >&2
    status=1
fi
exit "$status"
