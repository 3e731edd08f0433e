/*
 * dm_qjs.c — QuickJS binding of the native core, generated from the X-macro lists:
 *   DM_NATIVE_FUNCS / DM_NATIVE_CONSTS / DM_NATIVE_ERRNOS   (native/exports.h)
 *   DM_TLS_FUNCS / DM_TLS_CONSTS / DM_TLS_ERRORS            (native/core/tls/tls_exports.h)
 * Each function is one expansion of its family macro below: convert and check the arguments
 * (vocabulary in exports.h: U, S, B), forward to the core, return the int (or double) result.
 * Misuse throws (TypeError / RangeError naming function and argument); -errno results are returned.
 *
 * Argument checks never run JavaScript (no valueOf/toString calls: numbers and strings are
 * required as such), so a buffer pointer taken first cannot be detached by a later conversion.
 */
#include "dm_qjs.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exports.h"
#include "tls/tls_exports.h"

struct dmq_state {
    dm_ctx_t core;     /* SMS, WDP, flash, file handles (native/core) */
    dm_tls_ctx_t tls;  /* TLS/TCP stream handles (native/core/tls) */
};

dmq_state_t *dmq_state_new(void) {
    dmq_state_t *st = calloc(1, sizeof *st);
    if (!st) return NULL;
    dm_ctx_init(&st->core);
    dm_tls_ctx_init(&st->tls);
    return st;
}

void dmq_state_free(dmq_state_t *st) {
    if (!st) return;
    dm_tls_ctx_close_all(&st->tls);
    dm_ctx_close_all(&st->core);
    free(st);
}

static dmq_state_t *prv_state(JSContext *ctx) { return JS_GetContextOpaque(ctx); }

/* ------------------------------------------------------------------ argument conversion */

/** U: an integer-valued JS number in [0, 2^32-1]. */
static int prv_u32(JSContext *ctx, JSValueConst v, const char *fn, int argi, uint32_t *out) {
    if (JS_VALUE_GET_TAG(v) == JS_TAG_INT) {
        int32_t i = JS_VALUE_GET_INT(v);
        if (i >= 0) { *out = (uint32_t)i; return 0; }
    } else if (JS_TAG_IS_FLOAT64(JS_VALUE_GET_TAG(v))) {
        double d = JS_VALUE_GET_FLOAT64(v);
        if (d >= 0 && d <= 4294967295.0 && floor(d) == d) { *out = (uint32_t)d; return 0; }
    }
    JS_ThrowTypeError(ctx, "%s: argument %d must be an integer in [0, 2^32-1]", fn, argi + 1);
    return -1;
}

/** S: a JS string, UTF-8 at most DM_STR_MAX bytes, no NUL inside. Free with JS_FreeCString. */
static const char *prv_str(JSContext *ctx, JSValueConst v, const char *fn, int argi) {
    if (!JS_IsString(v)) {
        JS_ThrowTypeError(ctx, "%s: argument %d must be a string", fn, argi + 1);
        return NULL;
    }
    size_t len;
    const char *s = JS_ToCStringLen(ctx, &len, v);
    if (!s) return NULL;
    if (len > DM_STR_MAX) {
        JS_FreeCString(ctx, s);
        JS_ThrowRangeError(ctx, "%s: argument %d is longer than %d bytes", fn, argi + 1, DM_STR_MAX);
        return NULL;
    }
    if (strlen(s) != len) {
        JS_FreeCString(ctx, s);
        JS_ThrowTypeError(ctx, "%s: argument %d contains a NUL character", fn, argi + 1);
        return NULL;
    }
    return s;
}

/**
 * B: (Uint8Array | ArrayBuffer, offset, length) at argv[argi..argi+2]; offset + length must fit in
 * the view (RangeError "array buffer overflow", as js_os_read_write). Any 1-byte typed array is
 * accepted (QuickJS 2021 exposes the element size, not the class). *p points at offset.
 */
