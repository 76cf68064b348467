/* `clbb run --image`: decoding and MMDetection's test pipeline through
 * the public image API, and the --visualize picture of the outputs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image_args.h"

#define VIS_MAX_CHANNELS 16

void cli_image_args_init(cli_image_args *a) {
    memset(a, 0, sizeof *a);
    a->pad_divisor = -1; /* not given */
    clbb_image_pipeline_init(&a->pipeline);
}

static const char *const preset_names[] = {"pytorch", "caffe", "detectron2-x101"};
#define N_PRESETS (sizeof preset_names / sizeof *preset_names)

/* The pipeline from the options as given. */
static int read_pipeline(cli_image_args *a) {
    if (a->keep_ratio && a->no_keep_ratio)
        return cli_error(CLI_USAGE, "give --keep-ratio or --no-keep-ratio, not both");
    if (a->keep_ratio || a->no_keep_ratio) a->pipeline.keep_ratio = a->keep_ratio;
    if (a->pad_divisor >= 0) a->pipeline.pad_divisor = (int32_t)a->pad_divisor;
    if (a->resize) {
        const char *v = a->resize, *x = strchr(v, 'x');
        char w[16];
        long sw, sh;
        if (!x || (size_t)(x - v) >= sizeof w) goto bad_resize;
        memcpy(w, v, (size_t)(x - v));
        w[x - v] = '\0';
        if (cli_parse_int(w, 0, CLBB_IMAGE_MAX_SIDE, &sw) ||
            cli_parse_int(x + 1, 0, CLBB_IMAGE_MAX_SIDE, &sh) || (sw == 0) != (sh == 0))
            goto bad_resize;
        a->pipeline.scale_w = (int32_t)sw;
        a->pipeline.scale_h = (int32_t)sh;
    }
    if (a->preprocess) {
        size_t k = 0;
        while (k < N_PRESETS && strcmp(a->preprocess, preset_names[k])) k++;
        if (k == N_PRESETS)
            return cli_error(CLI_USAGE,
                             "--preprocess: '%s' is not pytorch, caffe or detectron2-x101",
                             a->preprocess);
        a->pipeline.preprocess = (clbb_preprocess)k;
    }
    return CLI_OK;
bad_resize:
    return cli_error(CLI_USAGE,
                     "--resize: '%s' is not WxH with sides in 1..%d (0x0: no resize)", a->resize,
                     CLBB_IMAGE_MAX_SIDE);
}

/* Creates and removes a file next to the target: the directory exists
 * and takes new files (a read-only file system, a missing directory and
 * permissions all show). */
static int probe_writable(const char *opt, const char *path) {
    size_t n = strlen(path);
    if (n == 0 || path[n - 1] == '/')
        return cli_error(CLI_USAGE, "%s: '%s' is not a file name", opt, path);
    char *tmp = malloc(n + 16);
    if (!tmp) return cli_error(CLI_RUNTIME, "out of memory");
    snprintf(tmp, n + 16, "%s.probe-XXXXXX", path);
    int fd = mkstemp(tmp);
    int err = errno;
    if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    free(tmp);
    if (fd < 0)
        return cli_error(CLI_USAGE, "%s: cannot write '%s': %s", opt, path, strerror(err));
    return CLI_OK;
}

int cli_image_check(cli_image_args *a, const cli_model_args *m) {
    int rc = read_pipeline(a);
    if (rc) return rc;
    if (a->image && (m->input || m->has_shape))
        return cli_error(CLI_USAGE, "give --image or --input/--shape, not both");
    if (!a->image && !m->input && a->pipeline_set)
        return cli_error(CLI_USAGE, "--resize, --keep-ratio, --no-keep-ratio, --pad-divisor and "
                                    "--preprocess apply to --image FILE or a uint8 --input only");
    if (a->visualize) return probe_writable("--visualize", a->visualize);
    return CLI_OK;
}

int cli_image_input(const cli_image_args *a, const clbb_model_config *cfg, clbb_shape *shape,
                    float **data) {
    *data = NULL;
    if (cfg->in_channels != 3)
        return cli_error(CLI_USAGE, "--image gives 3 channels, the model's in_channels is %d",
                         cfg->in_channels);
    char msg[1024];
    clbb_image img;
    clbb_status st = clbb_image_read(a->image, &img, msg, sizeof msg);
    if (st != CLBB_OK) return cli_error(cli_code(st), "%s", msg);
    clbb_npy_array x;
    st = clbb_image_preprocess(&img, &a->pipeline, &x, msg, sizeof msg);
    if (st != CLBB_OK) {
        clbb_image_free(&img);
        return cli_error(cli_code(st), "%s: %s", a->image, msg);
    }
    const clbb_image_pipeline *p = &a->pipeline;
    printf("image: %s %dx%d, ", a->image, img.width, img.height);
    if (p->scale_w) printf("resize %dx%d%s, ", p->scale_w, p->scale_h,
                           p->keep_ratio ? " keep-ratio" : "");
    printf("pad-divisor %d, preprocess %s\n", p->pad_divisor, preset_names[p->preprocess]);
    clbb_image_free(&img);
    *shape = (clbb_shape){1, 3, (int32_t)x.dims[2], (int32_t)x.dims[3]};
    *data = x.data;
    return CLI_OK;
}

int cli_image_visualize(const cli_image_args *a, int nout, const clbb_shape *shapes,
                        float *const *outs) {
    if (!a->visualize || nout < 1) return CLI_OK;
    clbb_npy_array lv[CLBB_MAX_OUT_INDICES];
    for (int i = 0; i < nout; i++)
        lv[i] = (clbb_npy_array){4, {shapes[i].n, shapes[i].c, shapes[i].h, shapes[i].w}, outs[i]};
    char msg[1024];
    clbb_status st = clbb_features_visualize(a->visualize, nout, lv, VIS_MAX_CHANNELS, msg,
                                             sizeof msg);
    if (st != CLBB_OK) return cli_error(cli_code(st), "--visualize: %s", msg);
    printf("visualize: %s (%d levels, up to %d channels each)\n", a->visualize, nout,
           VIS_MAX_CHANNELS);
    return CLI_OK;
}
