/**
 * @file clbb/context.h
 * @brief Contexts: one OpenCL device, one in-order queue, program caches and
 *        the last-error message.
 *
 * Threading: a context and everything created from it (tensors, ops, models)
 * belong to one thread at a time. Two threads working on two different
 * contexts need no locking: clbb's only process-wide state is a one-time
 * OpenCL driver initialization (run once, before the first device
 * enumeration) and a lock around CLBlast's own global state. The functions
 * that take no context (clbb_list_devices(), clbb_status_string(),
 * clbb_dtype_name(), the clbb/io.h functions, ...) are thread-safe.
 *
 * Errors: every fallible call returns a ::clbb_status. A call on a context
 * (or on an object of one) that fails leaves its message in
 * clbb_last_error() (some checks of a NULL handle or output pointer return
 * without one, leaving the previous message); a call that does work and
 * succeeds clears it (plain getters such as clbb_context_get_stats() leave
 * it as it was).
 */
#ifndef CLBB_CONTEXT_H
#define CLBB_CONTEXT_H

#include <stddef.h>
#include <stdint.h>

#ifndef CL_TARGET_OPENCL_VERSION
/** OpenCL API version of <CL/cl.h>: clbb needs 1.2 only; define it before
 *  including clbb to target another version. */
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque context handle. */
typedef struct clbb_context clbb_context;

/** Options for clbb_context_create(). Fill with clbb_context_options_init(). */
typedef struct clbb_context_options {
    /**
     * Device selector: "P:D" (platform and device index), or a
     * case-insensitive substring of the device name, device or platform
     * vendor, platform name or device type ("nvidia", "pocl", "cpu"); the
     * first match in "P:D" order wins. NULL: the CLBB_DEVICE environment
     * variable if set and not empty, else the first GPU, else the first
     * device. "" is refused.
     */
    const char *device;
    /**
     * Directory of the on-disk program-binary cache. NULL: $CLBB_CACHE_DIR,
     * else $XDG_CACHE_HOME/clbb, else $HOME/.cache/clbb. "" disables it.
     */
    const char *cache_dir;
    /** Non-zero: create the queue with profiling (needed by benchmarks). */
    int profiling;
    /**
     * Optional buffer that receives the error message when creation fails
     * (there is no context to hold it then). May be NULL.
     */
    char *error_buffer;
    size_t error_buffer_size; /**< Bytes of error_buffer (0: none written). */
    /**
     * Device profile to plan with (see clbb/profile.h): a name from
     * clbb_device_profile_at(), e.g. "mali-g78". NULL: the
     * CLBB_DEVICE_PROFILE environment variable if set and not empty, else
     * none; "" or "none": no profile (whatever the environment says).
     * Under a profile the context picks the profile's device class
     * (default tiles, tuning rows) and the GPU kernel family (unless
     * CLBB_CPU_KERNELS says otherwise), and clbb_context_device_info()
     * gives the limits it plans with: the real device's clamped by
     * clbb_device_profile_apply().
     */
    const char *profile;
} clbb_context_options;

/** Fills @p options with defaults (all zero/NULL). Thread-safe.
 *  @param options the struct to fill; NULL: no-op. */
CLBB_API void clbb_context_options_init(clbb_context_options *options);

