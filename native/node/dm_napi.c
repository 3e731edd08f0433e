/*
 * dm_napi.c — N-API binding of the native core, generated from native/exports.h:
 *   every DM_NATIVE_FUNCS row becomes one function (its family macro below: convert and check the
 *   arguments, forward to the core with this environment's dm_ctx_t, return the int / double);
 *   DM_NATIVE_CONSTS → `constants`, DM_NATIVE_ERRNOS → `errno`.
 * Node only: watch(h, cb) / unwatch(h) run a uv_poll on an SMS/WDP handle's fd and call cb() from
 * the event loop when it is readable (no helper thread, no busy loop). close(h) stops the watch
 * before the fd is closed.
 *
 * Misuse throws TypeError / RangeError naming the function and the argument; -errno results are
 * returned as numbers. Argument checks never run JavaScript (no coercion), so a buffer pointer
 * taken first cannot be detached by a later conversion.
 * One dmn_inst_t per environment (main thread, each worker): no globals. An environment cleanup
 * hook stops the watches and closes every handle.
 */
#define NAPI_VERSION 8
#include <math.h>
#include <node_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "../exports.h"

#define DMN_MAX_WATCH (DM_MAX_SMS + DM_MAX_WDP)

typedef struct dmn_inst dmn_inst_t;

/** One uv_poll on a handle's fd; freed in the uv close callback. */
typedef struct dmn_watch {
  uv_poll_t poll;           /* first member: the uv handle's address is the record's */
  napi_env env;
  napi_ref cb;              /* the JS callback */
  napi_async_context actx;  /* async context for napi_make_callback */
  uint32_t h;               /* the watched core handle */
} dmn_watch_t;

struct dmn_inst {
  dm_ctx_t ctx;                        /* the core's handle table for this environment */
  dmn_watch_t *watch[DMN_MAX_WATCH];   /* active watches */
};

/* ------------------------------------------------------------------ argument conversion */

static int prv_throw(napi_env env, int range, const char *fmt, const char *fn, int argi) {
  char msg[160];
  snprintf(msg, sizeof msg, fmt, fn, argi + 1);
  if (range) napi_throw_range_error(env, NULL, msg);
  else napi_throw_type_error(env, NULL, msg);
  return -1;
}

/** U: an integer-valued JS number in [0, 2^32-1] (no coercion). */
static int prv_u32(napi_env env, napi_value v, const char *fn, int argi, uint32_t *out) {
  napi_valuetype t;
  double d;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number || napi_get_value_double(env, v, &d) != napi_ok ||
      !(d >= 0 && d <= 4294967295.0) || floor(d) != d)
    return prv_throw(env, 0, "%s: argument %d must be an integer in [0, 2^32-1]", fn, argi);
  *out = (uint32_t)d;
  return 0;
}

/** S: a JS string, at most DM_STR_MAX bytes of UTF-8, no NUL inside; copied into out[DM_STR_MAX + 1]. */
static int prv_str(napi_env env, napi_value v, const char *fn, int argi, char *out) {
  napi_valuetype t;
  size_t len = 0, got = 0;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) return prv_throw(env, 0, "%s: argument %d must be a string", fn, argi);
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return prv_throw(env, 0, "%s: argument %d must be a string", fn, argi);
  if (len > DM_STR_MAX) return prv_throw(env, 1, "%s: argument %d is longer than DM_STR_MAX bytes", fn, argi);
  napi_get_value_string_utf8(env, v, out, DM_STR_MAX + 1, &got);
  if (strlen(out) != got) return prv_throw(env, 0, "%s: argument %d contains a NUL character", fn, argi);
  return 0;
}

