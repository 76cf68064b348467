#!/usr/bin/env python3
"""Checks `clbb run` against PyTorch on the same weights and input.

For each model: build it in PyTorch (torchvision ResNet/ResNeXt, timm
resnet50d for ResNetV1d, timm GhostNet), give it random weights and random
BatchNorm statistics (so every branch carries signal), export the state_dict
to .safetensors and a random input to .npy, run `clbb run --weights --input
--output`, and compare every output with PyTorch's float64 forward.

usage: torch_compare.py CLBB_BINARY WORKDIR [--device SEL] [--models a,b]
Prints one line per model and output: relative L2 error and max abs error.
Needs torch, torchvision, timm, safetensors, numpy (not needed by clbb).
"""
import os
import subprocess
import sys

import numpy as np
import torch
from safetensors.torch import save_file


def randomize(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) * 0.7 + 0.5)
                m.bias.copy_(torch.rand(m.bias.shape, generator=g) * 0.4 - 0.2)
                m.running_mean.copy_(torch.rand(m.running_mean.shape, generator=g) * 0.4 - 0.2)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) * 1.5 + 0.5)
            elif isinstance(m, torch.nn.Conv2d):
                fan_in = m.weight[0].numel()
                b = (3.0 / fan_in) ** 0.5
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) * 2 * b - b)
                if m.bias is not None:
                    m.bias.copy_(torch.rand(m.bias.shape, generator=g) * 0.2 - 0.1)
    return model.eval()


def resnet_features(model):
    def f(x):
        x = model.maxpool(model.relu(model.bn1(model.conv1(x))))
        outs = []
        for name in ("layer1", "layer2", "layer3", "layer4"):
            x = getattr(model, name)(x)
            outs.append(x)
        return outs
    return f


def timm_resnet_features(model):
    def f(x):
        x = model.maxpool(model.act1(model.bn1(model.conv1(x))))
        outs = []
        for name in ("layer1", "layer2", "layer3", "layer4"):
            x = getattr(model, name)(x)
            outs.append(x)
        return outs
    return f


def ghostnet_features(model):
    def f(x):
        x = model.act1(model.bn1(model.conv_stem(x)))
        outs = []
        for i, blk in enumerate(model.blocks):
            x = blk(x)
            if i in (2, 4, 6, 9):
                outs.append(x)
        return outs
    return f


def models():
    import torchvision
    import timm
    return {
        "resnet18": (lambda: torchvision.models.resnet18(), resnet_features, "resnet18", (1, 3, 224, 224)),
        "resnet50": (lambda: torchvision.models.resnet50(), resnet_features, "resnet50", (2, 3, 224, 224)),
        "resnet101": (lambda: torchvision.models.resnet101(), resnet_features, "resnet101", (1, 3, 160, 192)),
        "resnext50_32x4d": (lambda: torchvision.models.resnext50_32x4d(), resnet_features,
                            "resnext50_32x4d", (1, 3, 224, 224)),
        "resnext101_32x8d": (lambda: torchvision.models.resnext101_32x8d(), resnet_features,
                             "resnext101_32x8d", (1, 3, 128, 128)),
        "resnet50v1d": (lambda: timm.create_model("resnet50d", pretrained=False), timm_resnet_features,
                        "resnet50v1d", (1, 3, 224, 224)),
        "ghostnet": (lambda: timm.create_model("ghostnet_100", pretrained=False), ghostnet_features,
                     "ghostnet", (2, 3, 224, 224)),
    }


def main():
    clbb, work = sys.argv[1], sys.argv[2]
    device = None
    only = None
    args = sys.argv[3:]
    while args:
        a = args.pop(0)
        if a == "--device":
            device = args.pop(0)
        elif a == "--models":
            only = args.pop(0).split(",")
    os.makedirs(work, exist_ok=True)
    torch.manual_seed(0)
    worst = 0.0
    for name, (make, feats, arch, shape) in models().items():
        if only and name not in only:
            continue
        model = randomize(make(), 1234)
        sd = {k: v.contiguous().float() for k, v in model.state_dict().items()
              if v.dtype.is_floating_point}
        wpath = os.path.join(work, name + ".safetensors")
        save_file(sd, wpath)
        x = torch.rand(shape, generator=torch.Generator().manual_seed(7)) * 2 - 1
        ipath = os.path.join(work, name + "_in.npy")
        np.save(ipath, x.numpy().astype(np.float32))
        with torch.no_grad():
            refs = [r.double() for r in feats(model.double())(x.double())]
        out = os.path.join(work, name + "_out")
        cmd = [clbb, "run", "--arch", arch, "--weights", wpath, "--input", ipath, "--output", out]
        if device:
            cmd += ["--device", device]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            print(f"{name}: clbb run failed ({res.returncode}): {res.stderr.strip()}")
            worst = float("inf")
            continue
        for i, r in enumerate(refs):
            y = torch.from_numpy(np.load(os.path.join(out, f"out{i}.npy"))).double()
            if y.shape != r.shape:
                print(f"{name} out{i}: shape {tuple(y.shape)} != torch {tuple(r.shape)}")
                worst = float("inf")
                continue
            rel = ((y - r).norm() / r.norm()).item()
            mx = (y - r).abs().max().item()
            worst = max(worst, rel)
            print(f"{name:18s} out{i} {str(tuple(y.shape)):22s} rel_l2 {rel:.3e}  max_abs {mx:.3e}")
    print(f"worst relative L2 error: {worst:.3e}")
    return 0 if worst < 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())
