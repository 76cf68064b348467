#!/bin/sh
# clbb command line: exit codes (0 ok, 2 usage/input, 1 device/runtime),
# one-line "clbb: error:" messages naming the problem, and no output files
# on failure. Usage: test_cli.sh PATH/TO/clbb
set -u
CLBB="$1"
T=$(mktemp -d /tmp/clbb-cli-XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
XENV= # VAR=VALUE for the next expect's clbb (set and reset around it)

# expect CODE PATTERN -- ARGS...: runs clbb ARGS (with $XENV), checks exit code and that
# stderr matches PATTERN (a grep -E expression; "" for none).
expect() {
    code=$1; pat=$2; shift 3
    env $XENV "$CLBB" "$@" >"$T/out" 2>"$T/err"
    rc=$?
    if [ "$rc" -ne "$code" ]; then
        echo "FAIL: clbb $* -> exit $rc, expected $code"; cat "$T/err"; fails=$((fails + 1)); return
    fi
    if [ -n "$pat" ] && ! grep -Eq -e "$pat" "$T/err"; then
        echo "FAIL: clbb $* -> stderr does not match '$pat':"; cat "$T/err"; fails=$((fails + 1)); return
    fi
    if [ "$code" -ne 0 ] && [ "$(grep -c '^clbb: error:' "$T/err")" -ne 1 ]; then
        echo "FAIL: clbb $* -> expected exactly one 'clbb: error:' line"; cat "$T/err"; fails=$((fails + 1))
    fi
}

python3 - "$T" <<'PY'
import struct, sys
d = sys.argv[1]
def npy(path, shape, descr="<f4", fortran=False, data=None, ver=1):
    hdr = "{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }" % (
        descr, "True" if fortran else "False", "".join("%d," % s for s in shape))
    hdr += " " * ((64 - (10 + len(hdr) + 1) % 64) % 64) + "\n"
    n = 1
    for s in shape: n *= s
    size = {"<f4": 4, "<f8": 8, "<f2": 2, "<i4": 4, "|u1": 1}[descr]
    body = data if data is not None else bytes((i * 7) % 251 for i in range(n * size))
    if descr == "<f4" and data is None:
        body = b"".join(struct.pack("<f", ((i % 17) - 8) / 8.0) for i in range(n))
    if descr == "<f8" and data is None:
        body = b"".join(struct.pack("<d", ((i % 17) - 8) / 8.0) for i in range(n))
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode() + body)
npy(d + "/ok.npy", (1, 3, 32, 32))
npy(d + "/ok64.npy", (1, 3, 20, 24), descr="<f8")
npy(d + "/rank3.npy", (3, 32, 32))
npy(d + "/nhwc.npy", (1, 32, 32, 3))
npy(d + "/u8_hwc.npy", (40, 48, 3), descr="|u1")
npy(d + "/u8_nchw.npy", (2, 3, 40, 48), descr="|u1")
npy(d + "/u8_gray.npy", (40, 48), descr="|u1")
npy(d + "/chan4.npy", (1, 4, 32, 32))
npy(d + "/fortran.npy", (1, 3, 8, 8), fortran=True)
npy(d + "/int.npy", (1, 3, 8, 8), descr="<i4")
npy(d + "/zero.npy", (1, 3, 0, 8))
npy(d + "/trunc.npy", (1, 3, 32, 32), data=b"\0" * 100)
open(d + "/bad.json", "w").write('{"type": "ResNet", "depth": 50,')
open(d + "/depth.json", "w").write('{"type": "ResNeXt", "depth": 18}')
open(d + "/stages.json", "w").write('{"type": "ResNet", "depth": 50, "num_stages": 5}')
open(d + "/unknown.json", "w").write('{"type": "ResNet", "depth": 50, "deep_stemm": true}')
open(d + "/good.json", "w").write('{"type": "ResNet", "depth": 18, "out_indices": [1, 3], "base_channels": 16}')
open(d + "/garbage.safetensors", "wb").write(b"\xff" * 64)
PY

# success paths
expect 0 "" -- devices
expect 0 "" -- run --arch resnet18 --shape 1,3,32,32 --output "$T/o1"
for i in 0 1 2 3; do [ -f "$T/o1/out$i.npy" ] || { echo "FAIL: out$i.npy missing"; fails=$((fails + 1)); }; done
expect 0 "" -- run --config "$T/good.json" --input "$T/ok.npy" --output "$T/o2" --seed 3
[ -f "$T/o2/out1.npy" ] && [ ! -f "$T/o2/out2.npy" ] || { echo "FAIL: --config outputs"; fails=$((fails + 1)); }
expect 0 "" -- run --config "$T/good.json" --input "$T/ok64.npy"
grep -q "out0: 1x32x3x3" "$T/out" || { echo "FAIL: shape line of an f8 input"; cat "$T/out"; fails=$((fails + 1)); }

