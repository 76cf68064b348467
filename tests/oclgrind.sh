#!/bin/sh
# Runs the small conformance cases of every op under oclgrind (API checks,
# out-of-bounds accesses, data races) and fails on any reported error.
# Usage: oclgrind.sh PATH/TO/clbb.  Skipped (exit 77) without oclgrind.
set -u
command -v oclgrind >/dev/null 2>&1 || { echo "oclgrind not installed: skipped"; exit 77; }
T=$(mktemp -d /tmp/clbb-oclgrind-XXXXXX)
trap 'rm -rf "$T"' EXIT
# Oclgrind is a CPU device: a second pass forces the GPU kernel family
# (local-memory tiles and barriers, where races would be) on it.
# An empty cache each time: programs are built from source by oclgrind's compiler.
for family in 1 0; do
    rm -rf "$T/cache" "$T/log"
    CLBB_CPU_KERNELS=$family CLBB_CACHE_DIR="$T/cache" oclgrind --check-api --data-races \
        --log "$T/log" "$1" check --ops --small --device oclgrind > "$T/out" 2>&1
    rc=$?
    echo "== kernel family: $([ $family = 1 ] && echo CPU || echo GPU)"
    grep -v "^  ok" "$T/out"
    if [ -s "$T/log" ]; then
        echo "oclgrind reported:"; head -50 "$T/log"; exit 1
    fi
    [ $rc -eq 0 ] || { echo "check failed under oclgrind (exit $rc)"; exit 1; }
done
echo "oclgrind: no errors"
