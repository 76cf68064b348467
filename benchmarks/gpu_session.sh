#!/bin/bash
# One batched session on a GPU machine (see BENCHMARKS.md): build, checks,
# PyTorch comparison and timings, everything logged under $OUT.
# usage: benchmarks/gpu_session.sh STEP... (steps: build check check16 models models16 torch bench
#        memory cudnn tune benchtuned opbench basebuild compare issue10 issue10b issue10c torchplugins pluginexport pluginbench gcb gcbcheck dcntune precision checkprec checkprecq pluginprec latency ptx coldstart f16 nvexp attn attnq gcbq attnt)
# precision: benchmarks/torch_precision.py (issue 11): PyTorch strict fp32, default (TF32) and
# fp16 channels_last next to `clbb bench` at fp32/tf32x3/tf32/fp16, the ratio table, JSON.
# checkprec: `clbb check` (ops, blocks, backbones) at tf32x3, tf32 and fp16.
# torchplugins: PyTorch timings of the issue-10 configs (DCN, DCNv2, GCNet, empirical attention)
# at 1x3x800x1344, fp32 (TF32 off), tf32 and fp16. pluginexport: every config exported
# (weights, config, input, float64 PyTorch outputs), run by `clbb run` at fp32 and fp16 and
# compared; one PASS/FAIL line per config and precision, failures do not stop the loop.
# pluginbench: `clbb bench` of the same timed configs at 1x3x800x1344, fp32 and fp16.
# latency: small-batch launches (issue 13): the fused ops and the fused GhostNet against the
# reference (fp32, fp16), then GhostNet and ResNet-50 at 1x3x224x224 (and 32x) with the Ghost/SE
# fusions off (CLBB_FUSE=0), default and forced (CLBB_FUSE=1), ResNet-50 also with every conv
# on igemm (one launch where Winograd takes three), alternating twice; bench JSON per run.
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
    issue10)
      # issue 10 in one call, most important first: clbb timings of the DCN and plugin presets
      # against plain ResNet-50 (fp32, 1x3x800x1344, with per-layer JSON), the PyTorch baseline of
      # the same configs, the new op tables and backbones against the C reference, then fp16.
      step issue10-bench
      A="resnet50 resnet50_dcn_c3c5 resnet50_dcnv2_c3c5 resnet50_gcb_r16_c3c5 resnet50_attn1111_c4c5 resnet50_attn0010_c4c5"
      for a in $A resnet50; do
        f="$OUT/i10_bench_${a}_fp32"
        timeout 90 ./$B/clbb bench --arch $a --shape 1,3,800,1344 --device nvidia --iters 30 --json "$f.json" > "$f.txt" 2>&1 || echo "FAIL $a: $(grep -m1 error "$f.txt")"
        echo "$a fp32: $(grep '^clbb:' "$f.txt" | tail -1)"
      done | tee "$OUT/i10_bench_fp32.txt"
      step issue10-torch
      timeout 150 python3 benchmarks/torch_dcn_plugins.py --device cuda --precision fp32 --iters 30 \
        --out "$OUT/torch_plugins_fp32.json" > "$OUT/torch_plugins_fp32.txt" 2>&1 || echo "torch_dcn_plugins fp32: exit $?"
      tail -9 "$OUT/torch_plugins_fp32.txt"
      step issue10-check
      W=deform,softmax,layer_norm,channel_affine,context_pool,matmul,attention,upsample
      timeout 150 ./$B/clbb check --ops --only $W --device nvidia > "$OUT/i10_check_ops.txt" 2>&1
      grep -v "^  ok" "$OUT/i10_check_ops.txt" | tail -12
      timeout 100 ./$B/clbb check --blocks --models --only dcn,gcb,nonlocal,attn --device nvidia > "$OUT/i10_check_models.txt" 2>&1
      tail -14 "$OUT/i10_check_models.txt"
      step issue10-fp16
      timeout 60 ./$B/clbb check --ops --quick --only $W --precision fp16 --device nvidia > "$OUT/i10_check_ops_f16.txt" 2>&1
      grep -v "^  ok" "$OUT/i10_check_ops_f16.txt" | tail -12
      for a in $A; do
        f="$OUT/i10_bench_${a}_fp16"
        timeout 60 ./$B/clbb bench --arch $a --shape 1,3,800,1344 --device nvidia --iters 30 --precision fp16 --json "$f.json" > "$f.txt" 2>&1 || echo "FAIL $a fp16: $(grep -m1 error "$f.txt")"
        echo "$a fp16: $(grep '^clbb:' "$f.txt" | tail -1)"
      done | tee "$OUT/i10_bench_fp16.txt"
      step issue10-done ;;
    issue10b)
      # the second issue-10 call: the deformable conv's GPU kernel after its tap-major K
      # (correctness on the device first), then timings, and per-layer time by layer kind and
      # for the layers each preset changes (stages 2-4 conv2 / conv_offset / plugin layers)
      step issue10b-check
      timeout 120 ./$B/clbb check --ops --only deform --device nvidia > "$OUT/i10b_check_deform.txt" 2>&1
      grep -v "^  ok" "$OUT/i10b_check_deform.txt" | tail -3
      timeout 60 ./$B/clbb check --ops --quick --only deform --precision fp16 --device nvidia > "$OUT/i10b_check_deform_f16.txt" 2>&1
      grep -v "^  ok" "$OUT/i10b_check_deform_f16.txt" | tail -2
      step issue10b-bench
      for a in resnet50 resnet50_dcn_c3c5 resnet50_dcnv2_c3c5 resnet50_gcb_r16_c3c5 resnet50_attn1111_c4c5 resnet50; do
        f="$OUT/i10b_${a}"
        timeout 90 ./$B/clbb bench --arch $a --shape 1,3,800,1344 --device nvidia --iters 30 > "$f.txt" 2>&1 || echo "FAIL $a: $(grep -m1 error "$f.txt")"
        echo "$a fp32: $(grep '^clbb:' "$f.txt" | tail -1)"
        awk -v a=$a '$5+0 > 0 && NF >= 8 { k[$2] += $5; if ($1 ~ /^layer[234][.][0-9]+[.]conv2$/) c2 += $5; if ($1 ~ /conv_offset|context_block|gen_attention_block/) pl += $5 }
          END { printf "  %s by kind:", a; for (x in k) printf " %s %.3f", x, k[x]; printf "\n  %s: stage 2-4 conv2 %.3f ms, offset/plugin layers %.3f ms\n", a, c2, pl }' "$f.txt"
      done | tee "$OUT/i10b_bench.txt"
      for a in resnet50 resnet50_dcn_c3c5 resnet50_dcnv2_c3c5; do
        timeout 60 ./$B/clbb bench --arch $a --shape 1,3,800,1344 --device nvidia --iters 30 --precision fp16 --quiet > "$OUT/i10b_${a}_fp16.txt" 2>&1
        echo "$a fp16: $(grep '^clbb:' "$OUT/i10b_${a}_fp16.txt" | tail -1)"
      done | tee -a "$OUT/i10b_bench.txt"
      grep -h "gen_attention_block\.\|layer3.0.context_block" "$OUT"/i10b_resnet50_attn1111_c4c5.txt "$OUT"/i10b_resnet50_gcb_r16_c3c5.txt | head -24
      ls -la "$OUT" | head -5
      step issue10b-done ;;
    issue10c)
      # the third issue-10 call: DCNv2 with one conv_offset (mask logits read through the
      # deform op's sigmoid): the op table on the device, timings, then PyTorch-level
      # conformance of the timed configs (mmcv-exact torch modules, float64 on the CPU) at fp32
      step issue10c-check
      timeout 100 ./$B/clbb check --ops --only deform --device nvidia > "$OUT/i10c_check_deform.txt" 2>&1
      grep -v "^  ok" "$OUT/i10c_check_deform.txt" | tail -2
      step issue10c-bench
      for a in resnet50 resnet50_dcn_c3c5 resnet50_dcnv2_c3c5 resnet50; do
        for prec in fp32 fp16; do
          f="$OUT/i10c_${a}_$prec"
          timeout 60 ./$B/clbb bench --arch $a --shape 1,3,800,1344 --device nvidia --iters 30 --precision $prec > "$f.txt" 2>&1
          echo "$a $prec: $(grep '^clbb:' "$f.txt" | tail -1)"
        done
      done | tee "$OUT/i10c_bench.txt"
      step issue10c-conformance
      D=/tmp/i10c_export; rm -rf $D
      timeout 120 python3 benchmarks/torch_dcn_plugins.py --configs plain,dcn,dcnv2,gcb_r16,gcb_r4,attn1111,attn0010 \
        --export $D --iters 0 > "$OUT/i10c_export.txt" 2>&1 || echo "export exit $?"
      for j in $D/*.json; do
        n=$(basename $j .json); [ $n = manifest ] && continue
        o=$D/${n}_clbb
        timeout 60 ./$B/clbb run --config $j --weights $D/$n.safetensors --input $D/${n}_input.npy \
          --output $o --device nvidia > $D/${n}_run.txt 2>&1 || { echo "FAIL $n (clbb run)"; continue; }
        python3 benchmarks/compare_npy.py $D $o --prefix ${n}_ --tol 1e-4 --name "$n fp32" | tail -4
      done | tee "$OUT/i10c_conformance.txt"
      step issue10c-done ;;
    torchplugins)
      step torchplugins
      for p in fp32 tf32 fp16; do
        timeout 500 python3 benchmarks/torch_dcn_plugins.py --device cuda --precision $p --iters 30 \
          --out "$OUT/torch_plugins_$p.json" > "$OUT/torch_plugins_$p.txt" 2>&1 || echo "torch_dcn_plugins $p: exit $?"
        tail -9 "$OUT/torch_plugins_$p.txt"
      done ;;
    pluginexport)
      step pluginexport
      D=/tmp/plugin_export; rm -rf $D
      timeout 400 python3 benchmarks/torch_dcn_plugins.py --configs all --export $D --iters 0 > "$OUT/plugin_export.txt" 2>&1 \
        || echo "export: exit $? ($(grep -c FAILED "$OUT/plugin_export.txt") configs failed, see plugin_export.txt)"
      cp $D/manifest.json "$OUT/plugin_manifest.json" 2>/dev/null
      for j in $D/*.json; do
        n=$(basename $j .json); [ $n = manifest ] && continue
        # tol: fp32 as torch_compare (1e-4; plain R50 on PoCL is at 6e-7); fp16 storage rounds
        # every stored activation to 2^-11 (plain R50: 5.6e-4 on PoCL) and a softmax over
        # energies of size ~10 multiplies that: 1e-2
        for prec in fp32 fp16; do
          tol=1e-4; [ $prec = fp16 ] && tol=1e-2
          o=$D/${n}_clbb_$prec; rm -rf $o
          if timeout 180 ./$B/clbb run --config $j --weights $D/$n.safetensors --input $D/${n}_input.npy \
               --output $o --device nvidia --precision $prec > $D/${n}_run_$prec.txt 2>&1; then
            python3 benchmarks/compare_npy.py $D $o --prefix ${n}_ --tol $tol --name "$n $prec"; r=$?
            [ $r = 0 ] && echo "PASS $n $prec" || echo "FAIL $n $prec (compare exit $r, tol $tol)"
          else
            echo "FAIL $n $prec (clbb run exit $?: $(grep -m1 'error' $D/${n}_run_$prec.txt))"
          fi
        done
      done > "$OUT/plugin_compare.txt" 2>&1
      grep '^FAIL' "$OUT/plugin_compare.txt" | cut -c1-220 | head -60
      echo "pluginexport: $(grep -c '^PASS' "$OUT/plugin_compare.txt") passed, $(grep -c '^FAIL' "$OUT/plugin_compare.txt") failed" ;;
    pluginbench)
      step pluginbench
      D=/tmp/plugin_cfgs; rm -rf $D
      python3 benchmarks/torch_dcn_plugins.py --export $D --configs-only --iters 0 > /dev/null 2>&1 || echo "config export failed"
      for n in plain dcn dcnv2 gcb_r16 gcb_r4 attn1111 attn0010; do
        for prec in fp32 fp16; do
          f="$OUT/clbb_plugins_${n}_$prec"
          timeout 200 ./$B/clbb bench --config $D/$n.json --shape 1,3,800,1344 --device nvidia --iters 20 \
            --precision $prec --quiet --json "$f.json" > "$f.txt" 2>&1 || echo "FAIL $n $prec: $(grep -m1 error "$f.txt")"
          echo "$n $prec: $(grep '^clbb:' "$f.txt" | tail -1)"
        done
      done | tee "$OUT/clbb_plugins.txt" ;;
    gcb)
      # GCNet's context pooling: op table on the GPU, then per-layer benches of plain and GCNet
      step gcb
      for prec in fp32 fp16; do
        timeout 300 ./$B/clbb check --ops --only context_pool,context_mlp,channel_affine,layer_norm --precision $prec --device nvidia \
          > "$OUT/gcb_check_$prec.txt" 2>&1; tail -3 "$OUT/gcb_check_$prec.txt"
      done
      D=/tmp/plugin_cfgs; rm -rf $D
      python3 benchmarks/torch_dcn_plugins.py --export $D --configs-only --iters 0 > /dev/null 2>&1 || echo "config export failed"
      for n in plain gcb_r16 gcb_r4 dcn attn1111; do
        f="$OUT/gcb_bench_$n"
        timeout 200 ./$B/clbb bench --config $D/$n.json --shape 1,3,800,1344 --device nvidia --iters 20 \
          --json "$f.json" > "$f.txt" 2>&1 || echo "FAIL $n: $(grep -m1 error "$f.txt")"
        echo "$n: $(grep '^clbb:' "$f.txt" | tail -1)"
      done | tee "$OUT/gcb_summary.txt"
      grep -h "context_block" "$OUT"/gcb_bench_gcb_r16.txt | head -12 ;;
    gcbcheck)
      # the plugin and DCN backbones against the C reference on the GPU, fp32 and fp16
      step gcbcheck
      for prec in fp32 fp16; do
        timeout 300 ./$B/clbb check --blocks --models --only dcn,gcb,attn,nonlocal --precision $prec \
          --device nvidia > "$OUT/gcbcheck_$prec.txt" 2>&1; tail -14 "$OUT/gcbcheck_$prec.txt"
      done ;;
    dcntune)
      # what the tuner finds for DCN's layers (conv_offset's 18-channel convs first)
      # (DCN_TUNE_PREC: the precision, fp32 by default; DCN_TUNE_ARCH the preset), then the
      # preset timed with the table it wrote (the plain layers tuned too: a tuner's view, not a ratio)
      step dcntune
      tp=${DCN_TUNE_PREC:-fp32}; ta=${DCN_TUNE_ARCH:-resnet50_dcn_c3c5}
      # (a cache directory of its own: the table is the device's default file there, which
      # the bench reads and no later step sees)
      tc="$CLBB_CACHE_DIR-tune"
      CLBB_CACHE_DIR="$tc" timeout ${DCN_TUNE_TIMEOUT:-420} ./$B/clbb tune --arch $ta --shape 1,3,800,1344 --device nvidia --iters 5 \
        --precision $tp --budget $(( ${DCN_TUNE_TIMEOUT:-420} - 30 )) > "$OUT/dcntune_$tp.txt" 2>&1; echo "tune rc $?"
      grep -i "offset" "$OUT/dcntune_$tp.txt" | head -20; tail -3 "$OUT/dcntune_$tp.txt"
      find "$tc" -name '*tun*' -type f -exec cp {} "$OUT/" \;
      CLBB_CACHE_DIR="$tc" timeout 100 ./$B/clbb bench --arch $ta --shape 1,3,800,1344 --device nvidia --iters 20 --precision $tp \
        > "$OUT/dcntune_bench_$tp.txt" 2>&1
      echo "$ta $tp tuned: $(grep -E '^clbb:' "$OUT/dcntune_bench_$tp.txt" | tail -1)"
      grep -E "conv_offset" "$OUT/dcntune_bench_$tp.txt" | awk '{print "   ", $1, $2, $4, $5}' ;;
    precision)
      step precision
      timeout 560 python3 benchmarks/torch_precision.py ./$B/clbb --device nvidia \
        --out "$OUT/torch_precision.json" > "$OUT/torch_precision.txt" 2>&1; echo "torch_precision rc $?"
      sed -n '/^PyTorch /,$p' "$OUT/torch_precision.txt" ;;
    checkprec|checkprecq)
      # every op case at each precision; blocks and backbones whole (checkprec) or their quick subset
      step $s
      # CHECK_OPS_ONLY (e.g. conv,deform: the ops with a math mode) narrows the op tables (not fp16's with
      # CHECK_FP16_ALL=1), CHECK_PRECS the modes, CHECK_TIMEOUT each run's limit
      q=""; [ $s = checkprecq ] && q=--quick
      only=""; [ -n "${CHECK_OPS_ONLY:-}" ] && only="--only $CHECK_OPS_ONLY"
      for p in ${CHECK_PRECS:-tf32x3 tf32 fp16}; do
        o=$only; [ $p = fp16 ] && [ -n "${CHECK_FP16_ALL:-}" ] && o=""
        timeout ${CHECK_TIMEOUT:-150} stdbuf -oL ./$B/clbb check --ops $o --precision $p --device nvidia > "$OUT/check_ops_$p.txt" 2>&1
        echo "$p ops rc $?: $(grep -m1 '^precision:' "$OUT/check_ops_$p.txt") / $(tail -1 "$OUT/check_ops_$p.txt")"
        timeout ${CHECK_TIMEOUT:-150} stdbuf -oL ./$B/clbb check --blocks --models $q --precision $p --device nvidia > "$OUT/check_models_$p.txt" 2>&1
        echo "$p blocks+models rc $?: $(tail -1 "$OUT/check_models_$p.txt")"
        grep -hE "FAIL" "$OUT/check_ops_$p.txt" "$OUT/check_models_$p.txt" | head -5
      done ;;
    pluginprec)
      # issue 10's configs at each precision (1x3x800x1344), and ResNet-50's layers at 32x224 per precision
      step pluginprec
      for p in ${PLUGIN_PRECS:-tf32x3 tf32 fp16}; do
        for a in resnet50 resnet50_dcn_c3c5 resnet50_dcnv2_c3c5 resnet50_gcb_r16_c3c5 resnet50_attn1111_c4c5; do
          f="$OUT/pluginprec_${a}_$p"
          timeout 100 ./$B/clbb bench --arch $a --shape 1,3,800,1344 --device nvidia --iters 20 --precision $p --json "$f.json" > "$f.txt" 2>&1
          echo "$p $a: $(grep -E '^clbb:' "$f.txt" | tail -1)"
        done
        timeout 100 ./$B/clbb bench --arch resnet50 --shape 32,3,224,224 --device nvidia --iters 20 --precision $p > "$OUT/layers_resnet50_32x224_$p.txt" 2>&1
      done ;;
    latency)
      step latency
      for prec in fp32 fp16; do
        CLBB_FUSE=1 timeout 300 ./$B/clbb check --ops --blocks --models --only ghost,se_gate --precision $prec \
          --device nvidia > "$OUT/latency_check_$prec.txt" 2>&1; tail -14 "$OUT/latency_check_$prec.txt"
      done
      for rep in ${LAT_REPS:-1 2}; do
        for w in "ghostnet 1,3,224,224" "ghostnet 32,3,224,224" "resnet50 1,3,224,224" "resnet50 32,3,224,224"; do
          set -- $w
          for v in fuse0 default fuse1 igemm; do
            [ $1 = ghostnet ] && [ $v = igemm ] && continue
            [ $1 = resnet50 ] && [ $v = fuse1 ] && continue
            env=""; extra=""
            case $v in fuse0) env="CLBB_FUSE=0";; fuse1) env="CLBB_FUSE=1";; igemm) extra="--conv-algo igemm";; esac
            f="$OUT/latency_${1}_${2//,/x}_${v}_$rep"
            env $env timeout 200 ./$B/clbb bench --arch $1 --shape $2 --device nvidia --iters 50 --warmup 10 \
              --quiet $extra --json "$f.json" > "$f.txt" 2>&1
            echo "$1 $2 $v #$rep: $(grep -o '[0-9]* kernels per forward' "$f.txt"); $(grep '^clbb:' "$f.txt")"
          done
        done
      done | tee "$OUT/latency.txt" ;;
    ptx)
      # the PTX the NVIDIA driver keeps for the tensor-core GEMMs (program cache = PTX text):
      # local-memory (stack) use and mma counts, and the compiler's warnings on a cold build
      step ptx
      timeout 100 env CLBB_CACHE_DIR=/tmp/clbb-ptx ./$B/clbb bench --arch resnet50 --shape 8,3,224,224 --device nvidia \
        --iters 2 --precision tf32 > "$OUT/ptx_bench.txt" 2>&1
      grep -v "^layer\|^conv\|^max\|^layer" "$OUT/ptx_bench.txt" | sort | uniq -c | head -20
      n=0
      for f in $(grep -l "mma.sync" -r /tmp/clbb-ptx 2>/dev/null); do
        echo "$f: $(grep -c 'mma.sync' $f) mma, $(grep -c 'ld.local\|st.local' $f) local ld/st, $(grep -c '^\s*\.local' $f) .local decls, $(grep -c 'bar.sync' $f) bar"
        n=$((n + 1)); [ $n -le 3 ] && cp "$f" "$OUT/ptx_$n.txt"
      done | head -30 ;;
    coldstart)
      # cold start (issue 13): `clbb bench` on an empty clbb cache and an empty driver cache
      # (NVIDIA: CUDA_CACHE_PATH; PoCL: POCL_CACHE_DIR), then again on the warm ones; each
      # prints "cold start: plan ... first forward ...; warm plan ..." (JSON: plan_cold_ms,
      # plan_warm_ms, first_forward_ms, programs_built, disk_cache)
      step coldstart
      for w in "resnet50 1,3,224,224" "resnet50 32,3,224,224" "ghostnet 1,3,224,224" "ghostnet 32,3,224,224"; do
        set -- $w
        C=/tmp/clbb-cold; rm -rf $C; mkdir -p $C/clbb $C/cuda $C/pocl
        for run in cold warm; do
          f="$OUT/coldstart_${1}_${2//,/x}_$run"
          t0=$(date +%s.%N)
          CLBB_CACHE_DIR=$C/clbb CUDA_CACHE_PATH=$C/cuda POCL_CACHE_DIR=$C/pocl \
            timeout 300 ./$B/clbb bench --arch $1 --shape $2 --device nvidia --iters 5 --warmup 1 --quiet \
            --json "$f.json" > "$f.txt" 2>&1
          echo "$run $1 $2: $(grep -E '^cold start:' "$f.txt") (process $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t0}") s)"
        done
      done | tee "$OUT/coldstart.txt" ;;
    f16)
      # the fp16 tensor-core GEMMs (IG_MMA 2): conv/deform tables at fp16, the backbones at fp16
      # (per-layer tables) and ResNet-50 at tf32 beside them, ptxas -v (triton's) of one kernel
      step f16
      timeout 240 ./$B/clbb check --ops --only conv,deform --precision fp16 --device nvidia > "$OUT/f16_check.txt" 2>&1
      echo "check rc $?: $(tail -1 "$OUT/f16_check.txt")"; grep -E "FAIL|worst" "$OUT/f16_check.txt" | head -8
      for w in "resnet50 32,3,224,224 fp16" "resnet50 1,3,800,1344 fp16" "resnext50_32x4d 32,3,224,224 fp16" \
               "ghostnet 32,3,224,224 fp16" "resnet50 32,3,224,224 tf32" ${F16_EXTRA:-}; do
        set -- $w
        f="$OUT/f16_${1}_${2//,/x}_$3"
        timeout 100 env CLBB_CACHE_DIR=/tmp/clbb-f16 ./$B/clbb bench --arch $1 --shape $2 --device nvidia --iters 20 --precision $3 --json "$f.json" > "$f.txt" 2>&1
        echo "$3 $1 $2: $(grep -E '^clbb:' "$f.txt" | tail -1)"
      done
      px=$(python3 -c "import triton, os; print(os.path.join(os.path.dirname(triton.__file__), 'backends/nvidia/bin/ptxas'))" 2>/dev/null)
      [ -x "$px" ] || px=$(command -v ptxas)
      n=0
      for f in $(grep -l "m16n8k16" -r /tmp/clbb-f16 2>/dev/null | head -4); do
        n=$((n + 1)); cp "$f" "$OUT/f16_ptx_$n.txt"
        [ -n "$px" ] && [ -x "$px" ] && "$px" -arch=sm_90 -v "$f" -o /dev/null 2>&1 | grep -E "registers|spill" | head -4
      done ;;
    nvexp)
      # NVIDIA compiler experiments on the tensor-core GEMMs: register counts (-cl-nv-verbose),
      # then ResNet-50 32x224 at fp16 and tf32 with the registers capped (NVEXP_OPTS, default
      # -cl-nv-maxrregcount=128: two 256-item work-groups per SM) against the default build
      step nvexp
      timeout 100 env CLBB_CACHE_DIR=/tmp/clbb-nvv CLBB_CL_OPTIONS=-cl-nv-verbose CLBB_BUILD_VERBOSE=1 ./$B/clbb bench \
        --arch resnet50 --shape 32,3,224,224 --device nvidia --iters 2 --precision fp16 > "$OUT/nvexp_verbose.txt" 2>&1
      grep -E "built 'conv2d_igemm'|registers|spill" "$OUT/nvexp_verbose.txt" | sed -E "s/with '.*(TM=[0-9]+ -D TN=[0-9]+).*(IG_MMA=[0-9]).*/\1 \2/" | sort | uniq -c | head -24
      for o in ${NVEXP_OPTS:--cl-nv-maxrregcount=128}; do
        for p in fp16 tf32; do
          f="$OUT/nvexp_${o//[^a-z0-9]/}_$p"
          timeout 100 env CLBB_CACHE_DIR=/tmp/clbb-nve$o CLBB_CL_OPTIONS=$o ./$B/clbb bench --arch resnet50 --shape 32,3,224,224 \
            --device nvidia --iters 20 --precision $p > "$f.txt" 2>&1
          echo "$o $p: $(grep -E '^clbb:' "$f.txt" | tail -1)"
        done
      done ;;
    attn)
      # GeneralizedAttention's kernels (rows: fp32, mma: TF32/FP16 tensor cores): the op table per
      # precision, the attention blocks and backbones against the reference, then attn1111 at
      # 1x3x800x1344 per kernel choice (old q64k32, rows with 1/2/4 key splits, per precision) beside
      # the plain ResNet-50 (per-layer tables)
      step attn
      for p in fp32 tf32 fp16; do
        timeout 120 ./$B/clbb check --ops --only gen_attention --precision $p --device nvidia > "$OUT/attn_check_$p.txt" 2>&1
        echo "$p ops rc $?: $(tail -1 "$OUT/attn_check_$p.txt")"; grep -E "FAIL|^gen_attention " "$OUT/attn_check_$p.txt" | head -4
        timeout 120 ./$B/clbb check --blocks --models --only attn --precision $p --device nvidia > "$OUT/attn_models_$p.txt" 2>&1
        echo "$p blocks+models rc $?: $(tail -1 "$OUT/attn_models_$p.txt")"; grep -E "FAIL" "$OUT/attn_models_$p.txt" | head -4
      done
      for w in ${ATTN_RUNS:-"fp32 CLBB_GA_KS=1" "fp32 CLBB_GA_KS=2" "fp32 CLBB_GA_KS=4" "fp32 -" "tf32x3 -" "tf32 -" "fp16 -"}; do
        set -- $w
        for a in resnet50_attn1111_c4c5 resnet50; do
          [ $a = resnet50 ] && [ "$2" != - ] && continue
          f="$OUT/attn_bench_${a}_$1_${2//[^A-Za-z0-9]/}"
          timeout 100 env $( [ "$2" != - ] && echo "$2" ) ./$B/clbb bench --arch $a --shape 1,3,800,1344 --device nvidia --iters 20 \
            --precision $1 > "$f.txt" 2>&1
          echo "$1 $2 $a: $(grep -E '^clbb:' "$f.txt" | tail -1)"
          grep -E "layer3.1.gen_attention_block |layer4.1.gen_attention_block " "$f.txt" | awk '{print "   ", $1, $4, $5}'
        done
      done | tee "$OUT/attn_summary.txt" ;;
    attnq)
      # the quick loop of the attention kernels: op tables, ptxas's registers / spills / stack of the
      # gen_attention programs, attn1111 timings per precision (ATTN_RUNS as in attn)
      step attnq
      for p in ${ATTN_CHECK_PRECS:-fp32 tf32 fp16}; do
        timeout 150 stdbuf -oL ./$B/clbb check --ops --only gen_attention --precision $p --device nvidia > "$OUT/attnq_check_$p.txt" 2>&1
        echo "$p ops rc $?: $(grep -E '^gen_attention ' "$OUT/attnq_check_$p.txt")"; grep FAIL "$OUT/attnq_check_$p.txt" | head -3
      done
      for p in ${ATTN_VERBOSE:-}; do
        timeout 100 env CLBB_CACHE_DIR=/tmp/clbb-attnv CLBB_CL_OPTIONS=-cl-nv-verbose CLBB_BUILD_VERBOSE=1 ./$B/clbb bench \
          --arch resnet50_attn1111_c4c5 --shape 1,3,800,1344 --device nvidia --iters 1 --precision $p > "$OUT/attnq_verbose_$p.txt" 2>&1
        awk "/built '/{on = /built .gen_attention/} on" "$OUT/attnq_verbose_$p.txt" | \
          grep -E "built|registers|spill|stack|lmem" | sed -E "s/with '.*( -D D=[0-9]+).*/\1/" | head -16
      done
      # ATTN_RUNS: ';'-separated "ARCH PRECISION ENV" (ENV - for none), e.g. "resnet50 tf32 -"
      IFS=';' read -ra runs <<< "${ATTN_RUNS:-a fp32 CLBB_GA_KS=2;a fp32 -;a tf32 -;a fp16 -}"
      for w in "${runs[@]}"; do
        set -- $w
        a=$1; [ $a = a ] && a=resnet50_attn1111_c4c5
        f="$OUT/attnq_bench_${a}_$2_${3//[^A-Za-z0-9]/}"
        timeout 100 env $( [ "$3" != - ] && echo "$3" ) ./$B/clbb bench --arch $a --shape 1,3,800,1344 \
          --device nvidia --iters 20 --precision $2 > "$f.txt" 2>&1
        echo "$a $2 $3: $(grep -E '^clbb:' "$f.txt" | tail -1)"
        grep -E "layer3.1.gen_attention_block|layer4.1.gen_attention_block" "$f.txt" | awk '{print "   ", $1, $4, $5}'
      done | tee "$OUT/attnq_summary.txt" ;;
    gcbq)
      # GCNet's fused plan (the ContextBlock pooled through conv3's input, its term in conv3's
      # epilogue): RUNS timings first, ';'-separated "ARCH PRECISION ENV" (ENV - for none; e.g.
      # "resnet50_gcb_r16_c3c5 tf32 CLBB_FUSE=0"), per-layer tables kept; then the GCB_OPS tables
      # and the GCB_MODELS backbones against the C reference per precision (GCB_CHECK_PRECS)
      step gcbq
      IFS=';' read -ra runs <<< "${RUNS:-resnet50 fp32 -;resnet50_gcb_r16_c3c5 fp32 -}"
      for w in "${runs[@]}"; do
        set -- $w
        f="$OUT/gcbq_bench_$1_$2_${3//[^A-Za-z0-9]/}"
        timeout 100 env $( [ "$3" != - ] && echo "$3" ) ./$B/clbb bench --arch $1 --shape 1,3,800,1344 \
          --device nvidia --iters 20 --precision $2 --json "$f.json" > "$f.txt" 2>&1
        echo "$1 $2 $3: $(grep -E '^clbb:' "$f.txt" | tail -1)"
      done | tee "$OUT/gcbq_summary.txt"
      f=$(ls "$OUT"/gcbq_bench_resnet50_gcb_r16_c3c5_*.txt 2>/dev/null | head -1)
      [ -n "$f" ] && grep -E "layer4.1.(conv3|context)" "$f" | awk '{print "   ", $1, $2, $4, $5}'
      for p in ${GCB_CHECK_PRECS:-fp32 tf32 fp16}; do
        timeout 200 stdbuf -oL ./$B/clbb check --ops --only ${GCB_OPS:-conv2d,context_mlp} --precision $p --device nvidia \
          > "$OUT/gcbq_ops_$p.txt" 2>&1
        o=${GCB_OPS:-conv2d,context_mlp}
        echo "$p ops rc $?: $(grep -E "^(${o//,/|}) " "$OUT/gcbq_ops_$p.txt" | tr '\n' ' ')"; grep FAIL "$OUT/gcbq_ops_$p.txt" | head -3
        timeout 200 stdbuf -oL ./$B/clbb check --models --only ${GCB_MODELS:-gcb} --precision $p --device nvidia \
          > "$OUT/gcbq_models_$p.txt" 2>&1
        echo "$p models rc $?:"; grep -E "^resnet" "$OUT/gcbq_models_$p.txt"
      done ;;
    attnt)
      # GeneralizedAttention's cost by term: attn c4c5 backbones (kv_stride 2, 8 heads) with the
      # attention types of ATTN_TYPES at the precisions of ATTN_PRECS, 1x3x800x1344, the op's
      # rows of one c4 and one c5 block and the total (differences between types: what the
      # position table, the appr bias and the position terms of the kernel cost)
      step attnt
      mkdir -p "$OUT/cfg"
      for t in ${ATTN_TYPES:-1111 1011 1001 1000}; do
        printf '{"type": "ResNet", "depth": 50, "norm_eval": true, "plugins": [{"cfg": {"type": "GeneralizedAttention", "spatial_range": -1, "num_heads": 8, "attention_type": "%s", "kv_stride": 2}, "stages": [false, false, true, true], "position": "after_conv2"}]}\n' $t > "$OUT/cfg/attn$t.json"
        for p in ${ATTN_PRECS:-fp32 fp16}; do
          f="$OUT/attnt_bench_${t}_$p"
          timeout 100 ./$B/clbb bench --config "$OUT/cfg/attn$t.json" --shape 1,3,800,1344 --device nvidia --iters 20 \
            --precision $p > "$f.txt" 2>&1
          echo "attn$t $p: $(grep -E '^clbb:' "$f.txt" | tail -1)"
          grep -E "^layer(3|4).1.gen_attention_block " "$f.txt" | awk '{print "   ", $1, $4, $5}'
        done
      done | tee "$OUT/attnt_summary.txt" ;;
    opbench)
      step opbench
      timeout 300 ./$B/benchmarks/bench_ops --device nvidia --iters 10 > "$OUT/bench_ops.txt" 2>&1; tail -5 "$OUT/bench_ops.txt" ;;
  esac
done
# the device tool returns at most 8 files: one archive holds them all
(cd "$OUT" && tar czf ../results.tgz . && rm -rf ./* && mv ../results.tgz .)
echo "=== done ($(date +%T))"