# usage and input errors: exit 2, nothing written
expect 2 "unknown command" -- frobnicate
expect 2 "missing --arch" -- run --shape 1,3,32,32
expect 2 "not both" -- run --arch resnet18 --config "$T/good.json" --shape 1,3,32,32
expect 2 "unknown architecture 'resnet17'" -- run --arch resnet17 --shape 1,3,32,32
expect 2 "--shape" -- run --arch resnet18 --shape 1,3,32
expect 2 "--shape" -- run --arch resnet18 --shape 1,3,0,32
expect 2 "channels" -- run --arch resnet18 --shape 1,4,32,32
expect 2 "--seed" -- run --arch resnet18 --shape 1,3,32,32 --seed x
expect 2 "unknown option '--bogus'" -- run --arch resnet18 --shape 1,3,32,32 --bogus
expect 2 "bad.json" -- run --config "$T/bad.json" --shape 1,3,32,32
expect 2 "depth" -- run --config "$T/depth.json" --shape 1,3,32,32
expect 2 "num_stages" -- run --config "$T/stages.json" --shape 1,3,32,32
expect 2 "deep_stemm" -- run --config "$T/unknown.json" --shape 1,3,32,32
expect 2 "nothere.json" -- run --config "$T/nothere.json" --shape 1,3,32,32
expect 2 "rank" -- run --arch resnet18 --input "$T/rank3.npy" --output "$T/e1"
expect 2 "add the batch axis" -- run --arch resnet18 --input "$T/rank3.npy"
expect 2 "looks like N,H,W,C; clbb takes N,C,H,W" -- run --arch resnet18 --input "$T/nhwc.npy"
# uint8 arrays are image pixels (HWC/NHWC/NCHW, RGB), normalized as --image is
expect 0 "is uint8: read as H,W,3 RGB pixels, normalized \(40x48 input\)" -- run --arch resnet18 --input "$T/u8_hwc.npy"
grep -q "^input: 1x3x40x48" "$T/out" || { echo "FAIL: uint8 HWC input shape"; cat "$T/out"; fails=$((fails + 1)); }
expect 0 "read as N,3,H,W" -- run --arch resnet18 --input "$T/u8_nchw.npy" --resize 96x80 --preprocess caffe
grep -q "^input: 2x3x80x96" "$T/out" || { echo "FAIL: uint8 NCHW input with --resize"; cat "$T/out"; fails=$((fails + 1)); }
expect 2 "uint8 input is image pixels" -- run --arch resnet18 --input "$T/u8_gray.npy"
expect 2 "apply to --image or a uint8 --input" -- run --arch resnet18 --input "$T/ok.npy" --preprocess caffe
expect 2 "channels" -- run --arch resnet18 --input "$T/chan4.npy" --output "$T/e2"
expect 2 "[Ff]ortran" -- run --arch resnet18 --input "$T/fortran.npy" --output "$T/e3"
expect 2 "i4|dtype" -- run --arch resnet18 --input "$T/int.npy" --output "$T/e4"
expect 2 "zero|dimension" -- run --arch resnet18 --input "$T/zero.npy" --output "$T/e5"
expect 2 "trunc.npy" -- run --arch resnet18 --input "$T/trunc.npy" --output "$T/e6"
expect 2 "garbage.safetensors" -- run --arch resnet18 --shape 1,3,32,32 --weights "$T/garbage.safetensors" --output "$T/e7"
expect 2 "nofile.safetensors" -- run --arch resnet18 --shape 1,3,32,32 --weights "$T/nofile.safetensors" --output "$T/e8"
# weights a new user tries: model-zoo URLs (from --weights or the config's
# init_cfg) and torch.save files point to tools/convert_checkpoint.py
expect 2 "torchvision://resnet18.*convert_checkpoint.py" -- run --arch resnet18 --shape 1,3,32,32 --weights torchvision://resnet18 --output "$T/w1"
printf '{"type": "ResNet", "depth": 18, "init_cfg": {"type": "Pretrained", "checkpoint": "open-mmlab://detectron2/resnet18"}}' > "$T/zoo.json"
expect 2 "open-mmlab://.*convert_checkpoint.py" -- run --config "$T/zoo.json" --shape 1,3,32,32 --output "$T/w2"
printf 'PK\003\004\024\000\000\000\010\000archive/data.pkl' > "$T/r18.pth"
expect 2 "zip.*convert_checkpoint.py" -- run --arch resnet18 --shape 1,3,32,32 --weights "$T/r18.pth" --output "$T/w3"
printf '\200\002}q\000.' > "$T/legacy.pth"
expect 2 "pickle.*convert_checkpoint.py" -- run --arch resnet18 --shape 1,3,32,32 --weights "$T/legacy.pth" --output "$T/w4"
for e in w1 w2 w3 w4; do
    if [ -e "$T/$e" ]; then echo "FAIL: output written to $e on failure"; fails=$((fails + 1)); fi
done
expect 2 "--iters" -- bench --arch resnet18 --shape 1,3,32,32 --iters 0
expect 2 "needs --shape" -- bench --arch resnet18
expect 2 "check: unknown" -- check --opz
# --only selects tables by name: one table runs, the others do not appear
out=$("$CLBB" check --ops --quick --only layer_norm 2>&1)
if ! echo "$out" | grep -q "^layer_norm .*pass" || echo "$out" | grep -q "^conv2d "; then
    echo "FAIL: check --only layer_norm: $out"; fails=$((fails + 1)); fi
for e in e1 e2 e3 e4 e5 e6 e7 e8; do
    if [ -e "$T/$e" ] && [ -n "$(ls -A "$T/$e")" ]; then echo "FAIL: output written to $e on failure"; fails=$((fails + 1)); fi
done