/**
 * Creates a context on the selected device with its own OpenCL context and
 * an in-order queue (both released by clbb_context_destroy()). Loads the
 * device's default tuning file when one exists (see
 * clbb_context_load_tuning(); a bad file is ignored).
 * @param options may be NULL for defaults. On failure the message goes to
 *        options->error_buffer (there is no context to hold it).
 * @param out receives the context; set to NULL on failure. Free with
 *        clbb_context_destroy().
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (out NULL, options->device ""
 *         a malformed "P:D" selector, or an unknown profile: the message
 *         names the known ones); CLBB_ERR_NO_DEVICE (no platform,
 *         or no device matches, an out-of-range "P:D" included);
 *         CLBB_ERR_DEVICE (clCreateContext or clCreateCommandQueue failed);
 *         CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_context_create(const clbb_context_options *options,
                                clbb_context **out);

/**
 * Creates a context over the caller's OpenCL context and in-order queue.
 * Both are borrowed: clbb retains neither and never releases them; they
 * must outlive the clbb context. The device is the queue's device.
 * Profiling works only if the caller's queue has it enabled
 * (options->profiling is ignored). options->device is ignored; cache_dir,
 * profile and error_buffer apply as in clbb_context_create(). Thread-safe (it
 * creates a new context), but the caller's queue is then used from the
 * clbb context's thread.
 * @param cl_ctx  the caller's OpenCL context (borrowed).
 * @param queue   an in-order command queue of @p cl_ctx (borrowed).
 * @param options may be NULL for defaults.
 * @param out     receives the context; set to NULL on failure. Free with
 *                clbb_context_destroy() before releasing @p queue and
 *                @p cl_ctx.
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (out, cl_ctx or queue NULL,
 *         queue not a valid command queue, of another cl_context, or
 *         out-of-order, an unknown profile); CLBB_ERR_DEVICE (the queue's device has no
 *         platform); CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_context_create_from_cl(cl_context cl_ctx, cl_command_queue queue,
                                        const clbb_context_options *options,
                                        clbb_context **out);

/** Waits for the queue (clFinish), then destroys a context, every cached
 *  program and the shared op scratch. Everything created from it (tensors,
 *  ops, models) must be destroyed first.
 *  @param ctx the context; NULL is a no-op. */
CLBB_API void clbb_context_destroy(clbb_context *ctx);

/**
 * Detailed message of the last call on @p ctx if it failed, "" if it
 * succeeded.
 * @param ctx the context; NULL gives "".
 * @return a string owned by the context (not to be freed), valid until its
 *         next call; never NULL.
 */
CLBB_API const char *clbb_last_error(const clbb_context *ctx);

/** Waits for every command enqueued on the context's queue.
 *  @param ctx the context.
 *  @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL); CLBB_ERR_DEVICE
 *          (clFinish failed, e.g. a kernel faulted); CLBB_ERR_OUT_OF_MEMORY
 *          (clFinish returned CL_OUT_OF_HOST_MEMORY). */
CLBB_API clbb_status clbb_context_finish(clbb_context *ctx);

/** The OpenCL context behind a clbb context, to share buffers with the
 *  application's own kernels.
 *  @param ctx the context; NULL gives NULL.
 *  @return borrowed: do not release it. */
CLBB_API cl_context clbb_context_cl_context(const clbb_context *ctx);
/** The in-order queue every op of the context runs on (enqueue your own
 *  work on it to order it with clbb's).
 *  @param ctx the context; NULL gives NULL.
 *  @return borrowed: do not release it. */
CLBB_API cl_command_queue clbb_context_cl_queue(const clbb_context *ctx);
/** The context's device.
 *  @param ctx the context; NULL gives NULL.
 *  @return borrowed: do not release it. */
CLBB_API cl_device_id clbb_context_cl_device(const clbb_context *ctx);

/** Description of an OpenCL device, as `clbb devices` prints it. */
typedef struct clbb_device_info {
    int platform_index;        /**< P of the "P:D" selector (-1: borrowed context) */
    int device_index;          /**< D of the "P:D" selector (-1: borrowed context) */
    char platform_name[128];   /**< CL_PLATFORM_NAME */
    char device_name[128];     /**< CL_DEVICE_NAME */
    char vendor[128];          /**< CL_DEVICE_VENDOR */
    char driver_version[64];   /**< CL_DRIVER_VERSION */
    char opencl_version[64];   /**< CL_DEVICE_VERSION, e.g. "OpenCL 3.0 ..." */
    int is_gpu;                /**< 1: CL_DEVICE_TYPE_GPU */
    int is_cpu;                /**< 1: CL_DEVICE_TYPE_CPU */
    uint32_t compute_units;    /**< CL_DEVICE_MAX_COMPUTE_UNITS */
    uint32_t max_clock_mhz;    /**< CL_DEVICE_MAX_CLOCK_FREQUENCY */
    uint64_t global_mem_bytes; /**< CL_DEVICE_GLOBAL_MEM_SIZE */
    uint64_t max_alloc_bytes;  /**< CL_DEVICE_MAX_MEM_ALLOC_SIZE */
    uint64_t local_mem_bytes;  /**< CL_DEVICE_LOCAL_MEM_SIZE */
    size_t max_work_group_size;/**< CL_DEVICE_MAX_WORK_GROUP_SIZE */
    int has_fp16;              /**< 1: cl_khr_fp16 (not needed by clbb's fp16 storage) */
    int has_fp64;              /**< 1: cl_khr_fp64 */
} clbb_device_info;

