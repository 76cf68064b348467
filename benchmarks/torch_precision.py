#!/usr/bin/env python3
"""Precision modes (issue 11): PyTorch's three modes next to `clbb bench` at each precision.

PyTorch, per workload (backbones only: no avgpool/fc/head, random weights, eval mode):
  fp32     strict fp32 (cuDNN and matmul TF32 off),
  default  PyTorch's default (cudnn.allow_tf32 on, matmul TF32 off: convolutions on TF32
           tensor cores),
  fp16     model.half() in channels_last with a half channels_last input (TF32 off),
timed with cudnn.benchmark on, CUDA-graph replay and the median of --iters after warm-up
(time_cuda of torch_dcn_plugins.py). clbb: `clbb bench --precision P --json` for fp32, tf32x3,
tf32 and fp16 on the same shapes (median of its forwards); a precision the device cannot run
falls back, and the table says so (`tf32 -> fp32`). Prints the issue's ratio table in
markdown (ms, and PyTorch / clbb: above 1 clbb is faster) with the issue's goals, and writes
--out JSON.

The modules: torchvision's resnet50 / resnext50_32x4d and timm's ghostnet_100 (the
feature extractors of torch_compare.py, which cudnn_bench.py times too).

usage: torch_precision.py CLBB_BINARY [--device SEL] [--out FILE.json] [--iters N] [--warmup W]
       [--workloads resnet50:32x3x224x224,...] [--smoke]
--smoke: the CPU path for a machine without a GPU (PyTorch on the CPU, tiny shapes, 1 iter;
clbb on --device or its default device), to test the script; its numbers mean nothing.
Needs torch, torchvision, numpy; timm for ghostnet (skipped without it).
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:  # torch_compare imports safetensors for its exports, which timing does not use
    import safetensors.torch  # noqa: F401
except ImportError:
    import types
    sys.modules["safetensors"] = types.ModuleType("safetensors")
    sys.modules["safetensors.torch"] = types.ModuleType("safetensors.torch")
    sys.modules["safetensors.torch"].save_file = None
from torch_compare import ghostnet_features, randomize, resnet_features  # noqa: E402
from torch_dcn_plugins import parse_shape, time_cpu, time_cuda  # noqa: E402

WORKLOADS = [("resnet50", (32, 3, 224, 224)), ("resnet50", (1, 3, 800, 1344)),
             ("resnext50_32x4d", (32, 3, 224, 224)), ("ghostnet", (32, 3, 224, 224))]
# the smoke test's: small, and the programs other tests have cached
SMOKE = [("resnet18", (1, 3, 32, 32)), ("ghostnet", (1, 3, 32, 32))]
TORCH_MODES = ("fp32", "default", "fp16")
CLBB_PRECISIONS = ("fp32", "tf32x3", "tf32", "fp16")
# the goals on the H200 (ms): tf32x3, tf32, fp16
GOALS = {("resnet50", (32, 3, 224, 224)): (4.9, 3.5, 2.36),
         ("resnet50", (1, 3, 800, 1344)): (3.7, 2.7, 1.8),
         ("resnext50_32x4d", (32, 3, 224, 224)): (6.1, 4.5, 2.8),
         ("ghostnet", (32, 3, 224, 224)): (1.3, 1.2, 1.0)}


class Features(torch.nn.Module):
    """A backbone's feature maps as a module (CUDA graphs capture a module call)."""

    def __init__(self, model, features):
        super().__init__()
        self.model = model
        self.f = features(model)

    def forward(self, x):
        return self.f(x)


def make(arch):
    """The module of an arch, or None (with the reason) when its package is missing."""
    import torchvision
    if arch in ("resnet18", "resnet50"):
        return Features(randomize(getattr(torchvision.models, arch)(), 1), resnet_features), ""
    if arch == "resnext50_32x4d":
        return Features(randomize(torchvision.models.resnext50_32x4d(), 1), resnet_features), ""
    if arch == "ghostnet":
        try:
            import timm
        except ImportError:
            return None, "timm is not installed"
        m = timm.create_model("ghostnet_100", pretrained=False)
        return Features(randomize(m, 1), ghostnet_features), ""
    return None, f"unknown arch {arch}"


def set_mode(mode):
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = mode == "default"
    torch.backends.cudnn.benchmark = True


def time_torch(arch, shape, mode, dev, iters, warmup):
    """(median ms or None, graph used, note)."""
    model, why = make(arch)
    if model is None:
        return None, False, why
    set_mode(mode)
    x = torch.randn(shape)
    model = model.to(dev)
    x = x.to(dev)
    if mode == "fp16":
        model = model.half().to(memory_format=torch.channels_last)
        x = x.half().contiguous(memory_format=torch.channels_last)
    fn = time_cuda if dev.type == "cuda" else time_cpu
    try:
        ms, graph = fn(model, x, iters, warmup)
        return ms, graph, ""
    except RuntimeError as e:  # fp16 convolutions on a CPU build, out of memory
        return None, False, str(e).splitlines()[0][:120]
    finally:
        del model, x
        if dev.type == "cuda":
            torch.cuda.empty_cache()


def time_clbb(clbb, arch, shape, precision, device, iters, warmup, work):
    """The bench report's fields of one run, or {"error": ...}."""
    out = os.path.join(work, f"{arch}_{'x'.join(map(str, shape))}_{precision}.json")
    cmd = [clbb, "bench", "--arch", arch, "--shape", ",".join(map(str, shape)), "--precision",
           precision, "--iters", str(iters), "--warmup", str(warmup), "--json", out, "--quiet"]
    if device:
        cmd += ["--device", device]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        err = (p.stderr.strip().splitlines() or [f"exit {p.returncode}"])[-1]
        return {"error": err}
    with open(out) as f:
        r = json.load(f)
    return {k: r.get(k) for k in ("median_ms", "kernel_ms", "device", "driver", "precision",
                                  "effective_precision", "math", "precision_note")}


