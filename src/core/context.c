/* Contexts: device enumeration and selection, OpenCL context and queue
 * ownership, cache directory, stats. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "context_impl.h"
#include "profiles.h"

#define MAX_PLATFORMS 16
#define MAX_DEVICES 64

void clbb_context_options_init(clbb_context_options *o) {
    if (o) memset(o, 0, sizeof *o);
}

/* A device string into a fixed field, truncated when longer: drivers
 * return CL_INVALID_VALUE for a short buffer (PoCL's 65-byte
 * CL_DEVICE_VERSION left a 64-byte field empty), so ask for the size. */
static void str_info_device(cl_device_id d, cl_device_info what, char *dst, size_t size) {
    dst[0] = '\0';
    size_t need = 0;
    if (clGetDeviceInfo(d, what, 0, NULL, &need) != CL_SUCCESS || need == 0) return;
    char *tmp = malloc(need + 1);
    if (!tmp) return;
    if (clGetDeviceInfo(d, what, need, tmp, NULL) == CL_SUCCESS) {
        tmp[need] = '\0';
        clbb__strlcpy(dst, tmp, size);
    }
    free(tmp);
}

static void fill_info(cl_platform_id p, cl_device_id d, int pi, int di, clbb_device_info *info) {
    memset(info, 0, sizeof *info);
    info->platform_index = pi;
    info->device_index = di;
    size_t need = 0;
    char *pname = NULL;
    if (clGetPlatformInfo(p, CL_PLATFORM_NAME, 0, NULL, &need) == CL_SUCCESS && need &&
        (pname = malloc(need + 1)) &&
        clGetPlatformInfo(p, CL_PLATFORM_NAME, need, pname, NULL) == CL_SUCCESS) {
        pname[need] = '\0';
        clbb__strlcpy(info->platform_name, pname, sizeof info->platform_name);
    }
    free(pname);
    str_info_device(d, CL_DEVICE_NAME, info->device_name, sizeof info->device_name);
    str_info_device(d, CL_DEVICE_VENDOR, info->vendor, sizeof info->vendor);
    str_info_device(d, CL_DRIVER_VERSION, info->driver_version, sizeof info->driver_version);
    str_info_device(d, CL_DEVICE_VERSION, info->opencl_version, sizeof info->opencl_version);
    cl_device_type type = 0;
    clGetDeviceInfo(d, CL_DEVICE_TYPE, sizeof type, &type, NULL);
    info->is_gpu = (type & CL_DEVICE_TYPE_GPU) != 0;
    info->is_cpu = (type & CL_DEVICE_TYPE_CPU) != 0;
    cl_uint u = 0;
    clGetDeviceInfo(d, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof u, &u, NULL);
    info->compute_units = u;
    u = 0;
    clGetDeviceInfo(d, CL_DEVICE_MAX_CLOCK_FREQUENCY, sizeof u, &u, NULL);
    info->max_clock_mhz = u;
    cl_ulong ul = 0;
    clGetDeviceInfo(d, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof ul, &ul, NULL);
    info->global_mem_bytes = ul;
    ul = 0;
    clGetDeviceInfo(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof ul, &ul, NULL);
    info->max_alloc_bytes = ul;
    ul = 0;
    clGetDeviceInfo(d, CL_DEVICE_LOCAL_MEM_SIZE, sizeof ul, &ul, NULL);
    info->local_mem_bytes = ul;
    size_t wg = 0;
    clGetDeviceInfo(d, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof wg, &wg, NULL);
    info->max_work_group_size = wg;
    size_t ext_size = 0;
    if (clGetDeviceInfo(d, CL_DEVICE_EXTENSIONS, 0, NULL, &ext_size) == CL_SUCCESS && ext_size) {
        char *ext = malloc(ext_size + 1);
        if (ext && clGetDeviceInfo(d, CL_DEVICE_EXTENSIONS, ext_size, ext, NULL) == CL_SUCCESS) {
            ext[ext_size] = '\0';
            info->has_fp16 = strstr(ext, "cl_khr_fp16") != NULL;
            info->has_fp64 = strstr(ext, "cl_khr_fp64") != NULL;
        }
        free(ext);
    }
}