/** B: (Uint8Array | ArrayBuffer, offset, length) with offset + length <= byteLength. */
static int prv_buf(napi_env env, napi_value *argv, const char *fn, int argi, uint8_t **p, uint32_t *len) {
  bool is;
  void *data = NULL;
  size_t size = 0;
  uint32_t off, n;
  if (napi_is_typedarray(env, argv[argi], &is) == napi_ok && is) {
    napi_typedarray_type tt;
    size_t count, byte_off;
    napi_value ab;
    if (napi_get_typedarray_info(env, argv[argi], &tt, &count, &data, &ab, &byte_off) != napi_ok || tt != napi_uint8_array)
      return prv_throw(env, 0, "%s: argument %d must be a Uint8Array or an ArrayBuffer", fn, argi);
    size = count; /* data already points at the view's first byte */
  } else if (napi_is_arraybuffer(env, argv[argi], &is) == napi_ok && is) {
    if (napi_get_arraybuffer_info(env, argv[argi], &data, &size) != napi_ok)
      return prv_throw(env, 0, "%s: argument %d must be a Uint8Array or an ArrayBuffer", fn, argi);
  } else {
    return prv_throw(env, 0, "%s: argument %d must be a Uint8Array or an ArrayBuffer", fn, argi);
  }
  if (prv_u32(env, argv[argi + 1], fn, argi + 1, &off) < 0 || prv_u32(env, argv[argi + 2], fn, argi + 2, &n) < 0) return -1;
  if ((uint64_t)off + n > size) return prv_throw(env, 1, "%s: argument %d: array buffer overflow (offset + length > size)", fn, argi);
  *p = (uint8_t *)data + off;
  *len = n;
  return 0;
}

static napi_value prv_int(napi_env env, int r) {
  napi_value v;
  napi_create_int32(env, r, &v);
  return v;
}

static napi_value prv_dbl(napi_env env, double r) {
  napi_value v;
  napi_create_double(env, r, &v);
  return v;
}

/* Fetches up to N arguments (missing ones are undefined) and this environment's instance. */
#define DMN_ARGS(N)                                                                 \
  size_t argc = (N) > 0 ? (N) : 1;                                                  \
  napi_value argv[(N) > 0 ? (N) : 1];                                               \
  dmn_inst_t *inst;                                                                 \
  if (napi_get_cb_info(env, info, &argc, argv, NULL, (void **)&inst) != napi_ok) return NULL

static void prv_unwatch(dmn_inst_t *inst, uint32_t h);

/* ------------------------------------------------------------------ one shim per signature family */

#define DMN_SHIM_D(js, fn)                                                          \
  static napi_value dmn_##js(napi_env env, napi_callback_info info) {               \
    DMN_ARGS(0);                                                                    \
    (void)argv;                                                                     \
    return prv_dbl(env, fn(&inst->ctx));                                            \
  }
