/* OpenCL programs from the embedded sources: an in-memory cache keyed by
 * (source, options) and an on-disk binary cache keyed by a SHA-256 of the
 * source, the options and the device/driver/platform identity, so that a
 * second process on the same device never recompiles. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "program.h"

#include "clbb/version.h"

/* File layout: magic, u64 size, SHA-256 of the binary, binary. The
 * checksum is verified before the driver sees the bytes: PoCL aborts the
 * process on a damaged binary instead of returning CL_INVALID_BINARY. */
static const char BIN_MAGIC[8] = {'C', 'L', 'B', 'B', 'B', 'I', 'N', '2'};
#define BIN_HEAD 48

static void key_source(clbb_sha256 *s, const clbb_kernel_source *common,
                       const clbb_kernel_source *src, const char *options) {
    clbb__sha256_update(s, common->data, common->size);
    clbb__sha256_update(s, "\0", 1);
    clbb__sha256_update(s, src->data, src->size);
    clbb__sha256_update(s, "\0", 1);
    clbb__sha256_update(s, options, strlen(options) + 1);
}

static void disk_key(clbb_context *ctx, const uint8_t mem_key[32], char hex[65]) {
    clbb_sha256 s;
    clbb__sha256_init(&s);
    clbb__sha256_update(&s, "clbb-program-v1", 16);
    clbb__sha256_update(&s, CLBB_VERSION_STRING, strlen(CLBB_VERSION_STRING) + 1);
    clbb__sha256_update(&s, mem_key, 32);
    const clbb_device_info *i = &ctx->info;
    const char *parts[] = {i->device_name, i->vendor, i->driver_version, i->platform_name,
                           i->opencl_version};
    for (size_t k = 0; k < CLBB_ARRAY_SIZE(parts); k++)
        clbb__sha256_update(&s, parts[k], strlen(parts[k]) + 1);
    char pver[256] = "";
    clGetPlatformInfo(ctx->platform, CL_PLATFORM_VERSION, sizeof pver, pver, NULL);
    pver[sizeof pver - 1] = '\0';
    clbb__sha256_update(&s, pver, strlen(pver) + 1);
    uint8_t d[32];
    clbb__sha256_final(&s, d);
    for (int k = 0; k < 32; k++) snprintf(hex + 2 * k, 3, "%02x", d[k]);
}

static int mkdir_p(const char *path) {
    char tmp[1024];
    clbb__strlcpy(tmp, path, sizeof tmp);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST) return -1;
            *p = '/';
        }
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST) return -1;
    return 0;
}

static unsigned char *read_binary(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char head[BIN_HEAD];
    unsigned char *buf = NULL;
    if (fread(head, 1, BIN_HEAD, f) != BIN_HEAD || memcmp(head, BIN_MAGIC, 8) != 0) goto done;
    uint64_t n = 0;
    for (int k = 0; k < 8; k++) n |= (uint64_t)head[8 + k] << (8 * k);
    if (n == 0 || n > ((uint64_t)1 << 30)) goto done;
    buf = malloc((size_t)n);
    if (buf && fread(buf, 1, (size_t)n, f) != n) {
        free(buf);
        buf = NULL;
    }
    if (buf) {
        uint8_t digest[32];
        clbb_sha256 s;
        clbb__sha256_init(&s);
        clbb__sha256_update(&s, buf, (size_t)n);
        clbb__sha256_final(&s, digest);
        if (memcmp(digest, head + 16, 32) != 0 || fgetc(f) != EOF) {
            free(buf);
            buf = NULL;
        }
    }
    *size = (size_t)n;
done:
    fclose(f);
    return buf;
}

/* Best effort: a cache that cannot be written only costs a rebuild later. */
static void write_binary(clbb_context *ctx, const char *path, cl_program prog) {
    size_t size = 0;
    if (clGetProgramInfo(prog, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, NULL) != CL_SUCCESS ||
        size == 0)
        return;
    unsigned char *bin = malloc(size);
    if (!bin) return;
    unsigned char *bins[1] = {bin};
    if (clGetProgramInfo(prog, CL_PROGRAM_BINARIES, sizeof bins, bins, NULL) != CL_SUCCESS) {
        free(bin);
        return;
    }
    if (mkdir_p(ctx->cache_dir) != 0) {
        free(bin);
        return;
    }
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (f) {
        unsigned char head[BIN_HEAD];
        memcpy(head, BIN_MAGIC, 8);
        for (int k = 0; k < 8; k++) head[8 + k] = (unsigned char)((uint64_t)size >> (8 * k));
        clbb_sha256 s;
        clbb__sha256_init(&s);
        clbb__sha256_update(&s, bin, size);
        clbb__sha256_final(&s, head + 16);
        int ok = fwrite(head, 1, BIN_HEAD, f) == BIN_HEAD && fwrite(bin, 1, size, f) == size;
        ok = (fclose(f) == 0) && ok;
        if (!ok || rename(tmp, path) != 0) remove(tmp);
    }
    free(bin);
}

