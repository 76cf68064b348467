"""Loads the shared C library and declares the functions the package calls.

The structs below mirror the public headers field for field (the headers
are the contract). Structs that the library fills through an *_init()
function carry a reserved tail, so that fields appended to them later are
initialised by the library instead of overrunning Python's memory.
"""
import ctypes
import ctypes.util
import os

from . import _paths
from .errors import Error

# include/clbb/status.h
OK = 0
ERR_INVALID_ARGUMENT = 1
ERR_FORMAT = 10
ERR_CONFIG = 11
ERR_SHAPE = 12

ERRBUF_SIZE = 4096
_RESERVED = 512  # slack after structs filled by an *_init() function


class Shape(ctypes.Structure):
    _fields_ = [("n", ctypes.c_int32), ("c", ctypes.c_int32), ("h", ctypes.c_int32),
                ("w", ctypes.c_int32)]


class ContextOptions(ctypes.Structure):
    _fields_ = [("device", ctypes.c_char_p), ("cache_dir", ctypes.c_char_p),
                ("profiling", ctypes.c_int), ("error_buffer", ctypes.c_char_p),
                ("error_buffer_size", ctypes.c_size_t), ("profile", ctypes.c_char_p),
                ("_reserved", ctypes.c_char * _RESERVED)]


class DeviceInfo(ctypes.Structure):
    _fields_ = [("platform_index", ctypes.c_int), ("device_index", ctypes.c_int),
                ("platform_name", ctypes.c_char * 128), ("device_name", ctypes.c_char * 128),
                ("vendor", ctypes.c_char * 128), ("driver_version", ctypes.c_char * 64),
                ("opencl_version", ctypes.c_char * 64), ("is_gpu", ctypes.c_int),
                ("is_cpu", ctypes.c_int), ("compute_units", ctypes.c_uint32),
                ("max_clock_mhz", ctypes.c_uint32), ("global_mem_bytes", ctypes.c_uint64),
                ("max_alloc_bytes", ctypes.c_uint64), ("local_mem_bytes", ctypes.c_uint64),
                ("max_work_group_size", ctypes.c_size_t), ("has_fp16", ctypes.c_int),
                ("has_fp64", ctypes.c_int)]


class WeightsReport(ctypes.Structure):
    _fields_ = [("loaded", ctypes.c_int), ("ignored", ctypes.c_int),
                ("prefix_stripped", ctypes.c_int)]


class CheckOptions(ctypes.Structure):
    _fields_ = [("ops", ctypes.c_int), ("blocks", ctypes.c_int), ("models", ctypes.c_int),
                ("quick", ctypes.c_int), ("small", ctypes.c_int), ("verbose", ctypes.c_int),
                ("precision", ctypes.c_int), ("seed", ctypes.c_uint64),
                ("out", ctypes.c_void_p), ("only", ctypes.c_char_p),
                ("_reserved", ctypes.c_char * _RESERVED)]


class NpyArray(ctypes.Structure):  # clbb/io.h, CLBB_NPY_MAX_DIMS 8
    _fields_ = [("ndim", ctypes.c_int), ("dims", ctypes.c_int64 * 8),
                ("data", ctypes.POINTER(ctypes.c_float)), ("uint8", ctypes.c_int)]


class ImagePipeline(ctypes.Structure):  # clbb/image.h
    _fields_ = [("scale_w", ctypes.c_int32), ("scale_h", ctypes.c_int32),
                ("keep_ratio", ctypes.c_int), ("pad_divisor", ctypes.c_int32),
                ("preprocess", ctypes.c_int),
                ("_reserved", ctypes.c_char * _RESERVED)]


# clbb_model_config is filled and read by the library only (presets): a
# buffer larger than the struct will ever be stands in for it.
MODEL_CONFIG_BYTES = 1 << 16

_P = ctypes.c_void_p
_S = ctypes.c_char_p
_I = ctypes.c_int
_SZ = ctypes.c_size_t

