"""clbb.Backbone: an MMDetection backbone on an OpenCL device."""
import ctypes
import json
import threading

import numpy as np

from . import _lib as L
from .devices import Context
from .errors import Error


def _jsonable(v):
    """MMDetection config values as JSON: tuples become lists."""
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    return v


def _config_checkpoint(cfg):
    """The weights file a config names (pretrained=str, or init_cfg of type
    Pretrained, alone or in a list), as the library records it."""
    p = cfg.get("pretrained")
    if isinstance(p, str) and p:
        return p
    init = cfg.get("init_cfg")
    items = init if isinstance(init, (list, tuple)) else [init]
    for it in items:
        if isinstance(it, dict) and it.get("type") == "Pretrained" and it.get("checkpoint"):
            return it["checkpoint"]
    return None


def _as_array(x):
    """x as a C-contiguous float32 NCHW numpy array (torch tensors through
    numpy; float16/float64 converted; anything else refused)."""
    mod = type(x).__module__ or ""
    if mod.startswith("torch") and hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    a = np.asarray(x)
    if a.dtype != np.float32:
        if a.dtype.kind != "f":
            raise Error(L.ERR_INVALID_ARGUMENT, "invalid argument",
                        f"input dtype {a.dtype}: expected float32 (float16 and float64 are "
                        "converted); normalize images first, e.g. with clbb.load_image()")
        a = a.astype(np.float32)
    if a.ndim != 4:
        hint = " (add a batch axis: x[None])" if a.ndim == 3 else ""
        raise Error(L.ERR_SHAPE, "shape", f"input shape {a.shape}: expected 4-d N,C,H,W{hint}")
    if any(d > 2**31 - 1 for d in a.shape):
        raise Error(L.ERR_SHAPE, "shape", f"input shape {a.shape}: a dimension is too large")
    return np.ascontiguousarray(a)


