#!/bin/sh
# `clbb check --quick` under every device profile: on the default device
# (PoCL in CI) and under oclgrind with its device limited to the profile's
# max work-group size and local memory, so that a launch or a local-memory
# tile beyond the profile is an error there too (oclgrind: zero reports).
# Usage: profiles.sh PATH/TO/clbb [pocl|oclgrind|all]   (default all)
# The oclgrind half is skipped without oclgrind; the whole test is skipped
# (77) when neither half can run.
#
# Cost (CI has little headroom): only the op tables whose plan depends on
# the device (conv2d's tiles, work-groups and split-K; deformable conv's
# split by compute units; GeneralizedAttention's local-memory choice), their
# quick, small subset (which under a profile leaves out the CPU family and
# direct convolution: no profile changes their plans), and one program
# cache for every profile (CLBB_CACHE_DIR from meson's test environment,
# else a fresh one): what two profiles plan alike is built once. Measured
# times: docs/profiles.md.
set -u
CLBB=$1
MODE=${2:-all}
# conv2d also matches deform_conv2d; gen_attention (its local-memory
# variant) on PoCL only: under oclgrind it costs 40 s a profile
ONLY=conv2d,gen_attention
ONLY_OCLGRIND=conv2d
T=$(mktemp -d /tmp/clbb-profiles-XXXXXX)
trap 'rm -rf "$T"' EXIT
: "${CLBB_CACHE_DIR:=$T/cache}"
export CLBB_CACHE_DIR
unset CLBB_DEVICE_PROFILE CLBB_CPU_KERNELS

# name max-wg local-bytes, one profile a line
"$CLBB" profiles --json > "$T/table.json" || { echo "clbb profiles failed"; exit 1; }
sed -n 's/.*"name":[[:space:]]*"\([^"]*\)".*/\1/p' "$T/table.json" > "$T/names"
sed -n 's/.*"max_work_group_size":[[:space:]]*\([0-9]*\).*/\1/p' "$T/table.json" > "$T/wg"
sed -n 's/.*"local_mem_bytes":[[:space:]]*\([0-9]*\).*/\1/p' "$T/table.json" > "$T/lmem"
paste -d' ' "$T/names" "$T/wg" "$T/lmem" > "$T/profiles"
[ "$(wc -l < "$T/profiles")" -ge 8 ] || { echo "expected >= 8 profiles:"; cat "$T/profiles"; exit 1; }

fail=0
ran=0
if [ "$MODE" != oclgrind ]; then
    start=$(date +%s)
    while read -r name wg lmem; do
        "$CLBB" check --ops --quick --small --only "$ONLY" --profile "$name" > "$T/out" 2>&1
        rc=$?
        if [ $rc -ne 0 ]; then
            echo "== $name: check failed (exit $rc)"; grep -v "^  ok" "$T/out"; fail=1
        else
            echo "== $name: passed"
        fi
    done < "$T/profiles"
    echo "pocl: $(( $(date +%s) - start )) s for every profile"
    ran=1
fi

if [ "$MODE" != pocl ]; then
    if ! command -v oclgrind >/dev/null 2>&1; then
        echo "oclgrind not installed: its half skipped"
    else
        start=$(date +%s)
        # oclgrind's own cache directory: its binaries are not PoCL's
        export CLBB_CACHE_DIR="$T/oclgrind-cache"
        while read -r name wg lmem; do
            rm -f "$T/log"
            oclgrind --check-api --data-races --max-wgsize "$wg" --local-mem-size "$lmem" \
                --log "$T/log" "$CLBB" check --ops --quick --small --only "$ONLY_OCLGRIND" \
                --device oclgrind --profile "$name" > "$T/out" 2>&1
            rc=$?
            if [ -s "$T/log" ]; then
                echo "== $name: oclgrind reported:"; head -50 "$T/log"; fail=1
            elif [ $rc -ne 0 ]; then
                echo "== $name: check failed under oclgrind (exit $rc)"; grep -v "^  ok" "$T/out"
                fail=1
            else
                echo "== $name: oclgrind (max wg $wg, local $lmem bytes): no errors"
            fi
        done < "$T/profiles"
        echo "oclgrind: $(( $(date +%s) - start )) s for every profile"
        ran=1
    fi
fi
[ $ran -eq 1 ] || exit 77
exit $fail