# --image with MMDetection's pipeline, --visualize (checked writable before the forward)
DEMO=${CLBB_DEMO_IMAGE:-}
if [ -n "$DEMO" ] && [ -f "$DEMO" ]; then
    expect 0 "" -- run --arch resnet18 --image "$DEMO" --resize 64x48 --preprocess caffe --visualize "$T/v.png" --output "$T/img"
    grep -q "^input: 1x3x64x64" "$T/out" || { echo "FAIL: --image 320x375 --resize 64x48 is not a 1x3x64x64 input"; cat "$T/out"; fails=$((fails + 1)); }
    [ -s "$T/v.png" ] && [ -s "$T/img/out3.npy" ] || { echo "FAIL: --image/--visualize outputs missing"; fails=$((fails + 1)); }
    expect 0 "" -- run --arch resnet18 --image "$DEMO" --resize 40x40 --no-keep-ratio --pad-divisor 0
    grep -q "^input: 1x3x40x40" "$T/out" || { echo "FAIL: --no-keep-ratio --pad-divisor 0"; cat "$T/out"; fails=$((fails + 1)); }
    expect 2 "not both" -- run --arch resnet18 --image "$DEMO" --shape 1,3,32,32
    expect 2 "--resize" -- run --arch resnet18 --image "$DEMO" --resize 64
    expect 2 "--resize" -- run --arch resnet18 --image "$DEMO" --resize 0x64
    expect 2 "--preprocess: 'rgb'" -- run --arch resnet18 --image "$DEMO" --preprocess rgb
    expect 2 "--pad-divisor" -- run --arch resnet18 --image "$DEMO" --pad-divisor -1
    expect 2 "--keep-ratio" -- run --arch resnet18 --shape 1,3,32,32 --keep-ratio
    head -c 5000 "$DEMO" > "$T/cut.jpg"
    expect 2 "cut.jpg: jpeg: truncated" -- run --arch resnet18 --image "$T/cut.jpg" --output "$T/e9"
    expect 2 "nothere.png" -- run --arch resnet18 --image "$T/nothere.png" --output "$T/e10"
    expect 2 "not a PNG or JPEG" -- run --arch resnet18 --image "$T/bad.json"
    expect 2 "--visualize: cannot write '$T/no/dir/v.png'" -- run --arch resnet18 --shape 1,3,32,32 --visualize "$T/no/dir/v.png" --output "$T/e11"
    expect 0 "" -- run --arch resnet18 --shape 1,3,32,32 --visualize "$T/v2.png"
    [ -s "$T/v2.png" ] || { echo "FAIL: --visualize with --shape wrote nothing"; fails=$((fails + 1)); }
    for e in e9 e10 e11; do
        if [ -e "$T/$e" ]; then echo "FAIL: output written to $e on failure"; fails=$((fails + 1)); fi
    done
fi

# device errors: exit 1 for no matching device (runtime), 2 for a malformed selector
expect 1 "no OpenCL device matches 'no-such-device'" -- run --arch resnet18 --shape 1,3,32,32 --device no-such-device
expect 2 "malformed device selector" -- run --arch resnet18 --shape 1,3,32,32 --device 0:x

# MMDetection's Python form: the shipped model config (its backbone is used,
# with a note; 4 channels stop it before any weights or forward), a small one
# that runs, and errors with line and column
EX="$(dirname "$0")/../examples/configs/faster-rcnn_r50_fpn.py"
expect 2 "^clbb: note: using model\.backbone of 'FasterRCNN'" -- run --config "$EX" --shape 1,4,32,32
grep -q "in_channels is 3" "$T/err" || { echo "FAIL: $EX not read as a ResNet-50"; cat "$T/err"; fails=$((fails + 1)); }
cat >"$T/small.py" <<'EOF'
# a model config as MMDetection writes it
model = dict(
    type='RetinaNet',
    backbone=dict(type='ResNet', depth=18, base_channels=16,  # small
                  out_indices=(1, 3,), norm_eval=True, frozen_stages=-1,
                  norm_cfg=dict(type='BN', requires_grad=True), style="pytorch"),
    neck=dict(type='FPN', in_channels=[32, 128], out_channels=64, num_outs=5))
EOF
expect 0 "^clbb: note: using model\.backbone" -- run --config "$T/small.py" --shape 1,3,32,32 --output "$T/o3"
[ -f "$T/o3/out1.npy" ] && [ ! -f "$T/o3/out2.npy" ] || { echo "FAIL: Python config outputs"; fails=$((fails + 1)); }
printf "backbone=dict(type='ResNet', depth=18,\n    norm_cfg=norm_cfg)\n" >"$T/var.py"
expect 2 "var.py: config \(Python literal\) line 2, column 14: name 'norm_cfg' is a variable" -- run --config "$T/var.py" --shape 1,3,32,32
printf "backbone=dict(type='ResNet', depth=18, frozen_stages=7)\n" >"$T/frozen.py"
expect 2 "'frozen_stages' = 7" -- run --config "$T/frozen.py" --shape 1,3,32,32
printf '{"type": "ResNet",\n "depth": 18 "out_indices": [3]}' >"$T/col.json"
expect 2 "col.json: config JSON is malformed at line 2, column 14" -- run --config "$T/col.json" --shape 1,3,32,32

# bench writes its JSON
expect 0 "" -- bench --arch resnet18 --shape 1,3,32,32 --iters 2 --warmup 1 --json "$T/b.json" --quiet
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['median_ms']>0 and d['gflop']>0 and d['layers'] and d['shape']==[1,3,32,32] and d['plan_cold_ms']>0 and d['plan_warm_ms']>0 and d['first_forward_ms']>0 and d['disk_cache'] in ('warm','cold','partly warm','off'), d" "$T/b.json" \
    || { echo "FAIL: bench JSON"; fails=$((fails + 1)); }
