"""clbb.load_image(): MMDetection's test pipeline in C (clbb/image.h)."""
import ctypes

import numpy as np

from . import _lib as L
from .errors import Error

# enum clbb_preprocess
PREPROCESS = {"pytorch": 0, "caffe": 1, "detectron2-x101": 2, "detectron2_x101": 2}


def has_image_support():
    """True when the loaded library has clbb_image_load()."""
    return hasattr(L.lib(), "clbb_image_load")


def load_image(path, scale=(1333, 800), keep_ratio=True, pad_divisor=32, preprocess="pytorch"):
    """Reads a PNG or JPEG and runs MMDetection's test pipeline on it:
    Resize(scale=(w, h), keep_ratio) with mmcv's rule and cv2.INTER_LINEAR,
    Normalize (preprocess 'pytorch', 'caffe' or 'detectron2-x101': mean,
    std and channel order of SPEC section 4), Pad(size_divisor=pad_divisor).
    scale None: no resize; pad_divisor 0 or 1: no padding. Returns a float32
    (1, 3, H, W) numpy array, ready for a Backbone."""
    lib = L.lib()
    if not hasattr(lib, "clbb_image_load"):
        raise Error(0, "unsupported", f"{lib._clbb_path} has no image support "
                    "(clbb_image_load): a clbb built without libpng/libjpeg or before it")
    if preprocess not in PREPROCESS:
        raise Error(L.ERR_INVALID_ARGUMENT, "invalid argument",
                    f"preprocess '{preprocess}': expected pytorch, caffe or detectron2-x101")
    p = L.ImagePipeline()
    lib.clbb_image_pipeline_init(ctypes.byref(p))
    if scale is None:
        p.scale_w, p.scale_h = 0, 0
    else:
        try:
            w, h = (int(v) for v in scale)
        except (TypeError, ValueError):
            raise Error(L.ERR_INVALID_ARGUMENT, "invalid argument",
                        f"scale {scale!r}: expected (width, height) or None")
        p.scale_w, p.scale_h = w, h
    p.keep_ratio = 1 if keep_ratio else 0
    p.pad_divisor = int(pad_divisor or 0)
    p.preprocess = PREPROCESS[preprocess]
    arr = L.NpyArray()
    err = ctypes.create_string_buffer(L.ERRBUF_SIZE)
    L.check_buf(lib.clbb_image_load(str(path).encode(), ctypes.byref(p), ctypes.byref(arr), err,
                                    L.ERRBUF_SIZE), err)
    try:
        shape = tuple(int(arr.dims[i]) for i in range(arr.ndim))
        n = int(np.prod(shape)) if shape else 1
        out = np.ctypeslib.as_array(arr.data, shape=(n,)).copy().reshape(shape)
    finally:
        lib.clbb_npy_array_free(ctypes.byref(arr))
    return out
