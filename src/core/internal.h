/* Library-internal functions of the core, for every layer above it: error
 * reporting on a context, the wrappers through which every device
 * allocation, program build and enqueue passes (so that accounting,
 * profiling and fault injection happen in one place), the op scratch and
 * the tuning table. Struct layouts are not here: the context's is in
 * context_impl.h, the tensor's in tensor_impl.h, for the core and the
 * launchers only. */
#ifndef CLBB_CORE_INTERNAL_H
#define CLBB_CORE_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "base.h"
#include "clbb.h"

#define CLBB_ERROR_MAX 4096

/* Formats the context's last error and returns st. ctx may be NULL. The
 * message is the one part of a context that every call may write, also
 * the calls that take it const (C++ would call it mutable). */
clbb_status clbb__fail(const clbb_context *ctx, clbb_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends to the context's last error (" (layer x)"). */
void clbb__fail_append(clbb_context *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The exit of a public call: a success clears the last error (so that an
 * earlier failure, or one recovered from inside the call, is not reported
 * afterwards); returns st. */
clbb_status clbb__done(const clbb_context *ctx, clbb_status st);

/* Name of an OpenCL error code ("CL_OUT_OF_RESOURCES"). */
const char *clbb__cl_error_name(cl_int err);

/* Maps an OpenCL error to a clbb status and records "what: CL_NAME (code)". */
clbb_status clbb__cl_fail(clbb_context *ctx, cl_int err, const char *what);

/* Equal shapes. */
int clbb__shape_eq(clbb_shape a, clbb_shape b);

/* Checks extents >= 1 and the element count fits 32-bit kernel indexing. */
clbb_status clbb__shape_check(clbb_context *ctx, clbb_shape s, const char *what);

/* Checks a dtype / family value from the API. */
clbb_status clbb__dtype_check(clbb_context *ctx, clbb_dtype dtype, const char *what);

/* scale = weight / sqrt(var + eps), shift = bias - mean * scale per channel,
 * computed in double; NULL arrays mean 0 / 1 / 1 / 0. Refuses var + eps <= 0
 * and non-finite values, naming the channel. */
clbb_status clbb__bn_fold(clbb_context *ctx, int32_t channels, const float *mean,
                          const float *var, const float *weight, const float *bias, float eps,
                          float *scale, float *shift);

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
 * NULL). clbb__enqueue_end then records or releases the event. */
clbb_status clbb__enqueue_begin(clbb_context *ctx, const char *what, cl_event **event,
                                cl_event *slot);
clbb_status clbb__enqueue_end(clbb_context *ctx, cl_event ev);

/* Kinds of device call a test can make fail (clbb__fault_set). */
typedef enum clbb_fault_kind {
    CLBB_FAULT_ALLOC = 0,
    CLBB_FAULT_BUILD = 1,
    CLBB_FAULT_ENQUEUE = 2,
    CLBB_FAULT_KINDS = 3,
} clbb_fault_kind;

/* Test hook: the n-th call (1-based, counted from now) of a kind fails; 0 off. */
void clbb__fault_set(clbb_context *ctx, clbb_fault_kind kind, uint64_t n);
/* Calls of a kind made since the last clbb__fault_set of that kind. */
uint64_t clbb__fault_count(const clbb_context *ctx, clbb_fault_kind kind);
/* Returns 1 (and counts) if the next call of this kind must fail. */
int clbb__fault_hit(clbb_context *ctx, clbb_fault_kind kind);

/* Per-op profiling capture: begin, tag every enqueue with the index of the
 * op making it, end sums per-tag milliseconds into ms[0..num_tags). */
clbb_status clbb__profile_begin(clbb_context *ctx);
void clbb__profile_set_tag(clbb_context *ctx, int tag);
clbb_status clbb__profile_end(clbb_context *ctx, double *ms, int num_tags);

/* Shared op scratch: reserve at reshape (grows the buffer; an older,
 * smaller one is released once the commands using it finish), fetch the
 * buffer at run time (it may have been replaced since reshape). */
clbb_status clbb__scratch_reserve(clbb_context *ctx, size_t bytes, const char *what);
cl_mem clbb__scratch(const clbb_context *ctx);

/* The tuning table (see clbb_context_load_tuning): what `clbb tune` chose
 * for one layer key. */
typedef struct clbb_tuning_choice {
    char algo[24];   /* algorithm name ("igemm") */
    char family[8];  /* kernel family name ("gpu", "cpu") */
    char params[96]; /* the algorithm's tuning text */
    double ms;
} clbb_tuning_choice;

/* Looks key up in this device and driver's row, then this vendor's, then
 * the defaults row; 1 if found. */
int clbb__tuning_find(const clbb_context *ctx, const char *key, clbb_tuning_choice *out);
/* Records a choice in this device and driver's row. */
clbb_status clbb__tuning_put(clbb_context *ctx, const char *key, const clbb_tuning_choice *c);
clbb_status clbb__tuning_save(clbb_context *ctx, const char *path);
/* Replaces the table with a file's text (path names it in messages). */
clbb_status clbb__tuning_load_text(clbb_context *ctx, const char *text, size_t len,
                                   const char *path);
/* The default file of the device in the cache directory ("" without one). */
void clbb__tuning_default_path(const clbb_context *ctx, char *buf, size_t size);

/* Device classes that select defaults (tile sizes) and tuning rows. */
typedef enum clbb_vendor {
    CLBB_VENDOR_OTHER = 0,
    CLBB_VENDOR_NVIDIA,
    CLBB_VENDOR_AMD,
    CLBB_VENDOR_INTEL,
    CLBB_VENDOR_ARM,
    CLBB_VENDOR_QUALCOMM,
    CLBB_VENDOR_CPU, /* PoCL and other CPU devices */
    CLBB_VENDOR_COUNT,
} clbb_vendor;

/* "nvidia", "amd", ..., "cpu"; "" for OTHER. */
const char *clbb__vendor_name(clbb_vendor v);
clbb_vendor clbb__context_vendor(const clbb_context *ctx);

/* The family AUTO means on this context (the device type, or
 * CLBB_CPU_KERNELS). */
clbb_kernel_family clbb__default_family(const clbb_context *ctx);

/* 1 if the context's queue records profiling events. */
int clbb__context_profiling(const clbb_context *ctx);

/* The message of "no platform or no device": what to install. */
#define CLBB__NO_DEVICE_HINT                                                                  \
    "no OpenCL device found: install an OpenCL ICD (pocl-opencl-icd for the CPU, the GPU "   \
    "vendor's ICD for a GPU)"

/* Progress reports (clbb_context_set_progress()): whether a callback is
 * set (to skip counting work nobody watches), and a report. */
int clbb__progress_on(const clbb_context *ctx);
void clbb__progress(clbb_context *ctx, clbb_progress_kind kind, uint64_t done, uint64_t total,
                    const char *what);

/* Elapsed milliseconds of a profiled event. */
clbb_status clbb__event_ms(clbb_context *ctx, cl_event ev, double *ms);

/* GeneralizedAttention (gen_attention.c). A position term: bit 1 or 3. */
static inline int clbb__ga_has_position(uint32_t type) { return (type & 10u) != 0; }
/* mmcv reads the query at the transposed position in the y term: bit 1
 * set, bit 3 clear (square query grids only). */
static inline int clbb__ga_transposed(uint32_t type) { return (type & 2u) && !(type & 8u); }
static inline int clbb__ga_has_key(uint32_t type) { return (type & 5u) != 0; }
static inline int clbb__ga_has_query(uint32_t type) { return (type & 3u) != 0; }
/* Non-zero (message in msg) when the op refuses the descriptor. */
int clbb__ga_desc_error(const clbb_gen_attention_desc *d, char *msg, size_t size);
/* Query and key grids of a module input x. */
void clbb__ga_grids(const clbb_gen_attention_desc *d, clbb_shape x, int *hq, int *wq, int *hk,
                    int *wk);
/* Keys [lo, hi) of one axis that query index i sees (spatial_range >= 0). */
void clbb__ga_window(int i, int spatial_range, int kv_stride, int *lo, int *hi);
/* Position features of one axis in double, out[m][i][j][d] (heads x nq x nk
 * x dim): fc (heads*dim x feat_dim/2) applied to mmcv's embedding of query
 * index i against key index j, divided by sqrt(2). feat_dim <= 16384. */
void clbb__ga_position_features(const float *fc, int heads, int dim, int feat_dim, int magnitude,
                                int nq, int q_stride, int nk, int kv_stride, double *out);

#endif /* CLBB_CORE_INTERNAL_H */
