/* CPU-tailored implicit-GEMM convolution (not yet written). */
