/**
 * @file clbb.h
 * @brief clbb: CNN detection backbones (MMDetection ResNet family, GhostNet)
 *        on any OpenCL device. Umbrella header.
 */
#ifndef CLBB_H
#define CLBB_H

#include "clbb/status.h"
#include "clbb/context.h"
#include "clbb/tensor.h"
#include "clbb/ops.h"
#include "clbb/reference.h"
#include "clbb/io.h"
#include "clbb/image.h"
#include "clbb/model.h"
#include "clbb/check.h"

#define CLBB_VERSION_MAJOR 0
#define CLBB_VERSION_MINOR 1
#define CLBB_VERSION_PATCH 0

#ifdef __cplusplus
extern "C" {
#endif

/** Library version string, e.g. "0.1.0". */
CLBB_API const char *clbb_version(void);

#ifdef __cplusplus
}
#endif

#endif /* CLBB_H */