# kernels per forward in the text and the JSON; --conv-algo by name
expect 0 "" -- bench --arch resnet18 --shape 1,3,32,32 --iters 1 --warmup 0 --quiet --conv-algo igemm --json "$T/k.json"
grep -q "kernels per forward" "$T/out" || { echo "FAIL: bench text: no kernels per forward"; fails=$((fails + 1)); }
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['kernels_per_forward']>=21, d['kernels_per_forward']" "$T/k.json" \
    || { echo "FAIL: bench kernels_per_forward"; fails=$((fails + 1)); }
expect 2 "unknown algorithm 'nope'" -- bench --arch resnet18 --shape 1,3,32,32 --conv-algo nope

# --help / -h on every command: its usage on stdout, exit 0; one text per
# command, the same in `clbb --help`
for c in devices profiles run check bench tune version; do
    for h in --help -h; do
        expect 0 "" -- $c $h
        grep -q "^usage: clbb $c" "$T/out" || { echo "FAIL: clbb $c $h: no usage on stdout"; fails=$((fails + 1)); }
        [ -s "$T/err" ] && { echo "FAIL: clbb $c $h wrote to stderr"; fails=$((fails + 1)); }
    done
    sed -n '2,/^--/p' "$T/out" | sed '$d' >"$T/cmd_usage"
    "$CLBB" --help >"$T/help"
    [ -s "$T/cmd_usage" ] || { echo "FAIL: clbb $c --help: no usage lines"; fails=$((fails + 1)); }
    while IFS= read -r line; do
        grep -qxF -e "$line" "$T/help" || { echo "FAIL: clbb --help lacks '$line'"; fails=$((fails + 1)); }
    done <"$T/cmd_usage"
done
"$CLBB" run --arch resnet18 --help >"$T/out" 2>&1 && grep -q "^usage: clbb run" "$T/out" \
    || { echo "FAIL: --help after other options"; fails=$((fails + 1)); }
"$CLBB" --help >"$T/help"
for want in "--baseline\] \[--quiet\]" "check .*-v" "check .*--small" "--iters K\] \[--precision" \
            "resnet50_dcn_c3c5" "ghostnet_050" "CLBB_DEVICE" "CLBB_CACHE_DIR" "CLBB_CPU_KERNELS" \
            "CLBB_SEED" "CLBB_TUNE_VERBOSE" "devices \[--json\]" "version"; do
    grep -Eq -e "$want" "$T/help" || { echo "FAIL: clbb --help lacks '$want'"; fails=$((fails + 1)); }
done
grep -q -- "--layers" "$T/help" && { echo "FAIL: clbb --help lists bench --layers"; fails=$((fails + 1)); }
# every preset the library knows is listed (the CLI takes them from clbb_model_preset_names)
"$CLBB" run --arch nope --shape 1,3,8,8 2>&1 | sed -n 's/.*(known: \(.*\))$/\1/p' | tr -d ' ' | tr ',' '\n' >"$T/presets"
[ -s "$T/presets" ] || { echo "FAIL: no preset list in the --arch error"; fails=$((fails + 1)); }
while read -r a; do
    grep -qw -e "$a" "$T/help" || { echo "FAIL: clbb --help lacks --arch $a"; fails=$((fails + 1)); }
done <"$T/presets"

# version
expect 0 "" -- version
grep -Eq '^clbb [0-9]+\.[0-9]+\.[0-9]+$' "$T/out" || { echo "FAIL: clbb version: $(cat "$T/out")"; fails=$((fails + 1)); }
expect 0 "" -- --version
grep -Eq '^clbb [0-9]+\.[0-9]+\.[0-9]+$' "$T/out" || { echo "FAIL: clbb --version"; fails=$((fails + 1)); }
expect 2 "unexpected argument 'x'" -- version x

# --opt=value everywhere; a missing value named as such
expect 0 "" -- run --arch=resnet18 --shape=1,3,32,32 --seed=5 --output="$T/o3"
[ -f "$T/o3/out3.npy" ] || { echo "FAIL: --output=DIR"; fails=$((fails + 1)); }
expect 0 "" -- check --ops --quick --only=layer_norm --seed=7 --precision=fp32
expect 2 "option '--output' needs a value" -- run --arch resnet18 --shape 1,3,32,32 --output
expect 2 "option '--output' needs a value" -- run --arch resnet18 --shape 1,3,32,32 --output=
expect 2 "option '--output' needs a value" -- run --arch resnet18 --output --shape 1,3,32,32
expect 2 "option '--iters' needs a value" -- bench --arch resnet18 --shape 1,3,32,32 --iters
expect 2 "option '--only' needs a value" -- check --only
expect 2 "option '--quiet' takes no value" -- bench --arch resnet18 --shape 1,3,32,32 --quiet=1
expect 2 "--iters: 'x'" -- tune --arch=resnet18 --shape=1,3,32,32 --iters=x
expect 2 "unexpected argument 'extra'" -- run --arch resnet18 --shape 1,3,32,32 extra

# run: random weights said on stderr; per-output statistics; the first
# forward mentions kernel builds only when programs were compiled
expect 0 "no --weights given: random weights \(seed 3\)" -- run --arch resnet18 --shape 1,3,32,32 --seed 3
grep -Eq "^out0: 1x64x8x8  min [-0-9.e+]+ mean [-0-9.e+]+ max [-0-9.e+]+$" "$T/out" \
    || { echo "FAIL: run statistics"; cat "$T/out"; fails=$((fails + 1)); }
expect 0 "" -- run --arch resnet18 --shape 1,3,32,32 # the cache is warm since the runs above
grep -q "forward (first, includes planning; programs from the cache)" "$T/out" \
    || { echo "FAIL: cached run claims kernel builds"; cat "$T/out"; fails=$((fails + 1)); }
