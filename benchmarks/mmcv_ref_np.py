"""numpy-only pieces shared by the PyTorch baseline and its checks (no torch needed):

- gen_attention_position_embedding: mmcv GeneralizedAttention.get_position_embedding written
  once over a small ops interface; NumpyOps runs it in numpy, TorchOps
  (torch_mmdet_modules.py) in torch, so both follow the same steps.
- deform_conv2d_ref: mmcv's deformable convolution (v1 and, with a mask, v2) written from
  mmcv/ops/csrc/pytorch/cpu/{deform_conv,modulated_deform_conv}.cpp in float64: the oracle for
  the offset/mask layout and the boundary rule that torchvision.ops.deform_conv2d must share.
- save_safetensors / load_safetensors: the .safetensors format by hand (8-byte little-endian
  header length, JSON header with dtype/shape/data_offsets, padded with spaces to 8 bytes,
  then the raw little-endian C-order data), for numpy arrays.
"""
import json
import math
import struct

import numpy as np


class NumpyOps:
    """gen_attention_position_embedding's operations in numpy, in one float dtype."""

    def __init__(self, dtype=np.float64):
        self.dtype = dtype

    def linspace(self, n):
        return np.linspace(0, n - 1, n).astype(self.dtype)

    def arange(self, stop):
        return np.arange(0, stop).astype(self.dtype)

    def scalar(self, v):
        return np.full((1,), v, dtype=self.dtype)

    @staticmethod
    def cat_last(a, b):
        return np.concatenate((a, b), axis=2)

    @staticmethod
    def sin(a):
        return np.sin(a)

    @staticmethod
    def cos(a):
        return np.cos(a)


def gen_attention_position_embedding(ops, h, w, h_kv, w_kv, q_stride, kv_stride, feat_dim,
                                     position_magnitude, wave_length=1000):
    """mmcv GeneralizedAttention.get_position_embedding, step by step as mmcv writes it:
    diff = (q_idx*q_stride - kv_idx*kv_stride) * magnitude, dim_mat = wave_length **
    ((4/feat_dim) * arange(feat_dim/4)); embedding = cat(sin(diff/dim_mat), cos(diff/dim_mat)).
    Returns (embedding_x [w, w_kv, 2*ceil(feat_dim/4)], embedding_y [h, h_kv, same])."""
    h_idxs = ops.linspace(h).reshape((h, 1)) * q_stride
    w_idxs = ops.linspace(w).reshape((w, 1)) * q_stride
    h_kv_idxs = ops.linspace(h_kv).reshape((h_kv, 1)) * kv_stride
    w_kv_idxs = ops.linspace(w_kv).reshape((w_kv, 1)) * kv_stride
    h_diff = (h_idxs[:, None] - h_kv_idxs[None]) * position_magnitude    # (h, h_kv, 1)
    w_diff = (w_idxs[:, None] - w_kv_idxs[None]) * position_magnitude    # (w, w_kv, 1)
    feat_range = ops.arange(feat_dim / 4)
    dim_mat = ops.scalar(wave_length) ** ((4. / feat_dim) * feat_range)
    dim_mat = dim_mat.reshape((1, 1, -1))
    embedding_x = ops.cat_last(ops.sin(w_diff / dim_mat), ops.cos(w_diff / dim_mat))
    embedding_y = ops.cat_last(ops.sin(h_diff / dim_mat), ops.cos(h_diff / dim_mat))
    return embedding_x, embedding_y


def _bilinear(img, h, w):
    """mmcv deformable_im2col_bilinear: img [C, H, W]; a point outside (-1, H) x (-1, W) is
    zero, and so is each of its four corners that falls outside the image."""
    H, W = img.shape[1:]
    if h <= -1 or h >= H or w <= -1 or w >= W:
        return np.zeros(img.shape[0])
    hl, wl = math.floor(h), math.floor(w)
    lh, lw = h - hl, w - wl
    out = np.zeros(img.shape[0])
    for y, x, wt in ((hl, wl, (1 - lh) * (1 - lw)), (hl, wl + 1, (1 - lh) * lw),
                     (hl + 1, wl, lh * (1 - lw)), (hl + 1, wl + 1, lh * lw)):
        if 0 <= y < H and 0 <= x < W:
            out += wt * img[:, y, x]
    return out