static int prv_buf(JSContext *ctx, JSValueConst *argv, int argi, const char *fn, uint8_t **p, uint32_t *len) {
    uint32_t off, n;
    size_t size, view_off = 0, view_len, bpe = 1;
    JSValueConst v = argv[argi];
    if (!JS_IsObject(v)) goto bad_type;
    uint8_t *base = JS_GetArrayBuffer(ctx, &size, v);
    if (base) {
        view_len = size;
    } else {
        JS_FreeValue(ctx, JS_GetException(ctx)); /* not an ArrayBuffer: try a typed array */
        JSValue ab = JS_GetTypedArrayBuffer(ctx, v, &view_off, &view_len, &bpe);
        if (JS_IsException(ab)) {
            JS_FreeValue(ctx, JS_GetException(ctx));
            goto bad_type;
        }
        base = JS_GetArrayBuffer(ctx, &size, ab);
        JS_FreeValue(ctx, ab);
        if (!base) return -1; /* detached: TypeError pending */
        if (bpe != 1) goto bad_type;
    }
    if (prv_u32(ctx, argv[argi + 1], fn, argi + 1, &off) || prv_u32(ctx, argv[argi + 2], fn, argi + 2, &n)) return -1;
    if ((uint64_t)off + n > view_len) {
        JS_ThrowRangeError(ctx, "%s: array buffer overflow (offset %u + length %u > %zu)", fn, off, n, view_len);
        return -1;
    }
    *p = base + view_off + off;
    *len = n;
    return 0;
bad_type:
    JS_ThrowTypeError(ctx, "%s: argument %d must be a Uint8Array or an ArrayBuffer", fn, argi + 1);
    return -1;
}


/* ------------------------------------------------------------------ family bodies */
/* The bodies are one-line statement sequences after expansion; that is intended. */
#pragma GCC diagnostic ignored "-Wmisleading-indentation"
/* C = the context expression of the list being expanded, N = the JS name as a string. */
#define DMQ_U(i, var) uint32_t var; if (prv_u32(ctx, argv[i], N, i, &var)) return JS_EXCEPTION;
#define DMQ_S(i, var) const char *var = prv_str(ctx, argv[i], N, i); if (!var) return JS_EXCEPTION;

#define DMQ_BODY_D(fn, C) return JS_NewFloat64(ctx, fn(C));
#define DMQ_BODY_B(fn, C) uint8_t *p; uint32_t n; if (prv_buf(ctx, argv, 0, N, &p, &n)) return JS_EXCEPTION; \
    return JS_NewInt32(ctx, fn(C, p, n));
#define DMQ_BODY_S(fn, C) DMQ_S(0, s0) int r = fn(C, s0); JS_FreeCString(ctx, s0); return JS_NewInt32(ctx, r);
#define DMQ_BODY_SS(fn, C) DMQ_S(0, s0) const char *s1 = prv_str(ctx, argv[1], N, 1); \
    if (!s1) { JS_FreeCString(ctx, s0); return JS_EXCEPTION; } \
    int r = fn(C, s0, s1); JS_FreeCString(ctx, s0); JS_FreeCString(ctx, s1); return JS_NewInt32(ctx, r);
#define DMQ_BODY_SU(fn, C) DMQ_U(1, u1) DMQ_S(0, s0) int r = fn(C, s0, u1); JS_FreeCString(ctx, s0); \
    return JS_NewInt32(ctx, r);
#define DMQ_BODY_SUU(fn, C) DMQ_U(1, u1) DMQ_U(2, u2) DMQ_S(0, s0) int r = fn(C, s0, u1, u2); \
    JS_FreeCString(ctx, s0); return JS_NewInt32(ctx, r);
#define DMQ_BODY_SUUUU(fn, C) DMQ_U(1, u1) DMQ_U(2, u2) DMQ_U(3, u3) DMQ_U(4, u4) DMQ_S(0, s0) \
    int r = fn(C, s0, u1, u2, u3, u4); JS_FreeCString(ctx, s0); return JS_NewInt32(ctx, r);
#define DMQ_BODY_UU(fn, C) DMQ_U(0, u0) DMQ_U(1, u1) return JS_NewInt32(ctx, fn(C, u0, u1));
#define DMQ_BODY_H(fn, C) DMQ_U(0, h) return JS_NewInt32(ctx, fn(C, h));
#define DMQ_BODY_CLOSE(fn, C) DMQ_BODY_H(fn, C) /* no per-handle binding state on QuickJS (fds are watched from JS) */
#define DMQ_BODY_HB(fn, C) DMQ_U(0, h) uint8_t *p; uint32_t n; if (prv_buf(ctx, argv, 1, N, &p, &n)) return JS_EXCEPTION; \
    return JS_NewInt32(ctx, fn(C, h, p, n));
#define DMQ_BODY_HUB(fn, C) DMQ_U(0, h) DMQ_U(1, u1) uint8_t *p; uint32_t n; \
    if (prv_buf(ctx, argv, 2, N, &p, &n)) return JS_EXCEPTION; return JS_NewInt32(ctx, fn(C, h, u1, p, n));