/* Calls fn for every device in P:D order; stops when fn returns non-zero. */
typedef int (*device_fn)(cl_platform_id, cl_device_id, int, int, void *);

/* The ICD loader (ocl-icd) loads its vendor libraries on the first
 * clGetPlatformIDs, and PoCL initializes its devices lazily on the first
 * clGetDeviceIDs; two threads making those first calls at once saw no
 * platform, or crashed in clGetDeviceInfo on a half-initialized device
 * (two contexts created concurrently on PoCL 3.1). That one-time driver
 * initialization is the only process-wide state clbb touches, so it runs
 * exactly once, before any enumeration. */
static void icd_warm_up(void) {
    cl_platform_id plats[MAX_PLATFORMS];
    cl_uint np = 0;
    if (clGetPlatformIDs(MAX_PLATFORMS, plats, &np) != CL_SUCCESS) return;
    if (np > MAX_PLATFORMS) np = MAX_PLATFORMS;
    for (cl_uint p = 0; p < np; p++) {
        cl_device_id devs[MAX_DEVICES];
        cl_uint nd = 0;
        clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, MAX_DEVICES, devs, &nd);
    }
}

static size_t for_each_device(device_fn fn, void *user) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, icd_warm_up);
    cl_platform_id plats[MAX_PLATFORMS];
    cl_uint np = 0;
    if (clGetPlatformIDs(MAX_PLATFORMS, plats, &np) != CL_SUCCESS) return 0;
    if (np > MAX_PLATFORMS) np = MAX_PLATFORMS;
    size_t total = 0;
    for (cl_uint p = 0; p < np; p++) {
        cl_device_id devs[MAX_DEVICES];
        cl_uint nd = 0;
        if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, MAX_DEVICES, devs, &nd) != CL_SUCCESS)
            continue;
        if (nd > MAX_DEVICES) nd = MAX_DEVICES;
        for (cl_uint d = 0; d < nd; d++) {
            total++;
            if (fn(plats[p], devs[d], (int)p, (int)d, user)) return total;
        }
    }
    return total;
}

typedef struct list_state {
    clbb_device_info *infos;
    size_t capacity, count;
} list_state;

static int list_one(cl_platform_id p, cl_device_id d, int pi, int di, void *user) {
    list_state *s = user;
    if (s->count < s->capacity) fill_info(p, d, pi, di, &s->infos[s->count]);
    s->count++;
    return 0;
}

clbb_status clbb_list_devices(clbb_device_info *infos, size_t capacity, size_t *count) {
    if (!count || (capacity && !infos)) return CLBB_ERR_INVALID_ARGUMENT;
    list_state s = {infos, capacity, 0};
    for_each_device(list_one, &s);
    *count = s.count;
    return CLBB_OK;
}

typedef enum select_mode { SELECT_DEFAULT, SELECT_INDEX, SELECT_NAME } select_mode;

typedef struct select_state {
    select_mode mode;
    int want_p, want_d;
    const char *name;
    int pass; /* default mode: pass 0 looks for a GPU, pass 1 takes anything */
    cl_platform_id platform;
    cl_device_id device;
    int found;
} select_state;

static int select_one(cl_platform_id p, cl_device_id d, int pi, int di, void *user) {
    select_state *s = user;
    int take = 0;
    if (s->mode == SELECT_INDEX) {
        take = pi == s->want_p && di == s->want_d;
    } else if (s->mode == SELECT_NAME) {
        clbb_device_info info;
        fill_info(p, d, pi, di, &info);
        const char *type = info.is_gpu ? "gpu" : info.is_cpu ? "cpu" : "accelerator";
        /* the platform vendor carries short names ("The pocl project") */
        char pvendor[128] = "";
        clGetPlatformInfo(p, CL_PLATFORM_VENDOR, sizeof pvendor, pvendor, NULL);
        pvendor[sizeof pvendor - 1] = '\0';
        take = clbb__stristr(info.device_name, s->name) ||
               clbb__stristr(info.platform_name, s->name) ||
               clbb__stristr(info.vendor, s->name) || clbb__stristr(pvendor, s->name) ||
               clbb__stristr(type, s->name);
    } else {
        cl_device_type type = 0;
        clGetDeviceInfo(d, CL_DEVICE_TYPE, sizeof type, &type, NULL);
        take = s->pass == 1 || (type & CL_DEVICE_TYPE_GPU);
    }
    if (take) {
        s->platform = p;
        s->device = d;
        s->want_p = pi;
        s->want_d = di;
        s->found = 1;
    }
    return take;
}

