/**
 * @file clbb.h
 * @brief clbb: CNN detection backbones (MMDetection ResNet family, GhostNet)
 *        on any OpenCL device. Umbrella header.
 */
#ifndef CLBB_H
#define CLBB_H

#include "clbb/status.h"
#include "clbb/context.h"
#include "clbb/profile.h"
#include "clbb/tensor.h"
#include "clbb/ops.h"
#include "clbb/reference.h"
#include "clbb/io.h"
#include "clbb/image.h"
#include "clbb/model.h"
#include "clbb/check.h"
#include "clbb/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Version of the linked library, "MAJOR.MINOR.PATCH" (e.g. "0.1.0"); equal
 * to CLBB_VERSION_STRING of the headers it was built with.
 * @return a static string (never NULL, never freed). Thread-safe.
 */
CLBB_API const char *clbb_version(void);

#ifdef __cplusplus
}
#endif

#endif /* CLBB_H */