#define DMQ_BODY_HUUU(fn, C) DMQ_U(0, h) DMQ_U(1, u1) DMQ_U(2, u2) DMQ_U(3, u3) return JS_NewInt32(ctx, fn(C, h, u1, u2, u3));
#define DMQ_BODY_SUSSU(fn, C) DMQ_U(1, u1) DMQ_U(4, u4) DMQ_S(0, s0) \
    const char *s2 = prv_str(ctx, argv[2], N, 2); if (!s2) { JS_FreeCString(ctx, s0); return JS_EXCEPTION; } \
    const char *s3 = prv_str(ctx, argv[3], N, 3); \
    if (!s3) { JS_FreeCString(ctx, s0); JS_FreeCString(ctx, s2); return JS_EXCEPTION; } \
    int r = fn(C, s0, u1, s2, s3, u4); \
    JS_FreeCString(ctx, s0); JS_FreeCString(ctx, s2); JS_FreeCString(ctx, s3); return JS_NewInt32(ctx, r);

/*
 * One shim per list entry. `SIG` is the family's function-pointer type: assigning the core
 * function to it makes a prototype mismatch a compile error; the arity must match the family.
 */
#define DMQ_SHIM(js, arity, fn, fam, SIG, C)                                                          \
    _Static_assert(arity == DM_ARITY_##fam, "arity of " #js " does not match family " #fam);         \
    static JSValue dmq_##js(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {    \
        static const char N[] = #js;                                                                  \
        SIG check = fn;                                                                               \
        (void)check; (void)this_val; (void)argc; (void)N;                                                      \
        DMQ_BODY_##fam(fn, C)                                                                         \
    }
#define DMQ_CORE_SHIM(js, arity, fn, fam) DMQ_SHIM(js, arity, fn, fam, dm_sig_##fam, &prv_state(ctx)->core)
#define DMQ_TLS_SHIM(js, arity, fn, fam) DMQ_SHIM(js, arity, fn, fam, dm_tls_sig_##fam, &prv_state(ctx)->tls)
DM_NATIVE_FUNCS(DMQ_CORE_SHIM)
DM_TLS_FUNCS(DMQ_TLS_SHIM)

/* ------------------------------------------------------------------ module tables */
#define DMQ_FUNC_ENTRY(js, arity, fn, fam) JS_CFUNC_DEF(#js, arity, dmq_##js),
#define DMQ_CONST_ENTRY(name, value) JS_PROP_INT32_DEF(#name, (int32_t)(value), JS_PROP_ENUMERABLE),
#define DMQ_ERRNO_ENTRY(name) JS_PROP_INT32_DEF(#name, name, JS_PROP_ENUMERABLE),

static const JSCFunctionListEntry prv_constants[] = {
    DM_NATIVE_CONSTS(DMQ_CONST_ENTRY)
    DM_TLS_CONSTS(DMQ_CONST_ENTRY)
};
static const JSCFunctionListEntry prv_errno[] = {
    DM_NATIVE_ERRNOS(DMQ_ERRNO_ENTRY)
    DM_TLS_ERRORS(DMQ_CONST_ENTRY)
};
static const JSCFunctionListEntry prv_module[] = {
    DM_NATIVE_FUNCS(DMQ_FUNC_ENTRY)
    DM_TLS_FUNCS(DMQ_FUNC_ENTRY)
    JS_OBJECT_DEF("constants", prv_constants, sizeof prv_constants / sizeof prv_constants[0], JS_PROP_ENUMERABLE),
    JS_OBJECT_DEF("errno", prv_errno, sizeof prv_errno / sizeof prv_errno[0], JS_PROP_ENUMERABLE),
};
#define PRV_MODULE_LEN ((int)(sizeof prv_module / sizeof prv_module[0]))

static int prv_module_init(JSContext *ctx, JSModuleDef *m) {
    return JS_SetModuleExportList(ctx, m, prv_module, PRV_MODULE_LEN);
}

JSModuleDef *dmq_init_module(JSContext *ctx, const char *name, dmq_state_t *st) {
    JSModuleDef *m = JS_NewCModule(ctx, name, prv_module_init);
    if (!m) return NULL;
    JS_SetContextOpaque(ctx, st);
    if (JS_AddModuleExportList(ctx, m, prv_module, PRV_MODULE_LEN) != 0) return NULL;
    return m;
}
