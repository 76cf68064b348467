/* What a small kernel costs on a device, in wall-clock time per launch of
 * back-to-back launches and in profiling-event time: an empty kernel, a
 * kernel with n dependent global loads, and a work-group grid whose last
 * group (an atomic counter) merges every group's partials — ContextBlock's
 * pooling as one launch instead of two. That kernel also counts wrong
 * merges, with the fence as OpenCL C writes it (mem_fence) and, where
 * inline PTX builds (NVIDIA), with membar.gl; a wrong merge means the
 * fence does not publish the partials to other work-groups there.
 *
 * usage: launch_floor [--device SEL] [--iters N]
 * Plain OpenCL on the context clbb creates (the kernels are not clbb's). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clbb/context.h"

static const char *SRC =
    "__kernel void k_empty(__global int *y) { if (get_global_id(0) == 0x7fffffff) y[0] = 1; }\n"
    "__kernel void k_chain(__global const int *idx, __global int *out, int n) {\n"
    "    int i = get_global_id(0) & 1023;\n"
    "    for (int k = 0; k < n; k++) i = idx[i];\n"
    "    out[get_global_id(0)] = i;\n"
    "}\n"
    "#ifdef PTX\n"
    "#define FENCE() asm volatile(\"membar.gl;\" ::: \"memory\")\n"
    "#else\n"
    "#define FENCE() mem_fence(CLK_GLOBAL_MEM_FENCE)\n"
    "#endif\n"
    "__kernel void k_lastwg(__global int *part, __global int *count, __global int *err, int C,\n"
    "                       int it) {\n"
    "    __local int last;\n"
    "    const int t = get_local_id(0), g = get_group_id(0), G = get_num_groups(0);\n"
    "    for (int c = t; c < C; c += get_local_size(0)) part[g * C + c] = it * 1000 + g + c;\n"
    "    FENCE();\n"
    "    barrier(CLK_GLOBAL_MEM_FENCE | CLK_LOCAL_MEM_FENCE);\n"
    "    if (t == 0) last = atomic_inc(count) == G - 1;\n"
    "    barrier(CLK_LOCAL_MEM_FENCE);\n"
    "    if (!last) return;\n"
    "    FENCE();\n"
    "    volatile __global const int *vp = part;\n"
    "    for (int c = t; c < C; c += get_local_size(0)) {\n"
    "        int s = 0;\n"
    "        for (int i = 0; i < G; i++) s += vp[i * C + c];\n"
    "        if (s != G * (it * 1000 + c) + G * (G - 1) / 2) atomic_inc(err);\n"
    "    }\n"
    "    if (t == 0) *count = 0;\n"
    "}\n";

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

typedef struct run {
    cl_command_queue q;
    cl_kernel k;
    size_t gws, lws;
} run;

/* wall ms per launch over iters back-to-back launches, and the median
 * event duration when ev_q (a profiling queue) is given */
static double wall_per_launch(const run *r, int iters, int set_it) {
    clFinish(r->q);
    const double t0 = now_ms();
    for (int i = 0; i < iters; i++) {
        if (set_it) clSetKernelArg(r->k, 4, sizeof(cl_int), &i);
        clEnqueueNDRangeKernel(r->q, r->k, 1, NULL, &r->gws, &r->lws, 0, NULL, NULL);
    }
    clFinish(r->q);
    return (now_ms() - t0) / iters;
}

static int cmp_d(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double event_median(const run *r, int iters, int set_it) {
    double *d = calloc((size_t)iters, sizeof *d);
    if (!d) return -1;
    for (int i = 0; i < iters; i++) {
        cl_event ev;
        if (set_it) clSetKernelArg(r->k, 4, sizeof(cl_int), &i);
        clEnqueueNDRangeKernel(r->q, r->k, 1, NULL, &r->gws, &r->lws, 0, NULL, &ev);
        clWaitForEvents(1, &ev);
        cl_ulong a = 0, b = 0;
        clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, sizeof a, &a, NULL);
        clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof b, &b, NULL);
        d[i] = (double)(b - a) * 1e-6;
        clReleaseEvent(ev);
    }
    qsort(d, (size_t)iters, sizeof *d, cmp_d);
    const double m = d[iters / 2];
    free(d);
    return m;
}

