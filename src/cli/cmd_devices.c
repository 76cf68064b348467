/* clbb devices: every platform and device with its P:D index, as text or
 * (--json) as an array of objects with the same fields; under --profile
 * (or CLBB_DEVICE_PROFILE) with the limits clbb plans with there.
 * clbb profiles: the device-profile table. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

/* Prints a JSON array (or NULL: out of memory) and frees it. */
static int print_json_array(cJSON *arr) {
    char *text = arr ? cJSON_Print(arr) : NULL;
    cJSON_Delete(arr);
    if (!text) return cli_error(CLI_RUNTIME, "out of memory");
    printf("%s\n", text);
    free(text);
    return CLI_OK;
}

static const char *type_of(const clbb_device_info *d) {
    return d->is_gpu ? "GPU" : d->is_cpu ? "CPU" : "accelerator";
}

static void print_text(const clbb_device_info *d, size_t n, const clbb_device_profile *p) {
    if (p)
        printf("profile: %s (%s): limits below are the device's clamped to it\n", p->name,
               p->description);
    else
        printf("profile: none\n");
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
        printf("     max work-group: %zu\n", d[i].max_work_group_size);
    }
}

/* Exact byte counts rather than the text's rounded GiB/KiB. */
static int print_json(const clbb_device_info *d, size_t n, const clbb_device_profile *p) {
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
        if (p) cJSON_AddStringToObject(o, "profile", p->name);
        else cJSON_AddNullToObject(o, "profile");
        cJSON_AddItemToArray(arr, o);
    }
    return print_json_array(arr);
}

/* --profile, else $CLBB_DEVICE_PROFILE, as clbb_context_create() reads
 * them ("" and "none": no profile); an unknown name lists the known ones. */
static int resolve_profile(const clbb_device_profile **out) {
    *out = NULL;
    const char *name = cli_profile ? cli_profile : getenv("CLBB_DEVICE_PROFILE");
    if (!name || !name[0] || !strcmp(name, "none")) return CLI_OK;
    if ((*out = clbb_device_profile_find(name)) != NULL) return CLI_OK;
    char known[512] = "";
    size_t len = 0;
    for (size_t i = 0; i < clbb_device_profile_count() && len < sizeof known; i++)
        len += (size_t)snprintf(known + len, sizeof known - len, "%s%s", i ? ", " : "",
                                clbb_device_profile_at(i)->name);
    return cli_error(CLI_USAGE, "unknown device profile '%s'%s; known: %s (or none)", name,
                     cli_profile ? "" : " (from CLBB_DEVICE_PROFILE)", known);
}

int clbb_cmd_devices(int argc, char **argv) {
    int json = 0;
    const cli_opt opts[] = {{"--json", CLI_FLAG, &json, 0, 0, NULL}, CLI_PROFILE_OPT,
                            CLI_OPT_END};
    int rc = cli_parse("devices", argc, argv, opts);
    if (rc) return CLI_PARSE_EXIT(rc);
    const clbb_device_profile *prof;
    if ((rc = resolve_profile(&prof))) return rc;
    size_t n = 0;
    clbb_list_devices(NULL, 0, &n);
    if (n == 0)
        return cli_error(CLI_RUNTIME, "no OpenCL platform or device found: install an OpenCL "
                                      "ICD (pocl-opencl-icd for the CPU, the vendor's ICD for a "
                                      "GPU; clinfo lists what the loader sees)");
    clbb_device_info *d = calloc(n, sizeof *d);
    if (!d) return cli_error(CLI_RUNTIME, "out of memory");
    clbb_list_devices(d, n, &n);
    for (size_t i = 0; i < n; i++) clbb_device_profile_apply(prof, &d[i]);
    if (json) rc = print_json(d, n, prof);
    else print_text(d, n, prof);
    free(d);
    return rc;
}

