"""The clbb Python package (python/clbb) against the C library and the CLI.

Run by `meson test python` through tests/run_python.sh, which sets
CLBB_LIBRARY (the built libclbb.so), CLBB_CLI (the built clbb) and
PYTHONPATH. Small shapes only: resnet18 / ghostnet at 1x3x64x64.
"""
import json
import os
import struct
import subprocess
import sys

import numpy as np
import pytest

import clbb

CLI = os.environ.get("CLBB_CLI", "clbb")
SRC = os.environ.get("CLBB_SOURCE_DIR", os.path.join(os.path.dirname(__file__), ".."))
CONVERTER = os.path.join(SRC, "tools", "convert_checkpoint.py")


def rand_input(shape=(1, 3, 64, 64), seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)


def clbb_run(tmp_path, model_args, x, extra=()):
    """`clbb run` on x; returns its outputs in order."""
    inp = tmp_path / "in.npy"
    np.save(inp, x)
    out = tmp_path / "out"
    r = subprocess.run([CLI, "run", *model_args, "--input", str(inp), "--output", str(out),
                        *extra], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    n = len([f for f in os.listdir(out) if f.startswith("out") and f.endswith(".npy")])
    return [np.load(out / f"out{i}.npy") for i in range(n)]


def assert_same(a, b, tol=1e-6):
    assert len(a) == len(b)
    for i, (u, v) in enumerate(zip(a, b)):
        assert u.shape == v.shape, (i, u.shape, v.shape)
        assert u.dtype == np.float32
        err = np.max(np.abs(u - v)) / max(1e-30, float(np.max(np.abs(v))))
        assert err <= tol, (i, err)


def test_version_and_library():
    v = clbb.__version__
    assert len(v.split(".")) == 3 and all(p.isdigit() for p in v.split(".")), v
    assert clbb.library_path() == os.environ["CLBB_LIBRARY"]


def test_devices():
    devs = clbb.devices()
    assert isinstance(devs, list) and devs, "no OpenCL device (PoCL expected)"
    for d in devs:
        assert isinstance(d, dict)
        assert d["device_name"] and d["platform_name"]
        assert d["selector"] == f"{d['platform_index']}:{d['device_index']}"
        assert d["compute_units"] >= 1 and d["global_mem_bytes"] > 0
        assert isinstance(d["is_gpu"], bool)
    # device= takes an index into devices() or a selector
    with clbb.Backbone("ghostnet", device=0) as net:
        assert net.device["device_name"] == devs[0]["device_name"]
    with clbb.Backbone("ghostnet", device=devs[-1]["selector"]) as net:
        assert net.device["device_name"] == devs[-1]["device_name"]
    with pytest.raises(clbb.Error, match="devices"):
        clbb.Backbone("ghostnet", device=len(devs))


@pytest.mark.parametrize("arch", ["resnet18", "ghostnet"])
def test_preset_matches_clbb_run(tmp_path, arch):
    x = rand_input(seed=1)
    with clbb.Backbone(arch, seed=7) as net:
        ours = net(x)
    assert isinstance(ours, tuple) and len(ours) == 4
    assert_same(ours, clbb_run(tmp_path, ["--arch", arch, "--seed", "7"], x))


def test_dict_config_matches_clbb_run(tmp_path):
    cfg = dict(type="ResNet", depth=18, out_indices=(1, 3), base_channels=16,
               norm_cfg=dict(type="BN", requires_grad=True), norm_eval=True, style="pytorch")
    x = rand_input(seed=2)
    net = clbb.Backbone(cfg, seed=3)
    ours = net(x)
    assert [o.shape for o in ours] == [(1, 32, 8, 8), (1, 128, 2, 2)]
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps(dict(cfg, out_indices=[1, 3])))
    assert_same(ours, clbb_run(tmp_path, ["--config", str(path), "--seed", "3"], x))
    net.close()
    net.close()  # idempotent
    with pytest.raises(clbb.Error, match="closed"):
        net(x)


