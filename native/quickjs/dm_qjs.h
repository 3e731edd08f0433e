/*
 * dm_qjs.h — the QuickJS C module `dm_native`: the functions of native/exports.h and
 * native/core/tls/tls_exports.h as thin shims, plus `constants` and `errno` objects
 * (module shape identical to the N-API addon's, see native/exports.h).
 *
 * The host owns the native state (one per JSContext) and frees it after the context:
 *   dmq_state_t *st = dmq_state_new();
 *   dmq_init_module(ctx, "dm_native", st);      // before evaluating code that imports it
 *   ... run ...
 *   JS_FreeContext(ctx); dmq_state_free(st);    // closes every handle still open
 */
#ifndef DM_QJS_H
#define DM_QJS_H

#include "quickjs.h"

typedef struct dmq_state dmq_state_t;

/** Allocates and initialises the per-context native state (handle tables); NULL when out of memory. */
dmq_state_t *dmq_state_new(void);
/** Closes every handle still open and frees the state. Accepts NULL. */
void dmq_state_free(dmq_state_t *st);
/** Registers the module `name` (normally "dm_native") in `ctx`, bound to `st` (stored as context opaque). */
JSModuleDef *dmq_init_module(JSContext *ctx, const char *name, dmq_state_t *st);

#endif /* DM_QJS_H */