def deform_conv2d_ref(x, offset, weight, mask=None, bias=None, stride=(1, 1), padding=(0, 0),
                      dilation=(1, 1)):
    """mmcv deform_conv2d (mask None) / modulated_deform_conv2d, float64, NCHW.
    offset [N, dg*2*kh*kw, Ho, Wo]: tap (i, j) of deform group g reads dy at channel
    g*2*kh*kw + 2*(i*kw+j) and dx at the next; mask [N, dg*kh*kw, Ho, Wo] at g*kh*kw + i*kw+j.
    Input channel c belongs to deform group c // (C/dg); groups come from weight's shape."""
    x = np.asarray(x, np.float64)
    weight = np.asarray(weight, np.float64)
    N, C, H, W = x.shape
    O, Cg, kh, kw = weight.shape
    groups = C // Cg
    dg = offset.shape[1] // (2 * kh * kw)
    sh, sw = stride
    ph, pw = padding
    dh, dw = dilation
    Ho = (H + 2 * ph - (dh * (kh - 1) + 1)) // sh + 1
    Wo = (W + 2 * pw - (dw * (kw - 1) + 1)) // sw + 1
    cpg = C // dg
    out = np.zeros((N, O, Ho, Wo))
    for n in range(N):
        for oy in range(Ho):
            for ox in range(Wo):
                cols = np.zeros((C, kh, kw))          # the im2col column of this output
                for g in range(dg):
                    img = x[n, g * cpg:(g + 1) * cpg]
                    for i in range(kh):
                        for j in range(kw):
                            k = i * kw + j
                            dy = offset[n, g * 2 * kh * kw + 2 * k, oy, ox]
                            dx = offset[n, g * 2 * kh * kw + 2 * k + 1, oy, ox]
                            v = _bilinear(img, oy * sh - ph + i * dh + dy,
                                          ox * sw - pw + j * dw + dx)
                            if mask is not None:
                                v = v * mask[n, g * kh * kw + k, oy, ox]
                            cols[g * cpg:(g + 1) * cpg, i, j] = v
                og = O // groups
                for gr in range(groups):
                    blk = cols[gr * Cg:(gr + 1) * Cg].reshape(-1)
                    out[n, gr * og:(gr + 1) * og, oy, ox] = \
                        weight[gr * og:(gr + 1) * og].reshape(og, -1) @ blk
    if bias is not None:
        out += np.asarray(bias, np.float64)[None, :, None, None]
    return out


_ST_DTYPES = {np.dtype('<f4'): 'F32', np.dtype('<f2'): 'F16', np.dtype('<f8'): 'F64',
              np.dtype('<i8'): 'I64', np.dtype('<i4'): 'I32', np.dtype('u1'): 'U8',
              np.dtype('i1'): 'I8', np.dtype('bool'): 'BOOL'}


def save_safetensors(tensors, path, metadata=None):
    """tensors: name -> numpy array (insertion order kept in the data section)."""
    header, blobs, pos = {}, [], 0
    if metadata:
        header['__metadata__'] = {str(k): str(v) for k, v in metadata.items()}
    for name, a in tensors.items():
        a = np.asarray(a)
        if not a.flags.c_contiguous:   # (ascontiguousarray would make a 0-d array 1-d)
            a = a.copy(order='C')
        dt = a.dtype.newbyteorder('<') if a.dtype.byteorder == '>' else a.dtype
        if dt not in _ST_DTYPES:
            raise TypeError(f'{name}: dtype {a.dtype} has no safetensors name here')
        b = a.astype(dt, copy=False).tobytes()
        header[name] = {'dtype': _ST_DTYPES[dt], 'shape': list(a.shape),
                        'data_offsets': [pos, pos + len(b)]}
        blobs.append(b)
        pos += len(b)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * (-len(h) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def load_safetensors(path):
    """name -> numpy array, in header order (the __metadata__ entry skipped)."""
    rev = {v: k for k, v in _ST_DTYPES.items()}
    with open(path, 'rb') as f:
        data = f.read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, e in header.items():
        if name == '__metadata__':
            continue
        a, b = e['data_offsets']
        out[name] = np.frombuffer(data[base + a:base + b], dtype=rev[e['dtype']]).reshape(
            e['shape']).copy()
    return out