static int parse_index(const char *sel, int *p, int *d) {
    char *end;
    if (*sel < '0' || *sel > '9') return 0;
    long a = strtol(sel, &end, 10);
    if (*end != ':' || end[1] < '0' || end[1] > '9') return 0;
    long b = strtol(end + 1, &end, 10);
    if (*end != '\0' || a > 1000 || b > 1000) return 0;
    *p = (int)a;
    *d = (int)b;
    return 1;
}

static clbb_vendor vendor_of(const clbb_device_info *info) {
    if (info->is_cpu) return CLBB_VENDOR_CPU;
    if (clbb__stristr(info->vendor, "nvidia")) return CLBB_VENDOR_NVIDIA;
    if (clbb__stristr(info->vendor, "advanced micro") || clbb__stristr(info->vendor, "amd"))
        return CLBB_VENDOR_AMD;
    if (clbb__stristr(info->vendor, "intel")) return CLBB_VENDOR_INTEL;
    if (clbb__stristr(info->vendor, "arm")) return CLBB_VENDOR_ARM;
    if (clbb__stristr(info->vendor, "qualcomm")) return CLBB_VENDOR_QUALCOMM;
    return CLBB_VENDOR_OTHER;
}

static clbb_kernel_family kernel_family(const clbb_context *ctx) {
    const char *e = getenv("CLBB_CPU_KERNELS");
    int cpu = ctx->vendor == CLBB_VENDOR_CPU || ctx->info.is_cpu;
    if (e && (!strcmp(e, "0") || !strcmp(e, "1"))) cpu = e[0] == '1';
    return cpu ? CLBB_KERNEL_FAMILY_CPU : CLBB_KERNEL_FAMILY_GPU;
}

clbb_kernel_family clbb__default_family(const clbb_context *ctx) { return ctx->family; }

clbb_vendor clbb__context_vendor(const clbb_context *ctx) { return ctx->vendor; }

int clbb__context_profiling(const clbb_context *ctx) { return ctx->profiling; }

const char *clbb__vendor_name(clbb_vendor v) {
    static const char *const names[CLBB_VENDOR_COUNT] = {
        [CLBB_VENDOR_OTHER] = "",      [CLBB_VENDOR_NVIDIA] = "nvidia", [CLBB_VENDOR_AMD] = "amd",
        [CLBB_VENDOR_INTEL] = "intel", [CLBB_VENDOR_ARM] = "arm",
        [CLBB_VENDOR_QUALCOMM] = "qualcomm", [CLBB_VENDOR_CPU] = "cpu"};
    return (int)v >= 0 && v < CLBB_VENDOR_COUNT ? names[v] : "";
}

const char *clbb_kernel_family_name(clbb_kernel_family f) {
    switch (f) {
    case CLBB_KERNEL_FAMILY_AUTO: return "auto";
    case CLBB_KERNEL_FAMILY_GPU: return "gpu";
    case CLBB_KERNEL_FAMILY_CPU: return "cpu";
    }
    return NULL;
}

static void set_cache_dir(clbb_context *ctx, const char *opt) {
    const char *env;
    ctx->cache_dir[0] = '\0';
    if (opt) {
        clbb__strlcpy(ctx->cache_dir, opt, sizeof ctx->cache_dir);
    } else if ((env = getenv("CLBB_CACHE_DIR")) != NULL) {
        clbb__strlcpy(ctx->cache_dir, env, sizeof ctx->cache_dir);
    } else if ((env = getenv("XDG_CACHE_HOME")) != NULL && env[0]) {
        snprintf(ctx->cache_dir, sizeof ctx->cache_dir, "%s/clbb", env);
    } else if ((env = getenv("HOME")) != NULL && env[0]) {
        snprintf(ctx->cache_dir, sizeof ctx->cache_dir, "%s/.cache/clbb", env);
    }
}

