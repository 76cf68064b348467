/* Model configs: JSON parsing, MMDetection validation, presets (stub). */
#include "core/internal.h"
