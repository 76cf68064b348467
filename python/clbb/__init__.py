"""clbb: MMDetection's ResNet family and GhostNet backbones on any OpenCL
device, from Python (ctypes over the shared C library libclbb.so).

    import clbb, numpy as np
    with clbb.Backbone(dict(type='ResNet', depth=50, out_indices=(0, 1, 2, 3)),
                       weights='resnet50.safetensors') as net:
        feats = net(np.zeros((1, 3, 224, 224), np.float32))   # tuple of 4 arrays

The library is found through $CLBB_LIBRARY, then the install location,
then a copy in the package, then the system's search path, then the source
tree's build/ directory. See docs/python.md.
"""
from . import _lib
from .backbone import Backbone, presets
from .devices import CheckResult, check, devices
from .errors import Error
from .image import has_image_support, load_image

__all__ = ["Backbone", "CheckResult", "Error", "check", "devices", "has_image_support",
           "load_image", "presets", "library_path", "__version__"]


def library_path():
    """Path of the loaded libclbb.so."""
    return _lib.lib()._clbb_path


def __getattr__(name):
    # the version comes from the library, loaded on first use
    if name == "__version__":
        return _lib.lib().clbb_version().decode()
    raise AttributeError(f"module 'clbb' has no attribute {name!r}")