/* A missing or malformed default tuning file only means default kernels. */
static void load_default_tuning(clbb_context *ctx) {
    char path[1200];
    clbb__tuning_default_path(ctx, path, sizeof path);
    FILE *f = path[0] ? fopen(path, "r") : NULL;
    if (!f) return;
    fclose(f);
    clbb_context_load_tuning(ctx, path);
    ctx->error[0] = '\0';
}

/* "no OpenCL device matches 'SEL'; available: 0:0 NAME, ..." so that the
 * user sees what to select without another command. */
static void no_match_message(const char *sel, int from_env, size_t n, char *msg, size_t size) {
    int len = snprintf(msg, size, "no OpenCL device matches '%s'%s; %zu available:", sel,
                       from_env ? " (from CLBB_DEVICE)" : "", n);
    clbb_device_info d[8];
    size_t got = 0;
    if (clbb_list_devices(d, CLBB_ARRAY_SIZE(d), &got) != CLBB_OK) got = 0;
    for (size_t i = 0; i < got && i < CLBB_ARRAY_SIZE(d) && len > 0 && (size_t)len < size; i++)
        len += snprintf(msg + len, size - (size_t)len, "%s %d:%d '%s'", i ? "," : "",
                        d[i].platform_index, d[i].device_index, d[i].device_name);
    if (got > CLBB_ARRAY_SIZE(d) && len > 0 && (size_t)len < size)
        snprintf(msg + len, size - (size_t)len, ", ... (clbb devices lists them all)");
}

static clbb_status fail_create(const clbb_context_options *o, clbb_status st, const char *msg) {
    if (o && o->error_buffer && o->error_buffer_size)
        clbb__strlcpy(o->error_buffer, msg, o->error_buffer_size);
    return st;
}

/* The option, else $CLBB_DEVICE_PROFILE; "" and "none" mean no profile.
 * Resolved before any OpenCL object exists, so a typo costs nothing. */
static clbb_status resolve_profile(const clbb_context_options *o,
                                   const clbb_device_profile **out) {
    *out = NULL;
    const char *name = o ? o->profile : NULL;
    int from_env = 0;
    if (!name) {
        name = getenv("CLBB_DEVICE_PROFILE");
        from_env = 1;
    }
    if (!name || !name[0] || !strcmp(name, "none")) return CLBB_OK;
    *out = clbb_device_profile_find(name);
    if (*out) return CLBB_OK;
    char names[512], msg[768];
    clbb__profile_names(names, sizeof names);
    snprintf(msg, sizeof msg, "unknown device profile '%.64s'%s; known: %s (or none)", name,
             from_env ? " (from CLBB_DEVICE_PROFILE)" : "", names);
    return fail_create(o, CLBB_ERR_INVALID_ARGUMENT, msg);
}

/* What the device is for planning: its own class and limits, or the
 * profile's class with the limits clamped to the profile's. */
static void set_device_class(clbb_context *ctx, const clbb_device_profile *prof) {
    ctx->profile = prof;
    if (prof) {
        clbb_device_profile_apply(prof, &ctx->info);
        ctx->vendor = clbb__profile_vendor(prof);
    } else {
        ctx->vendor = vendor_of(&ctx->info);
    }
    ctx->family = kernel_family(ctx);
}

static clbb_context *context_alloc(const clbb_context_options *o) {
    clbb_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return NULL;
    set_cache_dir(ctx, o ? o->cache_dir : NULL);
    ctx->profiling = o ? o->profiling != 0 : 0;
    return ctx;
}

