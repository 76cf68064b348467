#!/usr/bin/env python3
"""PyTorch/cuDNN side of the performance comparison (issue #5 workloads):
fp32 with TF32 off, cudnn.benchmark on, CUDA-graph replay (no launch
overhead), median of timed replays. Backbones only (no avgpool/fc/head).

usage: cudnn_bench.py [--iters N] [--json FILE]
"""
import json
import sys

import torch
import torchvision
import timm


class ResNetBackbone(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        m = self.m
        x = m.maxpool(m.relu(m.bn1(m.conv1(x))))
        outs = []
        for l in (m.layer1, m.layer2, m.layer3, m.layer4):
            x = l(x)
            outs.append(x)
        return outs


class GhostBackbone(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        m = self.m
        x = m.act1(m.bn1(m.conv_stem(x)))
        outs = []
        for i, b in enumerate(m.blocks):
            x = b(x)
            if i in (2, 4, 6, 9):
                outs.append(x)
        return outs


WORKLOADS = [
    ("resnet50", (32, 3, 224, 224)),
    ("resnet50", (1, 3, 800, 1344)),
    ("resnet50", (1, 3, 224, 224)),
    ("resnext50_32x4d", (32, 3, 224, 224)),
    ("ghostnet", (32, 3, 224, 224)),
]


def make(arch):
    if arch == "resnet50":
        return ResNetBackbone(torchvision.models.resnet50())
    if arch == "resnext50_32x4d":
        return ResNetBackbone(torchvision.models.resnext50_32x4d())
    return GhostBackbone(timm.create_model("ghostnet_100", pretrained=False))


def bench(arch, shape, iters):
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    model = make(arch).cuda().eval()
    x = torch.randn(shape, device="cuda")
    with torch.no_grad():
        for _ in range(5):
            model(x)
        torch.cuda.synchronize()
        g = torch.cuda.CUDAGraph()
        s = torch.cuda.Stream()
        s.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(s):
            for _ in range(3):
                model(x)
        torch.cuda.current_stream().wait_stream(s)
        with torch.cuda.graph(g):
            model(x)
        for _ in range(5):
            g.replay()
        torch.cuda.synchronize()
        times = []
        for _ in range(iters):
            a = torch.cuda.Event(enable_timing=True)
            b = torch.cuda.Event(enable_timing=True)
            a.record()
            g.replay()
            b.record()
            torch.cuda.synchronize()
            times.append(a.elapsed_time(b))
    times.sort()
    return times[len(times) // 2]


def main():
    iters = 50
    out = None
    args = sys.argv[1:]
    while args:
        a = args.pop(0)
        if a == "--iters":
            iters = int(args.pop(0))
        elif a == "--json":
            out = args.pop(0)
    res = []
    for arch, shape in WORKLOADS:
        ms = bench(arch, shape, iters)
        print(f"cudnn {arch:16s} {'x'.join(map(str, shape)):14s} {ms:8.3f} ms", flush=True)
        res.append({"arch": arch, "shape": list(shape), "median_ms": ms,
                    "device": torch.cuda.get_device_name()})
    if out:
        with open(out, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
