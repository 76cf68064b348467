/* The one place where clbb allocates device memory and enqueues kernels:
 * byte accounting, profiling-event capture and the fault-injection hook
 * that tests use to make the N-th call fail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "context_impl.h"

void clbb__fault_set(clbb_context *ctx, clbb_fault_kind kind, uint64_t n) {
    if (!ctx || kind >= CLBB_FAULT_KINDS) return;
    ctx->fault_countdown[kind] = n;
    ctx->fault_calls[kind] = 0;
}

int clbb__fault_hit(clbb_context *ctx, clbb_fault_kind kind) {
    ++ctx->fault_calls[kind]; /* counted always, so tests can size their sweeps */
    return ctx->fault_countdown[kind] && ctx->fault_calls[kind] == ctx->fault_countdown[kind];
}

uint64_t clbb__fault_count(const clbb_context *ctx, clbb_fault_kind kind) {
    return ctx->fault_calls[kind];
}

clbb_status clbb__buffer_create(clbb_context *ctx, size_t bytes, cl_mem_flags flags,
                                void *host_ptr, const char *what, cl_mem *out) {
    *out = NULL;
    if (bytes == 0) bytes = 4; /* OpenCL refuses empty buffers */
    if (bytes > ctx->info.max_alloc_bytes && ctx->info.max_alloc_bytes)
        return clbb__fail(ctx, CLBB_ERR_DEVICE_MEMORY,
                          "%s: %zu bytes exceed the device's max allocation of %llu bytes", what,
                          bytes, (unsigned long long)ctx->info.max_alloc_bytes);
    if (clbb__fault_hit(ctx, CLBB_FAULT_ALLOC))
        return clbb__fail(ctx, CLBB_ERR_DEVICE_MEMORY,
                          "%s: injected allocation failure (%zu bytes)", what, bytes);
    cl_int err;
    cl_mem m = clCreateBuffer(ctx->cl_ctx, flags, bytes, host_ptr, &err);
    if (!m) {
        clbb_status st = clbb__cl_fail(ctx, err, "clCreateBuffer");
        clbb__fail_append(ctx, " for %s (%zu bytes)", what, bytes);
        return st == CLBB_ERR_DEVICE ? CLBB_ERR_DEVICE_MEMORY : st;
    }
    ctx->stats.device_bytes_allocated += bytes;
    if (ctx->stats.device_bytes_allocated > ctx->stats.device_bytes_peak)
        ctx->stats.device_bytes_peak = ctx->stats.device_bytes_allocated;
    *out = m;
    return CLBB_OK;
}

void clbb__buffer_release(clbb_context *ctx, cl_mem mem) {
    if (!mem) return;
    size_t size = 0;
    if (clGetMemObjectInfo(mem, CL_MEM_SIZE, sizeof size, &size, NULL) == CL_SUCCESS && ctx &&
        ctx->stats.device_bytes_allocated >= size)
        ctx->stats.device_bytes_allocated -= size;
    clReleaseMemObject(mem);
}

clbb_status clbb__buffer_from_host(clbb_context *ctx, const void *data, size_t bytes,
                                   const char *what, cl_mem *out) {
    return clbb__buffer_create(ctx, bytes, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, (void *)data,
                               what, out);
}

clbb_status clbb__buffer_map_new(clbb_context *ctx, size_t bytes, const char *what, cl_mem *out,
                                 void **ptr) {
    *ptr = NULL;
    CLBB_CHECK(clbb__buffer_create(ctx, bytes, CL_MEM_READ_ONLY, NULL, what, out));
    cl_int err;
    *ptr = clEnqueueMapBuffer(ctx->queue, *out, CL_TRUE, CL_MAP_WRITE_INVALIDATE_REGION, 0,
                              bytes ? bytes : 4, 0, NULL, NULL, &err);
    if (!*ptr) {
        clbb_status st = clbb__cl_fail(ctx, err, "clEnqueueMapBuffer");
        clbb__buffer_release(ctx, *out);
        *out = NULL;
        return st;
    }
    return CLBB_OK;
}

