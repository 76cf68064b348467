#!/bin/sh
# Builds the test suites with AddressSanitizer + UndefinedBehaviorSanitizer
# in a build directory of its own and runs them on PoCL; any ASan, UBSan
# or LeakSanitizer report fails. Leaks inside libraries clbb does not own
# are suppressed in tests/lsan.supp (each with its reason).
# Every OpenCL program is first compiled by the plain build's test binary
# (PLAIN_BUILD_DIR) running the same tests into the shared CLBB_CACHE_DIR /
# PoCL cache: PoCL compiles inside the calling process, and inside an
# instrumented one that took 15 of CI's 28 minutes.
# Usage: sanitize.sh SOURCE_DIR BUILD_DIR [PLAIN_BUILD_DIR]
set -u
SRC=$1
B=$2
PLAIN=${3:-}
cc -fsanitize=address,undefined -x c -o /dev/null - 2>/dev/null <<'C' || { echo "no sanitizer runtime: skipped"; exit 77; }
int main(void) { return 0; }
C
if [ ! -f "$B/build.ninja" ]; then
    meson setup "$B" "$SRC" -Db_sanitize=address,undefined -Db_lundef=false -Dbenchmarks=false \
        -Dbuildtype=debugoptimized > "$B.setup.log" 2>&1 || { cat "$B.setup.log"; exit 1; }
fi
ninja -C "$B" > "$B.build.log" 2>&1 || { tail -40 "$B.build.log"; exit 1; }
# PoCL's threads change their signal stacks, which ASan's own sigaltstack
# handling cannot unmap (a CHECK failure in UnsetAlternateSignalStack).
export ASAN_OPTIONS=detect_leaks=1:use_sigaltstack=0:abort_on_error=0
export LSAN_OPTIONS=suppressions=$SRC/tests/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export CLBB_TEST_DATA=$SRC/tests/data
export CLBB_DEMO_IMAGE=${CLBB_DEMO_IMAGE:-$SRC/examples/data/demo.jpg}
export CLBB_CACHE_DIR=${CLBB_CACHE_DIR:-$B/test-cache}
fails=0
# whole-backbone and plugin-model comparisons (backbones_*, gen_attention_vs_*,
# plugins_vs_*, plugin_graphs_*) run in the plain build: under ASan their
# double-precision host reference alone takes over ten minutes. Their
# builders, key lists and weight files run here (the rest of each group).
for spec in io: image: config: api: cache: faults: "models:models/[!bgp]*" "models:models/blocks*" \
    "models:models/gen_attention_[!v]*" "models:models/graph_*" "models:models/plugin_[!g]*" \
    "models:models/parameter_*" ops:; do
    t=${spec%%:*}
    filter=${spec#*:}
    log="$B/sanitize-$t.log"
    # the op tables' quick subsets: their double references run instrumented
    [ "$t" = ops ] && export CLBB_TEST_QUICK=1 || unset CLBB_TEST_QUICK
    # the programs, compiled uninstrumented (its failures are the plain
    # suite's to report; usually the plain suite has cached them already)
    if [ -n "$PLAIN" ] && [ -x "$PLAIN/tests/test_$t" ]; then
        if [ -n "$filter" ]; then
            "$PLAIN/tests/test_$t" --jobs=2 --filter "$filter" > /dev/null 2>&1
        else
            "$PLAIN/tests/test_$t" --jobs=2 > /dev/null 2>&1
        fi
    fi
    if [ -n "$filter" ]; then
        "$B/tests/test_$t" --jobs=2 --filter "$filter" > "$log" 2>&1
    else
        "$B/tests/test_$t" --jobs=2 > "$log" 2>&1
    fi
    rc=$?
    if [ $rc -ne 0 ] || grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$log"; then
        echo "== $t $filter: FAILED (exit $rc)"; grep -E -A25 "ERROR: |runtime error:|Assertion Failed" "$log" | head -60
        fails=$((fails + 1))
    else
        echo "== $t $filter: $(grep Synthesis "$log")"
    fi
done
# the image decoders on every odd input of tests/test_image.py (a report
# changes image_tool's exit status, which the script checks); 77: no cv2
python3 "$SRC/tests/test_image.py" "$B/tests/image_tool" > "$B/sanitize-image_cv2.log" 2>&1
rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
    echo "== image_cv2: FAILED (exit $rc)"; tail -20 "$B/sanitize-image_cv2.log"; fails=$((fails + 1))
else
    echo "== image_cv2: $(tail -1 "$B/sanitize-image_cv2.log")"
fi
[ $fails -eq 0 ] || exit 1
echo "sanitizers: no reports"
