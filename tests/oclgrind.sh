#!/bin/sh
# Runs the small conformance cases of every op under oclgrind (API checks,
# out-of-bounds accesses, data races) and fails on any reported error.
# Usage: oclgrind.sh PATH/TO/clbb.  Skipped (exit 77) without oclgrind.
set -u
command -v oclgrind >/dev/null 2>&1 || { echo "oclgrind not installed: skipped"; exit 77; }
T=$(mktemp -d /tmp/clbb-oclgrind-XXXXXX)
trap 'rm -rf "$T"' EXIT
# The case tables check both kernel families of the ops that have two
# (the GPU family's local-memory tiles and barriers, where races would be,
# on oclgrind's CPU device too), in fp32 and with half storage.
# An empty cache each time: programs are built from source by oclgrind's compiler.
# fp16 runs the same kernels with half storage: its quick subset.
# gen_attention's rows kernel with 4 (fp32) and 2 (fp16) key splits per
# query (CLBB_GA_KS): the splits' merge through local memory, which the
# small cases' own choice (one split) would leave out.
for precision in fp32 fp16; do
    rm -rf "$T/cache" "$T/log"
    quick=""; ks=4; [ $precision = fp16 ] && quick=--quick && ks=2
    CLBB_GA_KS=$ks CLBB_CACHE_DIR="$T/cache" oclgrind --check-api --data-races --log "$T/log" \
        "$1" check --ops --small $quick --precision $precision --device oclgrind > "$T/out" 2>&1
    rc=$?
    echo "== $precision"
    grep -v "^  ok" "$T/out"
    if [ -s "$T/log" ]; then
        echo "oclgrind reported:"; head -50 "$T/log"; exit 1
    fi
    [ $rc -eq 0 ] || { echo "check failed under oclgrind (exit $rc)"; exit 1; }
done
echo "oclgrind: no errors"
