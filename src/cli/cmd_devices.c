/* clbb devices: every platform and device with its P:D index. */
#include <stdlib.h>

#include "cli.h"

int clbb_cmd_devices(int argc, char **argv) {
    if (argc > 1) return cli_error(CLI_USAGE, "devices takes no arguments (got '%s')", argv[1]);
    size_t n = 0;
    clbb_list_devices(NULL, 0, &n);
    if (n == 0) {
        printf("no OpenCL devices found\n");
        return CLI_RUNTIME;
    }
    clbb_device_info *d = calloc(n, sizeof *d);
    if (!d) return cli_error(CLI_RUNTIME, "out of memory");
    clbb_list_devices(d, n, &n);
    for (size_t i = 0; i < n; i++) {
        printf("%d:%d  %s  [%s]\n", d[i].platform_index, d[i].device_index, d[i].device_name,
               d[i].is_gpu ? "GPU" : d[i].is_cpu ? "CPU" : "accelerator");
        printf("     platform: %s\n     vendor: %s\n     driver: %s, %s\n", d[i].platform_name,
               d[i].vendor, d[i].driver_version, d[i].opencl_version);
        printf("     compute units: %u @ %u MHz, global memory: %.1f GiB, max alloc: %.1f GiB, "
               "local: %llu KiB, fp16: %s, fp64: %s\n",
               d[i].compute_units, d[i].max_clock_mhz, d[i].global_mem_bytes / 1073741824.0,
               d[i].max_alloc_bytes / 1073741824.0,
               (unsigned long long)(d[i].local_mem_bytes / 1024), d[i].has_fp16 ? "yes" : "no",
               d[i].has_fp64 ? "yes" : "no");
    }
    free(d);
    return CLI_OK;
}
