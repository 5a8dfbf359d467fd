#!/usr/bin/env bash
# Optional check (not part of `make test`): TensorBoard itself reads vfc's hand-encoded
# event files. Creates .venv-tb with `pip install tensorboard` (needs PyPI), has the
# VFCRunTests test `eventFileReadsBackInPython` write a run directory (20 steps; tags
# loss, loss_cls, loss_mim, loss_pos, lr) and checks `tensorboard --inspect` lists every
# tag with 20 steps, steps 1 to 20 and none out of order, and that TensorBoard's
# EventAccumulator reads the values of the last step.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-tb"
cd "$ROOT"

if [[ ! -x "$VENV/bin/tensorboard" ]]; then
    echo "check-tensorboard: creating $VENV" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet tensorboard >&2
fi

OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
VFC_TB_OUT="$OUT" swift test --filter eventFileReadsBackInPython >&2

REPORT="$("$VENV/bin/tensorboard" --inspect --logdir "$OUT/tb" 2>/dev/null)"
echo "$REPORT"
fail=0
for tag in loss loss_cls loss_mim loss_pos lr; do
    grep -qE "^ +$tag\$" <<<"$REPORT" || { echo "check-tensorboard: tag $tag not listed" >&2; fail=1; }
done
for want in "first_step +1" "last_step +20" "num_steps +20" "outoforder_steps +\[\]"; do
    grep -qE "$want" <<<"$REPORT" || { echo "check-tensorboard: no '$want' in the report" >&2; fail=1; }
done
# The values, through TensorBoard's own loader.
"$VENV/bin/python" - "$OUT/tb" <<'PYEOF' || fail=1
import sys
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
acc = EventAccumulator(sys.argv[1])
acc.Reload()
last = {tag: acc.Scalars(tag)[-1] for tag in acc.Tags()["scalars"]}
want = {"loss": 5.0, "loss_cls": 3.0, "loss_mim": 2.0, "loss_pos": 1.0, "lr": 5e-4}
for tag, value in want.items():
    event = last[tag]
    assert event.step == 20 and abs(event.value - value) < 1e-6, (tag, event)
print("check-tensorboard: EventAccumulator reads step 20: " + ", ".join("%s=%g" % (t, last[t].value) for t in sorted(want)))
PYEOF
if [[ $fail -ne 0 ]]; then echo "check-tensorboard: FAILED" >&2; exit 1; fi
echo "check-tensorboard: tensorboard reads every tag, 20 steps"
