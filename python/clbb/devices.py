"""clbb.devices() and clbb.check(): the device list and the conformance check."""
import ctypes
import os
import tempfile

from . import _lib as L
from .errors import Error


def _info_dict(info):
    d = {}
    for name, _ in L.DeviceInfo._fields_:
        v = getattr(info, name)
        d[name] = v.decode("utf-8", "replace") if isinstance(v, bytes) else int(v)
    d["is_gpu"] = bool(d["is_gpu"])
    d["is_cpu"] = bool(d["is_cpu"])
    d["has_fp16"] = bool(d["has_fp16"])
    d["has_fp64"] = bool(d["has_fp64"])
    d["selector"] = f"{d['platform_index']}:{d['device_index']}"
    return d


def devices():
    """Every OpenCL device of every platform, in "P:D" order, as dicts with
    the fields of clbb_device_info (platform_name, device_name, vendor,
    driver_version, opencl_version, is_gpu, is_cpu, compute_units,
    max_clock_mhz, global_mem_bytes, max_alloc_bytes, local_mem_bytes,
    max_work_group_size, has_fp16, has_fp64, platform_index, device_index)
    plus "selector" ("P:D", what device= accepts). [] when no platform."""
    lib = L.lib()
    count = ctypes.c_size_t(0)
    L.check_buf(lib.clbb_list_devices(None, 0, ctypes.byref(count)), ctypes.create_string_buffer(1))
    if count.value == 0:
        return []
    infos = (L.DeviceInfo * count.value)()
    n = ctypes.c_size_t(0)
    st = lib.clbb_list_devices(infos, count.value, ctypes.byref(n))
    if st != L.OK:
        L.raise_status(st, "clbb_list_devices failed")
    return [_info_dict(infos[i]) for i in range(min(n.value, count.value))]


def device_selector(device):
    """device= argument: None (CLBB_DEVICE, else the first GPU, else the
    first device), a selector string ("0:1", "pocl", "gpu"), or an int
    index into devices()."""
    if device is None:
        return None
    if isinstance(device, bool):
        raise Error(L.ERR_INVALID_ARGUMENT, "invalid argument", "device: a bool is not a device")
    if isinstance(device, int):
        found = devices()
        if not 0 <= device < len(found):
            raise Error(L.ERR_INVALID_ARGUMENT, "invalid argument",
                        f"device={device}: there are {len(found)} devices (see clbb.devices())")
        return found[device]["selector"]
    if isinstance(device, str):
        return device
    raise Error(L.ERR_INVALID_ARGUMENT, "invalid argument",
                f"device: expected None, a selector string or an index, got {type(device).__name__}")


class Context:
    """An owned clbb_context (one device, one queue). Closed by close(), a
    `with` block or garbage collection."""

    def __init__(self, device=None, cache_dir=None, profiling=False):
        lib = L.lib()
        self._lib = lib
        self.handle = None
        self.models = 0  # models created on it: the context outlives them
        sel = device_selector(device)
        opts = L.ContextOptions()
        lib.clbb_context_options_init(ctypes.byref(opts))
        err = ctypes.create_string_buffer(L.ERRBUF_SIZE)
        self._keep = [sel.encode() if sel is not None else None,
                      cache_dir.encode() if cache_dir is not None else None]
        opts.device = self._keep[0]
        opts.cache_dir = self._keep[1]
        opts.profiling = 1 if profiling else 0
        opts.error_buffer = ctypes.cast(err, ctypes.c_char_p)
        opts.error_buffer_size = L.ERRBUF_SIZE
        h = ctypes.c_void_p()
        L.check_buf(lib.clbb_context_create(ctypes.byref(opts), ctypes.byref(h)), err)
        self.handle = h

    def info(self):
        info = L.DeviceInfo()
        L.check_ctx(self._lib.clbb_context_device_info(self.handle, ctypes.byref(info)),
                    self.handle)
        return _info_dict(info)

    def close(self):
        # with models alive (a garbage-collected cycle may finalise the
        # context first) the last model's close() destroys it instead
        if self.handle is not None and self.models == 0:
            self._lib.clbb_context_destroy(self.handle)
            self.handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass


class CheckResult:
    """Result of clbb.check(): failures (failed cases), report (the text
    `clbb check` prints) and ok (no failure). True when ok."""

    def __init__(self, failures, report):
        self.failures = failures
        self.report = report
        self.ok = failures == 0

    def __bool__(self):
        return self.ok

    def __repr__(self):
        return f"CheckResult(ok={self.ok}, failures={self.failures})"


def check(device=None, ops=False, blocks=False, models=False, quick=False, small=False,
          only=None, precision="fp32", seed=0, verbose=False):
    """Runs the conformance check (clbb_check(), what `clbb check` runs) on
    a device: every op, block and backbone against the C reference. The
    levels ops/blocks/models all False: every level. only: a word or list of
    words (the tables and backbones whose name contains one). seed 0:
    $CLBB_SEED, else the clock. Returns a CheckResult; raises clbb.Error
    when the check cannot run (no device, a bad argument)."""
    lib = L.lib()
    if isinstance(only, (list, tuple)):
        only = ",".join(only)
    prec = ctypes.c_int(0)
    if lib.clbb_precision_parse(str(precision).encode(), ctypes.byref(prec)) != L.OK:
        raise Error(L.ERR_INVALID_ARGUMENT, "invalid argument",
                    f"precision '{precision}' is not fp32, tf32x3, tf32 or fp16")
    libc = ctypes.CDLL(None)
    libc.fopen.restype = ctypes.c_void_p
    libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    libc.fclose.argtypes = [ctypes.c_void_p]
    with Context(device) as ctx, tempfile.TemporaryDirectory(prefix="clbb-check-") as tmp:
        path = os.path.join(tmp, "report.txt")
        f = libc.fopen(path.encode(), b"w")
        if not f:
            raise Error(0, "io", f"cannot create {path}")
        opts = L.CheckOptions()
        lib.clbb_check_options_init(ctypes.byref(opts))
        opts.ops, opts.blocks, opts.models = int(bool(ops)), int(bool(blocks)), int(bool(models))
        opts.quick, opts.small, opts.verbose = int(bool(quick)), int(bool(small)), int(bool(verbose))
        opts.precision = prec.value
        opts.seed = int(seed)
        opts.out = f
        only_b = only.encode() if only else None
        opts.only = only_b
        failures = ctypes.c_int(0)
        try:
            st = lib.clbb_check(ctx.handle, ctypes.byref(opts), ctypes.byref(failures))
        finally:
            libc.fclose(f)
        L.check_ctx(st, ctx.handle)
        with open(path, encoding="utf-8", errors="replace") as r:
            report = r.read()
    return CheckResult(failures.value, report)
