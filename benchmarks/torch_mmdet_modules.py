"""MMDetection 3.3 ResNet backbones with DCN and plugins, in pure torch (+ torchvision.ops).

No mmcv/mmdet/mmengine needed: the layers are rewritten from mmcv's and mmdet's sources
(mmcv/ops/deform_conv.py, modulated_deform_conv.py, mmcv/cnn/bricks/context_block.py,
non_local.py, generalized_attention.py; mmdet/models/backbones/resnet.py, resnext.py,
mmdet/models/layers/res_layer.py; SPEC A §1.2-§1.13) with the same attribute names and the
same registration order, so that `state_dict()` keys (and their order) equal mmcv's/mmdet's.

    model = build_backbone(dict(type='ResNet', depth=50, plugins=[...]))   # MMDetection dict
    outs = model(x)                                                        # tuple, stage order

Departures from mmcv, none of which changes a number:
- DCN/DCNv2 call torchvision.ops.deform_conv2d (mmcv itself does so on MLU devices, see the
  *_MLU classes): same offset layout [y0, x0, y1, x1, ...] per deform group, same mask layout,
  same bilinear boundary rule (a sample counts when -1 < h < H and -1 < w < W, corners outside
  are zero). mmcv v1's zero padding of inputs smaller than the kernel is reproduced.
- GeneralizedAttention builds its position-embedding tensors directly on the input's device
  (mmcv builds them on the CPU then copies, which a CUDA graph cannot capture); the values are
  the same integers and powers.
- Initialisation is not mmcv's (random weights are set by the caller, see randomize()).
"""
import copy
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.modules.utils import _pair
from torchvision.ops import deform_conv2d

from mmcv_ref_np import gen_attention_position_embedding

# ---------------------------------------------------------------------------------------------
# norm / conv builders (mmcv/cnn/bricks/norm.py, conv.py)


def build_norm_layer(cfg, num_features, postfix=''):
    """(name, layer) as mmcv's build_norm_layer: abbr 'bn' for BN/SyncBN, 'gn' for GN."""
    cfg = dict(cfg)
    typ = cfg.pop('type')
    cfg.pop('requires_grad', None)
    eps = cfg.pop('eps', 1e-5)
    if typ in ('BN', 'BN2d', 'SyncBN'):
        momentum = cfg.pop('momentum', 0.1)
        layer, abbr = nn.BatchNorm2d(num_features, eps=eps, momentum=momentum), 'bn'
    elif typ == 'GN':
        layer, abbr = nn.GroupNorm(cfg.pop('num_groups'), num_features, eps=eps), 'gn'
    else:
        raise KeyError(f'norm type {typ} is not supported here')
    if cfg:
        raise TypeError(f'unexpected norm_cfg keys {sorted(cfg)}')
    return abbr + str(postfix), layer


class DeformConv2d(nn.Module):
    """mmcv.ops.DeformConv2d: weight only (bias is refused), offsets given by the caller."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, deform_groups=1, bias=False, im2col_step=32):
        super().__init__()
        assert not bias, f'bias={bias} is not supported in DeformConv2d.'
        assert in_channels % groups == 0 and out_channels % groups == 0
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _pair(kernel_size)
        self.stride = _pair(stride)
        self.padding = _pair(padding)
        self.dilation = _pair(dilation)
        self.groups = groups
        self.deform_groups = deform_groups
        self.im2col_step = im2col_step
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels // groups,
                                               *self.kernel_size))
        nn.init.kaiming_uniform_(self.weight, nonlinearity='relu')

    def forward(self, x, offset):
        # mmcv's DeformConv2d.forward pads an input smaller than the kernel (a limit of its
        # column buffer) and crops the output back; the padding only adds zero samples.
        # (DeformConv2dPack.forward does not pad: mmcv raises there, torchvision computes.)
        kh, kw = self.kernel_size
        pad_h, pad_w = max(kh - x.size(2), 0), max(kw - x.size(3), 0)
        if pad_h or pad_w:
            x = F.pad(x, (0, pad_w, 0, pad_h), 'constant', 0).contiguous()
            offset = F.pad(offset, (0, pad_w, 0, pad_h), 'constant', 0).contiguous()
        out = deform_conv2d(x, offset, self.weight, None, stride=self.stride,
                            padding=self.padding, dilation=self.dilation)
        if pad_h or pad_w:
            out = out[:, :, :out.size(2) - pad_h, :out.size(3) - pad_w].contiguous()
        return out


class DeformConv2dPack(DeformConv2d):
    """mmcv 'DCN': conv_offset (kernel-sized conv with bias, zero-initialised) → deform conv."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.conv_offset = nn.Conv2d(
            self.in_channels, self.deform_groups * 2 * self.kernel_size[0] * self.kernel_size[1],
            kernel_size=self.kernel_size, stride=self.stride, padding=self.padding,
            dilation=self.dilation, bias=True)
        self.conv_offset.weight.data.zero_()
        self.conv_offset.bias.data.zero_()

    def forward(self, x):
        return deform_conv2d(x, self.conv_offset(x), self.weight, None, stride=self.stride,
                             padding=self.padding, dilation=self.dilation)