clbb_status clbb__buffer_unmap(clbb_context *ctx, cl_mem mem, void *ptr) {
    cl_int err = clEnqueueUnmapMemObject(ctx->queue, mem, ptr, 0, NULL, NULL);
    return err == CL_SUCCESS ? CLBB_OK : clbb__cl_fail(ctx, err, "clEnqueueUnmapMemObject");
}

static clbb_status record_event(clbb_context *ctx, cl_event ev) {
    if (ctx->prof_count == ctx->prof_cap) {
        size_t cap = ctx->prof_cap ? ctx->prof_cap * 2 : 256;
        clbb_profile_record *p = realloc(ctx->prof, cap * sizeof *p);
        if (!p) {
            clReleaseEvent(ev);
            return clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "profiling: out of host memory");
        }
        ctx->prof = p;
        ctx->prof_cap = cap;
    }
    ctx->prof[ctx->prof_count].event = ev;
    ctx->prof[ctx->prof_count].tag = ctx->prof_tag;
    ctx->prof_count++;
    return CLBB_OK;
}

/* Every launch within the limits the context plans with: a profile's
 * smaller work-group and local memory must hold on the real device too,
 * or the plan would not run on the profiled one. A NULL lws lets the
 * driver choose, within its own device's limit. */
static clbb_status check_limits(clbb_context *ctx, cl_kernel kernel, cl_uint dims,
                                const size_t *lws, const char *what) {
    const clbb_device_info *i = &ctx->info;
    const char *prof = ctx->profile ? ctx->profile->name : NULL;
    if (lws) {
        size_t items = 1;
        for (cl_uint d = 0; d < dims; d++) items *= lws[d];
        if (i->max_work_group_size && items > i->max_work_group_size)
            return clbb__fail(ctx, CLBB_ERR_UNSUPPORTED,
                              "%s: a work-group of %zu work-items exceeds the max work-group "
                              "size %zu%s%s%s",
                              what, items, i->max_work_group_size, prof ? " of profile '" : "",
                              prof ? prof : "", prof ? "'" : "");
        if (items > ctx->launch_max_work_items) ctx->launch_max_work_items = items;
    }
    if (!prof) return CLBB_OK; /* one query per launch: only where it is asked for */
    cl_ulong local = 0;
    if (clGetKernelWorkGroupInfo(kernel, ctx->device, CL_KERNEL_LOCAL_MEM_SIZE, sizeof local,
                                 &local, NULL) != CL_SUCCESS)
        return CLBB_OK;
    if (i->local_mem_bytes && local > i->local_mem_bytes)
        return clbb__fail(ctx, CLBB_ERR_UNSUPPORTED,
                          "%s: %llu bytes of local memory exceed the %llu of profile '%s'", what,
                          (unsigned long long)local, (unsigned long long)i->local_mem_bytes, prof);
    if (local > ctx->launch_max_local) ctx->launch_max_local = local;
    return CLBB_OK;
}

clbb_status clbb__enqueue(clbb_context *ctx, cl_kernel kernel, cl_uint dims, const size_t *gws,
                          const size_t *lws, const char *what) {
    if (clbb__fault_hit(ctx, CLBB_FAULT_ENQUEUE))
        return clbb__fail(ctx, CLBB_ERR_DEVICE, "%s: injected enqueue failure", what);
    CLBB_CHECK(check_limits(ctx, kernel, dims, lws, what));
    cl_event ev = NULL;
    int capture = ctx->prof != NULL;
    ctx->stats.kernels_enqueued++;
    cl_int err = clEnqueueNDRangeKernel(ctx->queue, kernel, dims, NULL, gws, lws, 0, NULL,
                                        capture ? &ev : NULL);
    if (err != CL_SUCCESS) {
        clbb_status st = clbb__cl_fail(ctx, err, "clEnqueueNDRangeKernel");
        clbb__fail_append(ctx, " in %s", what);
        return st;
    }
    return capture ? record_event(ctx, ev) : CLBB_OK;
}