# name: (restype, argtypes); functions marked optional may be absent.
_PROTOTYPES = {
    "clbb_version": (_S, []),
    "clbb_status_string": (_S, [_I]),
    "clbb_context_options_init": (None, [ctypes.POINTER(ContextOptions)]),
    "clbb_context_create": (_I, [ctypes.POINTER(ContextOptions), ctypes.POINTER(_P)]),
    "clbb_context_destroy": (None, [_P]),
    "clbb_last_error": (_S, [_P]),
    "clbb_context_device_info": (_I, [_P, ctypes.POINTER(DeviceInfo)]),
    "clbb_list_devices": (_I, [ctypes.POINTER(DeviceInfo), _SZ, ctypes.POINTER(_SZ)]),
    "clbb_precision_parse": (_I, [_S, ctypes.POINTER(_I)]),
    "clbb_model_config_preset": (_I, [_S, _P]),
    "clbb_model_preset_names": (ctypes.POINTER(_S), []),
    "clbb_model_create": (_I, [_P, _P, ctypes.POINTER(_P)]),
    "clbb_model_create_from_json": (_I, [_P, _S, _SZ, ctypes.POINTER(_P)]),
    "clbb_model_config_parse_json": (_I, [_S, _SZ, _P, _S, _SZ]),
    "clbb_model_destroy": (None, [_P]),
    "clbb_model_set_precision": (_I, [_P, _I]),
    "clbb_model_init_weights": (_I, [_P, ctypes.c_uint64]),
    "clbb_model_load_weights": (_I, [_P, _S, ctypes.POINTER(WeightsReport)]),
    "clbb_model_save_weights": (_I, [_P, _S]),
    "clbb_model_num_params": (ctypes.c_int64, [_P]),
    "clbb_model_num_outputs": (_I, [_P]),
    "clbb_model_forward": (_I, [_P, Shape, ctypes.POINTER(ctypes.c_float)]),
    "clbb_model_output_shape": (_I, [_P, _I, ctypes.POINTER(Shape)]),
    "clbb_model_read_output": (_I, [_P, _I, ctypes.POINTER(ctypes.c_float), _SZ]),
    "clbb_check_options_init": (None, [ctypes.POINTER(CheckOptions)]),
    "clbb_check": (_I, [_P, ctypes.POINTER(CheckOptions), ctypes.POINTER(_I)]),
    "clbb_npy_array_free": (None, [ctypes.POINTER(NpyArray)]),
    # clbb/image.h (optional: the package works with a library built before it)
    "clbb_image_pipeline_init": (None, [ctypes.POINTER(ImagePipeline)]),
    "clbb_image_load": (_I, [_S, ctypes.POINTER(ImagePipeline), ctypes.POINTER(NpyArray),
                             _S, _SZ]),
}
_OPTIONAL = {"clbb_image_pipeline_init", "clbb_image_load"}


def _candidates():
    """Where the library is looked for, in order."""
    env = os.environ.get("CLBB_LIBRARY")
    if env:
        yield env
        return  # an explicit choice is never silently replaced
    here = os.path.dirname(os.path.abspath(__file__))
    if _paths.LIBDIR:
        yield os.path.join(_paths.LIBDIR, "libclbb.so.0")  # the soname: no -dev symlink needed
        yield os.path.join(_paths.LIBDIR, "libclbb.so")
    yield os.path.join(here, "libclbb.so")  # a copy shipped inside the package
    found = ctypes.util.find_library("clbb")
    if found:
        yield found
    root = os.path.dirname(os.path.dirname(here))  # source tree: python/clbb -> .
    yield os.path.join(root, "build", "libclbb.so")


def _load():
    tried = []
    for path in _candidates():
        if os.sep in path and not os.path.exists(path):
            tried.append(f"{path} (not found)")
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            tried.append(f"{path} ({e})")
            continue
        for name, (res, args) in _PROTOTYPES.items():
            if not hasattr(lib, name):
                if name in _OPTIONAL:
                    continue
                raise Error(0, "library", f"{path} has no {name}: another clbb version?")
            fn = getattr(lib, name)
            fn.restype = res
            fn.argtypes = args
        lib._clbb_path = path
        return lib
    raise Error(0, "library", "cannot load libclbb.so; set CLBB_LIBRARY to its path. Tried: "
                + "; ".join(tried))


_lib = None


def lib():
    """The loaded library (loaded on first use)."""
    global _lib
    if _lib is None:
        _lib = _load()
    return _lib


def status_name(status):
    return lib().clbb_status_string(int(status)).decode("utf-8", "replace")


def raise_status(status, message):
    raise Error(status, status_name(status), message)


def check_ctx(status, ctx, what=""):
    """Raises clbb.Error with the context's last error when status != OK."""
    if status != OK:
        msg = lib().clbb_last_error(ctx).decode("utf-8", "replace") if ctx else ""
        if what and not msg:
            msg = what
        raise_status(status, msg)


def check_buf(status, buf):
    if status != OK:
        raise_status(status, buf.value.decode("utf-8", "replace"))


def text(b):
    return b.decode("utf-8", "replace") if isinstance(b, bytes) else b