class Backbone:
    """An MMDetection backbone on an OpenCL device.

    Backbone(cfg_or_name, weights=None, device=None, precision='fp32',
             seed=0, cache_dir=None)

    cfg_or_name: an MMDetection backbone dict, e.g.
        dict(type='ResNet', depth=50, out_indices=(0, 1, 2, 3), norm_eval=True)
        (JSON-serialised and parsed by clbb_model_config_parse_json(): the
        same validation and messages as `clbb run --config`), or a preset
        name of `clbb run --arch` ('resnet50', 'ghostnet', ...; see
        clbb.presets()).
    weights: a .safetensors file (torchvision / MMDetection / timm names;
        tools/convert_checkpoint.py makes one from a .pth). None: the
        config's pretrained / init_cfg checkpoint if it names one, else
        MMDetection's init_weights() from seed.
    device: None (CLBB_DEVICE, else the first GPU, else the first device),
        a selector ("0:1", "pocl", "gpu") or an index into clbb.devices().
    precision: 'fp32', 'tf32x3', 'tf32' (tensor-core convs where the device
        has them, else fp32) or 'fp16' (half storage, fp32 outputs).

    backbone(x) runs a float32 NCHW numpy array (or torch tensor) and
    returns the tuple of feature maps in MMDetection's order. A Backbone
    owns a context and a model: close() (or `with`, or garbage collection)
    frees them. Calls are serialised by a lock: share one between threads
    or, faster, make one per thread.
    """

    def __init__(self, cfg_or_name, weights=None, device=None, precision="fp32", seed=0,
                 cache_dir=None):
        self._lib = L.lib()
        self._model = None
        self._ctx = None
        self._lock = threading.Lock()
        lib = self._lib
        checkpoint = None
        if isinstance(cfg_or_name, str):
            self.config = cfg_or_name
            cfgbuf = ctypes.create_string_buffer(L.MODEL_CONFIG_BYTES)
            if lib.clbb_model_config_preset(cfg_or_name.encode(), cfgbuf) != L.OK:
                raise Error(L.ERR_INVALID_ARGUMENT, "invalid argument",
                            f"unknown preset '{cfg_or_name}' (known: {', '.join(presets())})")
        elif isinstance(cfg_or_name, dict):
            self.config = dict(cfg_or_name)
            try:
                text = json.dumps(_jsonable(cfg_or_name), allow_nan=False)
            except (TypeError, ValueError) as e:
                raise Error(L.ERR_CONFIG, "config", f"config is not JSON-serialisable: {e}")
            # parsed here first: a config error needs no device
            raw = text.encode()
            cfgbuf = ctypes.create_string_buffer(L.MODEL_CONFIG_BYTES)
            err = ctypes.create_string_buffer(L.ERRBUF_SIZE)
            L.check_buf(lib.clbb_model_config_parse_json(raw, len(raw), cfgbuf, err,
                                                         L.ERRBUF_SIZE), err)
            checkpoint = _config_checkpoint(cfg_or_name)
        else:
            raise Error(L.ERR_INVALID_ARGUMENT, "invalid argument",
                        "cfg_or_name: expected a backbone dict or a preset name, got "
                        f"{type(cfg_or_name).__name__}")
        prec = ctypes.c_int(0)
        if lib.clbb_precision_parse(str(precision).encode(), ctypes.byref(prec)) != L.OK:
            raise Error(L.ERR_INVALID_ARGUMENT, "invalid argument",
                        f"precision '{precision}' is not fp32, tf32x3, tf32 or fp16")
        self.precision = str(precision)
        self.weights = weights if weights is not None else checkpoint
        self.weights_report = None
        self._ctx = Context(device, cache_dir=cache_dir)
        try:
            h = self._ctx.handle
            m = ctypes.c_void_p()
            L.check_ctx(lib.clbb_model_create(h, cfgbuf, ctypes.byref(m)), h)
            self._model = m
            self._ctx.models += 1
            L.check_ctx(lib.clbb_model_set_precision(m, prec.value), h)
            if self.weights is not None:
                self.load_weights(self.weights)
            else:
                self.init_weights(seed)
        except BaseException:
            self.close()  # nothing left behind by a failed constructor
            raise

    # -- weights ---------------------------------------------------------
    def load_weights(self, path):
        """Loads a .safetensors file (see clbb_model_load_weights()); returns
        {'loaded', 'ignored', 'prefix_stripped'}."""
        rep = L.WeightsReport()
        with self._lock:
            self._check(self._lib.clbb_model_load_weights(self._handle(), str(path).encode(),
                                                         ctypes.byref(rep)))
        self.weights_report = {"loaded": rep.loaded, "ignored": rep.ignored,
                               "prefix_stripped": bool(rep.prefix_stripped)}
        return self.weights_report

    def init_weights(self, seed=0):
        """MMDetection's init_weights() from seed (clbb_model_init_weights())."""
        with self._lock:
            self._check(self._lib.clbb_model_init_weights(self._handle(), int(seed)))

    def save_weights(self, path):
        """Writes the parameters as F32 .safetensors (PyTorch key names)."""
        with self._lock:
            self._check(self._lib.clbb_model_save_weights(self._handle(), str(path).encode()))

    # -- forward ---------------------------------------------------------
    def __call__(self, x):
        """Runs x (N,C,H,W float32 numpy array or torch tensor); returns a
        tuple of float32 numpy arrays, one per output level."""
        a = _as_array(x)
        lib = self._lib
        with self._lock:
            m = self._handle()
            shape = L.Shape(*a.shape)
            st = lib.clbb_model_forward(m, shape, a.ctypes.data_as(ctypes.POINTER(ctypes.c_float)))
            if st == L.ERR_SHAPE and a.shape[3] in (1, 3) and a.shape[1] not in (1, 3):
                msg = lib.clbb_last_error(self._ctx.handle).decode("utf-8", "replace")
                L.raise_status(st, msg + f" (shape {a.shape} looks like NHWC: pass "
                               "x.transpose(0, 3, 1, 2))")
            self._check(st)
            outs = []
            for i in range(lib.clbb_model_num_outputs(m)):
                s = L.Shape()
                self._check(lib.clbb_model_output_shape(m, i, ctypes.byref(s)))
                y = np.empty((s.n, s.c, s.h, s.w), dtype=np.float32)
                self._check(lib.clbb_model_read_output(
                    m, i, y.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), y.size))
                outs.append(y)
        return tuple(outs)

    forward = __call__

    # -- properties ------------------------------------------------------
    @property
    def num_outputs(self):
        return self._lib.clbb_model_num_outputs(self._handle())

    @property
    def num_params(self):
        """Parameters (conv weights and biases, norm affine)."""
        return self._lib.clbb_model_num_params(self._handle())

    @property
    def device(self):
        """The device's info dict (as in clbb.devices())."""
        if self._ctx is None or self._ctx.handle is None:
            raise Error(2, "invalid state", "the Backbone is closed")
        return self._ctx.info()

    # -- lifetime --------------------------------------------------------
    def close(self):
        """Frees the model and its context (idempotent)."""
        if self._model is not None:
            self._lib.clbb_model_destroy(self._model)
            self._model = None
            self._ctx.models -= 1
        if self._ctx is not None:
            self._ctx.close()
            self._ctx = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass

    def __repr__(self):
        state = "closed" if self._model is None else f"{self.num_outputs} outputs"
        return f"clbb.Backbone({self.config!r}, precision={self.precision!r}, {state})"

    def _handle(self):
        if self._model is None:
            raise Error(2, "invalid state", "the Backbone is closed")
        return self._model

    def _check(self, st):
        L.check_ctx(st, self._ctx.handle if self._ctx else None)


def presets():
    """The preset names Backbone() accepts (clbb_model_preset_names())."""
    names = L.lib().clbb_model_preset_names()
    out = []
    i = 0
    while names and names[i]:
        out.append(names[i].decode())
        i += 1
    return out