class ModulatedDeformConv2d(nn.Module):
    """mmcv.ops.ModulatedDeformConv2d (weight, optional bias)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, deform_groups=1, bias=True):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _pair(kernel_size)
        self.stride = _pair(stride)
        self.padding = _pair(padding)
        self.dilation = _pair(dilation)
        self.groups = groups
        self.deform_groups = deform_groups
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels // groups,
                                               *self.kernel_size))
        if bias:
            self.bias = nn.Parameter(torch.zeros(out_channels))
        else:
            self.register_parameter('bias', None)
        stdv = 1. / math.sqrt(in_channels * self.kernel_size[0] * self.kernel_size[1])
        self.weight.data.uniform_(-stdv, stdv)

    def forward(self, x, offset, mask):
        return deform_conv2d(x, offset, self.weight, self.bias, stride=self.stride,
                             padding=self.padding, dilation=self.dilation, mask=mask)


class ModulatedDeformConv2dPack(ModulatedDeformConv2d):
    """mmcv 'DCNv2': conv_offset gives 3·dg·kh·kw channels; o1, o2, m = chunk(3);
    offset = cat(o1, o2) (the first 2·dg·kh·kw channels), mask = sigmoid(m)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.conv_offset = nn.Conv2d(
            self.in_channels, self.deform_groups * 3 * self.kernel_size[0] * self.kernel_size[1],
            kernel_size=self.kernel_size, stride=self.stride, padding=self.padding,
            dilation=self.dilation, bias=True)
        self.conv_offset.weight.data.zero_()
        self.conv_offset.bias.data.zero_()

    def forward(self, x):
        out = self.conv_offset(x)
        o1, o2, mask = torch.chunk(out, 3, dim=1)
        offset = torch.cat((o1, o2), dim=1)
        mask = torch.sigmoid(mask)
        return super().forward(x, offset, mask)


def build_conv_layer(cfg, *args, **kwargs):
    """mmcv's build_conv_layer for None/Conv/Conv2d, DCN and DCNv2 (the cfg's other keys are
    passed to the layer, as mmcv does)."""
    if cfg is None:
        cfg = dict(type='Conv2d')
    cfg = dict(cfg)
    typ = cfg.pop('type')
    layer = {'Conv': nn.Conv2d, 'Conv2d': nn.Conv2d, 'DCN': DeformConv2dPack,
             'DCNv2': ModulatedDeformConv2dPack}.get(typ)
    if layer is None:
        raise KeyError(f'conv type {typ} is not supported here')
    return layer(*args, **kwargs, **cfg)