/**
 * Lists every device of every platform, in "P:D" order. Strings longer than
 * their field are truncated, never dropped. Thread-safe.
 * @param infos array of @p capacity entries (may be NULL when capacity is 0).
 * @param capacity entries of @p infos; the first @p capacity devices are
 *        written.
 * @param count receives the number of devices found (may exceed capacity).
 * @return CLBB_OK (also when no platform exists: count 0);
 *         CLBB_ERR_INVALID_ARGUMENT (count NULL, or infos NULL with a
 *         capacity).
 */
CLBB_API clbb_status clbb_list_devices(clbb_device_info *infos, size_t capacity, size_t *count);

/** Info of the context's device (platform_index and device_index are -1
 *  for a context from clbb_context_create_from_cl()). Under a profile the
 *  limits are the ones the context plans with (see
 *  clbb_device_profile_apply()); names and driver are the real device's.
 *  @param ctx  the context.
 *  @param info receives the description.
 *  @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL). */
CLBB_API clbb_status clbb_context_device_info(const clbb_context *ctx, clbb_device_info *info);

/**
 * Says whether the device has matrix units for a math mode (see
 * ::clbb_math in clbb/ops.h): 1 for CLBB_MATH_FP32 always; for the tensor-
 * core modes 1 only on NVIDIA devices whose driver builds and correctly runs
 * a probe kernel with inline PTX `mma.sync` (probed once per context, at
 * the first query; the result is cached). CLBB_MMA=0 in the environment
 * makes it 0 everywhere; CLBB_MMA=emu makes it 1 on any device, whose
 * tensor-core kernels then emulate each product in OpenCL C (for testing:
 * correct, slow). Uses the context (its thread).
 * @param ctx  the context.
 * @param math the mode (an int so that any value may be asked).
 * @return 1 (has it), 0 (does not, or ctx NULL or an unknown mode).
 */
CLBB_API int clbb_context_has_math(clbb_context *ctx, int math);

/**
 * Measures the device's ceilings for benchmark reports: the FMA rate
 * (GFLOP/s, fastest of 5 runs of independent FMA chains) and the copy
 * bandwidth (GB/s, read + write). Takes some tens of milliseconds and
 * blocks. On failure *gflops and *gbps are 0.
 * @param ctx    a context created with profiling.
 * @param gflops receives the FMA rate in GFLOP/s.
 * @param gbps   receives the copy bandwidth in GB/s.
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (a NULL argument);
 *         CLBB_ERR_INVALID_STATE (the context has no profiling);
 *         CLBB_ERR_BUILD (the peak program); CLBB_ERR_DEVICE (kernel
 *         creation, an enqueue, clFinish or a profiling query failed);
 *         CLBB_ERR_DEVICE_MEMORY (the test buffers);
 *         CLBB_ERR_OUT_OF_MEMORY (program cache, event records).
 */
CLBB_API clbb_status clbb_context_measure_peak(clbb_context *ctx, double *gflops, double *gbps);

