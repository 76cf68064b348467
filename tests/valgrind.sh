#!/bin/sh
# Runs `clbb run` (a forward on the default device, outputs written) under
# valgrind memcheck: any error or definite/indirect leak fails. Allocations owned by the OpenCL
# driver and CLBlast are listed in tests/valgrind.supp.
# Usage: valgrind.sh PATH/TO/clbb SOURCE_DIR
set -u
command -v valgrind >/dev/null 2>&1 || { echo "valgrind not installed: skipped"; exit 77; }
CLBB=$1
SRC=$2
T=$(mktemp -d /tmp/clbb-valgrind-XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
# Under valgrind PoCL reports another CPU (valgrind hides AVX-512), so its
# programs are built again by LLVM under emulation, about 30 s each: the
# model is the smallest one that still has every host-side path — stem,
# maxpool, blocks with residual, a Ghost module (channel views, depthwise
# cheap conv, standalone BN) — and its outputs are written.
echo '{"type": "ResNet", "depth": 18, "num_stages": 1, "strides": [1], "dilations": [1],
       "out_indices": [0], "base_channels": 8, "conv_cfg": {"type": "Ghost"}}' > "$T/tiny.json"
# The input is the sample photo through the image pipeline (decode, resize
# to 16x16), and --visualize draws the outputs: those paths run here too.
args="--config $T/tiny.json --image $SRC/examples/data/demo.jpg --resize 16x16 --no-keep-ratio
      --pad-divisor 0 --visualize $T/v.png"
CLBB_CACHE_DIR="$T/cache" valgrind --error-exitcode=99 --leak-check=full \
    --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
    --suppressions="$SRC/tests/valgrind.supp" --log-file="$T/vg.log" \
    "$CLBB" run $args --output "$T/out" > "$T/out.txt" 2>&1
rc=$?
if [ $rc -ne 0 ] || [ ! -f "$T/out/out0.npy" ] || [ ! -s "$T/v.png" ]; then
    echo "== clbb run $args: FAILED (exit $rc)"; cat "$T/out.txt"
    grep -E -A20 "Invalid|uninitialised|definitely|indirectly" "$T/vg.log" | head -60
    fails=1
else
    echo "== clbb run $args: $(grep -E 'ERROR SUMMARY' "$T/vg.log" | sed 's/==[0-9]*== //')"
    grep -E "definitely lost|indirectly lost" "$T/vg.log" | sed 's/==[0-9]*== /   /'
fi
[ $fails -eq 0 ] || exit 1