class ConvModule(nn.Module):
    """mmcv ConvModule, order ('conv', 'norm', 'act'): attributes conv, <norm name>, activate."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias='auto', conv_cfg=None, norm_cfg=None, act_cfg=dict(type='ReLU')):
        super().__init__()
        with_norm = norm_cfg is not None
        if bias == 'auto':
            bias = not with_norm
        self.conv = build_conv_layer(conv_cfg, in_channels, out_channels, kernel_size,
                                     stride=stride, padding=padding, dilation=dilation,
                                     groups=groups, bias=bias)
        self.norm_name = None
        if with_norm:
            self.norm_name, norm = build_norm_layer(norm_cfg, out_channels)
            self.add_module(self.norm_name, norm)
        self.norm_cfg = norm_cfg
        if act_cfg is not None:
            assert act_cfg['type'] == 'ReLU', act_cfg
            self.activate = nn.ReLU(inplace=True)
        else:
            self.activate = None

    def forward(self, x):
        x = self.conv(x)
        if self.norm_name is not None:
            x = getattr(self, self.norm_name)(x)
        if self.activate is not None:
            x = self.activate(x)
        return x


# ---------------------------------------------------------------------------------------------
# plugins (mmcv/cnn/bricks)


class ContextBlock(nn.Module):
    """GCNet ContextBlock (mmcv/cnn/bricks/context_block.py)."""
    _abbr_ = 'context_block'

    def __init__(self, in_channels, ratio, pooling_type='att', fusion_types=('channel_add',)):
        super().__init__()
        assert pooling_type in ['avg', 'att']
        assert isinstance(fusion_types, (list, tuple))
        assert all(f in ['channel_add', 'channel_mul'] for f in fusion_types)
        assert len(fusion_types) > 0, 'at least one fusion should be used'
        self.in_channels = in_channels
        self.ratio = ratio
        self.planes = int(in_channels * ratio)
        self.pooling_type = pooling_type
        self.fusion_types = fusion_types
        if pooling_type == 'att':
            self.conv_mask = nn.Conv2d(in_channels, 1, kernel_size=1)
            self.softmax = nn.Softmax(dim=2)
        else:
            self.avg_pool = nn.AdaptiveAvgPool2d(1)

        def transform():
            return nn.Sequential(
                nn.Conv2d(self.in_channels, self.planes, kernel_size=1),
                nn.LayerNorm([self.planes, 1, 1]),
                nn.ReLU(inplace=True),
                nn.Conv2d(self.planes, self.in_channels, kernel_size=1))
        self.channel_add_conv = transform() if 'channel_add' in fusion_types else None
        self.channel_mul_conv = transform() if 'channel_mul' in fusion_types else None
        # mmcv zero-initialises the last conv of each transform: randomize() undoes that.
        for seq in (self.channel_add_conv, self.channel_mul_conv):
            if seq is not None:
                nn.init.zeros_(seq[-1].weight)
                nn.init.zeros_(seq[-1].bias)

    def spatial_pool(self, x):
        batch, channel, height, width = x.size()
        if self.pooling_type == 'att':
            input_x = x.view(batch, channel, height * width).unsqueeze(1)   # [N, 1, C, HW]
            context_mask = self.conv_mask(x).view(batch, 1, height * width)
            context_mask = self.softmax(context_mask).unsqueeze(-1)          # [N, 1, HW, 1]
            context = torch.matmul(input_x, context_mask)                    # [N, 1, C, 1]
            return context.view(batch, channel, 1, 1)
        return self.avg_pool(x)

    def forward(self, x):
        context = self.spatial_pool(x)
        out = x
        if self.channel_mul_conv is not None:
            out = out * torch.sigmoid(self.channel_mul_conv(context))
        if self.channel_add_conv is not None:
            out = out + self.channel_add_conv(context)
        return out


class NonLocal2d(nn.Module):
    """mmcv NonLocal2d (_NonLocalNd with 2-d convs): modes gaussian, embedded_gaussian,
    dot_product, concatenation; sub_sample wraps g and phi with MaxPool2d(2)."""
    _abbr_ = 'nonlocal_block'

    def __init__(self, in_channels, sub_sample=False, conv_cfg=dict(type='Conv2d'), reduction=2,
                 use_scale=True, norm_cfg=None, mode='embedded_gaussian', **kwargs):
        super().__init__()
        self.in_channels = in_channels
        self.reduction = reduction
        self.use_scale = use_scale
        self.inter_channels = max(in_channels // reduction, 1)
        self.mode = mode
        if mode not in ['gaussian', 'embedded_gaussian', 'dot_product', 'concatenation']:
            raise ValueError("Mode should be in 'gaussian', 'concatenation', "
                             f"'embedded_gaussian' or 'dot_product', but got {mode} instead.")
        self.g = ConvModule(self.in_channels, self.inter_channels, kernel_size=1,
                            conv_cfg=conv_cfg, act_cfg=None)
        self.conv_out = ConvModule(self.inter_channels, self.in_channels, kernel_size=1,
                                   conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=None)
        if self.mode != 'gaussian':
            self.theta = ConvModule(self.in_channels, self.inter_channels, kernel_size=1,
                                    conv_cfg=conv_cfg, act_cfg=None)
            self.phi = ConvModule(self.in_channels, self.inter_channels, kernel_size=1,
                                  conv_cfg=conv_cfg, act_cfg=None)
        if self.mode == 'concatenation':
            self.concat_project = ConvModule(self.inter_channels * 2, 1, kernel_size=1,
                                             stride=1, padding=0, bias=False,
                                             act_cfg=dict(type='ReLU'))
        # init_weights(std, zeros_init) only initialises; kwargs are its arguments.
        assert set(kwargs) <= {'std', 'zeros_init'}, kwargs
        self.sub_sample = sub_sample
        if sub_sample:
            max_pool_layer = nn.MaxPool2d(kernel_size=(2, 2))
            self.g = nn.Sequential(self.g, max_pool_layer)
            if self.mode != 'gaussian':
                self.phi = nn.Sequential(self.phi, max_pool_layer)
            else:
                self.phi = max_pool_layer

    def gaussian(self, theta_x, phi_x):
        return torch.matmul(theta_x, phi_x).softmax(dim=-1)

    def embedded_gaussian(self, theta_x, phi_x):
        pairwise_weight = torch.matmul(theta_x, phi_x)
        if self.use_scale:
            pairwise_weight /= theta_x.shape[-1]**0.5
        return pairwise_weight.softmax(dim=-1)

    def dot_product(self, theta_x, phi_x):
        pairwise_weight = torch.matmul(theta_x, phi_x)
        pairwise_weight /= pairwise_weight.shape[-1]
        return pairwise_weight

    def concatenation(self, theta_x, phi_x):
        h = theta_x.size(2)
        w = phi_x.size(3)
        theta_x = theta_x.repeat(1, 1, 1, w)
        phi_x = phi_x.repeat(1, 1, h, 1)
        pairwise_weight = self.concat_project(torch.cat([theta_x, phi_x], dim=1))
        n, _, h, w = pairwise_weight.size()
        pairwise_weight = pairwise_weight.view(n, h, w)
        pairwise_weight /= pairwise_weight.shape[-1]
        return pairwise_weight

    def forward(self, x):
        n = x.size(0)
        g_x = self.g(x).view(n, self.inter_channels, -1).permute(0, 2, 1)
        if self.mode == 'gaussian':
            theta_x = x.view(n, self.in_channels, -1).permute(0, 2, 1)
            if self.sub_sample:
                phi_x = self.phi(x).view(n, self.in_channels, -1)
            else:
                phi_x = x.view(n, self.in_channels, -1)
        elif self.mode == 'concatenation':
            theta_x = self.theta(x).view(n, self.inter_channels, -1, 1)
            phi_x = self.phi(x).view(n, self.inter_channels, 1, -1)
        else:
            theta_x = self.theta(x).view(n, self.inter_channels, -1).permute(0, 2, 1)
            phi_x = self.phi(x).view(n, self.inter_channels, -1)
        pairwise_weight = getattr(self, self.mode)(theta_x, phi_x)
        y = torch.matmul(pairwise_weight, g_x)
        y = y.permute(0, 2, 1).contiguous().reshape(n, self.inter_channels, *x.size()[2:])
        return x + self.conv_out(y)


class TorchOps:
    """The operations gen_attention_position_embedding (mmcv_ref_np.py) needs, in torch on one
    device and dtype (NumpyOps there is the numpy twin used by the torch-free check)."""

    def __init__(self, device, dtype):
        self.device, self.dtype = device, dtype

    def linspace(self, n):
        # mmcv: torch.linspace(0, n-1, n) in float32, then .to(dtype): integers, exact.
        return torch.linspace(0, n - 1, n, device=self.device, dtype=torch.float32).to(self.dtype)

    def arange(self, stop):
        return torch.arange(0, stop, device=self.device, dtype=torch.float32).to(self.dtype)

    def scalar(self, v):
        return torch.full((1,), v, device=self.device, dtype=self.dtype)

    @staticmethod
    def cat_last(a, b):
        return torch.cat((a, b), dim=2)

    @staticmethod
    def sin(a):
        return a.sin()

    @staticmethod
    def cos(a):
        return a.cos()


class GeneralizedAttention(nn.Module):
    """mmcv GeneralizedAttention ('An Empirical Study of Spatial Attention Mechanisms')."""
    _abbr_ = 'gen_attention_block'

    def __init__(self, in_channels, spatial_range=-1, num_heads=9, position_embedding_dim=-1,
                 position_magnitude=1, kv_stride=2, q_stride=1, attention_type='1111'):
        super().__init__()
        self.position_embedding_dim = (position_embedding_dim if position_embedding_dim > 0
                                       else in_channels)
        self.position_magnitude = position_magnitude
        self.num_heads = num_heads
        self.in_channels = in_channels
        self.spatial_range = spatial_range
        self.kv_stride = kv_stride
        self.q_stride = q_stride
        self.attention_type = [bool(int(_)) for _ in attention_type]
        self.qk_embed_dim = in_channels // num_heads
        out_c = self.qk_embed_dim * num_heads
        if self.attention_type[0] or self.attention_type[1]:
            self.query_conv = nn.Conv2d(in_channels, out_c, kernel_size=1, bias=False)
        if self.attention_type[0] or self.attention_type[2]:
            self.key_conv = nn.Conv2d(in_channels, out_c, kernel_size=1, bias=False)
        self.v_dim = in_channels // num_heads
        self.value_conv = nn.Conv2d(in_channels, self.v_dim * num_heads, kernel_size=1,
                                    bias=False)
        if self.attention_type[1] or self.attention_type[3]:
            self.appr_geom_fc_x = nn.Linear(self.position_embedding_dim // 2, out_c, bias=False)
            self.appr_geom_fc_y = nn.Linear(self.position_embedding_dim // 2, out_c, bias=False)
        stdv = 1.0 / math.sqrt(self.qk_embed_dim * 2)
        if self.attention_type[2]:
            self.appr_bias = nn.Parameter(-2 * stdv * torch.rand(out_c) + stdv)
        if self.attention_type[3]:
            self.geom_bias = nn.Parameter(-2 * stdv * torch.rand(out_c) + stdv)
        self.proj_conv = nn.Conv2d(self.v_dim * num_heads, in_channels, kernel_size=1,
                                   bias=True)
        self.gamma = nn.Parameter(torch.zeros(1))
        if self.spatial_range >= 0:
            # mmcv: "only works when non local is after 3*3 conv" (max_len is unbound otherwise)
            if in_channels == 256:
                max_len = 84
            elif in_channels == 512:
                max_len = 42
            else:
                raise ValueError('GeneralizedAttention with spatial_range >= 0 exists in mmcv '
                                 f'only for 256 or 512 channels, not {in_channels}')
            max_len_kv = int((max_len - 1.0) / self.kv_stride + 1)
            m = np.ones((max_len, max_len, max_len_kv, max_len_kv), dtype=int)
            for iy in range(max_len):
                for ix in range(max_len):
                    m[iy, ix,
                      max((iy - self.spatial_range) // self.kv_stride, 0):
                      min((iy + self.spatial_range + 1) // self.kv_stride + 1, max_len),
                      max((ix - self.spatial_range) // self.kv_stride, 0):
                      min((ix + self.spatial_range + 1) // self.kv_stride + 1, max_len)] = 0
            self.local_constraint_map = nn.Parameter(torch.from_numpy(m).byte(),
                                                     requires_grad=False)
        self.q_downsample = (nn.AvgPool2d(kernel_size=1, stride=self.q_stride)
                             if self.q_stride > 1 else None)
        self.kv_downsample = (nn.AvgPool2d(kernel_size=1, stride=self.kv_stride)
                              if self.kv_stride > 1 else None)

    def get_position_embedding(self, h, w, h_kv, w_kv, q_stride, kv_stride, device, dtype,
                               feat_dim, wave_length=1000):
        return gen_attention_position_embedding(TorchOps(device, dtype), h, w, h_kv, w_kv,
                                                q_stride, kv_stride, feat_dim,
                                                self.position_magnitude, wave_length)

    def forward(self, x_input):
        num_heads = self.num_heads
        x_q = self.q_downsample(x_input) if self.q_downsample is not None else x_input
        n, _, h, w = x_q.shape
        x_kv = self.kv_downsample(x_input) if self.kv_downsample is not None else x_input
        _, _, h_kv, w_kv = x_kv.shape
        at = self.attention_type

        if at[0] or at[1]:
            proj_query = self.query_conv(x_q).view((n, num_heads, self.qk_embed_dim, h * w))
            proj_query = proj_query.permute(0, 1, 3, 2)
        if at[0] or at[2]:
            proj_key = self.key_conv(x_kv).view((n, num_heads, self.qk_embed_dim, h_kv * w_kv))
        if at[1] or at[3]:
            position_embed_x, position_embed_y = self.get_position_embedding(
                h, w, h_kv, w_kv, self.q_stride, self.kv_stride, x_input.device, x_input.dtype,
                self.position_embedding_dim)
            position_feat_x = self.appr_geom_fc_x(position_embed_x).\
                view(1, w, w_kv, num_heads, self.qk_embed_dim).\
                permute(0, 3, 1, 2, 4).repeat(n, 1, 1, 1, 1)    # (n, heads, w, w_kv, dim)
            position_feat_y = self.appr_geom_fc_y(position_embed_y).\
                view(1, h, h_kv, num_heads, self.qk_embed_dim).\
                permute(0, 3, 1, 2, 4).repeat(n, 1, 1, 1, 1)    # (n, heads, h, h_kv, dim)
            position_feat_x /= math.sqrt(2)
            position_feat_y /= math.sqrt(2)

        if (np.sum(at) == 1) and at[2]:
            # saliency only: one energy row, broadcast to every query below
            appr_bias = self.appr_bias.view(1, num_heads, 1, self.qk_embed_dim).repeat(n, 1, 1, 1)
            energy = torch.matmul(appr_bias, proj_key).view(n, num_heads, 1, h_kv * w_kv)
            h = 1
            w = 1
        else:
            if not at[0]:
                energy = torch.zeros(n, num_heads, h, w, h_kv, w_kv, dtype=x_input.dtype,
                                     device=x_input.device)
            if at[0] or at[2]:
                if at[0] and at[2]:
                    appr_bias = self.appr_bias.view(1, num_heads, 1, self.qk_embed_dim)
                    energy = torch.matmul(proj_query + appr_bias, proj_key).\
                        view(n, num_heads, h, w, h_kv, w_kv)
                elif at[0]:
                    energy = torch.matmul(proj_query, proj_key).\
                        view(n, num_heads, h, w, h_kv, w_kv)
                elif at[2]:
                    appr_bias = self.appr_bias.view(1, num_heads, 1, self.qk_embed_dim).\
                        repeat(n, 1, 1, 1)
                    energy += torch.matmul(appr_bias, proj_key).\
                        view(n, num_heads, 1, 1, h_kv, w_kv)
            if at[1] or at[3]:
                if at[1] and at[3]:
                    geom_bias = self.geom_bias.view(1, num_heads, 1, self.qk_embed_dim)
                    proj_query_reshape = (proj_query + geom_bias).\
                        view(n, num_heads, h, w, self.qk_embed_dim)
                    energy_x = torch.matmul(proj_query_reshape.permute(0, 1, 3, 2, 4),
                                            position_feat_x.permute(0, 1, 2, 4, 3))
                    energy_x = energy_x.permute(0, 1, 3, 2, 4).unsqueeze(4)
                    energy_y = torch.matmul(proj_query_reshape,
                                            position_feat_y.permute(0, 1, 2, 4, 3))
                    energy_y = energy_y.unsqueeze(5)
                    energy += energy_x + energy_y
                elif at[1]:
                    # mmcv multiplies the *transposed* query with the y features too: only
                    # square maps run (SPEC A §1.12); kept as is.
                    proj_query_reshape = proj_query.view(n, num_heads, h, w, self.qk_embed_dim)
                    proj_query_reshape = proj_query_reshape.permute(0, 1, 3, 2, 4)
                    position_feat_x_reshape = position_feat_x.permute(0, 1, 2, 4, 3)
                    position_feat_y_reshape = position_feat_y.permute(0, 1, 2, 4, 3)
                    energy_x = torch.matmul(proj_query_reshape, position_feat_x_reshape)
                    energy_x = energy_x.permute(0, 1, 3, 2, 4).unsqueeze(4)
                    energy_y = torch.matmul(proj_query_reshape, position_feat_y_reshape)
                    energy_y = energy_y.unsqueeze(5)
                    energy += energy_x + energy_y
                elif at[3]:
                    geom_bias = self.geom_bias.view(1, num_heads, self.qk_embed_dim, 1).\
                        repeat(n, 1, 1, 1)
                    position_feat_x_reshape = position_feat_x.\
                        view(n, num_heads, w * w_kv, self.qk_embed_dim)
                    position_feat_y_reshape = position_feat_y.\
                        view(n, num_heads, h * h_kv, self.qk_embed_dim)
                    energy_x = torch.matmul(position_feat_x_reshape, geom_bias)
                    energy_x = energy_x.view(n, num_heads, 1, w, 1, w_kv)
                    energy_y = torch.matmul(position_feat_y_reshape, geom_bias)
                    energy_y = energy_y.view(n, num_heads, h, 1, h_kv, 1)
                    energy += energy_x + energy_y
            energy = energy.view(n, num_heads, h * w, h_kv * w_kv)

        if self.spatial_range >= 0:
            cur_local_constraint_map = self.local_constraint_map[:h, :w, :h_kv, :w_kv].\
                contiguous().view(1, 1, h * w, h_kv * w_kv)
            energy = energy.masked_fill_(cur_local_constraint_map.bool(), float('-inf'))

        attention = F.softmax(energy, 3)
        proj_value = self.value_conv(x_kv)
        proj_value_reshape = proj_value.view((n, num_heads, self.v_dim, h_kv * w_kv)).\
            permute(0, 1, 3, 2)
        out = torch.matmul(attention, proj_value_reshape).permute(0, 1, 3, 2).contiguous().\
            view(n, self.v_dim * self.num_heads, h, w)
        out = self.proj_conv(out)
        if self.q_downsample is not None:
            out = F.interpolate(out, size=x_input.shape[2:], mode='bilinear',
                                align_corners=False)
        return self.gamma * out + x_input


PLUGIN_LAYERS = {'ContextBlock': ContextBlock, 'NonLocal2d': NonLocal2d,
                 'GeneralizedAttention': GeneralizedAttention}


def build_plugin_layer(cfg, postfix='', **kwargs):
    """mmcv build_plugin_layer: (name, layer), name = _abbr_ + str(postfix)."""
    cfg_ = dict(cfg)
    typ = cfg_.pop('type')
    if typ not in PLUGIN_LAYERS:
        raise KeyError(f'Unrecognized plugin type {typ}')
    layer_cls = PLUGIN_LAYERS[typ]
    assert isinstance(postfix, (int, str))
    return layer_cls._abbr_ + str(postfix), layer_cls(**kwargs, **cfg_)


# ---------------------------------------------------------------------------------------------
# mmdet ResNet / ResNeXt (resnet.py, resnext.py, res_layer.py)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, dilation=1, downsample=None, style='pytorch',
                 with_cp=False, conv_cfg=None, norm_cfg=dict(type='BN'), dcn=None, plugins=None,
                 init_cfg=None):
        super().__init__()
        assert dcn is None, 'Not implemented yet.'
        assert plugins is None, 'Not implemented yet.'
        self.norm1_name, norm1 = build_norm_layer(norm_cfg, planes, postfix=1)
        self.norm2_name, norm2 = build_norm_layer(norm_cfg, planes, postfix=2)
        self.conv1 = build_conv_layer(conv_cfg, inplanes, planes, 3, stride=stride,
                                      padding=dilation, dilation=dilation, bias=False)
        self.add_module(self.norm1_name, norm1)
        self.conv2 = build_conv_layer(conv_cfg, planes, planes, 3, padding=1, bias=False)
        self.add_module(self.norm2_name, norm2)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        out = self.relu(getattr(self, self.norm1_name)(self.conv1(x)))
        out = getattr(self, self.norm2_name)(self.conv2(out))
        identity = self.downsample(x) if self.downsample is not None else x
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """mmdet Bottleneck; with groups > 1 (or base_width given) the ResNeXt Bottleneck."""
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, dilation=1, downsample=None, style='pytorch',
                 with_cp=False, conv_cfg=None, norm_cfg=dict(type='BN'), dcn=None, plugins=None,
                 init_cfg=None, groups=None, base_width=4, base_channels=64):
        super().__init__()
        assert style in ['pytorch', 'caffe']
        assert dcn is None or isinstance(dcn, dict)
        assert plugins is None or isinstance(plugins, list)
        if plugins is not None:
            allowed_position = ['after_conv1', 'after_conv2', 'after_conv3']
            assert all(p['position'] in allowed_position for p in plugins)
        self.inplanes = inplanes
        self.planes = planes
        self.stride = stride
        self.dilation = dilation
        self.style = style
        self.conv_cfg = conv_cfg
        self.norm_cfg = norm_cfg
        self.dcn = dcn
        self.with_dcn = dcn is not None
        self.plugins = plugins
        self.with_plugins = plugins is not None
        if self.with_plugins:
            self.after_conv1_plugins = [p['cfg'] for p in plugins
                                        if p['position'] == 'after_conv1']
            self.after_conv2_plugins = [p['cfg'] for p in plugins
                                        if p['position'] == 'after_conv2']
            self.after_conv3_plugins = [p['cfg'] for p in plugins
                                        if p['position'] == 'after_conv3']
        if self.style == 'pytorch':
            self.conv1_stride, self.conv2_stride = 1, stride
        else:
            self.conv1_stride, self.conv2_stride = stride, 1

        # ResNeXt (resnext.py): width = planes when groups == 1, else
        # floor(planes * base_width / base_channels) * groups.
        resnext = groups is not None
        groups = groups or 1
        width = planes if groups == 1 else math.floor(planes * (base_width / base_channels)) * groups

        self.norm1_name, norm1 = build_norm_layer(norm_cfg, width, postfix=1)
        self.norm2_name, norm2 = build_norm_layer(norm_cfg, width, postfix=2)
        self.norm3_name, norm3 = build_norm_layer(norm_cfg, planes * self.expansion, postfix=3)
        self.conv1 = build_conv_layer(conv_cfg, inplanes, width, kernel_size=1,
                                      stride=self.conv1_stride, bias=False)
        self.add_module(self.norm1_name, norm1)
        fallback_on_stride = False
        if self.with_dcn:
            # mmdet pops the key from the dict every DCN block shares (SPEC A §1.6 quirk):
            # only the first DCN block of the network can see True. The ResNeXt Bottleneck pops
            # it a second time, after its parent did, so it never falls back.
            fallback_on_stride = dcn.pop('fallback_on_stride', False)
            if resnext:
                fallback_on_stride = dcn.pop('fallback_on_stride', False)
        if not self.with_dcn or fallback_on_stride:
            self.conv2 = build_conv_layer(conv_cfg, width, width, kernel_size=3,
                                          stride=self.conv2_stride, padding=dilation,
                                          dilation=dilation, groups=groups, bias=False)
        else:
            assert self.conv_cfg is None, 'conv_cfg must be None for DCN'
            self.conv2 = build_conv_layer(dcn, width, width, kernel_size=3,
                                          stride=self.conv2_stride, padding=dilation,
                                          dilation=dilation, groups=groups, bias=False)
        self.add_module(self.norm2_name, norm2)
        self.conv3 = build_conv_layer(conv_cfg, width, planes * self.expansion, kernel_size=1,
                                      bias=False)
        self.add_module(self.norm3_name, norm3)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        if self.with_plugins:
            self.after_conv1_plugin_names = self.make_block_plugins(width,
                                                                    self.after_conv1_plugins)
            self.after_conv2_plugin_names = self.make_block_plugins(width,
                                                                    self.after_conv2_plugins)
            self.after_conv3_plugin_names = self.make_block_plugins(planes * self.expansion,
                                                                    self.after_conv3_plugins)

    def make_block_plugins(self, in_channels, plugins):
        assert isinstance(plugins, list)
        plugin_names = []
        for plugin in plugins:
            plugin = plugin.copy()
            name, layer = build_plugin_layer(plugin, in_channels=in_channels,
                                             postfix=plugin.pop('postfix', ''))
            assert not hasattr(self, name), f'duplicate plugin {name}'
            self.add_module(name, layer)
            plugin_names.append(name)
        return plugin_names

    def forward_plugin(self, x, plugin_names):
        out = x
        for name in plugin_names:
            out = getattr(self, name)(out)   # chained (mmdet 3.x, fix #7797)
        return out

    def forward(self, x):
        out = self.relu(getattr(self, self.norm1_name)(self.conv1(x)))
        if self.with_plugins:
            out = self.forward_plugin(out, self.after_conv1_plugin_names)
        out = self.relu(getattr(self, self.norm2_name)(self.conv2(out)))
        if self.with_plugins:
            out = self.forward_plugin(out, self.after_conv2_plugin_names)
        out = getattr(self, self.norm3_name)(self.conv3(out))
        if self.with_plugins:
            out = self.forward_plugin(out, self.after_conv3_plugin_names)
        identity = self.downsample(x) if self.downsample is not None else x
        return self.relu(out + identity)


class ResLayer(nn.Sequential):
    def __init__(self, block, inplanes, planes, num_blocks, stride=1, avg_down=False,
                 conv_cfg=None, norm_cfg=dict(type='BN'), downsample_first=True, **kwargs):
        downsample = None
        if stride != 1 or inplanes != planes * block.expansion:
            downsample = []
            conv_stride = stride
            if avg_down:
                conv_stride = 1
                downsample.append(nn.AvgPool2d(kernel_size=stride, stride=stride, ceil_mode=True,
                                               count_include_pad=False))
            downsample.extend([
                build_conv_layer(conv_cfg, inplanes, planes * block.expansion, kernel_size=1,
                                 stride=conv_stride, bias=False),
                build_norm_layer(norm_cfg, planes * block.expansion)[1]])
            downsample = nn.Sequential(*downsample)
        assert downsample_first
        layers = [block(inplanes=inplanes, planes=planes, stride=stride, downsample=downsample,
                        conv_cfg=conv_cfg, norm_cfg=norm_cfg, **kwargs)]
        inplanes = planes * block.expansion
        for _ in range(1, num_blocks):
            layers.append(block(inplanes=inplanes, planes=planes, stride=1, conv_cfg=conv_cfg,
                                norm_cfg=norm_cfg, **kwargs))
        super().__init__(*layers)


class ResNet(nn.Module):
    arch_settings = {18: (BasicBlock, (2, 2, 2, 2)), 34: (BasicBlock, (3, 4, 6, 3)),
                     50: (Bottleneck, (3, 4, 6, 3)), 101: (Bottleneck, (3, 4, 23, 3)),
                     152: (Bottleneck, (3, 8, 36, 3))}

    def __init__(self, depth, in_channels=3, stem_channels=None, base_channels=64, num_stages=4,
                 strides=(1, 2, 2, 2), dilations=(1, 1, 1, 1), out_indices=(0, 1, 2, 3),
                 style='pytorch', deep_stem=False, avg_down=False, frozen_stages=-1,
                 conv_cfg=None, norm_cfg=dict(type='BN', requires_grad=True), norm_eval=True,
                 dcn=None, stage_with_dcn=(False, False, False, False), plugins=None,
                 with_cp=False, zero_init_residual=True, pretrained=None, init_cfg=None,
                 groups=None, base_width=4):
        super().__init__()
        if depth not in self.arch_settings:
            raise KeyError(f'invalid depth {depth} for resnet')
        stem_channels = base_channels if stem_channels is None else stem_channels
        assert 1 <= num_stages <= 4
        assert len(strides) == len(dilations) == num_stages
        assert max(out_indices) < num_stages
        if dcn is not None:
            assert len(stage_with_dcn) == num_stages
        self.depth = depth
        self.out_indices = out_indices
        self.deep_stem = deep_stem
        self.num_stages = num_stages
        self.stage_with_dcn = stage_with_dcn
        self.plugins = plugins
        self.block, stage_blocks = self.arch_settings[depth]
        stage_blocks = stage_blocks[:num_stages]
        extra = {} if groups is None else dict(groups=groups, base_width=base_width,
                                               base_channels=base_channels)
        self.inplanes = stem_channels
        self._make_stem_layer(in_channels, stem_channels, conv_cfg, norm_cfg)
        self.res_layers = []
        for i, num_blocks in enumerate(stage_blocks):
            stage_dcn = dcn if stage_with_dcn[i] else None   # one dict shared, as in mmdet
            stage_plugins = self.make_stage_plugins(plugins, i) if plugins is not None else None
            planes = base_channels * 2**i
            res_layer = ResLayer(block=self.block, inplanes=self.inplanes, planes=planes,
                                 num_blocks=num_blocks, stride=strides[i], dilation=dilations[i],
                                 style=style, avg_down=avg_down, with_cp=with_cp,
                                 conv_cfg=conv_cfg, norm_cfg=norm_cfg, dcn=stage_dcn,
                                 plugins=stage_plugins, **extra)
            self.inplanes = planes * self.block.expansion
            layer_name = f'layer{i + 1}'
            self.add_module(layer_name, res_layer)
            self.res_layers.append(layer_name)

    def make_stage_plugins(self, plugins, stage_idx):
        stage_plugins = []
        for plugin in plugins:
            plugin = plugin.copy()
            stages = plugin.pop('stages', None)
            assert stages is None or len(stages) == self.num_stages
            if stages is None or stages[stage_idx]:
                stage_plugins.append(plugin)
        return stage_plugins

    def _make_stem_layer(self, in_channels, stem_channels, conv_cfg, norm_cfg):
        if self.deep_stem:
            half = stem_channels // 2
            self.stem = nn.Sequential(
                build_conv_layer(conv_cfg, in_channels, half, kernel_size=3, stride=2,
                                 padding=1, bias=False),
                build_norm_layer(norm_cfg, half)[1], nn.ReLU(inplace=True),
                build_conv_layer(conv_cfg, half, half, kernel_size=3, stride=1, padding=1,
                                 bias=False),
                build_norm_layer(norm_cfg, half)[1], nn.ReLU(inplace=True),
                build_conv_layer(conv_cfg, half, stem_channels, kernel_size=3, stride=1,
                                 padding=1, bias=False),
                build_norm_layer(norm_cfg, stem_channels)[1], nn.ReLU(inplace=True))
        else:
            self.conv1 = build_conv_layer(conv_cfg, in_channels, stem_channels, kernel_size=7,
                                          stride=2, padding=3, bias=False)
            self.norm1_name, norm1 = build_norm_layer(norm_cfg, stem_channels, postfix=1)
            self.add_module(self.norm1_name, norm1)
            self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)

    def forward(self, x):
        if self.deep_stem:
            x = self.stem(x)
        else:
            x = self.relu(getattr(self, self.norm1_name)(self.conv1(x)))
        x = self.maxpool(x)
        outs = []
        for i, layer_name in enumerate(self.res_layers):
            x = getattr(self, layer_name)(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)


def build_backbone(cfg):
    """An MMDetection backbone dict (type ResNet, ResNetV1d or ResNeXt) → module. The dict is
    deep-copied first: mmdet mutates its dcn dict while building (fallback_on_stride)."""
    cfg = copy.deepcopy(cfg)
    typ = cfg.pop('type')
    if typ == 'ResNetV1d':
        cfg = dict(cfg, deep_stem=True, avg_down=True)
    elif typ == 'ResNeXt':
        if cfg.get('depth') not in (50, 101, 152):
            raise KeyError(f"invalid depth {cfg.get('depth')} for resnext")
        cfg.setdefault('groups', 1)
        cfg.setdefault('base_width', 4)
    elif typ != 'ResNet':
        raise KeyError(f'backbone type {typ} is not supported here')
    for k in ('strides', 'dilations', 'out_indices', 'stage_with_dcn'):
        if k in cfg:
            cfg[k] = tuple(cfg[k])
    return ResNet(**cfg)


# ---------------------------------------------------------------------------------------------
# random weights for comparisons


def randomize(model, seed):
    """Random weights everywhere, so that every branch carries signal: BN with non-trivial
    statistics (as torch_compare.randomize), fan-in-scaled convs and linears, and the
    parameters mmcv zero-initialises (DCN conv_offset, the last conv of a ContextBlock
    transform, GeneralizedAttention's gamma) set to non-zero values. Returns model.eval()."""
    g = torch.Generator().manual_seed(seed)

    def uni(shape, lo, hi):
        return torch.rand(shape, generator=g) * (hi - lo) + lo

    with torch.no_grad():
        for name, m in model.named_modules():
            if isinstance(m, (nn.BatchNorm2d, nn.GroupNorm, nn.LayerNorm)):
                m.weight.copy_(uni(m.weight.shape, 0.5, 1.2))
                m.bias.copy_(uni(m.bias.shape, -0.2, 0.2))
                if isinstance(m, nn.BatchNorm2d):
                    m.running_mean.copy_(uni(m.running_mean.shape, -0.2, 0.2))
                    m.running_var.copy_(uni(m.running_var.shape, 0.5, 2.0))
            elif isinstance(m, (nn.Conv2d, nn.Linear, DeformConv2d, ModulatedDeformConv2d)):
                fan_in = m.weight[0].numel()
                # unit-variance outputs for unit-variance inputs; for a conv_offset that
                # means offsets of about ±1 pixel, so fractional and integer parts both matter
                b = (3.0 / fan_in)**0.5
                m.weight.copy_(uni(m.weight.shape, -b, b))
                if getattr(m, 'bias', None) is not None:
                    lim = 0.5 if name.endswith('conv_offset') else 0.1
                    m.bias.copy_(uni(m.bias.shape, -lim, lim))
            if isinstance(m, GeneralizedAttention):
                m.gamma.copy_(uni(m.gamma.shape, 0.5, 1.0))
                for p in ('appr_bias', 'geom_bias'):
                    if hasattr(m, p):
                        stdv = 1.0 / math.sqrt(m.qk_embed_dim * 2)
                        getattr(m, p).copy_(uni(getattr(m, p).shape, -stdv, stdv))
    return model.eval()
