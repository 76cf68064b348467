/* Private declarations shared by every part of the library: the context
 * layout, error reporting, and the wrappers through which every device
 * allocation, program build and enqueue passes (so that accounting,
 * profiling and fault injection happen in one place). */
#ifndef CLBB_CORE_INTERNAL_H
#define CLBB_CORE_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "clbb.h"

#define CLBB_ERROR_MAX 4096

typedef enum clbb_vendor {
    CLBB_VENDOR_OTHER = 0,
    CLBB_VENDOR_NVIDIA,
    CLBB_VENDOR_AMD,
    CLBB_VENDOR_INTEL,
    CLBB_VENDOR_ARM,
    CLBB_VENDOR_QUALCOMM,
    CLBB_VENDOR_CPU, /* PoCL and other CPU devices */
} clbb_vendor;

/* Kinds of device call a test can make fail (clbb__fault_set). */
typedef enum clbb_fault_kind {
    CLBB_FAULT_ALLOC = 0,
    CLBB_FAULT_BUILD = 1,
    CLBB_FAULT_ENQUEUE = 2,
    CLBB_FAULT_KINDS = 3,
} clbb_fault_kind;

typedef struct clbb_program_entry {
    uint8_t key[32];
    cl_program program;
} clbb_program_entry;

typedef struct clbb_profile_record {
    cl_event event;
    int tag; /* index of the op that enqueued it */
} clbb_profile_record;

/* A tuned choice for one conv layer at one input shape (`clbb tune`). */
typedef struct clbb_tuning_entry {
    char key[160];
    clbb_conv_algo algo;
    char tuning[96];
    double ms;
} clbb_tuning_entry;

struct clbb_context {
    cl_platform_id platform;
    cl_device_id device;
    cl_context cl_ctx;
    cl_command_queue queue;
    int owns_cl;
    int profiling;
    clbb_device_info info;
    clbb_vendor vendor;
    /* 1: ops pick the CPU kernel family (one work-item per work-group,
     * explicit vectors); the device type decides, CLBB_CPU_KERNELS=0/1
     * overrides (oclgrind checks the GPU kernels on its CPU device) */
    int cpu_kernels;
    char cache_dir[1024]; /* "" when the disk cache is off */
    clbb_program_entry *programs;
    size_t num_programs, cap_programs;
    clbb_context_stats stats;
    char error[CLBB_ERROR_MAX];
    /* fault injection: the countdown-th call of a kind fails (0: off) */
    uint64_t fault_countdown[CLBB_FAULT_KINDS];
    uint64_t fault_calls[CLBB_FAULT_KINDS];
    /* event capture for per-op profiling (NULL when off) */
    clbb_profile_record *prof;
    size_t prof_count, prof_cap;
    int prof_tag;
    /* scratch shared by every op of the context: ops run one after another
     * on the in-order queue and use their workspace only inside their own
     * run, so one buffer of the largest size serves them all */
    cl_mem scratch;
    size_t scratch_bytes;
    /* per-layer tuning table (loaded from the device's tuning file) */
    clbb_tuning_entry *tuning;
    size_t num_tuning;
};