def test_inputs_torch_float64_contiguity():
    x = rand_input(seed=4)
    with clbb.Backbone("resnet18") as net:
        ref = net(x)
        assert_same(net(x.astype(np.float64)), ref)
        # a non-contiguous view: converted to C order first
        wide = np.zeros((1, 3, 64, 128), np.float32)
        wide[..., ::2] = x
        assert_same(net(wide[..., ::2]), ref, 0)
        torch = pytest.importorskip("torch")
        assert_same(net(torch.from_numpy(x)), ref, 0)
        with pytest.raises(clbb.Error, match="uint8"):
            net(np.zeros((1, 3, 8, 8), np.uint8))
        with pytest.raises(clbb.Error, match="x\\[None\\]"):
            net(x[0])
        with pytest.raises(clbb.Error, match="NHWC") as e:
            net(np.zeros((1, 32, 32, 3), np.float32))
        assert e.value.status == 12  # CLBB_ERR_SHAPE


def test_fp16_close_to_fp32():
    x = rand_input(seed=5)
    a = clbb.Backbone("resnet18", seed=1)(x)
    b = clbb.Backbone("resnet18", seed=1, precision="fp16")(x)
    for u, v in zip(a, b):
        assert np.linalg.norm(u - v) / np.linalg.norm(u) < 1e-2


def test_errors_carry_the_library_message(tmp_path):
    with pytest.raises(clbb.Error) as e:
        clbb.Backbone(dict(type="ResNet", depth=51))
    assert e.value.status == 11 and "depth" in e.value.message and "51" in str(e.value)
    with pytest.raises(clbb.Error, match="deep_stemm"):
        clbb.Backbone(dict(type="ResNet", depth=18, deep_stemm=True))
    with pytest.raises(clbb.Error, match="unknown preset 'resnet19'.*resnet18"):
        clbb.Backbone("resnet19")
    with pytest.raises(clbb.Error, match="fp8"):
        clbb.Backbone("resnet18", precision="fp8")
    with pytest.raises(clbb.Error, match="no-such-device"):
        clbb.Backbone("resnet18", device="no-such-device")
    with pytest.raises(clbb.Error, match="nofile.safetensors") as e:
        clbb.Backbone("resnet18", weights=str(tmp_path / "nofile.safetensors"))
    assert e.value.status == 9  # CLBB_ERR_IO
    with pytest.raises(clbb.Error, match="convert_checkpoint.py"):
        clbb.Backbone("resnet18", weights="torchvision://resnet18")
    zoo = dict(type="ResNet", depth=18,
               init_cfg=dict(type="Pretrained", checkpoint="open-mmlab://detectron2/resnet18"))
    with pytest.raises(clbb.Error, match="open-mmlab://.*convert_checkpoint.py"):
        clbb.Backbone(zoo)


def test_weights_round_trip_and_missing_keys(tmp_path):
    x = rand_input(seed=6)
    src = clbb.Backbone("resnet18", seed=11)
    path = tmp_path / "r18.safetensors"
    src.save_weights(path)
    dst = clbb.Backbone("resnet18", weights=path)
    assert dst.weights_report == {"loaded": 100, "ignored": 0, "prefix_stripped": False}
    assert_same(dst(x), src(x), 0)
    # the config's init_cfg names the file when weights= is not given
    cfg = dict(type="ResNet", depth=18, init_cfg=dict(type="Pretrained", checkpoint=str(path)))
    assert_same(clbb.Backbone(cfg)(x), src(x), 0)
    # a file of another stem: every missing key listed, the unexpected ones too
    with pytest.raises(clbb.Error) as e:
        clbb.Backbone(dict(type="ResNet", depth=18, deep_stem=True), weights=path)
    assert e.value.status == 10
    msg = e.value.message
    # (bn1 is taken as timm's name of stem.7)
    assert "11 missing key(s)" in msg and "'stem.0.weight'" in msg and "'stem.6.weight'" in msg
    assert "1 unexpected key(s): 'conv1.weight'" in msg, msg


def test_check_runs_a_table():
    r = clbb.check(ops=True, quick=True, small=True, only="softmax", seed=1)
    assert r.ok and r.failures == 0 and bool(r)
    assert "softmax" in r.report and "seed: 1" in r.report