XENV="CLBB_CACHE_DIR="; expect 0 "" -- run --config "$T/good.json" --shape 1,3,32,32; XENV=
grep -Eq "forward \(first, includes planning and [0-9]+ kernel builds?\)" "$T/out" \
    || { echo "FAIL: uncached run does not say it built"; cat "$T/out"; fails=$((fails + 1)); }
grep -q "building OpenCL programs" "$T/err" && { echo "FAIL: build note on a pipe"; fails=$((fails + 1)); }

# files that cannot be written: refused before the work, naming the file
: >"$T/afile"
expect 2 "--output: cannot write '$T/afile/sub'.*not a directory" -- run --arch resnet18 --shape 1,3,32,32 --output "$T/afile/sub"
grep -q "^forward" "$T/out" && { echo "FAIL: forward ran before the --output check"; fails=$((fails + 1)); }
expect 2 "--json: cannot write '$T/nodir/b.json'" -- bench --arch resnet18 --shape 1,3,32,32 --json "$T/nodir/b.json"
grep -q "median" "$T/out" && { echo "FAIL: bench ran before the --json check"; fails=$((fails + 1)); }
expect 2 "--out: cannot write '$T'.*directory" -- tune --arch resnet18 --shape 1,3,32,32 --out "$T"
[ -e "$T/nodir" ] && { echo "FAIL: a directory was created for --json"; fails=$((fails + 1)); }

# devices: --json has every field of the listing; no platform is an error
# with a hint; an unmatched selector lists the devices
expect 0 "" -- devices --json
/usr/bin/python3 - "$T/out" <<'PY' || { echo "FAIL: devices --json"; fails=$((fails + 1)); }
import json, sys
d = json.load(open(sys.argv[1]))
keys = {"index", "name", "type", "platform", "vendor", "driver_version", "opencl_version",
        "compute_units", "max_clock_mhz", "global_mem_bytes", "max_alloc_bytes",
        "local_mem_bytes", "fp16", "fp64"}
assert d and all(keys <= set(x) for x in d), d
assert d[0]["index"] == "%d:%d" % (d[0]["platform_index"], d[0]["device_index"])
PY
expect 2 "unknown option '--jsn'" -- devices --jsn
mkdir -p "$T/no-icds"
XENV="OCL_ICD_VENDORS=$T/no-icds" # the ICD loader finds no platform there
expect 1 "no OpenCL platform.*pocl-opencl-icd" -- devices
[ -s "$T/out" ] && { echo "FAIL: devices without a platform wrote to stdout"; fails=$((fails + 1)); }
expect 1 "install an OpenCL ICD" -- run --arch resnet18 --shape 1,3,32,32
XENV=
expect 1 "no OpenCL device matches 'foo'; [0-9]+ available: 0:0 '" -- run --arch resnet18 --shape 1,3,32,32 --device foo
XENV="CLBB_DEVICE=foo"; expect 1 "matches 'foo' \(from CLBB_DEVICE\).*available" -- check --ops --only layer_norm; XENV=

# progress: on a terminal only (script(1) gives one), quiet on a pipe
if command -v script >/dev/null 2>&1; then
    rm -rf "$T/cache"
    CLBB_CACHE_DIR="$T/cache" script -qec "$CLBB check --ops --quick --only layer_norm" /dev/null >"$T/tty" 2>&1
    grep -q "building OpenCL programs (first run, cached afterwards)" "$T/tty" \
        || { echo "FAIL: no build note on a terminal"; cat "$T/tty"; fails=$((fails + 1)); }
    grep -Eq "check \[[#.]+\] [0-9]+/[0-9]+ layer_norm" "$T/tty" \
        || { echo "FAIL: no check progress on a terminal"; cat "$T/tty"; fails=$((fails + 1)); }
    CLBB_CACHE_DIR="$T/cache" script -qec "$CLBB bench --arch resnet18 --shape 1,3,32,32 --iters 2 --warmup 1 --quiet" /dev/null >"$T/tty" 2>&1
    grep -Eq "bench \[[#.]+\] [0-9]+/4" "$T/tty" || { echo "FAIL: no bench progress on a terminal"; cat "$T/tty"; fails=$((fails + 1)); }
    CLBB_CACHE_DIR="$T/cache" "$CLBB" check --ops --quick --only layer_norm >/dev/null 2>"$T/err"
    [ -s "$T/err" ] && { echo "FAIL: progress on a pipe:"; cat "$T/err"; fails=$((fails + 1)); }
else
    echo "skipped: progress on a terminal (no script(1))"
fi

# bench --svg: the per-layer chart; bench --compare: reports side by side
# (text on stdout, an SVG); SVG well-formed (xmllint) with names holding <>&
expect 0 "" -- bench --arch resnet18 --shape 1,3,32,32 --iters 1 --warmup 0 --precision fp16 --json "$T/b16.json" --svg "$T/b16.svg" --quiet
expect 0 "wrote" -- bench --compare "$T/b.json" "$T/b16.json" --svg "$T/cmp.svg"
grep -q "^layer4.1.conv2 .*x$" "$T/out" && grep -q "^forward median" "$T/out" \
    || { echo "FAIL: bench --compare text"; cat "$T/out"; fails=$((fails + 1)); }
