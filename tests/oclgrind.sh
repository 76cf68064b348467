#!/bin/sh
# Runs the small conformance cases of every op under oclgrind (API checks,
# out-of-bounds accesses, data races) and fails on any reported error.
# Usage: oclgrind.sh PATH/TO/clbb.  Skipped (exit 77) without oclgrind.
set -u
command -v oclgrind >/dev/null 2>&1 || { echo "oclgrind not installed: skipped"; exit 77; }
T=$(mktemp -d /tmp/clbb-oclgrind-XXXXXX)
trap 'rm -rf "$T"' EXIT
# an empty cache: programs are built from source by oclgrind's compiler
CLBB_CACHE_DIR="$T/cache" oclgrind --check-api --data-races --log "$T/log" \
    "$1" check --ops --small --device oclgrind > "$T/out" 2>&1
rc=$?
cat "$T/out" | grep -v "^  ok"
if [ -s "$T/log" ]; then
    echo "oclgrind reported:"; head -50 "$T/log"; exit 1
fi
[ $rc -eq 0 ] || { echo "check failed under oclgrind (exit $rc)"; exit 1; }
echo "oclgrind: no errors"
