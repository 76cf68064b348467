/* TEMPORARY weak stubs until config.c lands (removed then). */
#include "core/internal.h"
__attribute__((weak)) void clbb_model_config_init(clbb_model_config *c, clbb_model_type t) { (void)c; (void)t; }
__attribute__((weak)) clbb_status clbb_model_config_parse_json(const char *j, size_t l, clbb_model_config *c, char *e, size_t n) { (void)j; (void)l; (void)c; (void)e; (void)n; return CLBB_ERR_UNSUPPORTED; }
__attribute__((weak)) clbb_status clbb_model_config_validate(const clbb_model_config *c, char *e, size_t n) { (void)c; (void)e; (void)n; return CLBB_OK; }
__attribute__((weak)) clbb_status clbb_model_config_preset(const char *name, clbb_model_config *c) { (void)name; (void)c; return CLBB_ERR_UNSUPPORTED; }
__attribute__((weak)) const char *const *clbb_model_preset_names(void) { static const char *const n[] = {0}; return n; }
__attribute__((weak)) clbb_status clbb_safetensors_open(const char *p, clbb_safetensors **o, char *e, size_t n) { (void)p; (void)o; (void)e; (void)n; return CLBB_ERR_UNSUPPORTED; }
__attribute__((weak)) void clbb_safetensors_close(clbb_safetensors *s) { (void)s; }
__attribute__((weak)) size_t clbb_safetensors_count(const clbb_safetensors *s) { (void)s; return 0; }
__attribute__((weak)) const clbb_st_tensor *clbb_safetensors_find(const clbb_safetensors *s, const char *n) { (void)s; (void)n; return 0; }
__attribute__((weak)) clbb_status clbb_st_tensor_to_f32(const clbb_st_tensor *t, float *d, size_t c, char *e, size_t n) { (void)t; (void)d; (void)c; (void)e; (void)n; return CLBB_ERR_UNSUPPORTED; }
__attribute__((weak)) clbb_status clbb_safetensors_write(const char *p, const clbb_st_write_entry *e, size_t c, char *b, size_t n) { (void)p; (void)e; (void)c; (void)b; (void)n; return CLBB_ERR_UNSUPPORTED; }
