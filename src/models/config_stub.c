/* TEMPORARY weak stubs until config.c lands (removed then). */
#include "core/internal.h"
__attribute__((weak)) clbb_status clbb_safetensors_open(const char *p, clbb_safetensors **o, char *e, size_t n) { (void)p; (void)o; (void)e; (void)n; return CLBB_ERR_UNSUPPORTED; }
__attribute__((weak)) void clbb_safetensors_close(clbb_safetensors *s) { (void)s; }
__attribute__((weak)) size_t clbb_safetensors_count(const clbb_safetensors *s) { (void)s; return 0; }
__attribute__((weak)) const clbb_st_tensor *clbb_safetensors_find(const clbb_safetensors *s, const char *n) { (void)s; (void)n; return 0; }
__attribute__((weak)) clbb_status clbb_st_tensor_to_f32(const clbb_st_tensor *t, float *d, size_t c, char *e, size_t n) { (void)t; (void)d; (void)c; (void)e; (void)n; return CLBB_ERR_UNSUPPORTED; }
__attribute__((weak)) clbb_status clbb_safetensors_write(const char *p, const clbb_st_write_entry *e, size_t c, char *b, size_t n) { (void)p; (void)e; (void)c; (void)b; (void)n; return CLBB_ERR_UNSUPPORTED; }