int main(int argc, char **argv) {
    const char *device = NULL;
    int iters = 2000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--device") && i + 1 < argc) device = argv[++i];
        else if (!strcmp(argv[i], "--iters") && i + 1 < argc) iters = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: launch_floor [--device SEL] [--iters N]\n");
            return 2;
        }
    }
    if (iters < 10) iters = 10;
    char err[512] = "";
    clbb_context_options o;
    clbb_context_options_init(&o);
    o.device = device;
    o.profiling = 1;
    o.error_buffer = err;
    o.error_buffer_size = sizeof err;
    clbb_context *ctx;
    if (clbb_context_create(&o, &ctx) != CLBB_OK) {
        fprintf(stderr, "launch_floor: %s\n", err);
        return 1;
    }
    cl_context cl = clbb_context_cl_context(ctx);
    cl_device_id dev = clbb_context_cl_device(ctx);
    cl_command_queue pq = clbb_context_cl_queue(ctx);
    cl_int e;
    cl_command_queue q = clCreateCommandQueue(cl, dev, 0, &e); /* no profiling */
    char name[256] = "";
    clGetDeviceInfo(dev, CL_DEVICE_NAME, sizeof name, name, NULL);
    cl_uint cu = 1;
    clGetDeviceInfo(dev, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof cu, &cu, NULL);
    printf("device: %s, %u compute units; %d launches each\n", name, cu, iters);
    const int C = 512, G = 2 * (int)cu;
    cl_mem idx = clCreateBuffer(cl, CL_MEM_READ_WRITE, 1024 * sizeof(cl_int), NULL, &e);
    cl_mem out = clCreateBuffer(cl, CL_MEM_READ_WRITE, (size_t)G * 256 * sizeof(cl_int), NULL, &e);
    cl_mem part = clCreateBuffer(cl, CL_MEM_READ_WRITE, (size_t)G * C * sizeof(cl_int), NULL, &e);
    int host_idx[1024];
    for (int i = 0; i < 1024; i++) host_idx[i] = (i * 389 + 17) & 1023;
    clEnqueueWriteBuffer(q, idx, CL_TRUE, 0, sizeof host_idx, host_idx, 0, NULL, NULL);
    for (int ptx = 0; ptx < 2; ptx++) {
        cl_program p = clCreateProgramWithSource(cl, 1, &SRC, NULL, &e);
        if (clBuildProgram(p, 1, &dev, ptx ? "-D PTX" : "", NULL, NULL) != CL_SUCCESS) {
            printf("%s: does not build here\n", ptx ? "membar.gl (inline PTX)" : "mem_fence");
            clReleaseProgram(p);
            continue;
        }
        cl_kernel ke = clCreateKernel(p, "k_empty", &e), kc = clCreateKernel(p, "k_chain", &e);
        cl_kernel kl = clCreateKernel(p, "k_lastwg", &e);
        clSetKernelArg(ke, 0, sizeof(cl_mem), &out);
        clSetKernelArg(kc, 0, sizeof(cl_mem), &idx);
        clSetKernelArg(kc, 1, sizeof(cl_mem), &out);
        clSetKernelArg(kl, 0, sizeof(cl_mem), &part);
        clSetKernelArg(kl, 3, sizeof(cl_int), &C);
        const cl_int zero2[2] = {0, 0};
        if (!ptx) {
            run r = {q, ke, (size_t)G * 256, 256}, rp = r;
            rp.q = pq;
            printf("empty kernel, %d x 256 items: %.2f us wall per launch, %.2f us event\n", G,
                   1e3 * wall_per_launch(&r, iters, 0), 1e3 * event_median(&rp, iters / 4, 0));
            for (int n = 1; n <= 16; n *= 4) {
                clSetKernelArg(kc, 2, sizeof(cl_int), &n);
                run c = {q, kc, (size_t)G * 256, 256}, cp = c;
                cp.q = pq;
                printf("%2d dependent loads: %.2f us wall per launch, %.2f us event\n", n,
                       1e3 * wall_per_launch(&c, iters, 0), 1e3 * event_median(&cp, iters / 4, 0));
            }
        }
        cl_mem errb = clCreateBuffer(cl, CL_MEM_READ_WRITE, sizeof(cl_int), NULL, &e);
        clEnqueueWriteBuffer(q, errb, CL_TRUE, 0, sizeof(cl_int), zero2, 0, NULL, NULL);
        cl_mem cnt0 = clCreateBuffer(cl, CL_MEM_READ_WRITE, sizeof(cl_int), NULL, &e);
        clEnqueueWriteBuffer(q, cnt0, CL_TRUE, 0, sizeof(cl_int), zero2, 0, NULL, NULL);
        clSetKernelArg(kl, 1, sizeof(cl_mem), &cnt0);
        clSetKernelArg(kl, 2, sizeof(cl_mem), &errb);
        run l = {q, kl, (size_t)G * 256, 256}, lp = l;
        lp.q = pq;
        const double w = wall_per_launch(&l, iters, 1), ev = event_median(&lp, iters / 4, 1);
        cl_int bad = -1;
        clEnqueueReadBuffer(q, errb, CL_TRUE, 0, sizeof bad, &bad, 0, NULL, NULL);
        printf("last-work-group merge (%s), %d groups x %d ints: %.2f us wall per launch, %.2f us "
               "event; %d wrong channel sums in %d launches\n",
               ptx ? "membar.gl" : "mem_fence", G, C, 1e3 * w, 1e3 * ev, bad, iters + iters / 4);
        clReleaseMemObject(errb);
        clReleaseMemObject(cnt0);
        clReleaseKernel(ke);
        clReleaseKernel(kc);
        clReleaseKernel(kl);
        clReleaseProgram(p);
    }
    clReleaseMemObject(idx);
    clReleaseMemObject(out);
    clReleaseMemObject(part);
    clReleaseCommandQueue(q);
    clbb_context_destroy(ctx);
    return 0;
}