static clbb_status build(clbb_context *ctx, cl_program prog, const char *options,
                         const char *family) {
    cl_int err = clBuildProgram(prog, 1, &ctx->device, options, NULL, NULL);
    /* CLBB_BUILD_VERBOSE=1: every successful build's log on stderr (with
     * CLBB_CL_OPTIONS=-cl-nv-verbose the NVIDIA driver's register counts) */
    const char *verbose = getenv("CLBB_BUILD_VERBOSE");
    if (err == CL_SUCCESS && !(verbose && !strcmp(verbose, "1"))) return CLBB_OK;
    size_t log_size = 0;
    clGetProgramBuildInfo(prog, ctx->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &log_size);
    char *log = malloc(log_size + 1);
    if (log) {
        log[0] = '\0';
        clGetProgramBuildInfo(prog, ctx->device, CL_PROGRAM_BUILD_LOG, log_size, log, NULL);
        log[log_size] = '\0';
    }
    if (err == CL_SUCCESS) {
        fprintf(stderr, "clbb: built '%s' with '%s':\n%s\n", family, options, log ? log : "");
        free(log);
        return CLBB_OK;
    }
    clbb__fail(ctx, CLBB_ERR_BUILD, "building program '%s' with options '%s': %s (%d)\n%s",
               family, options, clbb__cl_error_name(err), (int)err, log ? log : "");
    free(log);
    return CLBB_ERR_BUILD;
}

/* The build log (CLBB_PROGRAM_LOG=FILE): one "family<TAB>options" line per
 * program a context builds or loads from the disk cache, appended, so that
 * tools/clc_check.py compiles every (source, options) pair the library
 * really builds with clang's OpenCL C 1.2 / 3.0 front end (the clc test).
 * Best effort, off by default; one short line per append-mode write keeps
 * concurrent processes from interleaving. */
static void log_build(const char *family, const char *options) {
    const char *path = getenv("CLBB_PROGRAM_LOG");
    if (!path || !path[0]) return;
    FILE *f = fopen(path, "a");
    if (!f) return;
    fprintf(f, "%s\t%s\n", family, options);
    fclose(f);
}

int clbb__fp16_native(const clbb_context *ctx) { return ctx->info.has_fp16; }

/* options plus -D CLBB_FP16_NATIVE=1 for an fp16-storage program (the
 * " -D DTYPE=1" token clbb__opt_dtype writes) on a device with native
 * half arithmetic; common.cl does the rest, so no launcher knows. */
static const char *native_options(clbb_context *ctx, const char *options, char *buf,
                                  size_t size) {
    static const char tok[] = " -D DTYPE=1";
    const char *p = strstr(options, tok);
    const char end = p ? p[sizeof tok - 1] : 'x';
    /* CLBB_CL_OPTIONS: compiler options added to every program (driver
     * experiments such as -cl-nv-maxrregcount=N; part of the cache key) */
    const char *extra = getenv("CLBB_CL_OPTIONS");
    if (!extra) extra = "";
    const int native = p && (end == '\0' || end == ' ') && clbb__fp16_native(ctx);
    if (!native && !extra[0]) return options;
    if ((size_t)snprintf(buf, size, "%s%s%s%s", options, native ? " -D CLBB_FP16_NATIVE=1" : "",
                         extra[0] ? " " : "", extra) >= size)
        return options;
    return buf;
}

static clbb_status remember(clbb_context *ctx, const uint8_t key[32], cl_program prog) {
    if (ctx->num_programs == ctx->cap_programs) {
        size_t cap = ctx->cap_programs ? ctx->cap_programs * 2 : 32;
        clbb_program_entry *p = realloc(ctx->programs, cap * sizeof *p);
        if (!p) {
            clReleaseProgram(prog);
            return clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "program cache: out of host memory");
        }
        ctx->programs = p;
        ctx->cap_programs = cap;
    }
    memcpy(ctx->programs[ctx->num_programs].key, key, 32);
    ctx->programs[ctx->num_programs].program = prog;
    ctx->num_programs++;
    return CLBB_OK;
}

