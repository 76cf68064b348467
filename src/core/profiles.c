/* The device-profile table (clbb/profile.h) and the clamp a context
 * applies with one. Each row cites where its numbers come from: clinfo
 * dumps of that device class on opencl.gpuinfo.org and the vendors'
 * OpenCL optimization guides. Where drivers of one class disagree (a
 * newer driver raising a limit), the row keeps the smaller value, since
 * plans that fit the smaller device fit both. Fields, in order: name,
 * description, vendor, family, max work-group size, local memory bytes,
 * local memory in global memory, sub-group sizes, images, fp16, fp64,
 * preferred float / half vector widths, OpenCL C version, compute units. */
#include <string.h>

#include "profiles.h"

static const clbb_device_profile PROFILES[] = {
    /* Arm Mali-G78 (Valhall, Pixel 6 MP20, Exynos 2100 MP14). opencl.gpuinfo.org
     * reports of Mali-G78 (r2x-r3x drivers): CL_DEVICE_LOCAL_MEM_SIZE 32768
     * with CL_DEVICE_LOCAL_MEM_TYPE CL_GLOBAL, cl_khr_fp16 yes, cl_khr_fp64
     * no, preferred float width 4 / half 8, OpenCL C 2.0 (3.0 only on
     * drivers from r36 on). Work-group size: the device reports up to 1024,
     * but Arm's "Mali GPU Best Practices" and the Valhall OpenCL guide note
     * that kernels using more than 32 work registers get at most 384-512
     * threads per work-group (CL_KERNEL_WORK_GROUP_SIZE); clbb's register
     * tiles are such kernels, so the profile plans with 384. Valhall warps
     * are 16 wide (Arm Valhall architecture overview). */
    {"mali-g78", "Arm Mali-G78 (Valhall; Pixel 6, Exynos 2100)", "arm", "gpu", 384, 32768, 1,
     {16, 0, 0, 0}, 1, 1, 0, 4, 8, 200, 20},
    /* Arm Mali-G710 (Valhall 4th gen, Pixel 7 MP7, Dimensity 9000 MC10).
     * opencl.gpuinfo.org reports: CL_DEVICE_LOCAL_MEM_SIZE 32768 (CL_GLOBAL),
     * OpenCL C 3.0, cl_khr_fp16 yes, fp64 no, float width 4 / half 8; warps
     * of 16; the kernel-level work-group limit of register-heavy kernels is
     * 512 on this generation (Arm Best Practices: 64 registers per thread
     * halves occupancy; 1024 only at <= 32 registers). */
    {"mali-g710", "Arm Mali-G710 (Valhall; Pixel 7, Dimensity 9000)", "arm", "gpu", 512, 32768,
     1, {16, 0, 0, 0}, 1, 1, 0, 4, 8, 300, 7},
    /* Qualcomm Adreno 740 (Snapdragon 8 Gen 2). Qualcomm "Snapdragon Mobile
     * Platform OpenCL General Programming and Optimization" guide (80-NB295-11):
     * 32 KiB of on-chip local memory (CL_LOCAL), waves of 64 or 128 fibers
     * (half / full wave), work-group size up to 1024 (kernel-dependent),
     * image support and fp16 recommended, no fp64. opencl.gpuinfo.org
     * reports of Adreno 740: OpenCL 3.0, CL_DEVICE_MAX_COMPUTE_UNITS 6,
     * preferred float width 1 / half 1. */
    {"adreno-740", "Qualcomm Adreno 740 (Snapdragon 8 Gen 2)", "qualcomm", "gpu", 1024, 32768, 0,
     {64, 128, 0, 0}, 1, 1, 0, 1, 1, 300, 6},
    /* Intel Xe-LPG (Meteor Lake integrated, 8 Xe cores = 128 EUs). Intel
     * "oneAPI GPU Optimization Guide" (Xe architecture): 64 KiB of SLM per
     * work-group, SIMD8/16/32 sub-groups (cl_intel_subgroups), max
     * work-group 1024. opencl.gpuinfo.org reports of Meteor Lake "Intel(R)
     * Arc(TM) Graphics" (compute-runtime 23.x-24.x): CL_DEVICE_MAX_COMPUTE_UNITS
     * 128, cl_khr_fp16 yes, no cl_khr_fp64 (Xe-LPG has no fp64 units),
     * preferred float width 1 / half 8, OpenCL C 3.0. */
    {"intel-xe-lpg", "Intel Xe-LPG integrated (Core Ultra / Meteor Lake)", "intel", "gpu", 1024,
     65536, 0, {8, 16, 32, 0}, 1, 1, 0, 1, 8, 300, 128},
    /* Intel Arc A770 (Xe-HPG, 32 Xe cores = 512 EUs). Intel oneAPI GPU
     * Optimization Guide (Xe-HPG): 64 KiB SLM, sub-groups 8/16/32, max
     * work-group 1024; opencl.gpuinfo.org reports of "Intel(R) Arc(TM) A770
     * Graphics": 512 compute units, fp16 yes, no cl_khr_fp64, float width 1
     * / half 8, OpenCL C 3.0. */
    {"intel-arc-a770", "Intel Arc A770 (Xe-HPG discrete)", "intel", "gpu", 1024, 65536, 0,
     {8, 16, 32, 0}, 1, 1, 0, 1, 8, 300, 512},
    /* AMD RDNA3 (Radeon RX 7900 XTX, Navi 31). AMD "RDNA3 Instruction Set
     * Architecture" and the GPUOpen RDNA performance guide: wave32 native,
     * wave64 supported, 64 KiB LDS per work-group, max work-group 1024 in
     * hardware but the OpenCL runtime reports CL_DEVICE_MAX_WORK_GROUP_SIZE
     * 256 unless built otherwise (opencl.gpuinfo.org reports of gfx1100,
     * Adrenalin and ROCm alike); 48 compute units (the runtime counts WGPs
     * of the 96 CUs), fp16 and fp64 yes, float width 1 / half 1, OpenCL C
     * 2.0. */
    {"amd-rdna3", "AMD RDNA3 (Radeon RX 7900 XTX, gfx1100)", "amd", "gpu", 256, 65536, 0,
     {32, 64, 0, 0}, 1, 1, 1, 1, 1, 200, 48},
    /* AMD CDNA2 (Instinct MI210, gfx90a). AMD "CDNA2 Instruction Set
     * Architecture" and the ROCm HIP programming guide: wave64 only, 64 KiB
     * LDS, 104 CUs on MI210; ROCm's OpenCL reports max work-group 256,
     * fp16 and fp64 yes, float width 1 / half 1, OpenCL C 2.0. Images: the
     * CDNA parts keep texture units but ROCm's image support on them is not
     * something to plan on, so the profile says none. */
    {"amd-cdna2", "AMD CDNA2 (Instinct MI210, gfx90a)", "amd", "gpu", 256, 65536, 0,
     {64, 0, 0, 0}, 0, 1, 1, 1, 1, 200, 104},
    /* Apple M2 (10-core GPU) through Apple's OpenCL 1.2 (deprecated since
     * macOS 10.14): opencl.gpuinfo.org reports of "Apple M2": max work-group
     * 256, 32 KiB local memory, 10 compute units, images yes, no cl_khr_fp16
     * and no fp64, float width 1, OpenCL C 1.2; SIMD groups of 32 (Apple
     * "Metal Feature Set Tables"). No vendor row: the portable defaults. */
    {"apple-m2", "Apple M2 GPU through Apple's OpenCL 1.2 (portable path)", "", "gpu", 256, 32768,
     0, {32, 0, 0, 0}, 1, 0, 0, 1, 0, 120, 10},
};

