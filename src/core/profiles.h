/* Device profiles inside the library (the table is in profiles.c, the
 * public view in clbb/profile.h). */
#ifndef CLBB_CORE_PROFILES_H
#define CLBB_CORE_PROFILES_H

#include <stdio.h>

#include "internal.h"

/* The device class of a profile's vendor name ("" and unknown: OTHER). */
clbb_vendor clbb__profile_vendor(const clbb_device_profile *p);

/* "mali-g78, mali-g710, ..." for messages (truncated to size). */
void clbb__profile_names(char *buf, size_t size);

/* The largest work-group (work-items) and kernel local memory (bytes) of
 * the launches a context made so far, for tests of the profile limits
 * (local memory is measured only under a profile). */
void clbb__launch_limits(const clbb_context *ctx, size_t *max_work_items, uint64_t *max_local);

#endif
