/* clbb devices: every platform and device with its P:D index, as text or
 * (--json) as an array of objects with the same fields. */
#include <cjson/cJSON.h>
#include <stdlib.h>

#include "options.h"

static const char *type_of(const clbb_device_info *d) {
    return d->is_gpu ? "GPU" : d->is_cpu ? "CPU" : "accelerator";
}

static void print_text(const clbb_device_info *d, size_t n) {
    for (size_t i = 0; i < n; i++) {
        printf("%d:%d  %s  [%s]\n", d[i].platform_index, d[i].device_index, d[i].device_name,
               type_of(&d[i]));
        printf("     platform: %s\n     vendor: %s\n     driver: %s, %s\n", d[i].platform_name,
               d[i].vendor, d[i].driver_version, d[i].opencl_version);
        printf("     compute units: %u @ %u MHz, global memory: %.1f GiB, max alloc: %.1f GiB, "
               "local: %llu KiB, fp16: %s, fp64: %s\n",
               d[i].compute_units, d[i].max_clock_mhz, d[i].global_mem_bytes / 1073741824.0,
               d[i].max_alloc_bytes / 1073741824.0,
               (unsigned long long)(d[i].local_mem_bytes / 1024), d[i].has_fp16 ? "yes" : "no",
               d[i].has_fp64 ? "yes" : "no");
    }
}

/* Exact byte counts rather than the text's rounded GiB/KiB. */
static int print_json(const clbb_device_info *d, size_t n) {
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        if (!o) break;
        char index[32];
        snprintf(index, sizeof index, "%d:%d", d[i].platform_index, d[i].device_index);
        cJSON_AddStringToObject(o, "index", index);
        cJSON_AddNumberToObject(o, "platform_index", d[i].platform_index);
        cJSON_AddNumberToObject(o, "device_index", d[i].device_index);
        cJSON_AddStringToObject(o, "name", d[i].device_name);
        cJSON_AddStringToObject(o, "type", type_of(&d[i]));
        cJSON_AddStringToObject(o, "platform", d[i].platform_name);
        cJSON_AddStringToObject(o, "vendor", d[i].vendor);
        cJSON_AddStringToObject(o, "driver_version", d[i].driver_version);
        cJSON_AddStringToObject(o, "opencl_version", d[i].opencl_version);
        cJSON_AddNumberToObject(o, "compute_units", d[i].compute_units);
        cJSON_AddNumberToObject(o, "max_clock_mhz", d[i].max_clock_mhz);
        cJSON_AddNumberToObject(o, "global_mem_bytes", (double)d[i].global_mem_bytes);
        cJSON_AddNumberToObject(o, "max_alloc_bytes", (double)d[i].max_alloc_bytes);
        cJSON_AddNumberToObject(o, "local_mem_bytes", (double)d[i].local_mem_bytes);
        cJSON_AddNumberToObject(o, "max_work_group_size", (double)d[i].max_work_group_size);
        cJSON_AddBoolToObject(o, "fp16", d[i].has_fp16);
        cJSON_AddBoolToObject(o, "fp64", d[i].has_fp64);
        cJSON_AddItemToArray(arr, o);
    }
    char *text = arr ? cJSON_Print(arr) : NULL;
    cJSON_Delete(arr);
    if (!text) return cli_error(CLI_RUNTIME, "out of memory");
    printf("%s\n", text);
    free(text);
    return CLI_OK;
}

int clbb_cmd_devices(int argc, char **argv) {
    int json = 0;
    const cli_opt opts[] = {{"--json", CLI_FLAG, &json, 0, 0, NULL}, CLI_OPT_END};
    int rc = cli_parse("devices", argc, argv, opts);
    if (rc) return CLI_PARSE_EXIT(rc);
    size_t n = 0;
    clbb_list_devices(NULL, 0, &n);
    if (n == 0)
        return cli_error(CLI_RUNTIME, "no OpenCL platform or device found: install an OpenCL "
                                      "ICD (pocl-opencl-icd for the CPU, the vendor's ICD for a "
                                      "GPU; clinfo lists what the loader sees)");
    clbb_device_info *d = calloc(n, sizeof *d);
    if (!d) return cli_error(CLI_RUNTIME, "out of memory");
    clbb_list_devices(d, n, &n);
    if (json) rc = print_json(d, n);
    else print_text(d, n);
    free(d);
    return rc;
}
