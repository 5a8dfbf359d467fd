#!/usr/bin/env bash
# Builds the release vfc, runs the Swift unit tests (swift test, debug build), the lit
# suite and the C example (examples/c/run.sh, one test), then prints exactly one final line
# "N passed, M failed" summing them.
# Exits non-zero if any test failed, if a runner crashed or ran zero tests, or if the
# release build failed (each such event counts as one failure in the summary).
#
# Counting:
#  - Swift Testing: `swift test --xunit-output .build/xunit.xml` makes the testing library
#    write .build/xunit-swift-testing.xml (XCTest would write .build/xunit.xml, but only
#    under --parallel, so XCTest results are taken from the "Executed N tests, with M
#    failures" lines instead).  One <testcase> per @Test function (a parameterised test is
#    one testcase); it failed if it has a <failure>/<error> child, skipped if <skipped>.
#  - lit: --xunit-xml-output .build/lit/xunit.xml, same per-testcase rule
#    (UNSUPPORTED/EXCLUDED are skipped; FAIL, XPASS, UNRESOLVED, TIMEOUT are failures).
#  - the C example: one test, passed when examples/c/run.sh exits 0 (skipped, and not
#    counted, when the release build failed: that failure is already counted).
#  Skipped tests count neither as passed nor as failed.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO="$(pwd)"
LIT_PY=/usr/lib/llvm-19/build/utils/lit/lit.py
LOG_DIR="$REPO/.build/test-logs"
mkdir -p "$LOG_DIR" "$REPO/.build/lit"
SUMMARY_FILE="$REPO/.build/test-summary.txt"
rm -f "$SUMMARY_FILE"

passed=0
failed=0
skipped=0
build_failed=0
notes=()

# count_xml FILE -> prints "passed failed skipped" (or nothing if unreadable/truncated).
count_xml() {
    python3 - "$1" <<'PY'
import sys
import xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:
    sys.exit(1)
p = f = s = 0
for tc in root.iter("testcase"):
    tags = {child.tag for child in tc}
    if tags & {"failure", "error"}:
        f += 1
    elif "skipped" in tags:
        s += 1
    else:
        p += 1
print(p, f, s)
PY
}

# --- 1. release build --------------------------------------------------------------------
echo "== swift build -c release --product vfc"
if ! swift build -c release --product vfc 2>&1 | tee "$LOG_DIR/build-release.log"; then
    echo "test.sh: release build of vfc FAILED (see $LOG_DIR/build-release.log)"
    failed=$((failed + 1))
    build_failed=1
    notes+=("release build failed")
fi

# --- 2. swift test -----------------------------------------------------------------------
echo "== swift test"
SWT_XML="$REPO/.build/xunit-swift-testing.xml"
XCT_XML="$REPO/.build/xunit.xml"
rm -f "$SWT_XML" "$XCT_XML"
swift test --xunit-output "$XCT_XML" 2>&1 | tee "$LOG_DIR/swift-test.log"
swift_rc=${PIPESTATUS[0]}

unit_p=0 unit_f=0 unit_s=0
unit_ok_source=""
if [[ -f "$SWT_XML" ]] && counts=$(count_xml "$SWT_XML"); then
    read -r unit_p unit_f unit_s <<<"$counts"
    unit_ok_source="xml"
else
    # No (complete) XML: the test process crashed or never ran.  Fall back to the console:
    # the summary line if present, else the per-test result lines that were printed.
    counts=$(python3 - "$LOG_DIR/swift-test.log" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
m = re.findall(r"Test run with (\d+) tests?.*? (passed|failed)", text)
if m and m[-1][1] == "passed":
    print(int(m[-1][0]), 0, 0, "summary")
    sys.exit(0)
p = len(re.findall(r"^\S+ Test (?!run |case )\S.* passed after", text, re.M))
f = len(re.findall(r"^\S+ Test (?!run |case )\S.* failed after", text, re.M))
print(p, f, 0, "lines" if (p or f) else "none")
PY
)
    read -r unit_p unit_f unit_s unit_ok_source <<<"$counts"
fi
# XCTest (if any XCTest cases exist): the largest "Executed N tests, with M failures" line
# is the "All tests" total.
read -r xct_n xct_f <<<"$(python3 - "$LOG_DIR/swift-test.log" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
best = (0, 0)
for n, f in re.findall(r"Executed (\d+) tests?, with (\d+) failures?", text):
    best = max(best, (int(n), int(f)))
