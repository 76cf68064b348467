/* clbb: devices, run, check, bench, tune, version; the usage texts. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "options.h"
#include "progress.h"

int cli_error(int code, const char *fmt, ...) {
    cli_progress_clear();
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

const char *cli_profile = NULL;

int cli_context(const char *device, int profiling, clbb_context **ctx) {
    char err[1024] = "";
    clbb_context_options o;
    clbb_context_options_init(&o);
    o.device = device;
    o.profile = cli_profile;
    o.profiling = profiling;
    o.error_buffer = err;
    o.error_buffer_size = sizeof err;
    clbb_status st = clbb_context_create(&o, ctx);
    if (st != CLBB_OK)
        return cli_error(st == CLBB_ERR_INVALID_ARGUMENT ? CLI_USAGE : CLI_RUNTIME, "%s", err);
    cli_progress_attach(*ctx);
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

/* One usage text per command: `clbb --help` prints them all, `clbb CMD
 * --help` its own. */
typedef struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    int model; /* takes --arch: the help lists the names */
    const char *usage;
} cli_command;

static const cli_command COMMANDS[] = {
    {"devices", clbb_cmd_devices, 0,
     "  devices [--json]                         list OpenCL platforms and devices\n"
     "        [--profile NAME]                   (the limits clbb plans with under NAME)\n"},
    {"profiles", clbb_cmd_profiles, 0,
     "  profiles [--json]                        list the device profiles (docs/profiles.md)\n"},
    {"run", clbb_cmd_run, 1,
     "  run   (--arch NAME | --config FILE.json) [--weights FILE.safetensors] [--seed N]\n"
     "        (--input FILE.npy | --shape N,C,H,W) [--output DIR] [--device SEL]\n"
     "        [--precision fp32|tf32x3|tf32|fp16]\n"
     "        [--image FILE.jpg|png [--resize WxH] [--keep-ratio|--no-keep-ratio]\n"
     "         [--pad-divisor N] [--preprocess pytorch|caffe|detectron2-x101]]\n"
     "        [--visualize FILE.png]   (--image replaces --input/--shape)\n"
     "        [--tuning FILE]          (a `clbb tune --out` table instead of the default)\n"},
    {"check", clbb_cmd_check, 0,
     "  check [--device SEL] [--ops] [--blocks] [--models] [--quick] [--small] [-v]\n"
     "        [--seed N] [--precision fp32|tf32x3|tf32|fp16] [--only WORD,...]\n"
     "        [--report FILE.json [--report-runs K]]   (JSON + FILE.md; docs/report.md)\n"
     "  check --compare A.json B.json [--markdown OUT.md] [--slower PCT]\n"
     "                                           regressions of B against A (exit 1)\n"},
    {"bench", clbb_cmd_bench, 1,
     "  bench (--arch NAME | --config FILE.json) --shape N,C,H,W [--iters K] [--warmup W]\n"
     "        [--json FILE] [--device SEL] [--baseline] [--quiet] [--precision fp32|tf32x3|tf32|fp16]\n"
     "        [--svg FILE]                        (--svg: SVG chart of the per-layer times)\n"
     "        [--conv-algo NAME]                  (every conv forced to NAME where it applies)\n"
     "  bench --compare A.json B.json ... [--svg FILE]   compare reports of bench --json\n"},
    {"tune", clbb_cmd_tune, 1,
     "  tune  (--arch NAME | --config FILE.json) --shape N,C,H,W [--device SEL] [--out FILE]\n"
     "        [--iters K] [--precision fp32|tf32x3|tf32|fp16]\n"
     "        [--budget SECONDS]                  (stop in time, keep the best so far)\n"},
    {"version", clbb_cmd_version, 0,
     "  version                                  print clbb's version (also --version)\n"},
};

#define NUM_COMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

/* The preset names of --arch, from the library, wrapped. */
static void print_arch_names(FILE *f) {
    const char *const *names = clbb_model_preset_names();
    int col = fprintf(f, "--arch NAME:");
    for (int k = 0; names && names[k]; k++) {
        int len = (int)strlen(names[k]) + (names[k + 1] ? 1 : 0);
        if (col + 1 + len > 96) {
            fputs("\n ", f);
            col = 1;
        }
        col += fprintf(f, " %s%s", names[k], names[k + 1] ? "," : "");
    }
    fputc('\n', f);
}

static void print_footer(FILE *f, int model) {
    if (model) print_arch_names(f);
    fprintf(f,
            "--config FILE: JSON or MMDetection's Python form (backbone=dict(...), model=dict(...))\n"
            "--device SEL: P:D from `clbb devices`, or part of a device, vendor or platform name\n"
            "--profile NAME: plan as on device profile NAME (`clbb profiles`; none: no profile)\n"
            "options take their value as `--opt VALUE` or `--opt=VALUE`; -h, --help: a "
            "command's usage\n"
            "environment:\n"
            "  CLBB_DEVICE        default --device (else the first GPU, else the first device)\n"
            "  CLBB_CACHE_DIR     program-binary and tuning cache (\"\" disables it; default\n"
            "                     $XDG_CACHE_HOME/clbb, else $HOME/.cache/clbb)\n"
            "  CLBB_CPU_KERNELS   1 or 0: CPU-shaped or GPU-shaped kernels whatever the device\n"
            "  CLBB_DEVICE_PROFILE default --profile\n"
            "  CLBB_SEED          seed of `clbb check`'s random data (default: the clock)\n"
            "  CLBB_CHECK_OVERFLOW 1: scan every layer's output of a forward for NaN/inf and\n"
            "                     name the first on stderr (fp16 overflow; check does it always)\n"
            "  CLBB_TUNE_VERBOSE  set: `clbb tune` logs every candidate\n"
            "  CLBB_FUSE          0: no planner fusion; 1: the Ghost-module / SE launch fusions\n"
            "                     too (default: only GCNet's ContextBlock through conv3)\n"
            "exit status: 0 success, 2 usage or input error, 1 device or runtime failure\n");
}

void cli_usage(FILE *f, const char *cmd) {
    for (size_t i = 0; cmd && i < NUM_COMMANDS; i++)
        if (!strcmp(COMMANDS[i].name, cmd)) {
            fprintf(f, "usage: clbb %s [options]\n%s", cmd, COMMANDS[i].usage);
            print_footer(f, COMMANDS[i].model);
            return;
        }
    fprintf(f, "usage: clbb <command> [options]\n");
    for (size_t i = 0; i < NUM_COMMANDS; i++) fputs(COMMANDS[i].usage, f);
    print_footer(f, 1);
}

int clbb_cmd_version(int argc, char **argv) {
    const cli_opt opts[] = {CLI_OPT_END};
    int rc = cli_parse("version", argc, argv, opts);
    if (rc) return CLI_PARSE_EXIT(rc);
    printf("clbb %s\n", clbb_version());
    return CLI_OK;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        cli_usage(stderr, NULL);
        return CLI_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        /* `clbb help run` is `clbb run --help` */
        cli_usage(stdout, argc > 2 ? argv[2] : NULL);
        return CLI_OK;
    }
    if (!strcmp(cmd, "--version")) return clbb_cmd_version(1, argv + 1);
    for (size_t i = 0; i < NUM_COMMANDS; i++)
        if (!strcmp(cmd, COMMANDS[i].name)) {
            int rc = COMMANDS[i].run(argc - 1, argv + 1);
            cli_progress_clear();
            return rc;
        }
    cli_usage(stderr, NULL);
    return cli_error(CLI_USAGE, "unknown command '%s'", cmd);
}