#define DMN_SHIM_B(js, fn)                                                          \
  static napi_value dmn_##js(napi_env env, napi_callback_info info) {               \
    DMN_ARGS(3);                                                                    \
    uint8_t *p;                                                                     \
    uint32_t n;                                                                     \
    if (prv_buf(env, argv, #js, 0, &p, &n) < 0) return NULL;                        \
    return prv_int(env, fn(&inst->ctx, p, n));                                      \
  }
#define DMN_SHIM_S(js, fn)                                                          \
  static napi_value dmn_##js(napi_env env, napi_callback_info info) {               \
    DMN_ARGS(1);                                                                    \
    char s0[DM_STR_MAX + 1];                                                        \
    if (prv_str(env, argv[0], #js, 0, s0) < 0) return NULL;                         \
    return prv_int(env, fn(&inst->ctx, s0));                                        \
  }
#define DMN_SHIM_SS(js, fn)                                                         \
  static napi_value dmn_##js(napi_env env, napi_callback_info info) {               \
    DMN_ARGS(2);                                                                    \
    char s0[DM_STR_MAX + 1], s1[DM_STR_MAX + 1];                                    \
    if (prv_str(env, argv[0], #js, 0, s0) < 0 || prv_str(env, argv[1], #js, 1, s1) < 0) return NULL; \
    return prv_int(env, fn(&inst->ctx, s0, s1));                                    \
  }
#define DMN_SHIM_SU(js, fn)                                                         \
  static napi_value dmn_##js(napi_env env, napi_callback_info info) {               \
    DMN_ARGS(2);                                                                    \
    char s0[DM_STR_MAX + 1];                                                        \
    uint32_t u1;                                                                    \
    if (prv_str(env, argv[0], #js, 0, s0) < 0 || prv_u32(env, argv[1], #js, 1, &u1) < 0) return NULL; \
    return prv_int(env, fn(&inst->ctx, s0, u1));                                    \
  }
#define DMN_SHIM_SUU(js, fn)                                                        \
  static napi_value dmn_##js(napi_env env, napi_callback_info info) {               \
    DMN_ARGS(3);                                                                    \
    char s0[DM_STR_MAX + 1];                                                        \
    uint32_t u1, u2;                                                                \
    if (prv_str(env, argv[0], #js, 0, s0) < 0 || prv_u32(env, argv[1], #js, 1, &u1) < 0 || \
        prv_u32(env, argv[2], #js, 2, &u2) < 0)                                     \
      return NULL;                                                                  \
    return prv_int(env, fn(&inst->ctx, s0, u1, u2));                                \
  }
#define DMN_SHIM_SUUUU(js, fn)                                                      \
  static napi_value dmn_##js(napi_env env, napi_callback_info info) {               \
    DMN_ARGS(5);                                                                    \
    char s0[DM_STR_MAX + 1];                                                        \
    uint32_t u[4];                                                                  \
    if (prv_str(env, argv[0], #js, 0, s0) < 0) return NULL;                         \
    for (int k = 0; k < 4; k++)                                                     \
      if (prv_u32(env, argv[1 + k], #js, 1 + k, &u[k]) < 0) return NULL;            \
    return prv_int(env, fn(&inst->ctx, s0, u[0], u[1], u[2], u[3]));                \
  }
#define DMN_SHIM_UU(js, fn)                                                         \
  static napi_value dmn_##js(napi_env env, napi_callback_info info) {               \
    DMN_ARGS(2);                                                                    \
    uint32_t u0, u1;                                                                \
    if (prv_u32(env, argv[0], #js, 0, &u0) < 0 || prv_u32(env, argv[1], #js, 1, &u1) < 0) return NULL; \
    return prv_int(env, fn(&inst->ctx, u0, u1));                                    \
  }
#define DMN_SHIM_H(js, fn)                                                          \
  static napi_value dmn_##js(napi_env env, napi_callback_info info) {               \
    DMN_ARGS(1);                                                                    \
    uint32_t h;                                                                     \
    if (prv_u32(env, argv[0], #js, 0, &h) < 0) return NULL;                         \
    return prv_int(env, fn(&inst->ctx, h));                                         \
  }
#define DMN_SHIM_CLOSE(js, fn)                                                      \
  static napi_value dmn_##js(napi_env env, napi_callback_info info) {               \
    DMN_ARGS(1);                                                                    \
    uint32_t h;                                                                     \
    if (prv_u32(env, argv[0], #js, 0, &h) < 0) return NULL;                         \
    prv_unwatch(inst, h); /* stop polling before the fd goes away */                \
    return prv_int(env, fn(&inst->ctx, h));                                         \
  }
#define DMN_SHIM_HB(js, fn)                                                         \
  static napi_value dmn_##js(napi_env env, napi_callback_info info) {               \
    DMN_ARGS(4);                                                                    \
    uint32_t h, n;                                                                  \
    uint8_t *p;                                                                     \
    if (prv_u32(env, argv[0], #js, 0, &h) < 0 || prv_buf(env, argv, #js, 1, &p, &n) < 0) return NULL; \
    return prv_int(env, fn(&inst->ctx, h, p, n));                                   \
  }
#define DMN_SHIM_HUB(js, fn)                                                        \
  static napi_value dmn_##js(napi_env env, napi_callback_info info) {               \
    DMN_ARGS(5);                                                                    \
    uint32_t h, u1, n;                                                              \
    uint8_t *p;                                                                     \
    if (prv_u32(env, argv[0], #js, 0, &h) < 0 || prv_u32(env, argv[1], #js, 1, &u1) < 0 || \
        prv_buf(env, argv, #js, 2, &p, &n) < 0)                                     \
      return NULL;                                                                  \
    return prv_int(env, fn(&inst->ctx, h, u1, p, n));                               \
  }
#define DMN_SHIM_HUUU(js, fn)                                                       \
  static napi_value dmn_##js(napi_env env, napi_callback_info info) {               \
    DMN_ARGS(4);                                                                    \
    uint32_t u[4];                                                                  \
    for (int k = 0; k < 4; k++)                                                     \
      if (prv_u32(env, argv[k], #js, k, &u[k]) < 0) return NULL;                    \
    return prv_int(env, fn(&inst->ctx, u[0], u[1], u[2], u[3]));                    \
  }

/* The compiler checks each core prototype against its family type and each arity column. */
#define DMN_EXPAND(js, arity, fn, fam)                                              \
  __attribute__((unused)) static const dm_sig_##fam dmn_check_##js = fn;            \
  _Static_assert(arity == DM_ARITY_##fam, "arity of " #js " does not match family " #fam); \
  DMN_SHIM_##fam(js, fn)
DM_NATIVE_FUNCS(DMN_EXPAND)
#undef DMN_EXPAND

/* ------------------------------------------------------------------ watch / unwatch (uv_poll) */

static void prv_free_watch(uv_handle_t *p) { free(p); }

static void prv_on_poll(uv_poll_t *p, int status, int events) {
  (void)status; /* errors (POLLERR/POLLHUP) are reported as readable: the next poll returns the errno */
  (void)events;
  dmn_watch_t *w = (dmn_watch_t *)p;
  napi_env env = w->env;
  napi_handle_scope scope;
  napi_value cb, recv, res;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  /* napi_make_callback converts `recv` to an object: give it the global object, not undefined. */
  if (napi_get_reference_value(env, w->cb, &cb) == napi_ok && cb != NULL && napi_get_global(env, &recv) == napi_ok) {
    /* w may be unwatched (and its close scheduled) inside the callback: do not touch it afterwards. */
    if (napi_make_callback(env, w->actx, recv, cb, 0, NULL, &res) == napi_pending_exception) {
      napi_value err;
      napi_get_and_clear_last_exception(env, &err);
      napi_fatal_exception(env, err);
    }
  }
  napi_close_handle_scope(env, scope);
}

/* Stops and releases the watch of handle h (if any). `js` = 0 during environment teardown. */
static void prv_release_watch(dmn_inst_t *inst, int k, int js) {
  dmn_watch_t *w = inst->watch[k];
  inst->watch[k] = NULL;
  uv_poll_stop(&w->poll);
  if (js) {
    napi_delete_reference(w->env, w->cb);
    napi_async_destroy(w->env, w->actx);
  }
  uv_close((uv_handle_t *)&w->poll, prv_free_watch);
}

static void prv_unwatch(dmn_inst_t *inst, uint32_t h) {
  for (int k = 0; k < DMN_MAX_WATCH; k++)
    if (inst->watch[k] && inst->watch[k]->h == h) prv_release_watch(inst, k, 1);
}

/* watch(h, cb) → 0 | -errno: cb() is called from the event loop whenever h's fd is readable. */
static napi_value dmn_watch(napi_env env, napi_callback_info info) {
  DMN_ARGS(2);
  uint32_t h;
  napi_valuetype t;
  uv_loop_t *loop;
  if (prv_u32(env, argv[0], "watch", 0, &h) < 0) return NULL;
  if (napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function) {
    prv_throw(env, 0, "%s: argument %d must be a function", "watch", 1);
    return NULL;
  }
  int fd = dm_handle_fd(&inst->ctx, h);
  if (fd < 0) return prv_int(env, fd);
  prv_unwatch(inst, h); /* a second watch replaces the first */
  int k = 0;
  while (k < DMN_MAX_WATCH && inst->watch[k]) k++;
  if (k == DMN_MAX_WATCH) return prv_int(env, -EMFILE);
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return prv_int(env, -ENOSYS);
  dmn_watch_t *w = calloc(1, sizeof *w);
  if (!w) return prv_int(env, -ENOMEM);
  int r = uv_poll_init(loop, &w->poll, fd);
  if (r < 0) {
    free(w);
    return prv_int(env, r); /* libuv errors are -errno on Unix */
  }
  napi_value name;
  w->env = env;
  w->h = h;
  napi_create_string_utf8(env, "dm_native.watch", NAPI_AUTO_LENGTH, &name);
  napi_create_reference(env, argv[1], 1, &w->cb);
  napi_async_init(env, NULL, name, &w->actx);
  inst->watch[k] = w;
  r = uv_poll_start(&w->poll, UV_READABLE, prv_on_poll);
  if (r < 0) prv_release_watch(inst, k, 1);
  return prv_int(env, r < 0 ? r : 0);
}

/* unwatch(h) → 0: stops the watch of h (no-op when there is none). */
static napi_value dmn_unwatch(napi_env env, napi_callback_info info) {
  DMN_ARGS(1);
  uint32_t h;
  if (prv_u32(env, argv[0], "unwatch", 0, &h) < 0) return NULL;
  prv_unwatch(inst, h);
  return prv_int(env, 0);
}

/* ------------------------------------------------------------------ module */

static void prv_cleanup(void *arg) {
  dmn_inst_t *inst = arg;
  for (int k = 0; k < DMN_MAX_WATCH; k++)
    if (inst->watch[k]) prv_release_watch(inst, k, 0);
  dm_ctx_close_all(&inst->ctx);
  free(inst);
}

static napi_value prv_object_ints(napi_env env, const char *const *names, const int *values, size_t n) {
  napi_value obj, v;
  napi_create_object(env, &obj);
  for (size_t i = 0; i < n; i++) {
    napi_create_int32(env, values[i], &v);
    napi_set_named_property(env, obj, names[i], v);
  }
  napi_object_freeze(env, obj);
  return obj;
}

NAPI_MODULE_INIT() {
  dmn_inst_t *inst = calloc(1, sizeof *inst);
  if (!inst) {
    napi_throw_error(env, "ENOMEM", "dm_native: out of memory");
    return NULL;
  }
  dm_ctx_init(&inst->ctx);
  napi_add_env_cleanup_hook(env, prv_cleanup, inst);

#define DMN_PROP(js, arity, fn, fam) {#js, NULL, dmn_##js, NULL, NULL, NULL, napi_enumerable, inst},
  napi_property_descriptor funcs[] = {
      DM_NATIVE_FUNCS(DMN_PROP)
      {"watch", NULL, dmn_watch, NULL, NULL, NULL, napi_enumerable, inst},
      {"unwatch", NULL, dmn_unwatch, NULL, NULL, NULL, napi_enumerable, inst},
  };
#undef DMN_PROP
  napi_define_properties(env, exports, sizeof funcs / sizeof funcs[0], funcs);

#define DMN_NAME(n, v) #n,
#define DMN_VALUE(n, v) (int)(v),
  static const char *const const_names[] = {DM_NATIVE_CONSTS(DMN_NAME)};
  static const int const_values[] = {DM_NATIVE_CONSTS(DMN_VALUE)};
#undef DMN_NAME
#undef DMN_VALUE
#define DMN_ENAME(n) #n,
#define DMN_EVALUE(n) n,
  static const char *const errno_names[] = {DM_NATIVE_ERRNOS(DMN_ENAME)};
  static const int errno_values[] = {DM_NATIVE_ERRNOS(DMN_EVALUE)};
#undef DMN_ENAME
#undef DMN_EVALUE
  napi_set_named_property(env, exports, "constants",
                          prv_object_ints(env, const_names, const_values, sizeof const_values / sizeof const_values[0]));
  napi_set_named_property(env, exports, "errno",
                          prv_object_ints(env, errno_names, errno_values, sizeof errno_values / sizeof errno_values[0]));
  return exports;
}
