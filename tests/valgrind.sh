#!/bin/sh
# Runs `clbb run` (a ResNet-50 and a GhostNet forward on the default
# device, outputs written) under valgrind memcheck: any error or
# definite/indirect leak in clbb fails. Allocations owned by the OpenCL
# driver and CLBlast are listed in tests/valgrind.supp.
# Usage: valgrind.sh PATH/TO/clbb SOURCE_DIR
set -u
command -v valgrind >/dev/null 2>&1 || { echo "valgrind not installed: skipped"; exit 77; }
CLBB=$1
SRC=$2
T=$(mktemp -d /tmp/clbb-valgrind-XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
# Small widths keep the run short: under valgrind every kernel that PoCL
# runs is emulated; the structure (every op kind and fusion) is the same.
echo '{"type": "ResNet", "depth": 50, "base_channels": 8}' > "$T/r50.json"
echo '{"type": "GhostNet", "width": 0.5}' > "$T/ghost.json"
for args in "--config $T/r50.json --shape 1,3,32,32" "--config $T/ghost.json --shape 1,3,32,32"; do
    # a warm program cache first, so the run under valgrind loads binaries
    "$CLBB" run $args > /dev/null 2>&1
    valgrind --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
        --errors-for-leak-kinds=definite,indirect --suppressions="$SRC/tests/valgrind.supp" \
        --log-file="$T/vg.log" "$CLBB" run $args --output "$T/out" > "$T/out.txt" 2>&1
    rc=$?
    if [ $rc -ne 0 ]; then
        echo "== clbb run $args: FAILED (exit $rc)"; grep -E -A20 "Invalid|uninitialised|definitely|indirectly" "$T/vg.log" | head -60
        fails=$((fails + 1))
    else
        echo "== clbb run $args: $(grep -E 'ERROR SUMMARY' "$T/vg.log" | sed 's/==[0-9]*== //')"
        grep -E "definitely lost|indirectly lost" "$T/vg.log" | sed 's/==[0-9]*== /   /'
    fi
done
[ $fails -eq 0 ] || exit 1
