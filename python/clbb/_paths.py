# Where the installed shared library lives. This file is the source-tree
# version (no install location: the library is looked up in the build
# directory); `meson install` writes its own copy with the libdir filled in
# (see python/meson.build).
LIBDIR = None
