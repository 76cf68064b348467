#!/bin/bash
# One batched session on a GPU machine (see BENCHMARKS.md): build, checks,
# PyTorch comparison and timings, everything logged under $OUT.
# usage: benchmarks/gpu_session.sh STEP... (steps: build check check16 models models16 torch bench
#        memory cudnn tune benchtuned opbench basebuild compare)
# basebuild/compare: the tree of an earlier commit in .base/ (git archive, git-ignored, carried),
# built beside and timed against this one, workload by workload, alternating, in one session.
set -u
OUT=${OUT:-/tmp/clbb-out}
mkdir -p "$OUT"
export CLBB_CACHE_DIR=${CLBB_CACHE_DIR:-/tmp/clbb-cache}
B=build-gpu
step() { echo "=== $1 ($(date +%T))"; }
for s in "$@"; do
  case "$s" in
    build)
      step build
      (meson setup $B -Dtests=false -Dbuildtype=release >/dev/null && ninja -C $B) > "$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log"; exit 1; }
      ./$B/clbb devices | tee "$OUT/devices.txt" ;;
    check)
      step check
      timeout 400 ./$B/clbb check --ops --device nvidia 2>&1 | tee "$OUT/check_ops.txt" | grep -v "^  ok" | tail -14 ;;
    check16)
      step check16
      timeout 400 ./$B/clbb check --ops --precision fp16 --device nvidia 2>&1 | tee "$OUT/check_ops_f16.txt" | grep -v "^  ok" | tail -14 ;;
    models)
      step models
      timeout 400 ./$B/clbb check --blocks --models --device nvidia 2>&1 | tee "$OUT/check_models.txt" | tail -40 ;;
    models16)
      step models16
      timeout 400 ./$B/clbb check --blocks --models --precision fp16 --device nvidia 2>&1 | tee "$OUT/check_models_f16.txt" | tail -40 ;;
    basebuild)
      step basebuild
      (cd .base && meson setup build-gpu -Dtests=false -Dbuildtype=release >/dev/null && ninja -C build-gpu) > "$OUT/basebuild.log" 2>&1 || { tail -30 "$OUT/basebuild.log"; exit 1; } ;;
    compare)
      step compare
      for w in "resnet50 32,3,224,224" "resnet50 1,3,800,1344" "resnet50 1,3,224,224" "resnext50_32x4d 32,3,224,224" "ghostnet 32,3,224,224" "ghost_resnet50 32,3,224,224"; do
        set -- $w
        for tree in base new base new; do
          bin=./$B/clbb; [ $tree = base ] && bin=./.base/build-gpu/clbb
          f="$OUT/cmp_${1}_${2//,/x}_$tree"
          timeout 120 $bin bench --arch $1 --shape $2 --device nvidia --iters 30 --quiet >> "$f.txt" 2>&1
          echo "$tree $1 $2: $(grep '^clbb:' "$f.txt" | tail -1)"
        done
      done | tee "$OUT/compare.txt"
      for w in "resnet50 32,3,224,224" "ghostnet 32,3,224,224"; do
        set -- $w
        timeout 120 ./$B/clbb bench --arch $1 --shape $2 --device nvidia --iters 30 --quiet --precision fp16 2>&1 | grep -E '^clbb:|GFLOP,' | sed "s/^/fp16 $1 $2: /"
      done | tee "$OUT/compare_fp16.txt" ;;
    torch)
      step torch
      timeout 400 python3 benchmarks/torch_compare.py ./$B/clbb /tmp/tc --device nvidia 2>&1 | tee "$OUT/torch_compare.txt" | tail -40 ;;
    bench|benchtuned)
      step $s
      base=--baseline; sfx=""
      [ "$s" = benchtuned ] && { base=""; sfx="_tuned"; }
      for w in "resnet50 1,3,224,224" "resnet50 32,3,224,224" "resnet50 1,3,800,1344" "resnext50_32x4d 32,3,224,224" "ghostnet 32,3,224,224" "ghost_resnet50 32,3,224,224"; do
        set -- $w
        f="$OUT/bench_${1}_${2//,/x}$sfx"
        timeout 300 ./$B/clbb bench --arch $1 --shape $2 --device nvidia --iters 20 $base --json "$f.json" > "$f.txt" 2>&1
        tail -4 "$f.txt"
      done ;;
    memory)
      step memory
      timeout 120 ./$B/clbb run --arch resnet50 --shape 1,3,800,1344 --device nvidia --output /tmp/mem 2>&1 | tee "$OUT/memory_r50_800x1344.txt" | tail -1 ;;
    cudnn)
      step cudnn
      timeout 300 python3 benchmarks/cudnn_bench.py --json "$OUT/cudnn.json" 2>&1 | tee "$OUT/cudnn.txt" ;;
    tune)
      step tune
      for w in "resnet50 32,3,224,224" "resnet50 1,3,224,224" "resnet50 1,3,800,1344" "resnext50_32x4d 32,3,224,224" "ghostnet 32,3,224,224"; do
        set -- $w
        timeout 200 ./$B/clbb tune --arch $1 --shape $2 --device nvidia --iters 5 > "$OUT/tune_${1}_${2//,/x}.txt" 2>&1; tail -2 "$OUT/tune_${1}_${2//,/x}.txt"
      done
      cp "$CLBB_CACHE_DIR"/tuning-*.json "$OUT/" ;;
    opbench)
      step opbench
      timeout 300 ./$B/benchmarks/bench_ops --device nvidia --iters 10 > "$OUT/bench_ops.txt" 2>&1; tail -5 "$OUT/bench_ops.txt" ;;
  esac
done
# the device tool returns at most 8 files: one archive holds them all
(cd "$OUT" && tar czf ../results.tgz . && rm -rf ./* && mv ../results.tgz .)
echo "=== done ($(date +%T))"