size_t clbb_device_profile_count(void) { return CLBB_ARRAY_SIZE(PROFILES); }

const clbb_device_profile *clbb_device_profile_at(size_t i) {
    return i < CLBB_ARRAY_SIZE(PROFILES) ? &PROFILES[i] : NULL;
}

const clbb_device_profile *clbb_device_profile_find(const char *name) {
    for (size_t i = 0; name && i < CLBB_ARRAY_SIZE(PROFILES); i++)
        if (!strcmp(PROFILES[i].name, name)) return &PROFILES[i];
    return NULL;
}

static uint64_t min_known(uint64_t real, uint64_t prof) {
    if (!real) return prof;
    if (!prof) return real;
    return real < prof ? real : prof;
}

void clbb_device_profile_apply(const clbb_device_profile *p, clbb_device_info *info) {
    if (!p || !info) return;
    info->max_work_group_size = (size_t)min_known(info->max_work_group_size, p->max_work_group_size);
    info->local_mem_bytes = min_known(info->local_mem_bytes, p->local_mem_bytes);
    info->has_fp16 = info->has_fp16 && p->has_fp16;
    info->has_fp64 = info->has_fp64 && p->has_fp64;
    info->compute_units = p->compute_units;
    info->is_gpu = 1;
    info->is_cpu = 0;
}

clbb_vendor clbb__profile_vendor(const clbb_device_profile *p) {
    for (int v = 0; v < CLBB_VENDOR_COUNT; v++)
        if (!strcmp(clbb__vendor_name((clbb_vendor)v), p->vendor)) return (clbb_vendor)v;
    return CLBB_VENDOR_OTHER;
}

void clbb__profile_names(char *buf, size_t size) {
    size_t len = 0;
    if (size) buf[0] = '\0';
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(PROFILES) && len + 1 < size; i++) {
        int n = snprintf(buf + len, size - len, "%s%s", i ? ", " : "", PROFILES[i].name);
        if (n < 0) break;
        len += (size_t)n;
    }
}
