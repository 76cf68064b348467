#!/bin/sh
# clbb command line: exit codes (0 ok, 2 usage/input, 1 device/runtime),
# one-line "clbb: error:" messages naming the problem, and no output files
# on failure. Usage: test_cli.sh PATH/TO/clbb
set -u
CLBB="$1"
T=$(mktemp -d /tmp/clbb-cli-XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0

# expect CODE PATTERN -- ARGS...: runs clbb ARGS, checks exit code and that
# stderr matches PATTERN (a grep -E expression; "" for none).
expect() {
    code=$1; pat=$2; shift 3
    "$CLBB" "$@" >"$T/out" 2>"$T/err"
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
    size = {"<f4": 4, "<f8": 8, "<f2": 2, "<i4": 4}[descr]
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
expect 2 "unknown or incomplete option '--bogus'" -- run --arch resnet18 --shape 1,3,32,32 --bogus
expect 2 "bad.json" -- run --config "$T/bad.json" --shape 1,3,32,32
expect 2 "depth" -- run --config "$T/depth.json" --shape 1,3,32,32
expect 2 "num_stages" -- run --config "$T/stages.json" --shape 1,3,32,32
expect 2 "deep_stemm" -- run --config "$T/unknown.json" --shape 1,3,32,32
expect 2 "nothere.json" -- run --config "$T/nothere.json" --shape 1,3,32,32
expect 2 "rank" -- run --arch resnet18 --input "$T/rank3.npy" --output "$T/e1"
expect 2 "channels" -- run --arch resnet18 --input "$T/chan4.npy" --output "$T/e2"
expect 2 "[Ff]ortran" -- run --arch resnet18 --input "$T/fortran.npy" --output "$T/e3"
expect 2 "i4|dtype" -- run --arch resnet18 --input "$T/int.npy" --output "$T/e4"
expect 2 "zero|dimension" -- run --arch resnet18 --input "$T/zero.npy" --output "$T/e5"
expect 2 "trunc.npy" -- run --arch resnet18 --input "$T/trunc.npy" --output "$T/e6"
expect 2 "garbage.safetensors" -- run --arch resnet18 --shape 1,3,32,32 --weights "$T/garbage.safetensors" --output "$T/e7"
expect 2 "nofile.safetensors" -- run --arch resnet18 --shape 1,3,32,32 --weights "$T/nofile.safetensors" --output "$T/e8"
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

# bench writes its JSON
expect 0 "" -- bench --arch resnet18 --shape 1,3,32,32 --iters 2 --warmup 1 --json "$T/b.json" --quiet
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['median_ms']>0 and d['gflop']>0 and d['layers'] and d['shape']==[1,3,32,32], d" "$T/b.json" \
    || { echo "FAIL: bench JSON"; fails=$((fails + 1)); }

if [ "$fails" -ne 0 ]; then echo "$fails CLI check(s) failed"; exit 1; fi
echo "all CLI checks passed"