print(*best)
PY
)"
unit_p=$((unit_p + xct_n - xct_f))
unit_f=$((unit_f + xct_f))
unit_total=$((unit_p + unit_f))
if ((unit_total == 0)); then
    unit_f=1
    if grep -q "Test run started" "$LOG_DIR/swift-test.log"; then
        notes+=("swift test crashed (exit $swift_rc) before any test finished")
    else
        notes+=("swift test ran zero tests (exit $swift_rc; a build error?)")
    fi
elif [[ "$unit_ok_source" != "xml" && "$swift_rc" != 0 ]]; then
    unit_f=$((unit_f + 1))
    notes+=("swift test crashed (exit $swift_rc, no complete xunit-swift-testing.xml); counted from its console output plus one failure")
elif [[ "$swift_rc" != 0 && "$unit_f" == 0 ]]; then
    unit_f=1
    notes+=("swift test exited $swift_rc without a recorded test failure")
fi
echo "swift test: $unit_p passed, $unit_f failed, $unit_s skipped (exit $swift_rc)"
passed=$((passed + unit_p))
failed=$((failed + unit_f))
skipped=$((skipped + unit_s))

# --- 3. lit ------------------------------------------------------------------------------
# The lit tests of `vfc export --format timm` load the export in timm: they need the PyTorch
# virtualenv (made once; a failure here shows as those tests failing, not as skips).
echo "== scripts/torch-venv.sh"
if ! scripts/torch-venv.sh > "$LOG_DIR/torch-venv.log" 2>&1; then
    notes+=("scripts/torch-venv.sh failed (see $LOG_DIR/torch-venv.log): the timm tests fail")
fi
echo "== lit Tests/lit"
LIT_XML="$REPO/.build/lit/xunit.xml"
rm -f "$LIT_XML"
lit_p=0 lit_f=0 lit_s=0 lit_rc=-
if ((build_failed)); then
    # Do not test a stale .build/release/vfc; the build failure is already counted.
    notes+=("lit skipped: the release build failed")
else
    python3 "$LIT_PY" -v --xunit-xml-output "$LIT_XML" Tests/lit 2>&1 | tee "$LOG_DIR/lit.log"
    lit_rc=${PIPESTATUS[0]}
    if [[ -f "$LIT_XML" ]] && counts=$(count_xml "$LIT_XML"); then
        read -r lit_p lit_f lit_s <<<"$counts"
    fi
    if ((lit_p + lit_f == 0)); then
        lit_f=1
        notes+=("lit ran zero tests (exit $lit_rc: none discovered, a config error or a crash)")
    elif [[ "$lit_rc" != 0 && "$lit_f" == 0 ]]; then
        lit_f=1
        notes+=("lit exited $lit_rc without a recorded test failure")
    fi
fi
echo "lit: $lit_p passed, $lit_f failed, $lit_s skipped (exit $lit_rc)"
passed=$((passed + lit_p))
failed=$((failed + lit_f))
skipped=$((skipped + lit_s))

# --- 4. the C example ---------------------------------------------------------------------
# examples/c/run.sh: vfc compile, gcc with the runtime, compare with the interpreter's
# fixtures, and train.c's 20 training steps of the micro model with `vfc step`.  One test:
# passed if the script exits 0, failed otherwise.
echo "== examples/c/run.sh"
if ((build_failed)); then
    notes+=("C example skipped: the release build failed")
else
    if VFC="$REPO/.build/release/vfc" BUILD="$REPO/.build/examples-c" examples/c/run.sh 2>&1 | tee "$LOG_DIR/example-c.log"; then
        echo "C example: passed"
        passed=$((passed + 1))
    else
        echo "C example: FAILED (see $LOG_DIR/example-c.log)"
        failed=$((failed + 1))
        notes+=("C example (examples/c/run.sh) failed")
    fi
fi

# --- summary -----------------------------------------------------------------------------
for n in "${notes[@]}"; do echo "test.sh: $n"; done
if ((skipped > 0)); then echo "($skipped skipped)"; fi
line="$passed passed, $failed failed"
echo "$line" >"$SUMMARY_FILE"
echo "$line"
((failed == 0))
