/* clbb: devices, run, check, bench, tune. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

int cli_error(int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("clbb: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}

int cli_code(clbb_status st) {
    switch (st) {
    case CLBB_OK: return CLI_OK;
    case CLBB_ERR_INVALID_ARGUMENT:
    case CLBB_ERR_IO:
    case CLBB_ERR_FORMAT:
    case CLBB_ERR_CONFIG:
    case CLBB_ERR_SHAPE:
    case CLBB_ERR_UNSUPPORTED: return CLI_USAGE;
    default: return CLI_RUNTIME;
    }
}

int cli_context(const char *device, int profiling, clbb_context **ctx) {
    char err[512] = "";
    clbb_context_options o;
    clbb_context_options_init(&o);
    o.device = device;
    o.profiling = profiling;
    o.error_buffer = err;
    o.error_buffer_size = sizeof err;
    clbb_status st = clbb_context_create(&o, ctx);
    if (st != CLBB_OK)
        return cli_error(st == CLBB_ERR_INVALID_ARGUMENT ? CLI_USAGE : CLI_RUNTIME, "%s", err);
    return CLI_OK;
}

double cli_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

int cli_parse_int(const char *s, long min, long max, long *out) {
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max) return -1;
    *out = v;
    return 0;
}

int cli_parse_shape(const char *s, clbb_shape *shape) {
    long v[4];
    const char *p = s;
    for (int i = 0; i < 4; i++) {
        char *end;
        errno = 0;
        if (*p < '0' || *p > '9') return -1;
        v[i] = strtol(p, &end, 10);
        if (errno || v[i] < 1 || v[i] > 1000000) return -1;
        if (i < 3 && *end != ',') return -1;
        if (i == 3 && *end != '\0') return -1;
        p = end + 1;
    }
    *shape = (clbb_shape){(int32_t)v[0], (int32_t)v[1], (int32_t)v[2], (int32_t)v[3]};
    return 0;
}

static void usage(FILE *f) {
    fprintf(f,
            "usage: clbb <command> [options]\n"
            "  devices                                  list OpenCL platforms and devices\n"
            "  run   (--arch NAME | --config FILE.json) [--weights FILE.safetensors] [--seed N]\n"
            "        (--input FILE.npy | --shape N,C,H,W) [--output DIR] [--device SEL]\n"
            "        [--precision fp32|fp16]\n"
            "        [--image FILE.jpg|png [--resize WxH] [--keep-ratio|--no-keep-ratio]\n"
            "         [--pad-divisor N] [--preprocess pytorch|caffe|detectron2-x101]]\n"
            "        [--visualize FILE.png]   (--image replaces --input/--shape)\n"
            "  check [--device SEL] [--ops] [--blocks] [--models] [--quick] [--small] [-v]\n"
            "        [--seed N] [--precision fp32|fp16] [--only WORD,...]\n"
            "  bench (--arch NAME | --config FILE.json) --shape N,C,H,W [--iters K] [--warmup W]\n"
            "        [--json FILE] [--device SEL] [--baseline] [--quiet] [--precision fp32|fp16]\n"
            "  tune  (--arch NAME | --config FILE.json) --shape N,C,H,W [--device SEL] [--out FILE]\n"
            "        [--iters K] [--precision fp32|fp16]\n"
            "exit status: 0 success, 2 usage or input error, 1 device or runtime failure\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(cmd, "--version")) {
        printf("clbb %s\n", clbb_version());
        return CLI_OK;
    }
    if (!strcmp(cmd, "devices")) return clbb_cmd_devices(argc - 1, argv + 1);
    if (!strcmp(cmd, "check")) return clbb_cmd_check(argc - 1, argv + 1);
    if (!strcmp(cmd, "run")) return clbb_cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "bench")) return clbb_cmd_bench(argc - 1, argv + 1);
    if (!strcmp(cmd, "tune")) return clbb_cmd_tune(argc - 1, argv + 1);
    usage(stderr);
    return cli_error(CLI_USAGE, "unknown command '%s'", cmd);
}