def test_load_image(tmp_path):
    if not clbb.has_image_support():
        pytest.skip("the library has no clbb_image_load yet")
    cv2 = pytest.importorskip("cv2")
    img = (np.random.default_rng(0).uniform(0, 255, (40, 50, 3))).astype(np.uint8)
    cv2.imwrite(str(tmp_path / "a.png"), img)
    x = clbb.load_image(tmp_path / "a.png", scale=(100, 64), keep_ratio=True, pad_divisor=32)
    assert x.dtype == np.float32 and x.ndim == 4 and x.shape[:2] == (1, 3)
    assert x.shape[2] % 32 == 0 and x.shape[3] % 32 == 0
    # no resize, no pad: exactly mmdet's Normalize of the RGB pixels
    y = clbb.load_image(tmp_path / "a.png", scale=None, pad_divisor=0)
    rgb = img[..., ::-1].astype(np.float32)
    ref = ((rgb - [123.675, 116.28, 103.53]) / [58.395, 57.12, 57.375]).transpose(2, 0, 1)[None]
    assert np.max(np.abs(y - ref)) < 1e-4
    feats = clbb.Backbone("resnet18")(x)
    assert len(feats) == 4
    with pytest.raises(clbb.Error, match="nofile.png"):
        clbb.load_image(tmp_path / "nofile.png")


# --- tools/convert_checkpoint.py ------------------------------------------

