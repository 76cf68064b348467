#!/bin/sh
# The NVIDIA tensor-core kernels (IG_MMA 1 TF32, 2 fp16, 3 3xTF32 of
# cl/conv2d_igemm.cl, gen_attention_mma of cl/gen_attention.cl: inline-PTX
# mma.sync and shfl.sync) with every product and shuffle emulated in
# OpenCL C (CLBB_MMA=emu, docs/precision.md), so that their fragment
# layouts, pair-row loaders, split-K and epilogues are checked against the
# reference on PoCL in CI, not only on an NVIDIA GPU: the conv2d (igemm,
# Winograd) and deform_conv2d tables at each tensor-core precision, GPU
# kernel family, two fp16 blocks, and the fp16 conv table under oclgrind. Each table must report that
# its math ran (`math tf32+fp32`, ...), so a silent fallback to the strict
# kernels fails the test.
# One PoCL thread: with more, PoCL 3.1 returns wrong results for the larger
# emulated cases (barrier-heavy kernels; not reproducible with one thread or
# under oclgrind, which reports no race), see docs/precision.md.
# Usage: mma_emu.sh PATH/TO/clbb
set -u
CLBB=$1
export CLBB_MMA=emu CLBB_CPU_KERNELS=0 POCL_MAX_PTHREAD_COUNT=1
T=$(mktemp -d /tmp/clbb-mma-emu-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
# gen_attention's tensor-core kernel (TF32 here, with its keys split 3 ways
# where they span 3 tiles or more: the split-KV partials and merge kernel;
# FP16 unsplit under oclgrind below; no 3xTF32 variant: tf32x3 runs its
# strict kernel)
for p in tf32 fp16 tf32x3; do
    only=conv,deform; want=2
    [ $p = tf32 ] && only=conv,deform,gen_attention && want=3
    CLBB_GA_SPLITS=3 "$CLBB" check --ops --only $only --quick --small --precision $p > "$T/out" 2>&1
    rc=$?
    echo "== $p (exit $rc)"
    grep -v "^  ok" "$T/out"
    [ $rc -eq 0 ] || fail=1
    n=$(grep -c "pass  math $p+" "$T/out")
    [ "$n" -eq $want ] || { echo "expected $only to run math $p: $n did"; fail=1; }
done
"$CLBB" check --blocks --quick --only bottleneck_caffe_s2,dcnv2_bottleneck_s2_dg2 --precision fp16 > "$T/out" 2>&1
rc=$?
echo "== fp16 block (exit $rc)"
cat "$T/out"
[ $rc -eq 0 ] || fail=1
grep -q "pass" "$T/out" || { echo "no block ran"; fail=1; }
# the same kernels under oclgrind (out-of-bounds accesses, data races in the
# local-memory tiles, the emulation's scratch): fp16, whose pair loaders are
# the most intricate (tf32 under oclgrind: one more minute, left out for CI time)
if command -v oclgrind >/dev/null 2>&1; then
    for p in fp16; do
        rm -f "$T/log"
        CLBB_CACHE_DIR="$T/cache" oclgrind --check-api --data-races --log "$T/log" \
            "$CLBB" check --ops --only conv,gen_attention --small --quick --precision $p --device oclgrind \
            > "$T/out" 2>&1
        rc=$?
        echo "== oclgrind $p (exit $rc)"
        grep -v "^  ok" "$T/out"
        [ $rc -eq 0 ] || fail=1
        n=$(grep -c "pass  math $p+" "$T/out")
        [ "$n" -eq 3 ] || { echo "expected conv2d, deform_conv2d (the word conv) and gen_attention to run math $p: $n did"; fail=1; }
        if [ -s "$T/log" ]; then echo "oclgrind reported:"; head -50 "$T/log"; fail=1; fi
    done
else
    echo "oclgrind not installed: its half skipped"
fi
exit $fail