clbb_status clbb_context_create(const clbb_context_options *o, clbb_context **out) {
    char msg[1024];
    if (!out) return fail_create(o, CLBB_ERR_INVALID_ARGUMENT, "clbb_context_create: out is NULL");
    *out = NULL;
    const clbb_device_profile *prof;
    clbb_status pst = resolve_profile(o, &prof);
    if (pst != CLBB_OK) return pst;
    const char *sel = o ? o->device : NULL;
    if (!sel) {
        sel = getenv("CLBB_DEVICE");
        if (sel && !sel[0]) sel = NULL;
    } else if (!sel[0]) {
        return fail_create(o, CLBB_ERR_INVALID_ARGUMENT, "device selector is an empty string");
    }
    select_state s = {0};
    if (!sel) {
        s.mode = SELECT_DEFAULT;
        for_each_device(select_one, &s);
        if (!s.found) {
            s.pass = 1;
            for_each_device(select_one, &s);
        }
    } else if (parse_index(sel, &s.want_p, &s.want_d)) {
        s.mode = SELECT_INDEX;
        for_each_device(select_one, &s);
    } else if (strchr(sel, ':') && sel[0] >= '0' && sel[0] <= '9') {
        snprintf(msg, sizeof msg, "malformed device selector '%s' (expected P:D or a name)", sel);
        return fail_create(o, CLBB_ERR_INVALID_ARGUMENT, msg);
    } else {
        s.mode = SELECT_NAME;
        s.name = sel;
        for_each_device(select_one, &s);
    }
    if (!s.found) {
        size_t n = 0;
        clbb_list_devices(NULL, 0, &n);
        if (n == 0)
            snprintf(msg, sizeof msg, "%s", CLBB__NO_DEVICE_HINT);
        else
            no_match_message(sel, !(o && o->device), n, msg, sizeof msg);
        return fail_create(o, CLBB_ERR_NO_DEVICE, msg);
    }
    clbb_context *ctx = context_alloc(o);
    if (!ctx) return fail_create(o, CLBB_ERR_OUT_OF_MEMORY, "out of host memory");
    cl_int err;
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)s.platform, 0};
    ctx->cl_ctx = clCreateContext(props, 1, &s.device, NULL, NULL, &err);
    if (!ctx->cl_ctx) {
        snprintf(msg, sizeof msg, "clCreateContext: %s (%d)", clbb__cl_error_name(err), (int)err);
        free(ctx);
        return fail_create(o, CLBB_ERR_DEVICE, msg);
    }
    cl_command_queue_properties qp = ctx->profiling ? CL_QUEUE_PROFILING_ENABLE : 0;
#ifdef CL_VERSION_2_0
    cl_queue_properties qprops[] = {CL_QUEUE_PROPERTIES, qp, 0};
    ctx->queue = clCreateCommandQueueWithProperties(ctx->cl_ctx, s.device, qprops, &err);
    if (!ctx->queue)
#endif
    {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
        ctx->queue = clCreateCommandQueue(ctx->cl_ctx, s.device, qp, &err);
#pragma GCC diagnostic pop
    }
    if (!ctx->queue) {
        snprintf(msg, sizeof msg, "clCreateCommandQueue: %s (%d)", clbb__cl_error_name(err), (int)err);
        clReleaseContext(ctx->cl_ctx);
        free(ctx);
        return fail_create(o, CLBB_ERR_DEVICE, msg);
    }
    ctx->platform = s.platform;
    ctx->device = s.device;
    ctx->owns_cl = 1;
    fill_info(s.platform, s.device, s.want_p, s.want_d, &ctx->info);
    set_device_class(ctx, prof);
    load_default_tuning(ctx);
    *out = ctx;
    return CLBB_OK;
}

