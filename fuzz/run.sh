#!/bin/sh
# Builds the libFuzzer targets with clang in build-fuzz/ and runs each for a
# bounded time on a scratch copy of its seed corpus (fuzz/corpus/<name>/ is
# never modified). Exits non-zero on the first crash, leak, timeout or
# sanitizer report; the reproducer is left in build-fuzz/artifacts-<name>/.
#
#   fuzz/run.sh [seconds-per-target]   (default 60)
#   FUZZ_TARGETS="npy safetensors" fuzz/run.sh 30
set -eu

command -v "${CC:-clang}" >/dev/null 2>&1 || { echo "clang not installed: skipped"; exit 77; }
secs=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
targets=${FUZZ_TARGETS:-npy safetensors config tuning image report}

if [ ! -f "$build/build.ninja" ]; then
    CC=${CC:-clang} meson setup "$build" "$root" -Dfuzzers=true -Dtests=false -Dbenchmarks=false
fi
for t in $targets; do
    ninja -C "$build" "fuzz/fuzz_$t"
done

for t in $targets; do
    corpus="$build/corpus-$t"
    artifacts="$build/artifacts-$t/"
    rm -rf "$corpus" "$artifacts"
    mkdir -p "$corpus" "$artifacts"
    cp "$root/fuzz/corpus/$t/"* "$corpus/"
    echo "== fuzz_$t for ${secs}s"
    # -timeout: a single input may take at most 10 s; -rss_limit_mb: the
    # parsers must not allocate much more than their input.
    if ! "$build/fuzz/fuzz_$t" -max_total_time="$secs" -print_final_stats=1 \
            -timeout=10 -rss_limit_mb=2048 -dict="$root/fuzz/$t.dict" \
            -artifact_prefix="$artifacts" "$corpus"; then
        echo "fuzz_$t failed: reproducer(s) in $artifacts" >&2
        ls -l "$artifacts" >&2
        exit 1
    fi
done
echo "all fuzz targets ran ${secs}s without a crash"