static cl_program from_disk(clbb_context *ctx, const char *path, const char *options) {
    size_t size = 0;
    unsigned char *bin = read_binary(path, &size);
    if (!bin) return NULL;
    const unsigned char *bins[1] = {bin};
    cl_int status = CL_SUCCESS, err;
    cl_program prog =
        clCreateProgramWithBinary(ctx->cl_ctx, 1, &ctx->device, &size, bins, &status, &err);
    free(bin);
    if (!prog) return NULL;
    if (err != CL_SUCCESS || status != CL_SUCCESS ||
        clBuildProgram(prog, 1, &ctx->device, options, NULL, NULL) != CL_SUCCESS) {
        clReleaseProgram(prog);
        return NULL;
    }
    return prog;
}

clbb_status clbb__program_get(clbb_context *ctx, const char *family, const char *options,
                              cl_program *out) {
    *out = NULL;
    const clbb_kernel_source *common = clbb__kernel_source("common");
    const clbb_kernel_source *src = clbb__kernel_source(family);
    if (!common || !src)
        return clbb__fail(ctx, CLBB_ERR_BUILD, "no embedded kernel source named '%s'", family);
    if (!options) options = "";
    char native_buf[2048];
    options = native_options(ctx, options, native_buf, sizeof native_buf);
    clbb_sha256 s;
    clbb__sha256_init(&s);
    key_source(&s, common, src, options);
    uint8_t key[32];
    clbb__sha256_final(&s, key);
    /* checked before the caches so that a test can fail every program request */
    if (clbb__fault_hit(ctx, CLBB_FAULT_BUILD))
        return clbb__fail(ctx, CLBB_ERR_BUILD, "building program '%s': injected build failure",
                          family);
    for (size_t i = 0; i < ctx->num_programs; i++) {
        if (memcmp(ctx->programs[i].key, key, 32) == 0) {
            ctx->stats.programs_from_memory++;
            *out = ctx->programs[i].program;
            return CLBB_OK;
        }
    }
    char path[1200] = "";
    if (ctx->cache_dir[0]) {
        char hex[65];
        disk_key(ctx, key, hex);
        snprintf(path, sizeof path, "%s/%s.clbin", ctx->cache_dir, hex);
        cl_program prog = from_disk(ctx, path, options);
        if (prog) {
            ctx->stats.programs_loaded_from_disk++;
            log_build(family, options);
            CLBB_CHECK(remember(ctx, key, prog));
            *out = prog;
            return CLBB_OK;
        }
    }
    /* the slow part of a first run: say so before it starts */
    clbb__progress(ctx, CLBB_PROGRESS_BUILD, ctx->stats.programs_built_from_source, 0, family);
    const char *srcs[2] = {(const char *)common->data, (const char *)src->data};
    size_t lens[2] = {common->size, src->size};
    cl_int err;
    cl_program prog = clCreateProgramWithSource(ctx->cl_ctx, 2, srcs, lens, &err);
    if (!prog) return clbb__cl_fail(ctx, err, "clCreateProgramWithSource");
    clbb_status st = build(ctx, prog, options, family);
    if (st != CLBB_OK) {
        clReleaseProgram(prog);
        return st;
    }
    ctx->stats.programs_built_from_source++;
    log_build(family, options);
    if (path[0]) write_binary(ctx, path, prog);
    CLBB_CHECK(remember(ctx, key, prog));
    *out = prog;
    return CLBB_OK;
}

clbb_status clbb__kernel_create(clbb_context *ctx, cl_program program, const char *name,
                                cl_kernel *out) {
    cl_int err;
    *out = clCreateKernel(program, name, &err);
    if (!*out) {
        clbb_status st = clbb__cl_fail(ctx, err, "clCreateKernel");
        clbb__fail_append(ctx, " for kernel %s", name);
        return st;
    }
    return CLBB_OK;
}

static clbb_status args_from(clbb_context *ctx, cl_kernel k, const char *what, int first,
                             va_list ap) {
    for (int i = first;; i++) {
        size_t size = va_arg(ap, size_t);
        const void *ptr = va_arg(ap, const void *);
        if (size == 0) break;
        cl_int err = clSetKernelArg(k, (cl_uint)i, size, ptr);
        if (err != CL_SUCCESS) {
            clbb_status st = clbb__cl_fail(ctx, err, "clSetKernelArg");
            clbb__fail_append(ctx, " (argument %d of %s)", i, what);
            return st;
        }
    }
    return CLBB_OK;
}

clbb_status clbb__kernel_args(clbb_context *ctx, cl_kernel k, const char *what, ...) {
    va_list ap;
    va_start(ap, what);
    const clbb_status st = args_from(ctx, k, what, 0, ap);
    va_end(ap);
    return st;
}

clbb_status clbb__kernel_args_from(clbb_context *ctx, cl_kernel k, const char *what, int first,
                                   ...) {
    va_list ap;
    va_start(ap, first);
    const clbb_status st = args_from(ctx, k, what, first, ap);
    va_end(ap);
    return st;
}
