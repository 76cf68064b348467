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

/* A uint8 array as image pixels, normalized sample by sample through the
 * library's pipeline (clbb_image_preprocess, as for --image). */
static int input_from_pixels(const cli_model_args *a, const clbb_model_config *cfg,
                             const clbb_npy_array *arr, const cli_u8_input *u8, clbb_shape *shape,
                             float **data) {
    const int64_t *d = arr->dims;
    int64_t n, h, w;
    int nchw = 0;
    if (arr->ndim == 3 && d[2] == 3) {
        n = 1, h = d[0], w = d[1];
    } else if (arr->ndim == 4 && d[3] == 3) {
        n = d[0], h = d[1], w = d[2];
    } else if (arr->ndim == 4 && d[1] == 3) {
        n = d[0], h = d[2], w = d[3], nchw = 1;
    } else {
        return cli_error(CLI_USAGE,
                         "%s: a uint8 input is image pixels: H,W,3 or N,H,W,3 (or N,3,H,W), RGB; "
                         "this one has rank %d",
                         a->input, arr->ndim);
    }
    if (cfg->in_channels != 3)
        return cli_error(CLI_USAGE, "%s: uint8 pixels have 3 channels, the model's in_channels is %d",
                         a->input, cfg->in_channels);
    if (n > 4096 || h > CLBB_IMAGE_MAX_SIDE || w > CLBB_IMAGE_MAX_SIDE)
        return cli_error(CLI_USAGE, "%s: input dimensions are too large", a->input);
    const size_t plane = (size_t)h * (size_t)w;
    uint8_t *px = malloc(plane * 3);
    if (!px) return cli_error(CLI_RUNTIME, "out of memory");
    float *x = NULL;
    size_t per = 0;
    int rc = CLI_OK;
    for (int64_t s = 0; s < n && rc == CLI_OK; s++) {
        const float *src = arr->data + (size_t)s * plane * 3;
        for (size_t p = 0; p < plane; p++)
            for (int c = 0; c < 3; c++)
                px[p * 3 + c] = (uint8_t)(nchw ? src[(size_t)c * plane + p] : src[p * 3 + c]);
        clbb_image img = {(int32_t)w, (int32_t)h, 3, px};
        clbb_npy_array o;
        char msg[512];
        clbb_status st = clbb_image_preprocess(&img, &u8->pipeline, &o, msg, sizeof msg);
        if (st != CLBB_OK) {
            rc = cli_error(cli_code(st), "%s: %s", a->input, msg);
            break;
        }
        if (!x) {
            *shape = (clbb_shape){(int32_t)n, 3, (int32_t)o.dims[2], (int32_t)o.dims[3]};
            per = (size_t)3 * o.dims[2] * o.dims[3];
            if (!(x = malloc((size_t)n * per * sizeof *x))) rc = cli_error(CLI_RUNTIME, "out of memory");
        }
        if (x) memcpy(x + (size_t)s * per, o.data, per * sizeof *x);
        clbb_npy_array_free(&o);
    }
    free(px);
    if (rc != CLI_OK) {
        free(x);
        return rc;
    }
    fprintf(stderr, "clbb: note: %s is uint8: read as %s RGB pixels, normalized (%dx%d input)\n",
            a->input, nchw ? "N,3,H,W" : arr->ndim == 3 ? "H,W,3" : "N,H,W,3", shape->h, shape->w);
    *data = x;
    return CLI_OK;
}

int cli_model_input(const cli_model_args *a, const clbb_model_config *cfg, const cli_u8_input *u8,
                    clbb_shape *shape, float **data) {
    *data = NULL;
    if (!!a->input == !!a->has_shape)
        return cli_error(CLI_USAGE, a->input ? "give --input or --shape, not both"
                                             : "missing --input FILE.npy or --shape N,C,H,W");
    if (a->has_shape) {
        if (u8 && u8->options_given)
            return cli_error(CLI_USAGE, "the image options apply to --image or a uint8 --input");
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
    const int64_t *d = arr.dims;
    if (arr.uint8) {
        rc = u8 ? input_from_pixels(a, cfg, &arr, u8, shape, data)
                : cli_error(CLI_USAGE, "%s: a uint8 input (image pixels) is for `clbb run`",
                            a->input);
        clbb_npy_array_free(&arr);
        return rc;
    }
    if (u8 && u8->options_given)
        rc = cli_error(CLI_USAGE, "%s: the image options apply to --image or a uint8 --input, "
                                  "not to float arrays",
                       a->input);
    else if (arr.ndim == 3 && d[0] == cfg->in_channels)
        rc = cli_error(CLI_USAGE, "%s: input has rank 3 (%lldx%lldx%lld); add the batch axis "
                                  "(numpy: x[None])",
                       a->input, (long long)d[0], (long long)d[1], (long long)d[2]);
    else if (arr.ndim != 4)
        rc = cli_error(CLI_USAGE, "%s: input must have rank 4 (N,C,H,W), it has rank %d", a->input,
                       arr.ndim);
    else if (d[1] != cfg->in_channels && d[3] == cfg->in_channels)
        rc = cli_error(CLI_USAGE,
                       "%s: input is %lldx%lldx%lldx%lld, which looks like N,H,W,C; clbb takes "
                       "N,C,H,W (numpy: x.transpose(0, 3, 1, 2))",
                       a->input, (long long)d[0], (long long)d[1], (long long)d[2],
                       (long long)d[3]);
    else if (d[1] != cfg->in_channels)
        rc = cli_error(CLI_USAGE, "%s: input has %lld channels, the model's in_channels is %d",
                       a->input, (long long)d[1], cfg->in_channels);
    else if (d[0] > 1000000 || d[2] > 1000000 || d[3] > 1000000)
        rc = cli_error(CLI_USAGE, "%s: input dimensions are too large", a->input);
    if (rc) {
        clbb_npy_array_free(&arr);
        return rc;
    }
    *shape = (clbb_shape){(int32_t)d[0], (int32_t)d[1], (int32_t)d[2], (int32_t)d[3]};
    *data = arr.data;
    return CLI_OK;
}

void cli_precision_line(const clbb_precision_info *p) {
    if (!p->fallback) return;
    if (p->effective != p->requested)
        fprintf(stderr, "precision: %s -> %s (%s)\n", clbb_precision_name(p->requested),
                clbb_precision_name(p->effective), p->note);
    else
        fprintf(stderr, "precision: %s (%s)\n", clbb_precision_name(p->requested), p->note);
}

int cli_model_create(const cli_model_args *a, const clbb_model_config *cfg, clbb_context *ctx,
                     clbb_model **model) {
    clbb_status st = clbb_model_create(ctx, cfg, model);
    if (st == CLBB_OK) st = clbb_model_set_precision(*model, a->precision);
    clbb_precision_info pi;
    if (st == CLBB_OK && clbb_model_precision_info(*model, &pi) == CLBB_OK) cli_precision_line(&pi);
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