def fmt(ms):
    return "—" if ms is None else f"{ms:.2f}"


def ratio(a, b):
    return "—" if a is None or b is None or b <= 0 else f"{a / b:.2f}x"


def table(results):
    """The markdown ratio table: ms per mode, then PyTorch / clbb at matching precisions."""
    lines = ["| workload | PyTorch fp32 | PyTorch default (TF32) | PyTorch fp16 CL | clbb fp32 | "
             "clbb tf32x3 | clbb tf32 | clbb fp16 | fp32: cuDNN/clbb | tf32x3: TF32/clbb | "
             "tf32: TF32/clbb | fp16: fp16/clbb |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        t, c = r["torch"], r["clbb"]
        cells = []
        for p in CLBB_PRECISIONS:
            ms = c[p].get("median_ms")
            eff = c[p].get("effective_precision")
            cell = fmt(ms)
            if eff and eff != p:
                cell += f" ({p}->{eff})"
            goal = r["goals"].get(p)
            if goal is not None and ms is not None:
                cell += " ✓" if ms <= goal else f" (goal {goal})"
            cells.append(cell)
        ms = {p: c[p].get("median_ms") for p in CLBB_PRECISIONS}
        tms = {m: t[m]["ms"] for m in TORCH_MODES}
        lines.append("| " + " | ".join(
            [f"{r['arch']} {'x'.join(map(str, r['shape']))}", fmt(tms["fp32"]),
             fmt(tms["default"]), fmt(tms["fp16"])] + cells +
            [ratio(tms["fp32"], ms["fp32"]), ratio(tms["default"], ms["tf32x3"]),
             ratio(tms["default"], ms["tf32"]), ratio(tms["fp16"], ms["fp16"])]) + " |")
    return "\n".join(lines)


def parse_workloads(s):
    out = []
    for w in s.split(","):
        arch, _, shape = w.partition(":")
        out.append((arch, parse_shape(shape)))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clbb", help="the clbb binary")
    ap.add_argument("--device", default=None, help="clbb's --device (default: its own choice)")
    ap.add_argument("--out", default=None, help="JSON results")
    ap.add_argument("--iters", type=int, default=None)
    ap.add_argument("--warmup", type=int, default=None)
    ap.add_argument("--workloads", type=parse_workloads, default=None,
                    help="arch:NxCxHxW,... (default: the issue's)")
    ap.add_argument("--smoke", action="store_true", help="CPU, tiny shapes: tests the script")
    a = ap.parse_args(argv)
    if a.smoke:
        dev = torch.device("cpu")
        workloads, iters, warmup = SMOKE, 1, 0
        torch.set_num_threads(2)
    else:
        if not torch.cuda.is_available():
            sys.exit("torch_precision.py: no CUDA device (use --smoke for the CPU path)")
        dev = torch.device("cuda")
        workloads, iters, warmup = WORKLOADS, 30, 5
    workloads = a.workloads or workloads
    iters = a.iters if a.iters is not None else iters
    warmup = a.warmup if a.warmup is not None else warmup
    results = []
    with tempfile.TemporaryDirectory(prefix="clbb-prec-") as work:
        for arch, shape in workloads:
            r = {"arch": arch, "shape": list(shape), "torch": {}, "clbb": {},
                 "goals": dict(zip(("tf32x3", "tf32", "fp16"), GOALS.get((arch, shape), ())))}
            for mode in TORCH_MODES:
                ms, graph, note = time_torch(arch, shape, mode, dev, iters, warmup)
                r["torch"][mode] = {"ms": ms, "graph": graph, "note": note}
                print(f"torch {arch} {'x'.join(map(str, shape))} {mode}: {fmt(ms)} ms"
                      + (f" ({note})" if note else ""), flush=True)
            for p in CLBB_PRECISIONS:
                c = time_clbb(a.clbb, arch, shape, p, a.device, iters, warmup, work)
                r["clbb"][p] = c
                extra = c.get("error") or (f"runs as {c['effective_precision']}: "
                                           f"{c['precision_note']}" if c.get("precision_note")
                                           else "")
                print(f"clbb  {arch} {'x'.join(map(str, shape))} {p}: {fmt(c.get('median_ms'))} ms"
                      + (f" ({extra})" if extra else ""), flush=True)
            results.append(r)
    dev_name = torch.cuda.get_device_name() if dev.type == "cuda" else "cpu"
    clbb_dev = next((c["device"] for r in results for c in r["clbb"].values() if c.get("device")),
                    None)
    clbb_drv = next((c["driver"] for r in results for c in r["clbb"].values() if c.get("driver")),
                    None)
    print(f"\nPyTorch {torch.__version__} on {dev_name}; clbb on {clbb_dev} (driver {clbb_drv}); "
          f"{datetime.date.today()}; medians of {iters}; ms, then PyTorch/clbb (>1: clbb faster)\n")
    print(table(results))
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"date": str(datetime.date.today()), "torch": torch.__version__,
                       "torch_device": dev_name, "clbb_device": clbb_dev, "clbb_driver": clbb_drv,
                       "iters": iters, "warmup": warmup, "smoke": a.smoke, "results": results},
                      f, indent=1)
    # a clbb failure is a failure of the run; PyTorch modes a build lacks are notes
    return 1 if any("error" in c for r in results for c in r["clbb"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
