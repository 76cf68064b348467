/* The tensor-core probe (src/cl/mma.c): one warp runs one
 * mma.sync.m16n8k8 TF32 product through inline PTX, D = A * B with A 16x8
 * and B 8x8 of small integers (exact in TF32 and in the fp32 sums), and
 * writes D row-major. A driver that rejects the PTX fails the build; one
 * that accepts but computes something else fails the host's comparison.
 * Fragment layout (PTX ISA, "Matrix Fragments for mma.m16n8k8", .tf32):
 * lane = 4 g + t; A: a0 (g, t), a1 (g+8, t), a2 (g, t+4), a3 (g+8, t+4);
 * B: b0 (t, g), b1 (t+4, g); D: d0 (g, 2t), d1 (g, 2t+1), d2 (g+8, 2t),
 * d3 (g+8, 2t+1). Local size (32, 1, 1). */
__kernel __attribute__((reqd_work_group_size(32, 1, 1))) void
mma_probe(__global const float *a, __global const float *b, __global float *d) {
    const int lane = get_local_id(0), g = lane >> 2, t = lane & 3;
    const uint a0 = as_uint(a[g * 8 + t]), a1 = as_uint(a[(g + 8) * 8 + t]);
    const uint a2 = as_uint(a[g * 8 + t + 4]), a3 = as_uint(a[(g + 8) * 8 + t + 4]);
    const uint b0 = as_uint(b[t * 8 + g]), b1 = as_uint(b[(t + 4) * 8 + g]);
    float d0 = 0.0f, d1 = 0.0f, d2 = 0.0f, d3 = 0.0f;
    asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
                 "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
                 : "+f"(d0), "+f"(d1), "+f"(d2), "+f"(d3)
                 : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
    d[g * 8 + 2 * t] = d0;
    d[g * 8 + 2 * t + 1] = d1;
    d[(g + 8) * 8 + 2 * t] = d2;
    d[(g + 8) * 8 + 2 * t + 1] = d3;
}
