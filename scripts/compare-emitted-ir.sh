#!/usr/bin/env bash
# Compares the LLVM IR two vfc builds emit for the micro and tiny training steps, byte for
# byte: a refactoring of the compiler that should not change code shows it did not.
#   scripts/compare-emitted-ir.sh BASE_VFC NEW_VFC [OUT_DIR]
# Writes OUT_DIR/{base,new}/<model>.<func>.ll and prints one line per file: "same" or the
# size of the diff (OUT_DIR/<model>.<func>.diff). Exit status 1 when any file differs.
set -euo pipefail
base=${1:?usage: $0 BASE_VFC NEW_VFC [OUT_DIR]}
new=${2:?usage: $0 BASE_VFC NEW_VFC [OUT_DIR]}
out=${3:-/tmp/vfc-emitted-ir}
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out/base" "$out/new"
status=0
for model in ssl_micro ssl_tiny; do
    for func in train_step; do
        name="$model.$func"
        for side in base new; do
            vfc=$base; [ "$side" = new ] && vfc=$new
            "$vfc" compile "$here/IR/$model.ir" --func "$func" --bind B=2 --emit llvm --target-cpu x86-64-v3 -o "$out/$side/$name.ll"
        done
        if cmp -s "$out/base/$name.ll" "$out/new/$name.ll"; then
            echo "$name: same ($(wc -c < "$out/new/$name.ll") bytes)"
        else
            diff "$out/base/$name.ll" "$out/new/$name.ll" > "$out/$name.diff" || true
            echo "$name: DIFFERS ($(wc -l < "$out/$name.diff") diff lines in $out/$name.diff)"
            status=1
        fi
    done
done
exit $status
