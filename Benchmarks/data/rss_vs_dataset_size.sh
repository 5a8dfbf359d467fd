#!/bin/sh
# Peak RSS of `vfc train` against the dataset size: the same short run on N1 and N2
# generated images (vfc data synth, 32x32 PNGs), measured with /usr/bin/time -v.
#   Benchmarks/data/rss_vs_dataset_size.sh [VFC] [WORKDIR] [N1] [N2]
# Generating 100,000 images takes a few minutes and 490 MB of disk.
set -eu
VFC=${1:-.build/release/vfc}
WORK=${2:-/tmp/vfc-rss}
N1=${3:-1000}
N2=${4:-100000}
MODULE=$(dirname "$0")/../../Tests/fixtures/ssl_nano.ir
mkdir -p "$WORK"
for n in "$N1" "$N2"; do
    [ -f "$WORK/ds$n/labels.json" ] || "$VFC" data synth --out "$WORK/ds$n" --n "$n" --seed 0 --size 32 > /dev/null
    rm -rf "$WORK/run$n"
    /usr/bin/time -v "$VFC" train "$MODULE" --data "$WORK/ds$n" --out "$WORK/run$n" --steps 40 --batch 8 \
        --threads 1 --workers 2 --checkpoint-every 100 > "$WORK/log$n" 2> "$WORK/time$n"
    kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/time$n")
    echo "$n images: peak RSS $kb kB"
done
