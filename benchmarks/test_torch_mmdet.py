#!/usr/bin/env python3
"""Checks of the PyTorch baseline (torch_mmdet_modules.py, mmcv_ref_np.py, compare_npy.py).

The numpy part runs anywhere numpy is: the position embedding against its closed form, the
numpy deform-conv oracle against a plain convolution (zero offsets) and against integer
shifts, the .safetensors writer against its reader, compare_npy. The torch part (skipped
without torch): state_dict keys against SPEC's reference lists and mmcv's names, torchvision's
deform_conv2d (through the mmcv-named modules) against the oracle, the plugins against
independent einsum formulas, the torch position embedding against numpy's, whole backbones.

usage: test_torch_mmdet.py [--keys-dir DIR]   (default: ../../shared/reference/keys)
Prints one line per check and 'N passed, N failed'.
"""
import math
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare_npy  # noqa: E402
from mmcv_ref_np import (NumpyOps, deform_conv2d_ref, gen_attention_position_embedding,  # noqa: E402
                         load_safetensors, save_safetensors)

RESULTS = []


def check(name, ok, detail=''):
    RESULTS.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name}{'  ' + detail if detail else ''}", flush=True)


def rel(a, b):
    return compare_npy.compare(a, b)[0]


# ------------------------------------------------------------------------------ numpy only

def test_position_embedding():
    for (h, w, hk, wk, qs, ks, fd, mag) in [(6, 8, 3, 4, 1, 2, 256, 1), (3, 5, 3, 5, 2, 1, 128, 2),
                                            (1, 1, 1, 1, 1, 2, 512, 1), (4, 7, 2, 4, 1, 2, 12, 3)]:
        ex, ey = gen_attention_position_embedding(NumpyOps(), h, w, hk, wk, qs, ks, fd, mag)
        q = math.ceil(fd / 4)
        ok = ex.shape == (w, wk, 2 * q) and ey.shape == (h, hk, 2 * q)
        err = 0.0
        for (e, n, nk) in ((ex, w, wk), (ey, h, hk)):
            for i in range(n):
                for j in range(nk):
                    for k in range(q):
                        d = (i * qs - j * ks) * mag
                        t = d / 1000.0**(4.0 * k / fd)
                        err = max(err, abs(e[i, j, k] - math.sin(t)), abs(e[i, j, q + k] - math.cos(t)))
        check(f'position embedding {h}x{w} kv {hk}x{wk} q{qs} kv{ks} dim {fd} mag {mag}',
              ok and err < 1e-12, f'max err {err:.1e}')


