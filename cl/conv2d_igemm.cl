/* Implicit-GEMM convolution (not yet written). */
