/* Lists every OpenCL device clbb sees, as `clbb devices` does, and opens a
 * context on the default one (CLBB_DEVICE, else the first GPU, else the
 * first device).
 * Build: cc list_devices.c $(pkg-config --cflags --libs clbb) -o list_devices */
#include <clbb.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    size_t count = 0;
    clbb_status st = clbb_list_devices(NULL, 0, &count);
    if (st != CLBB_OK) {
        fprintf(stderr, "clbb_list_devices: %s\n", clbb_status_string(st));
        return 1;
    }
    if (count == 0) {
        fprintf(stderr, "no OpenCL device: install an ICD (e.g. pocl-opencl-icd)\n");
        return 1;
    }
    clbb_device_info *infos = calloc(count, sizeof *infos);
    if (!infos) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    /* a second call: devices may come and go between the two */
    st = clbb_list_devices(infos, count, &count);
    if (st != CLBB_OK) {
        fprintf(stderr, "clbb_list_devices: %s\n", clbb_status_string(st));
        free(infos);
        return 1;
    }
    printf("clbb %s\n", clbb_version());
    for (size_t i = 0; i < count; i++) {
        const clbb_device_info *d = &infos[i];
        printf("%d:%d  %s (%s) on %s: %u CUs, %.0f MiB, fp16 %s, fp64 %s\n", d->platform_index,
               d->device_index, d->device_name, d->is_gpu ? "GPU" : d->is_cpu ? "CPU" : "other",
               d->platform_name, (unsigned)d->compute_units,
               (double)d->global_mem_bytes / (1024.0 * 1024.0), d->has_fp16 ? "yes" : "no",
               d->has_fp64 ? "yes" : "no");
    }
    free(infos);

    char err[512] = "";
    clbb_context_options opt;
    clbb_context_options_init(&opt);
    opt.error_buffer = err;
    opt.error_buffer_size = sizeof err;
    clbb_context *ctx;
    st = clbb_context_create(&opt, &ctx);
    if (st != CLBB_OK) {
        fprintf(stderr, "clbb_context_create: %s: %s\n", clbb_status_string(st), err);
        return 1;
    }
    clbb_device_info info;
    st = clbb_context_device_info(ctx, &info);
    if (st != CLBB_OK) {
        fprintf(stderr, "clbb_context_device_info: %s\n", clbb_last_error(ctx));
        clbb_context_destroy(ctx);
        return 1;
    }
    printf("default device: %d:%d %s\n", info.platform_index, info.device_index, info.device_name);
    clbb_context_destroy(ctx);
    return 0;
}
