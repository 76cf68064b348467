/* .npy reader and writer (stub; see clbb/io.h). */
#include "core/internal.h"
