#!/usr/bin/env python3
"""CPU comparison: ResNet-50 backbone at 1x3x224x224 through clbb on PoCL
and through PyTorch on the CPU (Debian's python3-torch), in one run on the
same machine. Prints both medians and the ratio.

usage: cpu_compare.py CLBB_BINARY [--iters N] [--arch resnet50] [--shape 1,3,224,224]
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import torch
import torchvision


def torch_median(arch, shape, iters):
    torch.set_num_threads(os.cpu_count())
    make = {"resnet50": torchvision.models.resnet50, "resnet18": torchvision.models.resnet18,
            "resnext50_32x4d": torchvision.models.resnext50_32x4d}[arch]
    m = make().eval()
    body = torch.nn.Sequential(m.conv1, m.bn1, m.relu, m.maxpool, m.layer1, m.layer2, m.layer3, m.layer4)
    x = torch.randn(*shape)
    with torch.no_grad():
        for _ in range(3):
            body(x)
        t = []
        for _ in range(iters):
            a = time.perf_counter()
            body(x)
            t.append((time.perf_counter() - a) * 1e3)
    t.sort()
    return t[len(t) // 2]


def main():
    clbb = sys.argv[1]
    iters, arch, shape = 10, "resnet50", "1,3,224,224"
    args = sys.argv[2:]
    while args:
        a = args.pop(0)
        if a == "--iters":
            iters = int(args.pop(0))
        elif a == "--arch":
            arch = args.pop(0)
        elif a == "--shape":
            shape = args.pop(0)
    with tempfile.TemporaryDirectory() as d:
        js = os.path.join(d, "b.json")
        subprocess.run([clbb, "bench", "--arch", arch, "--shape", shape, "--device", "pocl",
                        "--iters", str(iters), "--warmup", "2", "--quiet", "--json", js], check=True)
        c = json.load(open(js))
    t = torch_median(arch, tuple(int(v) for v in shape.split(",")), iters)
    print(f"{arch} {shape} on {c['device']}, {os.cpu_count()} CPU threads")
    print(f"clbb (PoCL):     median {c['median_ms']:.1f} ms, plan+build {c['plan_ms']:.0f} ms")
    print(f"PyTorch {torch.__version__} CPU: median {t:.1f} ms")
    print(f"clbb speed relative to PyTorch: {t / c['median_ms']:.2f}x")


if __name__ == "__main__":
    main()