clbb_status clbb__enqueue_begin(clbb_context *ctx, const char *what, cl_event **event,
                                cl_event *slot) {
    *slot = NULL;
    *event = ctx->prof ? slot : NULL;
    if (clbb__fault_hit(ctx, CLBB_FAULT_ENQUEUE))
        return clbb__fail(ctx, CLBB_ERR_DEVICE, "%s: injected enqueue failure", what);
    ctx->stats.kernels_enqueued++;
    return CLBB_OK;
}

clbb_status clbb__enqueue_end(clbb_context *ctx, cl_event ev) {
    if (!ev) return CLBB_OK;
    if (ctx->prof) return record_event(ctx, ev);
    clReleaseEvent(ev);
    return CLBB_OK;
}

clbb_status clbb__event_ms(clbb_context *ctx, cl_event ev, double *ms) {
    cl_ulong t0 = 0, t1 = 0;
    cl_int err = clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL);
    if (err == CL_SUCCESS)
        err = clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL);
    if (err != CL_SUCCESS) return clbb__cl_fail(ctx, err, "clGetEventProfilingInfo");
    *ms = (double)(t1 - t0) * 1e-6;
    return CLBB_OK;
}

clbb_status clbb__profile_begin(clbb_context *ctx) {
    if (!ctx->profiling)
        return clbb__fail(ctx, CLBB_ERR_INVALID_STATE,
                          "profiling needs a context created with profiling on");
    for (size_t i = 0; i < ctx->prof_count; i++) clReleaseEvent(ctx->prof[i].event);
    ctx->prof_count = 0;
    if (!ctx->prof) {
        ctx->prof_cap = 256;
        ctx->prof = malloc(ctx->prof_cap * sizeof *ctx->prof);
        if (!ctx->prof) {
            ctx->prof_cap = 0;
            return clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "profiling: out of host memory");
        }
    }
    ctx->prof_tag = 0;
    return CLBB_OK;
}

void clbb__profile_set_tag(clbb_context *ctx, int tag) { ctx->prof_tag = tag; }

clbb_status clbb__profile_end(clbb_context *ctx, double *ms, int num_tags) {
    clbb_status st = CLBB_OK;
    cl_int err = clFinish(ctx->queue);
    if (err != CL_SUCCESS) st = clbb__cl_fail(ctx, err, "clFinish");
    for (int i = 0; i < num_tags; i++) ms[i] = 0;
    for (size_t i = 0; i < ctx->prof_count; i++) {
        double t = 0;
        if (st == CLBB_OK) st = clbb__event_ms(ctx, ctx->prof[i].event, &t);
        int tag = ctx->prof[i].tag;
        if (tag >= 0 && tag < num_tags) ms[tag] += t;
        clReleaseEvent(ctx->prof[i].event);
    }
    free(ctx->prof);
    ctx->prof = NULL;
    ctx->prof_count = ctx->prof_cap = 0;
    return st;
}

clbb_status clbb__scratch_reserve(clbb_context *ctx, size_t bytes, const char *what) {
    if (bytes <= ctx->scratch_bytes && ctx->scratch) return CLBB_OK;
    cl_mem m;
    CLBB_CHECK(clbb__buffer_create(ctx, bytes, CL_MEM_READ_WRITE, NULL, what, &m));
    /* OpenCL keeps a released buffer alive until enqueued commands finish */
    clbb__buffer_release(ctx, ctx->scratch);
    ctx->scratch = m;
    ctx->scratch_bytes = bytes;
    return CLBB_OK;
}

cl_mem clbb__scratch(const clbb_context *ctx) { return ctx->scratch; }