python3 - "$T" <<'PY'
import json, sys
d = sys.argv[1]
r = json.load(open(d + "/b.json"))
r["layers"][0]["name"] = "conv<1>&\"x\" 'y' \u00e9"
r["layers"].append({"name": "only<here>", "kind": "a&b", "median_ms": 0.5})
json.dump(r, open(d + "/odd.json", "w"))
raw = open(d + "/odd.json", "rb").read().replace(b"only<here>", b"only<\xff\x01>")
open(d + "/odd_bytes.json", "wb").write(raw)
for field, value in (("device", None), ("shape", [1, 3]), ("median_ms", "fast")):
    bad = dict(r)
    if value is None: del bad[field]
    else: bad[field] = value
    json.dump(bad, open(d + "/bad_%s.json" % field, "w"))
bad = json.loads(json.dumps(r)); bad["layers"][2]["median_ms"] = -1
json.dump(bad, open(d + "/bad_layer.json", "w"))
bad = json.loads(json.dumps(r)); del bad["layers"][1]["name"]
json.dump(bad, open(d + "/bad_name.json", "w"))
open(d + "/notjson.json", "w").write("{\"device\": ")
PY
expect 0 "" -- bench --compare "$T/b.json" "$T/odd.json" "$T/odd_bytes.json" --svg "$T/odd.svg"
grep -q "only<here>" "$T/out" || { echo "FAIL: compare lacks a layer of the second report"; fails=$((fails + 1)); }
if command -v xmllint >/dev/null 2>&1; then
    for f in b16 cmp odd; do
        xmllint --noout "$T/$f.svg" || { echo "FAIL: $f.svg is not well-formed"; fails=$((fails + 1)); }
    done
    grep -q "conv&lt;1&gt;&amp;&quot;x&quot; &apos;y&apos;" "$T/odd.svg" || { echo "FAIL: odd.svg not escaped"; fails=$((fails + 1)); }
else
    echo "xmllint not installed: SVG well-formedness not checked"
fi
expect 2 "bad_device.json: field 'device' is missing" -- bench --compare "$T/b.json" "$T/bad_device.json"
expect 2 "bad_shape.json: field 'shape'" -- bench --compare "$T/b.json" "$T/bad_shape.json"
expect 2 "bad_median_ms.json: field 'median_ms'" -- bench --compare "$T/bad_median_ms.json" "$T/b.json"
expect 2 "bad_layer.json: field 'layers\[2\].median_ms'" -- bench --compare "$T/b.json" "$T/bad_layer.json"
expect 2 "bad_name.json: field 'layers\[1\].name' is missing" -- bench --compare "$T/b.json" "$T/bad_name.json"
expect 2 "notjson.json: not valid JSON" -- bench --compare "$T/b.json" "$T/notjson.json"
expect 2 "nothere.json" -- bench --compare "$T/b.json" "$T/nothere.json"
expect 2 "two or more" -- bench --compare "$T/b.json"
expect 2 "unknown option '--quiet'" -- bench --compare "$T/b.json" "$T/b16.json" --quiet
expect 2 "cannot write '$T/nodir/c.svg'" -- bench --compare "$T/b.json" "$T/b16.json" --svg "$T/nodir/c.svg"
[ ! -e "$T/nodir" ] || { echo "FAIL: --svg left something behind"; fails=$((fails + 1)); }

# --precision: a bad value named on every command; a tensor-core mode the
# device cannot run (CLBB_MMA=0 makes it so on any device) falls back to
# fp32 and says so on stderr and in bench's JSON; fp16 keeps half storage
for c in run bench tune; do
    expect 2 "--precision: 'bf16' is not fp32, tf32x3, tf32 or fp16" -- $c --arch resnet18 --shape 1,3,32,32 --precision bf16
done
expect 2 "--precision: 'tf16' is not fp32, tf32x3, tf32 or fp16" -- check --ops --precision tf16
XENV=CLBB_MMA=0
expect 0 "^precision: tf32 -> fp32 \(tensor cores turned off by CLBB_MMA=0" -- run --arch resnet18 --shape 1,3,32,32 --precision tf32
grep -q "^precision: tf32 -> fp32$" "$T/out" || { echo "FAIL: run --precision tf32: stdout"; cat "$T/out"; fails=$((fails + 1)); }
expect 0 "^precision: fp16 \(.*half storage, fp32 products" -- run --arch resnet18 --shape 1,3,32,32 --precision fp16
expect 0 "^precision: tf32x3 -> fp32 \(" -- bench --arch resnet18 --shape 1,3,32,32 --iters 1 --warmup 0 --precision tf32x3 --json "$T/b3.json" --quiet
python3 - "$T/b3.json" <<'PY' || { echo "FAIL: bench --json precision fields"; fails=$((fails + 1)); }
import json, sys
r = json.load(open(sys.argv[1]))
assert (r["precision"], r["effective_precision"], r["math"]) == ("tf32x3", "fp32", "fp32"), r
assert "CLBB_MMA=0" in r["precision_note"], r["precision_note"]
PY
# check at each precision: ops (those with a math mode say which ran), a
# block and a backbone; every tensor-core mode is a fallback here
for p in tf32 tf32x3; do
    expect 0 "^precision: $p -> fp32" -- check --ops --quick --precision $p
    grep -q "^check: all passed (precision $p: fallback, every op ran fp32 products)$" "$T/out" &&
        grep -Eq "^conv2d .* pass  math fp32$" "$T/out" && grep -Eq "^deform_conv2d .* pass  math fp32$" "$T/out" &&
        grep -q "^precision: $p -> fp32 (" "$T/out" \
        || { echo "FAIL: check --precision $p report"; cat "$T/out"; fails=$((fails + 1)); }
    expect 0 "" -- check --blocks --models --quick --only=basic_block_identity,resnet18 --precision $p
    grep -q "^resnet18 .* pass$" "$T/out" && grep -q "^basic_block_identity .* pass$" "$T/out" \
        || { echo "FAIL: check --blocks --models --precision $p"; cat "$T/out"; fails=$((fails + 1)); }