/* Formats the context's last error and returns st. ctx may be NULL. */
clbb_status clbb__fail(clbb_context *ctx, clbb_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Same for contexts-free functions that report into a caller buffer. */
clbb_status clbb__fail_buf(char *buf, size_t size, clbb_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Name of an OpenCL error code ("CL_OUT_OF_RESOURCES"). */
const char *clbb__cl_error_name(cl_int err);

/* Maps an OpenCL error to a clbb status and records "what: CL_NAME (code)". */
clbb_status clbb__cl_fail(clbb_context *ctx, cl_int err, const char *what);

/* Copies with truncation, always NUL-terminated. */
void clbb__strlcpy(char *dst, const char *src, size_t size);

/* Case-insensitive substring test. */
int clbb__stristr(const char *haystack, const char *needle);

/* Device allocation through the accounting / fault layer. */
clbb_status clbb__buffer_create(clbb_context *ctx, size_t bytes, cl_mem_flags flags,
                                void *host_ptr, const char *what, cl_mem *out);
void clbb__buffer_release(clbb_context *ctx, cl_mem mem);

/* Uploads a host array into a new read-only buffer. */
clbb_status clbb__buffer_from_host(clbb_context *ctx, const void *data, size_t bytes,
                                   const char *what, cl_mem *out);

/* A new read-only buffer mapped for writing, for data laid out on the
 * host straight into it (packed weights): on CPU devices the map is the
 * buffer's own memory, which saves a host copy and its page faults. Fill
 * *ptr, then clbb__buffer_unmap; on failure nothing is left allocated. */
clbb_status clbb__buffer_map_new(clbb_context *ctx, size_t bytes, const char *what, cl_mem *out,
                                 void **ptr);
clbb_status clbb__buffer_unmap(clbb_context *ctx, cl_mem mem, void *ptr);

/* Enqueues an NDRange kernel. lws may be NULL. */
clbb_status clbb__enqueue(clbb_context *ctx, cl_kernel kernel, cl_uint dims, const size_t *gws,
                          const size_t *lws, const char *what);

/* For enqueues made by other libraries (CLBlast): checks the fault hook and
 * sets *event to the event pointer to pass them (slot when profiling, else
 * NULL). clbb__enqueue_end then records or releases *slot. */
clbb_status clbb__enqueue_begin(clbb_context *ctx, const char *what, cl_event **event,
                                cl_event *slot);
clbb_status clbb__enqueue_end(clbb_context *ctx, cl_event ev);

/* Returns the built program for an embedded source family and options
 * (memory cache, then disk cache, then a build). The context owns it. */
clbb_status clbb__program_get(clbb_context *ctx, const char *family, const char *options,
                              cl_program *out);

/* Creates a kernel of a program. */
clbb_status clbb__kernel_create(clbb_context *ctx, cl_program program, const char *name,
                                cl_kernel *out);

/* Sets kernel arguments 0, 1, ... from (size_t size, const void *ptr) pairs
 * ending with CLBB_ARGS_END. */
clbb_status clbb__kernel_args(clbb_context *ctx, cl_kernel k, const char *what, ...);
#define CLBB_ARGS_END ((size_t)0), ((const void *)0)

/* Embedded kernel sources (generated from cl/ *.cl at build time). */
typedef struct clbb_kernel_source {
    const char *name;
    const unsigned char *data;
    size_t size;
} clbb_kernel_source;
const clbb_kernel_source *clbb__kernel_source(const char *name);

/* SHA-256 (used for program cache keys). */
typedef struct clbb_sha256 {
    uint32_t h[8];
    uint64_t length;
    uint8_t block[64];
    size_t fill;
} clbb_sha256;
void clbb__sha256_init(clbb_sha256 *s);
void clbb__sha256_update(clbb_sha256 *s, const void *data, size_t size);
void clbb__sha256_final(clbb_sha256 *s, uint8_t out[32]);

/* Test hook: the n-th call (1-based, counted from now) of a kind fails; 0 off. */
void clbb__fault_set(clbb_context *ctx, clbb_fault_kind kind, uint64_t n);
/* Calls of a kind made since the last clbb__fault_set of that kind. */
uint64_t clbb__fault_count(const clbb_context *ctx, clbb_fault_kind kind);
/* Returns 1 (and counts) if the next call of this kind must fail. */
int clbb__fault_hit(clbb_context *ctx, clbb_fault_kind kind);

/* Per-op profiling capture. */
clbb_status clbb__profile_begin(clbb_context *ctx);
void clbb__profile_set_tag(clbb_context *ctx, int tag);
/* Sums per-tag milliseconds into ms[0..num_tags) and releases the events. */
clbb_status clbb__profile_end(clbb_context *ctx, double *ms, int num_tags);

/* Measures the device's FMA rate (GFLOP/s) and copy bandwidth (GB/s);
 * needs a profiling context. */
clbb_status clbb__device_peak(clbb_context *ctx, double *gflops, double *gbps);

/* Shared op scratch: reserve at reshape (grows the buffer; an older,
 * smaller one is released once the commands using it finish), fetch the
 * buffer at run time (it may have been replaced since reshape). */
clbb_status clbb__scratch_reserve(clbb_context *ctx, size_t bytes, const char *what);
cl_mem clbb__scratch(const clbb_context *ctx);

/* Tuning table: lookup, insert/replace, save, default file path. */
const clbb_tuning_entry *clbb__tuning_find(const clbb_context *ctx, const char *key);
clbb_status clbb__tuning_put(clbb_context *ctx, const clbb_tuning_entry *e);
clbb_status clbb__tuning_save(clbb_context *ctx, const char *path);
void clbb__tuning_clear(clbb_context *ctx);
void clbb__tuning_default_path(const clbb_context *ctx, char *buf, size_t size);

/* Elapsed milliseconds of a profiled event. */
clbb_status clbb__event_ms(clbb_context *ctx, cl_event ev, double *ms);

#define CLBB_CHECK(expr)                                                                        \
    do {                                                                                        \
        clbb_status clbb__st = (expr);                                                          \
        if (clbb__st != CLBB_OK) return clbb__st;                                               \
    } while (0)

#define CLBB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* CLBB_CORE_INTERNAL_H */
