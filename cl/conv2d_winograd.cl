/* Winograd F(2x2, 3x3) convolution (not yet written). */