done
expect 0 "^precision: fp16 \(" -- check --ops --quick --only=conv2d,deform --precision fp16
grep -q "(precision fp16: fallback" "$T/out" || { echo "FAIL: check --precision fp16 fallback"; cat "$T/out"; fails=$((fails + 1)); }
XENV=
expect 0 "" -- check --ops --quick --only=conv2d --precision fp32
grep -q "fallback\|math" "$T/out" && { echo "FAIL: check at fp32 reports math or fallback"; cat "$T/out"; fails=$((fails + 1)); }
# CLBB_MMA=emu: the tensor cores emulated, so tf32 runs without a fallback
# line (tests/mma_emu.sh checks the kernels themselves)
XENV=CLBB_MMA=emu
expect 0 "" -- run --arch resnet18 --shape 1,3,32,32 --precision tf32
grep -q "^precision: tf32$" "$T/out" || { echo "FAIL: CLBB_MMA=emu run --precision tf32"; cat "$T/out" "$T/err"; fails=$((fails + 1)); }
# CLBB_CL_OPTIONS reaches every build (a bad one: a build error naming it,
# which run and bench once lost by asking for stats after the failure);
# CLBB_BUILD_VERBOSE=1 logs successful builds
XENV="CLBB_CACHE_DIR= CLBB_CL_OPTIONS=-cl-no-such-option"
expect 1 "building program '.*-cl-no-such-option" -- run --arch resnet18 --shape 1,3,32,32
expect 1 "building program '.*-cl-no-such-option" -- bench --arch resnet18 --shape 1,3,32,32 --iters 1 --warmup 0
XENV="CLBB_CACHE_DIR= CLBB_BUILD_VERBOSE=1"
expect 0 "^clbb: built 'conv2d_" -- run --arch resnet18 --shape 1,3,32,32
XENV=

# check --report: JSON (parses, every case with its numbers) + Markdown; a
# regression planted in a copy shows up in --compare's regression list with
# exit 1; unreadable reports exit 2 naming the file (docs/report.md)
PYJ=python3; [ -x /usr/bin/python3 ] && PYJ=/usr/bin/python3
expect 0 "wrote" -- check --quick --ops --only conv --report "$T/rep.json" --seed 5
[ -s "$T/rep.md" ] && grep -q "^| conv2d | " "$T/rep.md" && grep -q "Result: pass" "$T/rep.md" \
    || { echo "FAIL: check --report Markdown"; cat "$T/rep.md"; fails=$((fails + 1)); }
$PYJ - "$T" <<'PY' || { echo "FAIL: check --report JSON"; fails=$((fails + 1)); }
import json, sys
d = sys.argv[1]
r = json.load(open(d + "/rep.json"))
assert r["schema"] == "clbb-check-report" and r["schema_version"] == 1 and r["seed"] == "5", r
assert r["device"]["name"] and isinstance(r["device"]["extensions"], list) and r["precision"] == "fp32"
cases = r["cases"]
assert cases and all(c["table"] in ("conv2d", "deform_conv2d") for c in cases)
ran = [c for c in cases if c["status"] == "pass"]
assert ran and all(c["rel_l2"] <= c["tolerance"]["rel_l2"] and c["of_bound"] <= 1 and
                   len(c["worst_at"]) == 4 and c["median_ms"] > 0 for c in ran), ran[0]
# plant: a passing case failed, an error past tolerance, the slowest case 3x slower
b = json.loads(json.dumps(r))
b["cases"][0]["status"] = "fail"; b["cases"][0]["reason"] = "planted"
b["cases"][1]["rel_l2"] = b["cases"][1]["tolerance"]["rel_l2"] * 3
slow = max(range(2, len(cases)), key=lambda i: cases[i]["median_ms"] or 0)
b["cases"][slow]["median_ms"] *= 3
json.dump(b, open(d + "/regressed.json", "w"))
open(d + "/slow_name", "w").write(cases[slow]["name"])
open(d + "/names", "w").write(cases[0]["name"] + "\n" + cases[1]["name"] + "\n")
bad = json.loads(json.dumps(r)); bad["cases"][3]["status"] = 7
json.dump(bad, open(d + "/badstatus.json", "w"))
bad = json.loads(json.dumps(r)); bad["schema_version"] = 99
json.dump(bad, open(d + "/badver.json", "w"))
open(d + "/trunc.json", "w").write(open(d + "/rep.json").read()[:500])
PY
expect 0 "" -- check --compare "$T/rep.json" "$T/rep.json"
grep -q "^regressions (0)" "$T/out" || { echo "FAIL: compare of a report with itself"; cat "$T/out"; fails=$((fails + 1)); }
expect 1 "" -- check --compare "$T/rep.json" "$T/regressed.json" --markdown "$T/cmp.md"
sed -n '/^regressions (3)/,/^fixes/p' "$T/out" >"$T/regs"
{ grep -q "pass -> fail: planted" "$T/regs" && grep -q "error .* of the tolerance" "$T/regs" &&
  grep -qF "$(cat "$T/slow_name")" "$T/regs" && grep -q "ms (+200%)" "$T/regs" &&
  grep -q "^## regressions (3)" "$T/cmp.md"; } \
    || { echo "FAIL: compare regressions"; cat "$T/out"; fails=$((fails + 1)); }