/**
 * Loads a tuning file written by `clbb tune` / clbb_model_tune(),
 * replacing the context's table (NULL clears it). The file holds rows, each
 * for a vendor, device and driver ("" matches any) with per-layer entries
 * keyed by conv geometry and shape class. A layer looks for its entry in
 * the rows of this device and driver, then of this device under any driver
 * (driver ""), then of this vendor, then the defaults row (vendor, device
 * and driver ""), the way CLBlast searches its database; rows of another
 * device, or of this device under another driver, are kept but never
 * matched, so a driver update falls back to the defaults instead of losing
 * the file. Models planned after the load use what it gives. A context
 * loads the default file of its device (in the cache directory) by itself
 * when one exists.
 * The old table is dropped first: after any failure the table is empty.
 * @param ctx  the context.
 * @param path the tuning file (JSON), or NULL to clear the table.
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL ctx); CLBB_ERR_IO (cannot
 *         be read); CLBB_ERR_FORMAT (not JSON, not format "clbb-tuning",
 *         another version, a malformed row or entry);
 *         CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_context_load_tuning(clbb_context *ctx, const char *path);

/**
 * Counters of program builds, for cache checks and reports. Every program
 * request counts in exactly one of the first three: comparing
 * programs_built_from_source before and after a call (say a model's first
 * forward) tells whether it compiled anything (the slow part of a first
 * run) or found every program in the caches.
 */
typedef struct clbb_context_stats {
    uint64_t programs_built_from_source; /**< full compiles (disk cache missed or off) */
    uint64_t programs_loaded_from_disk;  /**< binaries from the disk cache */
    uint64_t programs_from_memory;       /**< in-memory cache hits */
    uint64_t device_bytes_allocated;     /**< currently allocated by clbb */
    uint64_t device_bytes_peak;          /**< high-water mark of the above */
    uint64_t scratch_bytes;              /**< the op scratch shared by every op (in the above) */
    uint64_t tuning_entries;             /**< entries of the tuning table */
    /** kernel launches enqueued so far (clEnqueueNDRangeKernel calls and
     *  CLBlast routine calls; buffer copies not counted): the difference over
     *  one clbb_model_forward() is its kernels per forward, the figure that
     *  bounds small-batch latency where each launch costs host time */
    uint64_t kernels_enqueued;
} clbb_context_stats;

/** Fills @p stats.
 *  @param ctx   the context.
 *  @param stats receives the counters.
 *  @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL). */
CLBB_API clbb_status clbb_context_get_stats(const clbb_context *ctx, clbb_context_stats *stats);

/** What a progress report is about (see clbb_context_set_progress()). */
typedef enum clbb_progress_kind {
    /** An OpenCL program is about to be compiled from source (its disk
     *  cache entry missed): done = programs this context compiled so far,
     *  total 0 (unknown); what = the program's kernel file. */
    CLBB_PROGRESS_BUILD = 0,
    /** clbb_check(): done of total cases (op cases, blocks, backbones);
     *  what = the op table or the block/backbone case. */
    CLBB_PROGRESS_CHECK = 1,
    /** clbb_model_tune(): done of total candidates (over every layer
     *  tuned); what = the layer's name. */
    CLBB_PROGRESS_TUNE = 2,
    /** clbb_model_benchmark(): done of total forwards (warmup included);
     *  what = "warmup" or "timed". */
    CLBB_PROGRESS_BENCH = 3
} clbb_progress_kind;

/**
 * A progress callback: @p user as given to clbb_context_set_progress(),
 * what it is about (@p kind), @p done of @p total units (total 0: unknown)
 * and @p what, a short name valid only during the call (never NULL).
 * Called between device commands, outside any timed region; a report of
 * done == total ends a piece of work.
 */
typedef void (*clbb_progress_fn)(void *user, clbb_progress_kind kind, uint64_t done,
                                 uint64_t total, const char *what);

/**
 * Sets (or, with @p fn NULL, removes) the context's progress callback, for
 * long work: program builds, clbb_check(), clbb_model_tune(),
 * clbb_model_benchmark(). Nothing is reported without one.
 * Thread safety: the callback runs synchronously on the thread making the
 * call that does the work, as part of that call; it must not call clbb
 * functions on this context or its objects (other contexts are fine) and
 * should return quickly (`clbb` prints a line on stderr). @p user is
 * borrowed: it must stay valid while the callback is set.
 * @param ctx  the context.
 * @param fn   the callback, or NULL to remove it.
 * @param user passed to every call of @p fn.
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (ctx NULL).
 */
CLBB_API clbb_status clbb_context_set_progress(clbb_context *ctx, clbb_progress_fn fn, void *user);

#ifdef __cplusplus
}
#endif

#endif /* CLBB_CONTEXT_H */