def torch_resnet18(torch, base=64):
    """A torchvision-named ResNet-18 (conv1, bn1, layerN.B.{conv,bn}{1,2},
    layerN.0.downsample.{0,1}, fc) without torchvision, random BN stats;
    base: its width (mmdet's base_channels)."""
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                                nn.BatchNorm2d(cout))

        def forward(self, x):
            idt = x if self.downsample is None else self.downsample(x)
            y = self.relu(self.bn1(self.conv1(x)))
            return self.relu(self.bn2(self.conv2(y)) + idt)

    class ResNet18(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, base, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(base)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            chans = [base, base, 2 * base, 4 * base, 8 * base]
            for i in range(4):
                s = 1 if i == 0 else 2
                setattr(self, f"layer{i + 1}", nn.Sequential(Block(chans[i], chans[i + 1], s),
                                                             Block(chans[i + 1], chans[i + 1], 1)))
            self.fc = nn.Linear(8 * base, 10)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            outs = []
            for i in range(4):
                x = getattr(self, f"layer{i + 1}")(x)
                outs.append(x)
            return outs

    torch.manual_seed(0)
    m = ResNet18()
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            mod.running_mean.uniform_(-0.2, 0.2)
            mod.running_var.uniform_(0.5, 2.0)
            mod.weight.data.uniform_(0.5, 1.2)
            mod.bias.data.uniform_(-0.2, 0.2)
    return m.eval()


def convert(*args):
    r = subprocess.run([sys.executable, CONVERTER, *map(str, args)], capture_output=True,
                       text=True)
    return r


def read_safetensors_header(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    return n, header


def test_converter_torchvision_names_match_torch(tmp_path):
    torch = pytest.importorskip("torch")
    m = torch_resnet18(torch)
    pth = tmp_path / "resnet18.pth"
    torch.save(m.state_dict(), pth)
    st = tmp_path / "resnet18.safetensors"
    r = convert(pth, st)
    assert r.returncode == 0, r.stderr
    assert "wrote" in r.stdout and "122 tensors (102 F32, 20 I64)" in r.stdout, r.stdout
    n, header = read_safetensors_header(st)
    assert (8 + n) % 8 == 0
    assert header["conv1.weight"] == {"dtype": "F32", "shape": [64, 3, 7, 7],
                                      "data_offsets": header["conv1.weight"]["data_offsets"]}
    assert header["bn1.num_batches_tracked"]["dtype"] == "I64"
    spans = sorted(v["data_offsets"] for k, v in header.items() if k != "__metadata__")
    assert spans[0][0] == 0 and all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
    assert os.path.getsize(st) == 8 + n + spans[-1][1]

    x = rand_input(seed=8)
    with torch.no_grad():
        ref = [t.numpy() for t in m(torch.from_numpy(x))]
    net = clbb.Backbone("resnet18", weights=st)
    assert net.weights_report["ignored"] == 2 + 20  # fc.*, num_batches_tracked
    assert_same(net(x), ref, 1e-4)
    # and the CLI reads the same file
    assert_same(clbb_run(tmp_path, ["--arch", "resnet18", "--weights", str(st)], x), ref, 1e-4)


def test_converter_nesting_prefixes_dtypes(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    sd = torch_resnet18(torch, base=8).state_dict()
    x = rand_input(seed=9)
    r18 = dict(type="ResNet", depth=18, base_channels=8)
    ref = clbb.Backbone(r18, weights=_convert_ok(torch, tmp_path, sd, "plain"))(x)

    # an MMDetection detector checkpoint: state_dict nesting, backbone./neck. keys, meta
    det = {"meta": {"mmdet_version": "3.3.0", "CLASSES": ("a", "b")},
           "state_dict": {**{"backbone." + k: v for k, v in sd.items()},
                          "neck.lateral_convs.0.conv.weight": torch.zeros(4, 4, 1, 1)}}
    full = _convert_ok(torch, tmp_path, det, "det")
    assert "backbone.conv1.weight" in read_safetensors_header(full)[1]
    assert_same(clbb.Backbone(r18, weights=full)(x), ref, 0)  # the loader strips it
    only = _convert_ok(torch, tmp_path, det, "det_only", "--only-backbone")
    h = read_safetensors_header(only)[1]
    assert "conv1.weight" in h and not any(k.startswith(("backbone.", "neck.")) for k in h)
    assert_same(clbb.Backbone(r18, weights=only)(x), ref, 0)

    # DistributedDataParallel module. keys under checkpoint['model'], half and bf16 tensors
    ddp = {"model": {"module." + k: (v.half() if k.startswith("layer1") else
                                     v.bfloat16() if k.startswith("layer2") else v)
                     for k, v in sd.items()}, "epoch": 3}
    mixed = _convert_ok(torch, tmp_path, ddp, "ddp")
    h = read_safetensors_header(mixed)[1]
    assert h["layer1.0.conv1.weight"]["dtype"] == "F16"
    assert h["layer2.0.conv1.weight"]["dtype"] == "BF16"
    for k, v in h.items():  # every tensor aligned to its element size
        if k != "__metadata__":
            assert v["data_offsets"][0] % {"F16": 2, "BF16": 2, "F32": 4}.get(v["dtype"], 8) == 0
    out = clbb.Backbone(r18, weights=mixed)(x)
    for u, v in zip(out, ref):
        assert np.linalg.norm(u - v) / np.linalg.norm(v) < 2e-2

    # --prefix with a prefix nothing has: an error naming what there is
    with pytest.raises(SystemExit) as e:
        _converter().main([str(tmp_path / "det.pth"), str(tmp_path / "x.safetensors"),
                           "--prefix", "encoder."])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "no key starts with 'encoder.'" in err and "backbone." in err, err
    assert not (tmp_path / "x.safetensors").exists()


def _converter():
    """tools/convert_checkpoint.py as a module (torch imported once)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("convert_checkpoint", CONVERTER)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _convert_ok(torch, tmp_path, obj, name, *opts):
    pth = tmp_path / f"{name}.pth"
    torch.save(obj, pth)
    st = tmp_path / f"{name}.safetensors"
    assert _converter().main([str(pth), str(st), *opts]) == 0
    return st


def test_garbage_collection_frees_in_any_order():
    import gc
    for _ in range(3):
        b = clbb.Backbone("resnet18")
        b._ctx.owner = b  # a cycle: gc may finalise the context first
        b.self = b
        del b
    gc.collect()
    # a failed constructor leaves nothing behind either
    for _ in range(3):
        with pytest.raises(clbb.Error):
            clbb.Backbone("resnet18", weights="/nonexistent.safetensors")
    gc.collect()