def conv2d_np(x, w, stride, pad, dil, groups):
    N, C, H, W = x.shape
    O, Cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    Ho = (H + 2 * pad[0] - dil[0] * (kh - 1) - 1) // stride[0] + 1
    Wo = (W + 2 * pad[1] - dil[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((N, O, Ho, Wo))
    og = O // groups
    for g in range(groups):
        for i in range(kh):
            for j in range(kw):
                patch = xp[:, g * Cg:(g + 1) * Cg,
                           i * dil[0]:i * dil[0] + stride[0] * (Ho - 1) + 1:stride[0],
                           j * dil[1]:j * dil[1] + stride[1] * (Wo - 1) + 1:stride[1]]
                out[:, g * og:(g + 1) * og] += np.einsum('nchw,oc->nohw', patch,
                                                         w[g * og:(g + 1) * og, :, i, j])
    return out


def test_deform_oracle():
    rng = np.random.default_rng(3)
    for (C, O, H, W, s, p, d, groups, dg) in [(4, 6, 5, 7, 1, 1, 1, 1, 1), (4, 4, 7, 6, 2, 2, 2, 2, 2)]:
        x = rng.uniform(-1, 1, (2, C, H, W))
        w = rng.uniform(-1, 1, (O, C // groups, 3, 3))
        Ho = (H + 2 * p - 2 * d - 1) // s + 1
        Wo = (W + 2 * p - 2 * d - 1) // s + 1
        zero = np.zeros((2, dg * 18, Ho, Wo))
        ref = conv2d_np(x, w, (s, s), (p, p), (d, d), groups)
        got = deform_conv2d_ref(x, zero, w, stride=(s, s), padding=(p, p), dilation=(d, d))
        check(f'deform oracle, zero offsets = conv (C{C} O{O} s{s} p{p} d{d} g{groups} dg{dg})',
              rel(ref, got) < 1e-13, f'rel {rel(ref, got):.1e}')
        # integer offsets (dy=+1, dx=-1 on every tap) = the conv of the shifted image (no
        # padding, so that every sample of the shifted image exists in the original)
        Ho = (H - 2 * d - 1) // s + 1
        Wo = (W - 2 * d - 1) // s + 1
        zero = np.zeros((2, dg * 18, Ho, Wo))
        p = 0
        off = zero.copy()
        off[:, 0::2] = 1.0
        off[:, 1::2] = -1.0
        xs = np.zeros_like(x)
        xs[:, :, :-1, 1:] = x[:, :, 1:, :-1]
        ref = conv2d_np(xs, w, (s, s), (p, p), (d, d), groups)
        got = deform_conv2d_ref(x, off, w, stride=(s, s), padding=(p, p), dilation=(d, d))
        check(f'deform oracle, offset (+1,-1) = shifted conv (s{s} d{d} g{groups} dg{dg})',
              rel(ref, got) < 1e-13, f'rel {rel(ref, got):.1e}')
        # a mask of ones changes nothing; a mask of 0.5 halves
        m = np.full((2, dg * 9, Ho, Wo), 0.5)
        got2 = deform_conv2d_ref(x, off, w, mask=m, stride=(s, s), padding=(p, p), dilation=(d, d))
        check('deform oracle, mask 0.5 halves', rel(0.5 * got, got2) < 1e-13)


def test_safetensors():
    t = {'a.weight': np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 5.5,
         'b.num_batches_tracked': np.array(7, dtype=np.int64),
         'c.local_constraint_map': (np.arange(10) % 2).astype(np.uint8),
         'd.half': np.linspace(-1, 1, 5).astype(np.float16)}
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, 'x.safetensors')
        save_safetensors(t, p)
        raw = open(p, 'rb').read()
        n = int.from_bytes(raw[:8], 'little')
        back = load_safetensors(p)
        ok = (n % 8 == 0 and list(back) == list(t) and
              all(back[k].dtype == t[k].dtype and back[k].shape == t[k].shape and
                  np.array_equal(back[k], t[k]) for k in t))
        check('safetensors round trip (F32, I64 scalar, U8, F16; 8-byte aligned header)', ok)
        np.save(os.path.join(d, 'r_out0.npy'), np.ones((1, 2, 3, 3)))
        os.mkdir(os.path.join(d, 'c'))
        np.save(os.path.join(d, 'c', 'out0.npy'), np.ones((1, 2, 3, 3), np.float32) * (1 + 1e-6))
        rc_ok = compare_npy.main([d, os.path.join(d, 'c'), '--prefix', 'r_'])
        np.save(os.path.join(d, 'c', 'out0.npy'), np.ones((1, 2, 3, 3), np.float32) * 1.01)
        rc_bad = compare_npy.main([d, os.path.join(d, 'c'), '--prefix', 'r_'])
        np.save(os.path.join(d, 'c', 'out0.npy'), np.ones((1, 2, 3, 4), np.float32))
        rc_shape = compare_npy.main([d, os.path.join(d, 'c'), '--prefix', 'r_'])
        check('compare_npy exit codes 0 / 1 / 2', (rc_ok, rc_bad, rc_shape) == (0, 1, 2),
              str((rc_ok, rc_bad, rc_shape)))


# ------------------------------------------------------------------------------ torch

def test_keys(keys_dir):
    import torch_mmdet_modules as mm
    for fname, cfg in [('keys_r50.txt', dict(type='ResNet', depth=50)),
                       ('keys_r18.txt', dict(type='ResNet', depth=18)),
                       ('keys_v1d50.txt', dict(type='ResNetV1d', depth=50)),
                       ('keys_v1d18.txt', dict(type='ResNetV1d', depth=18))]:
        path = os.path.join(keys_dir, fname)
        if not os.path.exists(path):
            check(f'keys {fname}', False, f'{path} missing')
            continue
        ref = [ln.split()[0] for ln in open(path) if ln.strip()]
        sd = mm.build_backbone(cfg).state_dict()
        check(f'state_dict keys and order = {fname}', list(sd) == ref, f'{len(sd)} vs {len(ref)}')
    import torch_dcn_plugins as tdp
    cfgs = dict(tdp.CONFIGS, **tdp.EXTRA)

    def sd_of(name):
        return {k: tuple(v.shape) for k, v in mm.build_backbone(cfgs[name]).state_dict().items()}
    sd = sd_of('dcn')
    b = 'layer2.0.conv2.'
    check('DCN keys: conv2.weight, conv2.conv_offset.{weight,bias} in that order',
          [k for k in sd if k.startswith(b)] == [b + 'weight', b + 'conv_offset.weight',
                                                  b + 'conv_offset.bias'] and
          sd[b + 'conv_offset.weight'] == (18, 128, 3, 3) and 'layer1.0.conv2.conv_offset.weight' not in sd)
    sd = sd_of('dcnv2')
    check('DCNv2 keys: conv_offset 27 channels, no conv2.bias',
          sd['layer4.2.conv2.conv_offset.weight'] == (27, 512, 3, 3) and 'layer4.2.conv2.bias' not in sd)
    sd = sd_of('dcn_fallback')
    check('fallback_on_stride popped once: layer2.0 plain, layer2.1 DCN',
          'layer2.0.conv2.conv_offset.weight' not in sd and 'layer2.1.conv2.conv_offset.weight' in sd)
    sd = sd_of('gcb_r16')
    p = 'layer3.5.context_block.'
    check('ContextBlock keys (ratio 1/16 of 1024 = 64)',
          [k[len(p):] for k in sd if k.startswith(p)] ==
          ['conv_mask.weight', 'conv_mask.bias', 'channel_add_conv.0.weight', 'channel_add_conv.0.bias',
           'channel_add_conv.1.weight', 'channel_add_conv.1.bias', 'channel_add_conv.3.weight',
           'channel_add_conv.3.bias'] and sd[p + 'channel_add_conv.0.weight'] == (64, 1024, 1, 1)
          and sd[p + 'channel_add_conv.1.weight'] == (64, 1, 1) and 'layer1.0.context_block.conv_mask.weight' not in sd)
    keys = list(sd)
    i = keys.index('layer2.0.downsample.1.num_batches_tracked')
    check('plugin registered after downsample', keys[i + 1] == 'layer2.0.context_block.conv_mask.weight')
    sd = sd_of('attn1111')
    p = 'layer3.0.gen_attention_block.'
    check('GeneralizedAttention 1111 keys',
          [k[len(p):] for k in sd if k.startswith(p)] ==
          ['appr_bias', 'geom_bias', 'gamma', 'query_conv.weight', 'key_conv.weight', 'value_conv.weight',
           'appr_geom_fc_x.weight', 'appr_geom_fc_y.weight', 'proj_conv.weight', 'proj_conv.bias']
          and sd[p + 'appr_geom_fc_x.weight'] == (256, 128) and sd[p + 'gamma'] == (1,)
          and 'layer2.0.gen_attention_block.gamma' not in sd, str([k[len(p):] for k in sd if k.startswith(p)]))
    sd = sd_of('attn0010')
    check('GeneralizedAttention 0010 keys',
          [k[len(p):] for k in sd if k.startswith(p)] ==
          ['appr_bias', 'gamma', 'key_conv.weight', 'value_conv.weight', 'proj_conv.weight', 'proj_conv.bias'])
    sd = mm.build_backbone(cfgs['attn1000_sr2']).state_dict()
    m = sd['layer4.0.gen_attention_block.local_constraint_map']
    check('local_constraint_map U8 (42,42,21,21) at 512 channels', str(m.dtype) == 'torch.uint8'
          and tuple(m.shape) == (42, 42, 21, 21))
    sd = sd_of('nl_dot_bn')
    p = 'layer4.0.nonlocal_block.'
    check('NonLocal2d keys (dot_product, conv_out BN)',
          [k[len(p):] for k in sd if k.startswith(p)] ==
          ['g.conv.weight', 'g.conv.bias', 'conv_out.conv.weight', 'conv_out.bn.weight', 'conv_out.bn.bias',
           'conv_out.bn.running_mean', 'conv_out.bn.running_var', 'conv_out.bn.num_batches_tracked',
           'theta.conv.weight', 'theta.conv.bias', 'phi.conv.weight', 'phi.conv.bias'], )
    sd = sd_of('nl_gaussian_sub')
    p = 'layer3.0.nonlocal_block.'
    check('NonLocal2d gaussian sub_sample keys: g.0.conv only',
          [k[len(p):] for k in sd if k.startswith(p)] ==
          ['g.0.conv.weight', 'g.0.conv.bias', 'conv_out.conv.weight', 'conv_out.conv.bias'])
    sd = sd_of('nl_concat_sub')
    p = 'layer3.0.nonlocal_block.'
    check('NonLocal2d concatenation sub_sample keys',
          [k[len(p):] for k in sd if k.startswith(p)] ==
          ['g.0.conv.weight', 'g.0.conv.bias', 'conv_out.conv.weight', 'conv_out.conv.bias',
           'theta.conv.weight', 'theta.conv.bias', 'phi.0.conv.weight', 'phi.0.conv.bias',
           'concat_project.conv.weight'] and sd[p + 'concat_project.conv.weight'] == (1, 256, 1, 1))
    sd = sd_of('multi')
    blk = [k.split('.')[2] for k in sd if k.startswith('layer4.0.') and k.count('.') >= 3]
    order = list(dict.fromkeys(b for b in blk if not b.startswith(('conv', 'bn', 'downsample'))))
    check('multi: layer4.0 plugins after_conv1, after_conv2 (list order), after_conv3',
          order == ['gen_attention_block', 'gen_attention_block_b', 'context_block1', 'context_block2'], str(order))
    sd = sd_of('dcnv2_x50')
    check('ResNeXt 32x4d DCNv2: grouped conv2 [256, 8, 3, 3], conv_offset from 256, plugin width 256',
          sd['layer2.0.conv2.weight'] == (256, 8, 3, 3) and sd['layer2.0.conv2.conv_offset.weight'] == (27, 256, 3, 3)
          and sd['layer2.0.context_block.conv_mask.weight'] == (1, 256, 1, 1))


def test_deform_torch():
    import torch
    import torch_mmdet_modules as mm
    g = torch.Generator().manual_seed(5)
    for (C, O, H, W, s, p, d, groups, dg) in [(4, 6, 6, 7, 1, 1, 1, 1, 1), (8, 4, 7, 9, 2, 2, 2, 2, 2),
                                              (4, 4, 2, 2, 1, 1, 1, 1, 1), (6, 6, 5, 4, 1, 1, 1, 3, 3)]:
        for v2 in (False, True):
            cls = mm.ModulatedDeformConv2dPack if v2 else mm.DeformConv2dPack
            kw = dict(bias=False) if v2 else {}
            m = cls(C, O, 3, stride=s, padding=p, dilation=d, groups=groups, deform_groups=dg, **kw).double()
            with torch.no_grad():
                m.weight.copy_(torch.rand(m.weight.shape, generator=g, dtype=torch.float64) * 2 - 1)
                # offsets up to ±3 pixels: samples outside the image and on its border
                m.conv_offset.weight.copy_(torch.rand(m.conv_offset.weight.shape, generator=g, dtype=torch.float64) - 0.5)
                m.conv_offset.bias.copy_(torch.rand(m.conv_offset.bias.shape, generator=g, dtype=torch.float64) * 4 - 2)
            x = torch.rand((2, C, H, W), generator=g, dtype=torch.float64) * 2 - 1
            with torch.no_grad():
                y = m(x).numpy()
                o = m.conv_offset(x)
            xn = x.numpy()
            if v2:
                o1, o2, mk = torch.chunk(o, 3, dim=1)
                ref = deform_conv2d_ref(xn, torch.cat((o1, o2), 1).numpy(), m.weight.detach().numpy(),
                                        mask=torch.sigmoid(mk).numpy(), stride=(s, s), padding=(p, p), dilation=(d, d))
            else:
                ref = deform_conv2d_ref(xn, o.numpy(), m.weight.detach().numpy(), stride=(s, s),
                                        padding=(p, p), dilation=(d, d))
            e = rel(ref, y)
            check(f"torchvision {'DCNv2' if v2 else 'DCN'} = mmcv oracle (C{C} O{O} {H}x{W} s{s} p{p} d{d} "
                  f"g{groups} dg{dg})", e < 1e-12, f'rel {e:.1e}')
    # mmcv's DeformConv2d (not Pack) pads inputs smaller than the kernel
    m = mm.DeformConv2d(2, 3, 3, padding=1).double()
    x = torch.rand((1, 2, 2, 5), generator=g, dtype=torch.float64)
    off = torch.rand((1, 18, 2, 5), generator=g, dtype=torch.float64) * 2 - 1
    with torch.no_grad():
        y = m(x, off)
    ref = deform_conv2d_ref(x.numpy(), off.numpy(), m.weight.detach().numpy(), padding=(1, 1))
    check('DeformConv2d input smaller than the kernel (mmcv pads, then crops) = oracle',
          tuple(y.shape) == (1, 3, 2, 5) and rel(ref, y.numpy()) < 1e-12)


def gen_attention_formula(mod, x):
    """GeneralizedAttention as the paper writes it (for types mmcv computes that way)."""
    import torch
    at = mod.attention_type
    n, C, H, W = x.shape
    M, d, vd = mod.num_heads, mod.qk_embed_dim, mod.v_dim
    xq = x[:, :, ::mod.q_stride, ::mod.q_stride]
    xk = x[:, :, ::mod.kv_stride, ::mod.kv_stride]
    h, w = xq.shape[2:]
    hk, wk = xk.shape[2:]
    e = torch.zeros(n, M, h, w, hk, wk, dtype=x.dtype)
    if at[0] or at[1]:
        Q = torch.einsum('oc,nchw->nohw', mod.query_conv.weight[:, :, 0, 0], xq).reshape(n, M, d, h, w)
    if at[0] or at[2]:
        K = torch.einsum('oc,nchw->nohw', mod.key_conv.weight[:, :, 0, 0], xk).reshape(n, M, d, hk, wk)
    if at[1] or at[3]:
        ex, ey = gen_attention_position_embedding(NumpyOps(), h, w, hk, wk, mod.q_stride, mod.kv_stride,
                                                  mod.position_embedding_dim, mod.position_magnitude)
        ex, ey = torch.from_numpy(ex), torch.from_numpy(ey)
        Fx = (ex @ mod.appr_geom_fc_x.weight.T).reshape(w, wk, M, d) / math.sqrt(2)
        Fy = (ey @ mod.appr_geom_fc_y.weight.T).reshape(h, hk, M, d) / math.sqrt(2)
    if at[0]:
        e += torch.einsum('nmdyx,nmdab->nmyxab', Q, K)
    if at[2]:
        e += torch.einsum('md,nmdab->nmab', mod.appr_bias.reshape(M, d), K)[:, :, None, None]
    if at[1]:
        e += torch.einsum('nmdyx,xbmd->nmyxb', Q, Fx)[:, :, :, :, None, :]
        e += torch.einsum('nmdyx,yamd->nmyxa', Q, Fy)[..., None]
    if at[3]:
        gb = mod.geom_bias.reshape(M, d)
        e += torch.einsum('md,xbmd->mxb', gb, Fx)[None, :, None, :, None, :]
        e += torch.einsum('md,yamd->mya', gb, Fy)[None, :, :, None, :, None]
    e = e.reshape(n, M, h * w, hk * wk)
    if mod.spatial_range >= 0:
        # a key is visible from query (qy, qx) when its row is in
        # [max((qy - r) // kv, 0), (qy + r + 1) // kv] and so is its column (mmcv's map)
        r, kv = mod.spatial_range, mod.kv_stride
        vis = torch.zeros(h, w, hk, wk, dtype=torch.bool)
        for qy in range(h):
            for qx in range(w):
                for ky in range(hk):
                    for kx in range(wk):
                        vis[qy, qx, ky, kx] = (max((qy - r) // kv, 0) <= ky <= (qy + r + 1) // kv and
                                               max((qx - r) // kv, 0) <= kx <= (qx + r + 1) // kv)
        e = e.masked_fill(~vis.reshape(1, 1, h * w, hk * wk), float('-inf'))
    a = e.softmax(-1)
    V = torch.einsum('oc,nchw->nohw', mod.value_conv.weight[:, :, 0, 0], xk).reshape(n, M, vd, hk * wk)
    out = torch.einsum('nmqk,nmvk->nmvq', a, V).reshape(n, M * vd, h, w)
    out = torch.einsum('oc,nchw->nohw', mod.proj_conv.weight[:, :, 0, 0], out) + mod.proj_conv.bias[None, :, None, None]
    if mod.q_stride > 1:
        out = torch.nn.functional.interpolate(out, size=(H, W), mode='bilinear', align_corners=False)
    return mod.gamma * out + x


def test_plugins_torch():
    import torch
    import torch_mmdet_modules as mm
    g = torch.Generator().manual_seed(11)
    # position embedding: torch (TorchOps) = numpy, same code
    for args in [(6, 8, 3, 4, 1, 2, 256, 1), (5, 3, 3, 2, 2, 2, 128, 2)]:
        a = gen_attention_position_embedding(mm.TorchOps('cpu', torch.float64), *args)
        b = gen_attention_position_embedding(NumpyOps(), *args)
        e = max(float(np.max(np.abs(a[i].numpy() - b[i]))) for i in range(2))
        check(f'position embedding torch = numpy {args[:4]}', e < 1e-12, f'max {e:.1e}')
    cases = []
    for t in range(1, 16):
        bits = format(t, '04b')
        square = bits[1] == '1' and bits[3] == '0'
        cases.append((bits, dict(num_heads=8), square))
    cases += [('1111', dict(num_heads=8, q_stride=2), False), ('0001', dict(num_heads=4, q_stride=2, kv_stride=1), False),
              ('1000', dict(num_heads=8, spatial_range=1), False), ('1111', dict(num_heads=9, spatial_range=0), False),
              ('0011', dict(num_heads=8, position_embedding_dim=64, position_magnitude=3), False)]
    for bits, kw, square in cases:
        C = 256
        mod = mm.randomize(mm.GeneralizedAttention(C, attention_type=bits, **kw), 3).double()
        x = torch.rand((2, C, 7, 7) if square else (2, C, 6, 9), generator=g, dtype=torch.float64) * 2 - 1
        with torch.no_grad():
            y = mod(x)
            if square:
                check(f'GeneralizedAttention {bits} {kw} runs on a square map', tuple(y.shape) == tuple(x.shape)
                      and rel(x.numpy(), y.numpy()) > 1e-3)
                continue
            ref = gen_attention_formula(mod, x)
        e = rel(ref.numpy(), y.numpy())
        moved = rel(x.numpy(), y.numpy())
        check(f'GeneralizedAttention {bits} {kw} = formula', e < 1e-12 and moved > 1e-3,
              f'rel {e:.1e}, |y-x|/|x| {moved:.2f}')
    # NonLocal2d against its formula
    for mode in ('embedded_gaussian', 'gaussian', 'dot_product', 'concatenation'):
        for sub in (False, True):
            for kw in ({}, dict(use_scale=False, reduction=4, norm_cfg=dict(type='BN'))):
                C = 16
                mod = mm.randomize(mm.NonLocal2d(C, sub_sample=sub, mode=mode, **kw), 4).double()
                x = torch.rand((2, C, 5, 6), generator=g, dtype=torch.float64) * 2 - 1
                with torch.no_grad():
                    y = mod(x)
                    ref = nonlocal_formula(mod, x)
                e = rel(ref.numpy(), y.numpy())
                check(f'NonLocal2d {mode} sub_sample={sub} {kw} = formula', e < 1e-12
                      and rel(x.numpy(), y.numpy()) > 1e-3, f'rel {e:.1e}')
    for pool in ('att', 'avg'):
        for fus in (('channel_add',), ('channel_mul',), ('channel_add', 'channel_mul')):
            C = 32
            mod = mm.randomize(mm.ContextBlock(C, 1. / 4, pooling_type=pool, fusion_types=fus), 5).double()
            x = torch.rand((2, C, 5, 7), generator=g, dtype=torch.float64) * 2 - 1
            with torch.no_grad():
                y = mod(x)
                if pool == 'att':
                    wts = torch.einsum('c,nchw->nhw', mod.conv_mask.weight[0, :, 0, 0], x) + mod.conv_mask.bias
                    wts = wts.reshape(2, -1).softmax(-1)
                    ctx = torch.einsum('nck,nk->nc', x.reshape(2, C, -1), wts)
                else:
                    ctx = x.mean((2, 3))

                def tr(seq):
                    t = ctx @ seq[0].weight[:, :, 0, 0].T + seq[0].bias
                    t = (t - t.mean(1, keepdim=True)) / torch.sqrt(t.var(1, unbiased=False, keepdim=True) + 1e-5)
                    t = torch.relu(t * seq[1].weight[:, 0, 0] + seq[1].bias[:, 0, 0])
                    return (t @ seq[3].weight[:, :, 0, 0].T + seq[3].bias)[:, :, None, None]
                ref = x
                if 'channel_mul' in fus:
                    ref = ref * torch.sigmoid(tr(mod.channel_mul_conv))
                if 'channel_add' in fus:
                    ref = ref + tr(mod.channel_add_conv)
            e = rel(ref.numpy(), y.numpy())
            check(f'ContextBlock {pool} {fus} = formula', e < 1e-12 and rel(x.numpy(), y.numpy()) > 1e-3,
                  f'rel {e:.1e}')


def nonlocal_formula(mod, x):
    import torch
    n, C, H, W = x.shape

    def c1(cm, t):
        y = torch.einsum('oc,nchw->nohw', cm.conv.weight[:, :, 0, 0], t)
        if cm.conv.bias is not None:
            y = y + cm.conv.bias[None, :, None, None]
        if cm.norm_name:
            bn = getattr(cm, cm.norm_name)
            y = (y - bn.running_mean[None, :, None, None]) / torch.sqrt(bn.running_var + bn.eps)[None, :, None, None] \
                * bn.weight[None, :, None, None] + bn.bias[None, :, None, None]
        return y

    def pool(t):
        return torch.nn.functional.max_pool2d(t, 2) if mod.sub_sample else t
    gconv = mod.g[0] if mod.sub_sample else mod.g
    gx = pool(c1(gconv, x)).reshape(n, mod.inter_channels, -1)
    if mod.mode == 'gaussian':
        th = x.reshape(n, C, -1)
        ph = pool(x).reshape(n, C, -1)
    else:
        th = c1(mod.theta, x).reshape(n, mod.inter_channels, -1)
        ph = pool(c1(mod.phi[0] if mod.sub_sample else mod.phi, x)).reshape(n, mod.inter_channels, -1)
    if mod.mode == 'concatenation':
        w = mod.concat_project.conv.weight[0, :, 0, 0]
        ci = mod.inter_channels
        f = torch.relu(torch.einsum('c,ncq->nq', w[:ci], th)[:, :, None] + torch.einsum('c,nck->nk', w[ci:], ph)[:, None, :])
        pw = f / f.shape[-1]
    else:
        pw = torch.einsum('ncq,nck->nqk', th, ph)
        if mod.mode == 'dot_product':
            pw = pw / pw.shape[-1]
        else:
            if mod.mode == 'embedded_gaussian' and mod.use_scale:
                pw = pw / math.sqrt(th.shape[1])
            pw = pw.softmax(-1)
    y = torch.einsum('nqk,nck->ncq', pw, gx).reshape(n, mod.inter_channels, H, W)
    return x + c1(mod.conv_out, y)


def test_backbones_torch():
    import torch
    import torch_mmdet_modules as mm
    import torch_dcn_plugins as tdp
    cfgs = dict(tdp.CONFIGS, **tdp.EXTRA)
    x = torch.rand((1, 3, 64, 96), generator=torch.Generator().manual_seed(2), dtype=torch.float64) * 2 - 1
    plain = mm.randomize(mm.build_backbone(cfgs['plain']), 9).double()
    with torch.no_grad():
        yp = plain(x)
    for name in ('dcn', 'dcnv2'):
        m = mm.build_backbone(cfgs[name]).double()
        sd = {k: v for k, v in plain.state_dict().items()}
        ms = m.state_dict()
        for k in ms:
            if 'conv_offset' in k:
                sd[k] = torch.zeros_like(ms[k])
        m.load_state_dict(sd)
        m.eval()
        with torch.no_grad():
            y = m(x)
        # zero offsets: DCN = conv; DCNv2 = conv with every tap weighted sigmoid(0) = 1/2
        if name == 'dcn':
            e = max(rel(a.numpy(), b.numpy()) for a, b in zip(yp, y))
            check('DCN backbone with zero conv_offset = plain backbone', e < 1e-12, f'rel {e:.1e}')
        else:
            e = rel(yp[0].numpy(), y[0].numpy())
            d = rel(yp[3].numpy(), y[3].numpy())
            check('DCNv2 backbone with zero conv_offset: layer1 = plain, layer4 differs (mask 1/2)',
                  e < 1e-12 and d > 1e-2, f'{e:.1e} / {d:.2f}')
    for name in tdp.CONFIGS:
        m = mm.randomize(mm.build_backbone(cfgs[name]), 9).double()
        with torch.no_grad():
            y = m(x)
        ok = [tuple(t.shape) for t in y] == [tuple(t.shape) for t in yp] and all(torch.isfinite(t).all() for t in y)
        diff = rel(yp[3].numpy(), y[3].numpy())
        check(f'backbone {name}: output shapes, finite, differs from plain' if name != 'plain'
              else 'backbone plain runs', ok and (name == 'plain' or diff > 1e-3), f'{diff:.2f}')


def main():
    keys_dir = os.path.join(HERE, '..', '..', 'shared', 'reference', 'keys')
    if '--keys-dir' in sys.argv:
        keys_dir = sys.argv[sys.argv.index('--keys-dir') + 1]
    if not os.path.isdir(keys_dir):
        keys_dir = '/work/shared/reference/keys'
    test_position_embedding()
    test_deform_oracle()
    test_safetensors()
    try:
        import torch  # noqa: F401
        import torchvision  # noqa: F401
    except ImportError:
        print('torch/torchvision not importable: torch checks skipped')
    else:
        test_keys(keys_dir)
        test_deform_torch()
        test_plugins_torch()
        test_backbones_torch()
    npass = sum(RESULTS)
    print(f'{npass} passed, {len(RESULTS) - npass} failed')
    return 0 if npass == len(RESULTS) else 1


if __name__ == '__main__':
    sys.exit(main())