expect 0 "" -- check --compare "$T/regressed.json" "$T/rep.json"
grep -q "^fixes (1)" "$T/out" || { echo "FAIL: compare fixes"; cat "$T/out"; fails=$((fails + 1)); }
expect 2 "trunc.json: not valid JSON" -- check --compare "$T/rep.json" "$T/trunc.json"
expect 2 "badstatus.json: key 'cases\[3\].status'" -- check --compare "$T/badstatus.json" "$T/rep.json"
expect 2 "badver.json: key 'schema_version'" -- check --compare "$T/rep.json" "$T/badver.json"
expect 2 "b.json: key 'schema' is missing" -- check --compare "$T/rep.json" "$T/b.json"
expect 2 "nothere.json" -- check --compare "$T/rep.json" "$T/nothere.json"
expect 2 "needs two reports" -- check --compare "$T/rep.json"
expect 2 "cannot write '$T/nodir/r.json'" -- check --ops --only softmax --report "$T/nodir/r.json"
# blocks too; a name without .json gets .md appended
expect 0 "" -- check --blocks --only basic_block_identity --report "$T/blk"
$PYJ -c "import json,sys; c=json.load(open(sys.argv[1]))['cases']; assert len(c)==1 and c[0]['kind']=='block' and c[0]['status']=='pass' and c[0]['median_ms']>0 and c[0]['of_bound']<1, c" "$T/blk" \
    && [ -s "$T/blk.md" ] || { echo "FAIL: check --blocks --report"; fails=$((fails + 1)); }
expect 2 "go with --compare" -- check --ops --only softmax --markdown "$T/x.md"

# tune --budget: the CPU family's own candidates on PoCL, a progress line
# per layer with an estimate, stops in time (10 s: the whole tune takes
# minutes) keeping the best so far, and the file it writes loads in run
t0=$(date +%s)
expect 0 "" -- tune --arch resnet18 --shape 1,3,32,32 --budget 10 --iters 2 --out "$T/tuned.json"
t1=$(date +%s)
{ grep -Eq '^\[1/15\] conv1 .*est\. remaining [0-9]+s' "$T/out" && grep -q "igemm_cpu" "$T/out" &&
  grep -Eq "^(budget of 10s reached|tuned 15 of 15 layers)" "$T/out"; } \
    || { echo "FAIL: tune progress / budget lines"; cat "$T/out"; fails=$((fails + 1)); }
# the tune's own time is bounded; context and model creation come on top
[ $((t1 - t0)) -le 25 ] || { echo "FAIL: tune --budget 10 took $((t1 - t0)) s"; fails=$((fails + 1)); }
# programs cached now: 1 s cannot hold 15 layers of candidates
expect 0 "" -- tune --arch resnet18 --shape 1,3,32,32 --budget 1 --out "$T/tuned1.json"
grep -q "^budget of 1s reached" "$T/out" || { echo "FAIL: tune --budget 1"; cat "$T/out"; fails=$((fails + 1)); }
expect 0 "" -- run --arch resnet18 --shape 1,3,32,32 --tuning "$T/tuned.json"
expect 0 "" -- run --arch resnet18 --shape 1,3,32,32 --tuning "$T/tuned1.json"
expect 2 "--tuning: .*nothere.json" -- run --arch resnet18 --shape 1,3,32,32 --tuning "$T/nothere.json"
expect 2 "--budget: '0'" -- tune --arch resnet18 --shape 1,3,32,32 --budget 0

# device profiles (docs/profiles.md): the table, --profile on the commands
# that create a context, CLBB_DEVICE_PROFILE, unknown names listing the known
expect 0 "" -- profiles
grep -q "^mali-g78 .* arm " "$T/out" || { echo "FAIL: clbb profiles lacks mali-g78"; fails=$((fails + 1)); }
expect 0 "" -- profiles --json
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert len(d)>=8 and d[0]['name']=='mali-g78', d" "$T/out" \
    || { echo "FAIL: clbb profiles --json"; fails=$((fails + 1)); }
expect 0 "" -- devices --profile mali-g78
grep -q "^profile: mali-g78" "$T/out" && grep -q "max work-group: 384" "$T/out" \
    || { echo "FAIL: devices --profile mali-g78: $(cat "$T/out")"; fails=$((fails + 1)); }
XENV="CLBB_DEVICE_PROFILE=amd-rdna3"; expect 0 "" -- devices --json; XENV=
grep -q '"profile":.*"amd-rdna3"' "$T/out" || { echo "FAIL: devices --json under CLBB_DEVICE_PROFILE"; fails=$((fails + 1)); }
expect 2 "unknown device profile 'nope'; known: mali-g78, .*apple-m2" -- check --ops --only layer_norm --profile nope
expect 2 "unknown device profile 'nope'" -- devices --profile nope
expect 2 "unknown device profile 'nope'" -- run --arch resnet18 --shape 1,3,32,32 --profile nope
XENV="CLBB_DEVICE_PROFILE=nope"; expect 2 "'nope' \(from CLBB_DEVICE_PROFILE\)" -- check --ops --only layer_norm; XENV=
XENV="CLBB_DEVICE_PROFILE=nope"; expect 0 "" -- check --ops --quick --only layer_norm --profile none; XENV=
expect 0 "" -- check --ops --quick --only layer_norm --profile apple-m2

if [ "$fails" -ne 0 ]; then echo "$fails CLI check(s) failed"; exit 1; fi
echo "all CLI checks passed"
