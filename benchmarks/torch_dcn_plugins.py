#!/usr/bin/env python3
"""PyTorch side of issue 10 (DCN + plugins): timings and conformance exports.

Each config is an MMDetection 3.3 backbone dict (ResNet-50 with the dcn / plugins arguments
of configs/dcn, dcnv2, gcnet and empirical_attention), built in pure torch by
torch_mmdet_modules.py with random weights (BN with non-trivial statistics; the parameters
mmcv zero-initialises made non-zero, else DCN and the plugins would be identities), eval mode.

Timing (default): strict fp32 unless --precision says otherwise (fp32: TF32 off in cuDNN and
matmul; tf32: TF32 on; fp16: model.half() and a half input, TF32 off), cudnn.benchmark on,
CUDA-graph replay (eager replay with events if capture fails; the JSON says which), median of
--iters after warm-up. --device cpu: perf_counter timing, no graphs, all CPU threads.
Prints a table and writes --out JSON: ms per config and ratio to 'plain'.

Export (--export DIR): per config DIR/<name>.safetensors (PyTorch keys, float tensors fp32,
num_batches_tracked I64, local_constraint_map U8 as in mmcv's state_dict), DIR/<name>.json
(the backbone dict, MMDetection argument names), DIR/<name>_input.npy (fp32) and
DIR/<name>_out<i>.npy (float64 outputs of the float64 CPU forward of the same fp32 weights
and input), plus DIR/manifest.json. --iters 0 skips the timing.

usage: torch_dcn_plugins.py [--configs a,b|all|extra] [--input 1x3x800x1344] [--device cuda]
       [--precision fp32|tf32|fp16] [--iters N] [--warmup W] [--out results.json]
       [--export DIR [--configs-only]] [--export-input 1x3x96x128] [--seed S] [--list]
Needs torch, torchvision, numpy.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_mmdet_modules as mm  # noqa: E402
from mmcv_ref_np import save_safetensors  # noqa: E402

F, T = False, True

# mmdet configs/_base_/models/faster-rcnn_r50_fpn.py backbone, minus init_cfg (it names the
# torchvision checkpoint; the comparisons load --weights instead).
R50 = dict(type='ResNet', depth=50, num_stages=4, out_indices=(0, 1, 2, 3), frozen_stages=1,
           norm_cfg=dict(type='BN', requires_grad=True), norm_eval=True, style='pytorch')


def r50(**kw):
    return dict(R50, **kw)


def gcb(ratio, stages=(F, T, T, T), position='after_conv3', **cfg):
    return dict(cfg=dict(type='ContextBlock', ratio=ratio, **cfg), stages=stages,
                position=position)


def attn(attention_type, stages=(F, F, T, T), position='after_conv2', **cfg):
    c = dict(type='GeneralizedAttention', spatial_range=-1, num_heads=8,
             attention_type=attention_type, kv_stride=2)
    c.update(cfg)
    return dict(cfg=c, stages=stages, position=position)


def nonlocal_(stages=(F, F, T, F), position='after_conv3', **cfg):
    return dict(cfg=dict(type='NonLocal2d', **cfg), stages=stages, position=position)


DCN = dict(type='DCN', deform_groups=1, fallback_on_stride=False)
DCNV2 = dict(type='DCNv2', deform_groups=1, fallback_on_stride=False)

# The timed set: the MMDetection configs word for word (backbone part).
CONFIGS = {
    'plain': r50(),
    # configs/dcn/faster-rcnn_r50-dconv-c3-c5_fpn_1x_coco.py
    'dcn': r50(dcn=DCN, stage_with_dcn=(F, T, T, T)),
    # configs/dcnv2/faster-rcnn_r50-mdconv-c3-c5_fpn_1x_coco.py
    'dcnv2': r50(dcn=DCNV2, stage_with_dcn=(F, T, T, T)),
    # configs/gcnet/mask-rcnn_r50-gcb-r16-c3-c5_fpn_1x_coco.py, ...-r4-...
    'gcb_r16': r50(plugins=[gcb(1. / 16)]),
    'gcb_r4': r50(plugins=[gcb(1. / 4)]),
    # configs/empirical_attention/faster-rcnn_r50-attn1111_fpn_1x_coco.py, -attn0010_
    'attn1111': r50(plugins=[attn('1111')]),
    'attn0010': r50(plugins=[attn('0010')]),
}

# Conformance-only configs (every argument and branch the clbb side implements).
EXTRA = {
    'dcn_dg2': r50(dcn=dict(type='DCN', deform_groups=2), stage_with_dcn=(F, F, T, T)),
    # fallback_on_stride=True: mmdet pops it from the shared dict, so only the first DCN
    # block (layer2.0) gets a plain conv2 and every later one a DCN (SPEC A §1.6).
    'dcn_fallback': r50(dcn=dict(type='DCN', deform_groups=1, fallback_on_stride=True),
                        stage_with_dcn=(F, T, F, F)),
    'dcnv2_dg2_caffe': r50(style='caffe', dcn=dict(type='DCNv2', deform_groups=2),
                           stage_with_dcn=(T, F, F, T)),
    'dcnv2_x50': dict(type='ResNeXt', depth=50, groups=32, base_width=4, out_indices=(0, 1, 2, 3),
                      dcn=DCNV2, stage_with_dcn=(F, T, T, T),
                      plugins=[gcb(1. / 16, position='after_conv2')]),
    'v1d_dcn_gcb': dict(type='ResNetV1d', depth=50, dcn=DCNV2, stage_with_dcn=(F, F, T, T),
                        plugins=[gcb(1. / 4, stages=None)]),
    'gcb_avg_mul': r50(plugins=[gcb(1. / 8, pooling_type='avg',
                                    fusion_types=('channel_add', 'channel_mul'))]),
    'gcb_mul_c1': r50(plugins=[gcb(1. / 4, position='after_conv1',
                                   fusion_types=('channel_mul',))]),
    'nl_embedded': r50(plugins=[nonlocal_()]),
    'nl_gaussian_sub': r50(plugins=[nonlocal_(position='after_conv1', mode='gaussian',
                                              sub_sample=True)]),
    'nl_dot_bn': r50(plugins=[nonlocal_(mode='dot_product', reduction=4,
                                        norm_cfg=dict(type='BN'), stages=(F, F, F, T))]),
    'nl_concat_sub': r50(plugins=[nonlocal_(mode='concatenation', use_scale=False,
                                            sub_sample=True, position='after_conv2')]),
    'nl_embedded_noscale_sub': r50(plugins=[nonlocal_(use_scale=False, sub_sample=True,
                                                      stages=(F, T, F, F))]),
    'attn1000_sr2': r50(plugins=[attn('1000', spatial_range=2)]),
    'attn0001_q2': r50(plugins=[attn('0001', q_stride=2)]),
    'attn1010_kv1': r50(plugins=[attn('1010', kv_stride=1, num_heads=9)]),
    'attn0011_pe': r50(plugins=[attn('0011', position_embedding_dim=128,
                                     position_magnitude=2)]),
    'attn1101_q2_sr1': r50(plugins=[attn('1101', q_stride=2, spatial_range=1)]),
    'attn1111_c3': r50(plugins=[attn('1111', position='after_conv3', stages=(F, F, F, T))]),
    # bit 1 without bit 3: mmcv's y term uses the transposed query, square maps only.
    'attn0100_square': r50(plugins=[attn('0100')]),
    'attn1110_square': r50(plugins=[attn('1110', q_stride=2)]),
    # several plugins: order inside a position, postfix names, all three positions
    'multi': r50(dcn=DCN, stage_with_dcn=(F, F, T, T), plugins=[
        gcb(1. / 16, postfix=1),
        nonlocal_(position='after_conv1', stages=(F, F, T, F)),
        attn('1111', stages=(F, F, F, T)),
        gcb(1. / 4, postfix=2),
        attn('0010', postfix='_b', stages=(F, F, T, T), num_heads=4)]),
}

# The input of an export: mmcv runs the transposed-query types on square maps only.
SQUARE = {'attn0100_square', 'attn1110_square'}


def jsonable(cfg):
    """The backbone dict as JSON: tuples become lists (MMDetection's argument names kept)."""
    if isinstance(cfg, dict):
        return {k: jsonable(v) for k, v in cfg.items()}
    if isinstance(cfg, (list, tuple)):
        return [jsonable(v) for v in cfg]
    return cfg


def parse_shape(s):
    v = tuple(int(t) for t in s.lower().replace(',', 'x').split('x'))
    if len(v) != 4 or min(v) < 1:
        raise argparse.ArgumentTypeError(f"'{s}' is not NxCxHxW")
    return v


def set_precision(precision):
    tf32 = precision == 'tf32'
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    torch.backends.cudnn.benchmark = True


def time_cuda(model, x, iters, warmup):
    """Median ms of CUDA-graph replays (eager calls if capture fails); (ms, used_graph)."""
    with torch.no_grad():
        for _ in range(max(warmup, 1)):
            model(x)
        torch.cuda.synchronize()
        run, graph = (lambda: model(x)), False
        try:
            g = torch.cuda.CUDAGraph()
            s = torch.cuda.Stream()
            s.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(s):
                for _ in range(3):
                    model(x)
            torch.cuda.current_stream().wait_stream(s)
            with torch.cuda.graph(g):
                model(x)
            torch.cuda.synchronize()
            run, graph = g.replay, True
        except Exception as e:  # noqa: BLE001 - any capture failure falls back to eager
            print(f'  (CUDA graph capture failed, timing eager calls: {e})', flush=True)
            torch.cuda.synchronize()
        for _ in range(max(warmup, 1)):
            run()
        torch.cuda.synchronize()
        times = []
        for _ in range(iters):
            a = torch.cuda.Event(enable_timing=True)
            b = torch.cuda.Event(enable_timing=True)
            a.record()
            run()
            b.record()
            torch.cuda.synchronize()
            times.append(a.elapsed_time(b))
    times.sort()
    return times[len(times) // 2], graph


def time_cpu(model, x, iters, warmup):
    with torch.no_grad():
        for _ in range(warmup):
            model(x)
        times = []
        for _ in range(iters):
            a = time.perf_counter()
            model(x)
            times.append((time.perf_counter() - a) * 1e3)
    times.sort()
    return times[len(times) // 2], False


def build(cfg, seed):
    return mm.randomize(mm.build_backbone(cfg), seed)


def bench(names, configs, args):
    dev = torch.device(args.device)
    if dev.type == 'cuda':
        set_precision(args.precision)
        dev_name = torch.cuda.get_device_name(dev)
    else:
        torch.set_num_threads(os.cpu_count())
        dev_name = f'cpu ({torch.get_num_threads()} threads)'
    dtype = torch.float16 if args.precision == 'fp16' else torch.float32
    print(f'torch {torch.__version__}, torchvision {tv_version()}, {dev_name}, '
          f'{args.precision}, input {"x".join(map(str, args.input))}, median of {args.iters}',
          flush=True)
    results = []
    for name in names:
        r = {'name': name, 'backbone': jsonable(configs[name]), 'ms': None, 'graph': None,
             'error': None}
        model = x = None
        try:
            model = build(configs[name], args.seed).to(dev, dtype)
            x = (torch.rand(args.input, generator=torch.Generator().manual_seed(7)) * 2 - 1)
            x = x.to(dev, dtype)
            fn = time_cuda if dev.type == 'cuda' else time_cpu
            r['ms'], r['graph'] = fn(model, x, args.iters, args.warmup)
        except Exception as e:  # noqa: BLE001 - report per config and go on
            r['error'] = f'{type(e).__name__}: {e}'.splitlines()[0][:300]
        results.append(r)
        msg = (f"{r['ms']:9.3f} ms" if r['ms'] is not None else f"FAILED {r['error']}")
        print(f'  {name:24s} {msg}', flush=True)
        del model, x
        if dev.type == 'cuda':
            torch.cuda.empty_cache()
    base = next((r['ms'] for r in results if r['name'] == 'plain' and r['ms']), None)
    for r in results:
        r['ratio_to_plain'] = (r['ms'] / base) if (base and r['ms'] is not None) else None
    print(f"\n{'config':24s} {'ms':>10s} {'x plain':>8s}  graph")
    for r in results:
        ms = f"{r['ms']:10.3f}" if r['ms'] is not None else f"{'failed':>10s}"
        ratio = f"{r['ratio_to_plain']:8.2f}" if r['ratio_to_plain'] is not None else ' ' * 8
        print(f"{r['name']:24s} {ms} {ratio}  {r['graph']}")
    out = {'device': dev_name, 'torch': torch.__version__, 'torchvision': tv_version(),
           'precision': args.precision, 'input': list(args.input), 'iters': args.iters,
           'warmup': args.warmup, 'seed': args.seed,
           'tf32': args.precision == 'tf32', 'results': results}
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(out, f, indent=1)
    return 0 if all(r['ms'] is not None for r in results) else 1


def state_dict_numpy(model):
    """state_dict as numpy in registration order: float tensors fp32, the rest as they are."""
    out = {}
    for k, v in model.state_dict().items():
        v = v.detach().cpu().contiguous()
        out[k] = (v.float() if v.dtype.is_floating_point else v).numpy()
    return out


def export(names, configs, args):
    os.makedirs(args.export, exist_ok=True)
    manifest = {'torch': torch.__version__, 'torchvision': tv_version(), 'seed': args.seed,
                'configs': []}
    failed = 0
    for name in names:
        entry = {'name': name}
        try:
            shape = args.export_input
            if name in SQUARE:
                shape = shape[:2] + (max(shape[2:]),) * 2
            with open(os.path.join(args.export, name + '.json'), 'w') as f:
                json.dump(jsonable(configs[name]), f, indent=1)
            if args.configs_only:
                manifest['configs'].append(entry)
                continue
            model = build(configs[name], args.seed)
            sd = state_dict_numpy(model)
            save_safetensors(sd, os.path.join(args.export, name + '.safetensors'))
            x = (torch.rand(shape, generator=torch.Generator().manual_seed(7)) * 2 - 1).float()
            np.save(os.path.join(args.export, name + '_input.npy'), x.numpy())
            with torch.no_grad():
                outs = model.double()(x.double())
            for i, o in enumerate(outs):
                np.save(os.path.join(args.export, f'{name}_out{i}.npy'), o.numpy())
            entry.update(input=list(shape), outputs=[list(o.shape) for o in outs],
                         keys=len(sd))
            print(f"  {name:24s} {len(sd):4d} keys, input {'x'.join(map(str, shape))}, "
                  f"outputs {' '.join('x'.join(map(str, o.shape)) for o in outs)}", flush=True)
        except Exception as e:  # noqa: BLE001 - report per config and go on
            failed += 1
            entry['error'] = f'{type(e).__name__}: {e}'.splitlines()[0][:300]
            print(f"  {name:24s} FAILED {entry['error']}", flush=True)
        manifest['configs'].append(entry)
    with open(os.path.join(args.export, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
    return 1 if failed else 0


def tv_version():
    try:
        import torchvision
        return torchvision.__version__
    except ImportError:
        return None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--configs', default=','.join(CONFIGS),
                    help="comma list, 'all' (timed + extra) or 'extra'")
    ap.add_argument('--input', type=parse_shape, default=(1, 3, 800, 1344))
    ap.add_argument('--device', default='cuda')
    ap.add_argument('--precision', choices=('fp32', 'tf32', 'fp16'), default='fp32')
    ap.add_argument('--iters', type=int, default=30, help='0: no timing')
    ap.add_argument('--warmup', type=int, default=5)
    ap.add_argument('--out', help='timing results JSON')
    ap.add_argument('--export', metavar='DIR')
    ap.add_argument('--export-input', type=parse_shape, default=(1, 3, 96, 128))
    ap.add_argument('--configs-only', action='store_true',
                    help='with --export: write only DIR/<name>.json')
    ap.add_argument('--seed', type=int, default=1234)
    ap.add_argument('--list', action='store_true', help='print the config names and exit')
    args = ap.parse_args(argv)
    configs = dict(CONFIGS, **EXTRA)
    if args.list:
        for n, c in configs.items():
            print(f"{n:24s} {'timed' if n in CONFIGS else 'extra'}  {json.dumps(jsonable(c))}")
        return 0
    if args.configs == 'all':
        names = list(configs)
    elif args.configs == 'extra':
        names = list(EXTRA)
    else:
        names = [n for n in args.configs.split(',') if n]
    unknown = [n for n in names if n not in configs]
    if unknown:
        ap.error(f"unknown config(s) {', '.join(unknown)} (known: {', '.join(configs)})")
    rc = 0
    if args.export:
        rc |= export(names, configs, args)
    if args.iters > 0:
        rc |= bench(names, configs, args)
    return rc


if __name__ == '__main__':
    sys.exit(main())
