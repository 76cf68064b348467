/* Options shared by `clbb run`, `bench` and `tune`: the model source
 * (--arch / --config), weights and the input shape or file. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model_args.h"

int cli_read_file(const char *path, char **data, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return cli_error(CLI_USAGE, "cannot open '%s': %s", path, strerror(errno));
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 > cap) {
            cap = cap ? cap * 2 : 65536;
            if (cap > ((size_t)64 << 20)) {
                free(buf);
                fclose(f);
                return cli_error(CLI_USAGE, "'%s' is larger than 64 MiB", path);
            }
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                free(buf);
                fclose(f);
                return cli_error(CLI_RUNTIME, "out of memory reading '%s'", path);
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return cli_error(CLI_USAGE, "error reading '%s'", path);
    }
    buf[n] = '\0';
    *data = buf;
    *size = n;
    return CLI_OK;
}

int cli_model_config(const cli_model_args *a, clbb_model_config *cfg) {
    if (!!a->arch == !!a->config)
        return cli_error(CLI_USAGE, a->arch ? "give --arch or --config, not both"
                                            : "missing --arch NAME or --config FILE.json");
    char msg[768] = "";
    if (a->arch) {
        if (clbb_model_config_preset(a->arch, cfg) != CLBB_OK) {
            const char *const *names = clbb_model_preset_names();
            char list[512] = "";
            for (int k = 0; names && names[k]; k++) {
                strncat(list, k ? ", " : "", sizeof list - strlen(list) - 1);
                strncat(list, names[k], sizeof list - strlen(list) - 1);
            }
            return cli_error(CLI_USAGE, "--arch: unknown architecture '%s' (known: %s)", a->arch, list);
        }
        return CLI_OK;
    }
    char *text;
    size_t size;
    int rc = cli_read_file(a->config, &text, &size);
    if (rc) return rc;
    clbb_config_info info;
    clbb_status st = clbb_model_config_parse(text, size, cfg, &info, msg, sizeof msg);
    free(text);
    if (info.note[0]) fprintf(stderr, "clbb: note: %s\n", info.note);
    if (st != CLBB_OK) return cli_error(cli_code(st), "%s: %s", a->config, msg);
    return CLI_OK;
}

int cli_model_input(const cli_model_args *a, const clbb_model_config *cfg, clbb_shape *shape,
                    float **data) {
    *data = NULL;
    if (!!a->input == !!a->has_shape)
        return cli_error(CLI_USAGE, a->input ? "give --input or --shape, not both"
                                             : "missing --input FILE.npy or --shape N,C,H,W");
    if (a->has_shape) {
        if (a->shape.c != cfg->in_channels)
            return cli_error(CLI_USAGE, "--shape has %d channels, the model's in_channels is %d",
                             a->shape.c, cfg->in_channels);
        size_t n = clbb_shape_numel(a->shape);
        float *x = malloc(n * sizeof *x);
        if (!x) return cli_error(CLI_RUNTIME, "out of memory for a %dx%dx%dx%d input", a->shape.n,
                                 a->shape.c, a->shape.h, a->shape.w);
        clbb_fill_uniform(x, n, a->seed ^ 0x1234567ull, -1, 1);
        *shape = a->shape;
        *data = x;
        return CLI_OK;
    }
    clbb_npy_array arr;
    char msg[512];
    clbb_status st = clbb_npy_read(a->input, &arr, msg, sizeof msg);
    if (st != CLBB_OK) return cli_error(cli_code(st), "%s", msg);
    int rc = CLI_OK;
    if (arr.ndim != 4)
        rc = cli_error(CLI_USAGE, "%s: input must have rank 4 (N,C,H,W), it has rank %d", a->input,
                       arr.ndim);
    else if (arr.dims[1] != cfg->in_channels)
        rc = cli_error(CLI_USAGE, "%s: input has %lld channels, the model's in_channels is %d",
                       a->input, (long long)arr.dims[1], cfg->in_channels);
    else if (arr.dims[0] > 1000000 || arr.dims[2] > 1000000 || arr.dims[3] > 1000000)
        rc = cli_error(CLI_USAGE, "%s: input dimensions are too large", a->input);
    if (rc) {
        clbb_npy_array_free(&arr);
        return rc;
    }
    *shape = (clbb_shape){(int32_t)arr.dims[0], (int32_t)arr.dims[1], (int32_t)arr.dims[2],
                          (int32_t)arr.dims[3]};
    *data = arr.data;
    return CLI_OK;
}

int cli_model_create(const cli_model_args *a, const clbb_model_config *cfg, clbb_context *ctx,
                     clbb_model **model) {
    clbb_status st = clbb_model_create(ctx, cfg, model);
    if (st == CLBB_OK) st = clbb_model_set_precision(*model, a->precision);
    if (st != CLBB_OK) {
        clbb_model_destroy(*model);
        *model = NULL;
        return cli_error(cli_code(st), "%s", clbb_last_error(ctx));
    }
    /* --weights overrides the config's checkpoint; a checkpoint URL
     * (torchvision://, open-mmlab://) is refused by the library with how
     * to convert a local file, never replaced by random weights. */
    const char *weights = a->weights ? a->weights : cfg->pretrained[0] ? cfg->pretrained : NULL;
    if (weights) {
        clbb_weights_report rep;
        st = clbb_model_load_weights(*model, weights, &rep);
        if (st != CLBB_OK) {
            clbb_model_destroy(*model);
            *model = NULL;
            return cli_error(cli_code(st), "%s", clbb_last_error(ctx));
        }
        fprintf(stderr, "weights: %s: %d tensors loaded, %d extra keys ignored%s\n", weights,
                rep.loaded, rep.ignored, rep.prefix_stripped ? " (prefix 'backbone.' stripped)" : "");
    } else {
        /* the URL note above already said so; bench and tune time any weights */
        if (a->note_random && !cfg->pretrained[0])
            fprintf(stderr, "clbb: note: no --weights given: random weights (seed %llu)\n",
                    (unsigned long long)a->seed);
        clbb_model_init_weights(*model, a->seed);
    }
    return CLI_OK;
}

int cli_mkdir_p(const char *path) {
    char tmp[1024];
    if (strlen(path) >= sizeof tmp) return -1;
    strcpy(tmp, path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) && errno != EEXIST) return -1;
            *p = '/';
        }
    if (mkdir(tmp, 0755) && errno != EEXIST) return -1;
    struct stat sb;
    return stat(tmp, &sb) == 0 && S_ISDIR(sb.st_mode) ? 0 : -1;
}