static void sub_groups(const clbb_device_profile *p, char *buf, size_t size) {
    size_t len = 0;
    buf[0] = '\0';
    for (int k = 0; k < CLBB_PROFILE_MAX_SUB_GROUP_SIZES && p->sub_group_sizes[k]; k++)
        len += (size_t)snprintf(buf + len, size - len, "%s%u", k ? "/" : "",
                                (unsigned)p->sub_group_sizes[k]);
}

static int profiles_json(void) {
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < clbb_device_profile_count(); i++) {
        const clbb_device_profile *p = clbb_device_profile_at(i);
        cJSON *o = cJSON_CreateObject(), *sg = cJSON_CreateArray();
        if (!o || !sg) {
            cJSON_Delete(o);
            cJSON_Delete(sg);
            cJSON_Delete(arr);
            arr = NULL;
            break;
        }
        cJSON_AddStringToObject(o, "name", p->name);
        cJSON_AddStringToObject(o, "description", p->description);
        cJSON_AddStringToObject(o, "vendor", p->vendor);
        cJSON_AddStringToObject(o, "family", p->family);
        cJSON_AddNumberToObject(o, "max_work_group_size", (double)p->max_work_group_size);
        cJSON_AddNumberToObject(o, "local_mem_bytes", (double)p->local_mem_bytes);
        cJSON_AddStringToObject(o, "local_mem_type", p->local_mem_global ? "global" : "local");
        for (int k = 0; k < CLBB_PROFILE_MAX_SUB_GROUP_SIZES && p->sub_group_sizes[k]; k++)
            cJSON_AddItemToArray(sg, cJSON_CreateNumber(p->sub_group_sizes[k]));
        cJSON_AddItemToObject(o, "sub_group_sizes", sg);
        cJSON_AddBoolToObject(o, "images", p->image_support);
        cJSON_AddBoolToObject(o, "fp16", p->has_fp16);
        cJSON_AddBoolToObject(o, "fp64", p->has_fp64);
        cJSON_AddNumberToObject(o, "vector_width_float", p->vector_width_float);
        cJSON_AddNumberToObject(o, "vector_width_half", p->vector_width_half);
        cJSON_AddNumberToObject(o, "opencl_c_version", p->opencl_c_version);
        cJSON_AddNumberToObject(o, "compute_units", p->compute_units);
        cJSON_AddItemToArray(arr, o);
    }
    return print_json_array(arr);
}

int clbb_cmd_profiles(int argc, char **argv) {
    int json = 0;
    const cli_opt opts[] = {{"--json", CLI_FLAG, &json, 0, 0, NULL}, CLI_OPT_END};
    int rc = cli_parse("profiles", argc, argv, opts);
    if (rc) return CLI_PARSE_EXIT(rc);
    if (json) return profiles_json();
    printf("%-15s %-9s %6s %8s %-6s %-8s %-3s %-4s %-4s %-7s %-4s %5s\n", "profile", "vendor",
           "max-wg", "local", "lmem", "subgroup", "img", "fp16", "fp64", "vec f/h", "CL C",
           "CUs");
    for (size_t i = 0; i < clbb_device_profile_count(); i++) {
        const clbb_device_profile *p = clbb_device_profile_at(i);
        char sg[32], vec[16];
        sub_groups(p, sg, sizeof sg);
        snprintf(vec, sizeof vec, "%u/%u", (unsigned)p->vector_width_float,
                 (unsigned)p->vector_width_half);
        printf("%-15s %-9s %6zu %5llu KiB %-6s %-8s %-3s %-4s %-4s %-7s %d.%d %5u\n", p->name,
               p->vendor[0] ? p->vendor : "portable", p->max_work_group_size,
               (unsigned long long)(p->local_mem_bytes / 1024),
               p->local_mem_global ? "global" : "local", sg, p->image_support ? "yes" : "no",
               p->has_fp16 ? "yes" : "no", p->has_fp64 ? "yes" : "no", vec,
               p->opencl_c_version / 100, p->opencl_c_version % 100 / 10,
               (unsigned)p->compute_units);
    }
    return CLI_OK;
}