clbb_status clbb_context_create_from_cl(cl_context cl_ctx, cl_command_queue queue,
                                        const clbb_context_options *o, clbb_context **out) {
    if (!out) return fail_create(o, CLBB_ERR_INVALID_ARGUMENT, "out is NULL");
    *out = NULL;
    if (!cl_ctx || !queue)
        return fail_create(o, CLBB_ERR_INVALID_ARGUMENT,
                           !cl_ctx ? "cl_ctx is NULL" : "queue is NULL");
    cl_device_id dev;
    cl_context qctx;
    cl_command_queue_properties qp = 0;
    if (clGetCommandQueueInfo(queue, CL_QUEUE_DEVICE, sizeof dev, &dev, NULL) != CL_SUCCESS ||
        clGetCommandQueueInfo(queue, CL_QUEUE_CONTEXT, sizeof qctx, &qctx, NULL) != CL_SUCCESS ||
        clGetCommandQueueInfo(queue, CL_QUEUE_PROPERTIES, sizeof qp, &qp, NULL) != CL_SUCCESS)
        return fail_create(o, CLBB_ERR_INVALID_ARGUMENT, "queue is not a valid command queue");
    if (qctx != cl_ctx)
        return fail_create(o, CLBB_ERR_INVALID_ARGUMENT, "queue does not belong to cl_ctx");
    if (qp & CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE)
        return fail_create(o, CLBB_ERR_INVALID_ARGUMENT, "queue must be in-order");
    const clbb_device_profile *prof;
    clbb_status pst = resolve_profile(o, &prof);
    if (pst != CLBB_OK) return pst;
    cl_platform_id plat;
    if (clGetDeviceInfo(dev, CL_DEVICE_PLATFORM, sizeof plat, &plat, NULL) != CL_SUCCESS)
        return fail_create(o, CLBB_ERR_DEVICE, "clGetDeviceInfo(CL_DEVICE_PLATFORM) failed");
    clbb_context *ctx = context_alloc(o);
    if (!ctx) return fail_create(o, CLBB_ERR_OUT_OF_MEMORY, "out of host memory");
    ctx->cl_ctx = cl_ctx;
    ctx->queue = queue;
    ctx->platform = plat;
    ctx->device = dev;
    ctx->owns_cl = 0;
    ctx->profiling = (qp & CL_QUEUE_PROFILING_ENABLE) != 0;
    fill_info(plat, dev, -1, -1, &ctx->info);
    set_device_class(ctx, prof);
    load_default_tuning(ctx);
    *out = ctx;
    return CLBB_OK;
}

void clbb_context_destroy(clbb_context *ctx) {
    if (!ctx) return;
    if (ctx->queue) clFinish(ctx->queue);
    for (size_t i = 0; i < ctx->prof_count; i++) clReleaseEvent(ctx->prof[i].event);
    free(ctx->prof);
    for (size_t i = 0; i < ctx->num_programs; i++) clReleaseProgram(ctx->programs[i].program);
    free(ctx->programs);
    clbb__tuning_clear(ctx);
    clbb__buffer_release(ctx, ctx->scratch);
    if (ctx->owns_cl) {
        clReleaseCommandQueue(ctx->queue);
        clReleaseContext(ctx->cl_ctx);
    }
    free(ctx);
}

clbb_status clbb_context_finish(clbb_context *ctx) {
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    cl_int err = clFinish(ctx->queue);
    if (err != CL_SUCCESS) return clbb__cl_fail(ctx, err, "clFinish");
    return clbb__done(ctx, CLBB_OK);
}

cl_context clbb_context_cl_context(const clbb_context *ctx) { return ctx ? ctx->cl_ctx : NULL; }
cl_command_queue clbb_context_cl_queue(const clbb_context *ctx) { return ctx ? ctx->queue : NULL; }
cl_device_id clbb_context_cl_device(const clbb_context *ctx) { return ctx ? ctx->device : NULL; }

clbb_status clbb_context_device_info(const clbb_context *ctx, clbb_device_info *info) {
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    if (!info) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "device_info: info is NULL");
    *info = ctx->info;
    return clbb__done(ctx, CLBB_OK);
}

clbb_status clbb_context_set_progress(clbb_context *ctx, clbb_progress_fn fn, void *user) {
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    ctx->progress = fn;
    ctx->progress_user = fn ? user : NULL;
    return clbb__done(ctx, CLBB_OK);
}

int clbb__progress_on(const clbb_context *ctx) { return ctx && ctx->progress; }

void clbb__progress(clbb_context *ctx, clbb_progress_kind kind, uint64_t done, uint64_t total,
                    const char *what) {
    if (ctx && ctx->progress) ctx->progress(ctx->progress_user, kind, done, total, what ? what : "");
}

clbb_status clbb_context_get_stats(const clbb_context *ctx, clbb_context_stats *stats) {
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    if (!stats) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "get_stats: stats is NULL");
    *stats = ctx->stats;
    stats->scratch_bytes = ctx->scratch_bytes;
    stats->tuning_entries = ctx->num_tuning;
    return clbb__done(ctx, CLBB_OK);
}

const clbb_device_profile *clbb_context_profile(const clbb_context *ctx) {
    return ctx ? ctx->profile : NULL;
}

void clbb__launch_limits(const clbb_context *ctx, size_t *max_work_items, uint64_t *max_local) {
    *max_work_items = ctx->launch_max_work_items;
    *max_local = ctx->launch_max_local;
}
