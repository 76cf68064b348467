/**
 * @file clbb/profile.h
 * @brief Device profiles: plan on the device at hand as clbb would on
 *        another one (a Mali, an Adreno, an Intel or AMD GPU, an Apple M2).
 *
 * A profile is a row of published limits of one device class. A context
 * created with one (clbb_context_options::profile, or the
 * CLBB_DEVICE_PROFILE environment variable) picks the device class
 * ("vendor": default tiles and tuning rows), the kernel family and every
 * limit it plans with as on that device: the maximum work-group size, the
 * local-memory size, fp16/fp64 support and the compute units, each limit
 * the smaller of the real device's and the profile's. Kernels then run on
 * the real device with the launches the profiled device would get, which
 * checks the planning, the tiles and the kernels of those paths; it does
 * not simulate the other device's compiler or timings (docs/profiles.md).
 *
 * Everything here reads a constant table: thread-safe, no context needed.
 */
#ifndef CLBB_PROFILE_H
#define CLBB_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "context.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most sub-group sizes a profile lists. */
#define CLBB_PROFILE_MAX_SUB_GROUP_SIZES 4

/** One device class's published limits (see docs/profiles.md for the
 *  sources of every number). */
typedef struct clbb_device_profile {
    const char *name;        /**< "mali-g78", the CLBB_DEVICE_PROFILE value */
    const char *description; /**< the device it stands for, one line */
    /** Device class that selects default tiles and tuning rows: "arm",
     *  "qualcomm", "intel", "amd", "nvidia" or "" (the portable defaults). */
    const char *vendor;
    /** Kernel family planned with: "gpu" for every profile today. */
    const char *family;
    size_t max_work_group_size; /**< CL_DEVICE_MAX_WORK_GROUP_SIZE */
    uint64_t local_mem_bytes;   /**< CL_DEVICE_LOCAL_MEM_SIZE */
    /** 1: CL_DEVICE_LOCAL_MEM_TYPE is CL_GLOBAL (local memory emulated in
     *  cached global memory, as on Mali); 0: dedicated (CL_LOCAL). */
    int local_mem_global;
    /** Sub-group (warp, wave, SIMD) sizes the device runs, 0-terminated. */
    uint32_t sub_group_sizes[CLBB_PROFILE_MAX_SUB_GROUP_SIZES];
    int image_support;           /**< 1: CL_DEVICE_IMAGE_SUPPORT */
    int has_fp16;                /**< 1: cl_khr_fp16 */
    int has_fp64;                /**< 1: cl_khr_fp64 */
    uint32_t vector_width_float; /**< CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT */
    uint32_t vector_width_half;  /**< CL_DEVICE_PREFERRED_VECTOR_WIDTH_HALF */
    /** Highest OpenCL C version of its drivers: 120, 200 or 300. */
    int opencl_c_version;
    uint32_t compute_units; /**< CL_DEVICE_MAX_COMPUTE_UNITS of the part named */
} clbb_device_profile;

/** Number of profiles in the table. Thread-safe.
 *  @return the count (at least 8). */
CLBB_API size_t clbb_device_profile_count(void);

/** The i-th profile of the table. Thread-safe.
 *  @param i index below clbb_device_profile_count().
 *  @return a static row (never freed); NULL when @p i is out of range. */
CLBB_API const clbb_device_profile *clbb_device_profile_at(size_t i);

/** Looks a profile up by name (exact, case-sensitive). Thread-safe.
 *  @param name the profile's name; NULL gives NULL.
 *  @return a static row; NULL when no profile has that name. */
CLBB_API const clbb_device_profile *clbb_device_profile_find(const char *name);

/**
 * Clamps a device description to a profile, as a context created with the
 * profile plans: max_work_group_size and local_mem_bytes become the smaller
 * of the two (a 0, "unknown", takes the other), has_fp16 and has_fp64 need
 * both, compute_units becomes the profile's, and the device counts as a GPU
 * (is_gpu 1, is_cpu 0). Names, driver and memory sizes stay the real
 * device's. Thread-safe.
 * @param profile the profile; NULL leaves @p info unchanged.
 * @param info    the description to clamp in place; NULL is a no-op.
 */
CLBB_API void clbb_device_profile_apply(const clbb_device_profile *profile,
                                        clbb_device_info *info);

/** The profile a context plans with.
 *  @param ctx the context; NULL gives NULL.
 *  @return a static row; NULL for a context without a profile. */
CLBB_API const clbb_device_profile *clbb_context_profile(const clbb_context *ctx);

#ifdef __cplusplus
}
#endif

#endif /* CLBB_PROFILE_H */
