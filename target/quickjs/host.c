/*
 * host.c — the omadm program for QuickJS: embeds the application bytecode (the modules of build/dist/qjs/ compiled
 * by qjsc, module by module, into dmq_app_bc[] (the entry) and dmq_app_modules[] (loaded on import),
 * scripts/qjs-modules.mjs), registers the std, os and dm_native modules, and runs the QuickJS event
 * loop (os timers + fd read/write handlers) until nothing is left to wait for.
 *
 *   omadm [host options] [--] [application arguments...]
 *     --memory-limit N   hard JS heap limit in bytes (suffix k/K = KiB, m/M = MiB); 0 = none (default).
 *                        Applied after the runtime and context exist (about 150 KB of it is QuickJS's
 *                        own base); the application may tighten it from its configuration
 *                        (dmHost.setMemoryLimit).
 *     --stack-size N     JS stack limit in bytes (same suffixes; default 256 KiB).
 *     --mem-report       print heap usage and the high-water mark to stderr at exit.
 *     --mem-report=full  also a census (JS_DumpMemoryUsage) of the largest heap the interrupt handler saw
 *                        and of the live heap at exit, the pool's pages, peak RSS, and the heap each
 *                        embedded module adds when it is loaded. OMADM_MEM_CENSUS=FILE in the
 *                        environment turns it on and appends it to FILE (for runs driven by tests).
 *     --run FILE         run the JS module FILE instead of the embedded application (development
 *                        and tests: it gets the same std/os/dm_native modules and limits).
 *   The application sees `scriptArgs` = [program, application arguments...].
 *
 * Exit status: the one set with dmHost.setExitCode/exit (default 0); 1 when evaluation throws, when a
 * promise rejection is still unhandled once the loop ends (QuickJS alone would exit 0, toolchain P13),
 * or when the heap limit made loading fail; 2 for bad host options.
 *
 * Global `dmHost` (QuickJS host services, declared in target/quickjs/types.d.ts):
 *   memoryUsage() → { used, peak, limit, allocations }   bytes as the allocator hooks count them: pool
 *                           pages whole, malloc blocks with their 8 B header (see prv_malloc)
 *   setMemoryLimit(bytes)   0 = unlimited
 *   gc()                    full collection
 *   setExitCode(code)       status used when the loop ends normally
 *   exit(code)              prints the memory report (if requested) and exits now
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "quickjs-libc.h"
#include "quickjs/dm_qjs.h"
#include "qjs_pool.h"

/*
 * QuickJS's libc (std and os modules, event loop) compiled into this file rather than taken from
 * libquickjs.a (whose quickjs-libc.o the linker then never pulls in), so that the application's std
 * and os modules can be made with only the exports it uses (prv_init_app_modules). Third-party code:
 * its warnings are not ours.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wall"
#pragma GCC diagnostic ignored "-Wextra"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wcast-function-type"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include "quickjs-libc.c"
#pragma GCC diagnostic pop

extern const uint8_t dmq_app_bc[];
extern const uint32_t dmq_app_bc_size;

/*
 * The application's other bytecode modules (scripts/qjs-modules.mjs): the chunks the entry imports and
 * the modules it loads with a dynamic import() (the push side, FUMO, diagnostics...), read by
 * prv_module_loader the first time they are imported, so code a command never imports never enters
 * the heap. Weak: a host linked without them (bench/host-stub.c) has none.
 */
typedef struct { const char *name; const uint8_t *bc; uint32_t size; } dmq_module_t;
extern const dmq_module_t dmq_app_modules[] __attribute__((weak));
extern const uint32_t dmq_app_modules_count __attribute__((weak));

/** Same per-allocation overhead QuickJS's default allocator accounts (glibc's chunk header on 64-bit). */
#define PRV_MALLOC_OVERHEAD 8
/** Room a glibc realloc is given beyond the request: alignment and a kept remainder (each under 32 B)
 * plus PRV_MALLOC_OVERHEAD. */
#define PRV_REALLOC_SLOP 64
/** Requests from this size may be served by mmap (glibc's default threshold): whole pages then. */
#define PRV_MMAP_MIN (128 * 1024)
/** Unhandled rejections remembered (more are counted, not kept). */
#define PRV_MAX_REJECTIONS 8

/** Host state (one per process; lives in main's frame). */
typedef struct prv_host {
    size_t peak;          /* high-water mark of JSMallocState.malloc_size */
    size_t gc_base;       /* live heap after the host's last collection, lowered by frees (GC policy) */
    const JSMallocState *ms; /* the runtime's allocator state (set by the first allocation) */
    int mem_report;       /* --mem-report (1), --mem-report=full (2: census at the high-water mark too) */
    const char *census_file; /* OMADM_MEM_CENSUS: where the full report goes (else stderr) */
    size_t census_at;     /* heap size of the census below (full report) */
    JSMemoryUsage census; /* JS_ComputeMemoryUsage at the largest heap an interrupt saw (full report) */
    size_t census_pages, census_pooled, census_blocks; /* pool pages in use, bytes and blocks handed out, then */
    int exit_code;        /* dmHost.setExitCode */
    int rejections;       /* unhandled rejections currently pending (may exceed the kept ones) */
    JSValue rej_promise[PRV_MAX_REJECTIONS]; /* kept pending rejections (dup'd), JS_UNDEFINED when free */
    JSValue rej_reason[PRV_MAX_REJECTIONS];
    JSRuntime *rt;
    JSContext *ctx;
    prv_pool_t pool;      /* small blocks of the JS heap (qjs_pool.h) */
} prv_host_t;

/*
 * The process's one host state (set in main before the runtime exists). A static because QuickJS's
 * runtime opaque belongs to quickjs-libc, the context opaque to dm_native, and the allocator's
 * usable-size hook gets no state.
 */
static prv_host_t *prv_self;

/* ------------------------------------------------------------------ allocator with a high-water mark */

/*
 * Garbage collection policy. QuickJS collects when an object allocation finds the heap above a
 * threshold it resets to 1.5 x the live size after every collection, and it never collects when an
 * allocation hits the memory limit: it fails. So garbage up to half the live heap inflates the
 * high-water mark, and under a hard limit a program can run out of memory while much of its heap is
 * reclaimable. The host keeps the heap within a slack of its live size instead:
 *   - gc_base is the live size after the last collection the host ran, lowered by every free;
 *   - slack = half of gc_base and at least 64 KB, or under a limit at most a quarter of the room left
 *     (limit - gc_base);
 *   - the interrupt handler (QuickJS calls it every ~10,000 calls/jumps) collects when the heap is
 *     more than gc_base + slack, then sets gc_base to what is left;
 *   - QuickJS's own threshold is held at gc_base + 2 x slack (below the limit) for allocation bursts
 *     without JS in between (reading bytecode, native calls).
 * The high-water mark is then live data plus at most about two slacks of garbage. Setting the
 * threshold only stores a number: safe from inside the allocator. Collecting from the interrupt
 * handler is as safe as QuickJS's own collections at object allocations (refcounts are consistent
 * between bytecodes).
 */
#define PRV_GC_SLACK (64 * 1024)

static size_t prv_gc_slack(const JSMallocState *s, size_t base) {
    /* half the live heap (QuickJS's own ratio) and at least 64 KB: a full collection walks every
     * object, so a fixed small slack would collect after every few kilobytes of cyclic garbage on a
     * large heap; a limit then caps it to a quarter of the room left */
    size_t slack = base / 2;
    if (slack < PRV_GC_SLACK) slack = PRV_GC_SLACK;
    if (s->malloc_limit != (size_t)-1) {
        size_t room = s->malloc_limit > base ? (s->malloc_limit - base) / 4 : 0;
        if (slack > room) slack = room;
    }
    return slack;
}

static void prv_track(JSMallocState *s) {
    prv_host_t *h = s->opaque;
    if (s->malloc_size > h->peak) h->peak = s->malloc_size;
    h->ms = s;
    if (h->rt) JS_SetGCThreshold(h->rt, h->gc_base + 2 * prv_gc_slack(s, h->gc_base));
}

/** Interrupt handler: a collection when the heap grew a slack above its live size. Never interrupts. */
static int prv_interrupt(JSRuntime *rt, void *opaque) {
    prv_host_t *h = opaque;
    const JSMallocState *s = h->ms;
    if (h->mem_report > 1 && s && s->malloc_size > h->census_at) {
        JS_ComputeMemoryUsage(rt, &h->census);
        h->census_at = s->malloc_size;
        prv_pool_stats(&h->pool, &h->census_pages, &h->census_pooled);
        h->census_blocks = h->pool.blocks;
    }
    if (s && s->malloc_size > h->gc_base + prv_gc_slack(s, h->gc_base)) {
        JS_RunGC(rt);
        h->gc_base = s->malloc_size;
    }
    return 0;
}

/** Sets gc_base to the current size (after loading code that stays: the slack starts above it). */
static void prv_gc_rebase(prv_host_t *h) {
    if (h->ms && h->ms->malloc_size > h->gc_base) h->gc_base = h->ms->malloc_size;
}

static size_t prv_host_base(const JSMallocState *s) { return ((const prv_host_t *)s->opaque)->gc_base; }

/*
 * The heap's size (JSMallocState.malloc_size, what the limit bounds and the high-water mark records)
 * is every pool page the pool holds, whole (qjs_pool.h), plus every malloc block as glibc keeps it:
 * its usable size and PRV_MALLOC_OVERHEAD. Blocks of up to PRV_POOL_MAX bytes come from the pool, or
 * from malloc when the pool cannot take a page (arena full, or less than a page of room under the
 * limit). malloc_count counts blocks of both kinds.
 */
static void *prv_malloc(JSMallocState *s, size_t size) {
    prv_host_t *h = s->opaque;
    size_t room = s->malloc_limit > s->malloc_size ? s->malloc_limit - s->malloc_size : 0;
    size_t held = h->pool.held;
    void *p = prv_pool_alloc(&h->pool, size, room);
    if (p) {
        s->malloc_size += h->pool.held - held;
    } else {
        if (size + PRV_MALLOC_OVERHEAD > room) return NULL;
        if (!(p = malloc(size))) return NULL;
        size_t n = malloc_usable_size(p) + PRV_MALLOC_OVERHEAD;
        if (n > room) { /* glibc's rounding crossed the limit */
            free(p);
            return NULL;
        }
        s->malloc_size += n;
    }
    s->malloc_count++;
    prv_track(s);
    return p;
}

static void prv_free(JSMallocState *s, void *p) {
    if (!p) return;
    prv_host_t *h = s->opaque;
    s->malloc_count--;
    size_t held = h->pool.held;
    if (prv_pool_free(&h->pool, p)) {
        s->malloc_size -= held - h->pool.held;
    } else {
        s->malloc_size -= malloc_usable_size(p) + PRV_MALLOC_OVERHEAD;
        free(p);
    }
    if (s->malloc_size < h->gc_base) h->gc_base = s->malloc_size;
}

static size_t prv_usable(const void *p) {
    size_t n = prv_pool_usable(&prv_self->pool, p);
    return n ? n : malloc_usable_size((void *)p);
}

static void *prv_realloc(JSMallocState *s, void *p, size_t size) {
    if (!p) return size ? prv_malloc(s, size) : NULL;
    if (size == 0) {
        prv_free(s, p);
        return NULL;
    }
    prv_host_t *h = s->opaque;
    size_t pooled = prv_pool_usable(&h->pool, p);
    if (pooled || size <= PRV_POOL_MAX) {
        /* a pool block stays when the size keeps its class; any other move between classes or
         * between the pool and malloc is a new block, a copy and a free */
        if (pooled && prv_pool_class(size) == prv_pool_class(pooled) && size <= PRV_POOL_MAX) return p;
        size_t old = pooled ? pooled : malloc_usable_size(p);
        void *q = prv_malloc(s, size);
        /* a shrink never fails (QuickJS relies on it in places): the block is big enough */
        if (!q) return size <= old ? p : NULL;
        memcpy(q, p, old < size ? old : size);
        prv_free(s, p);
        return q;
    }
    /* glibc may hand back more than asked (a chunk extended in place keeps a remainder under its
     * minimum size; an mmap'ed chunk is whole pages): the check leaves room for that, so the heap never
     * passes its limit (a block realloc moved cannot be handed back) */
    size_t old = malloc_usable_size(p);
    size_t slop = PRV_REALLOC_SLOP + (size >= PRV_MMAP_MIN ? (size_t)sysconf(_SC_PAGESIZE) : 0);
    if (size > old && s->malloc_size - old + size + slop > s->malloc_limit) return NULL; /* a shrink never fails */
    void *q = realloc(p, size);
    if (!q) return NULL;
    s->malloc_size += malloc_usable_size(q) - old;
    if (s->malloc_size < prv_host_base(s)) ((prv_host_t *)s->opaque)->gc_base = s->malloc_size;
    prv_track(s);
    return q;
}

static const JSMallocFunctions prv_mf = { prv_malloc, prv_free, prv_realloc, prv_usable };

/* ------------------------------------------------------------------ unhandled rejections (P13) */

static void prv_rejection(JSContext *ctx, JSValueConst promise, JSValueConst reason, JS_BOOL is_handled, void *opaque) {
    prv_host_t *h = opaque;
    if (!is_handled) {
        h->rejections++;
        for (int i = 0; i < PRV_MAX_REJECTIONS; i++) {
            if (JS_IsUndefined(h->rej_promise[i])) {
                h->rej_promise[i] = JS_DupValue(ctx, promise);
                h->rej_reason[i] = JS_DupValue(ctx, reason);
                return;
            }
        }
        return;
    }
    /* a handler was attached later: forget it */
    for (int i = 0; i < PRV_MAX_REJECTIONS; i++) {
        if (JS_VALUE_GET_PTR(h->rej_promise[i]) == JS_VALUE_GET_PTR(promise) && !JS_IsUndefined(h->rej_promise[i])) {
            JS_FreeValue(ctx, h->rej_promise[i]);
            JS_FreeValue(ctx, h->rej_reason[i]);
            h->rej_promise[i] = h->rej_reason[i] = JS_UNDEFINED;
            break;
        }
    }
    if (h->rejections > 0) h->rejections--;
}

/** Prints and releases the pending rejections; returns how many there were. */
static int prv_flush_rejections(prv_host_t *h) {
    int n = h->rejections;
    for (int i = 0; i < PRV_MAX_REJECTIONS; i++) {
        if (JS_IsUndefined(h->rej_promise[i])) continue;
        fprintf(stderr, "omadm: unhandled promise rejection: ");
        JS_Throw(h->ctx, JS_DupValue(h->ctx, h->rej_reason[i])); /* js_std_dump_error prints the pending exception */
        js_std_dump_error(h->ctx);
        JS_FreeValue(h->ctx, h->rej_promise[i]);
        JS_FreeValue(h->ctx, h->rej_reason[i]);
        h->rej_promise[i] = h->rej_reason[i] = JS_UNDEFINED;
    }
    h->rejections = 0;
    return n;
}

/* ------------------------------------------------------------------ dmHost */

static prv_host_t *prv_host(JSContext *ctx) { (void)ctx; return prv_self; }

static void prv_mem_summary(FILE *out, const prv_host_t *h, const JSMemoryUsage *mu) {
    char limit[32];
    if (mu->malloc_limit == (int64_t)(size_t)-1) snprintf(limit, sizeof limit, "none");
    else snprintf(limit, sizeof limit, "%lld B", (long long)mu->malloc_limit);
    fprintf(out, "omadm: heap used %lld B in %lld allocations, high-water %zu B, limit %s\n",
            (long long)mu->malloc_size, (long long)mu->malloc_count, h->peak, limit);
    fprintf(out, "omadm: objects %lld, strings %lld (%lld B), functions %lld (bytecode %lld B), arrays %lld\n",
            (long long)mu->obj_count, (long long)mu->str_count, (long long)mu->str_size, (long long)mu->js_func_count,
            (long long)mu->js_func_code_size, (long long)mu->array_count);
}

/** Where the full report goes: OMADM_MEM_CENSUS's file (appended; close it with prv_census_close), else stderr. */
static FILE *prv_census_open(const prv_host_t *h) {
    FILE *f = h->census_file ? fopen(h->census_file, "a") : NULL;
    return f ? f : stderr;
}

static void prv_census_close(FILE *f) {
    if (f != stderr) fclose(f);
}

/** Full report: what reading a bytecode module added to the heap. */
static void prv_census_module(const prv_host_t *h, const char *name, uint32_t bc_size, size_t added) {
    FILE *out = prv_census_open(h);
    fprintf(out, "omadm: module %s: %u B of bytecode, heap +%zu B\n", name, bc_size, added);
    prv_census_close(out);
}

/** --mem-report: the summary on stderr; the full report adds the censuses (prv_census_open). */
static void prv_mem_report(prv_host_t *h) {
    JSMemoryUsage mu;
    JS_ComputeMemoryUsage(h->rt, &mu);
    prv_mem_summary(stderr, h, &mu);
    if (h->mem_report < 2) return;
    FILE *out = prv_census_open(h);
    if (out != stderr) prv_mem_summary(out, h, &mu);
    size_t pages, pooled;
    prv_pool_stats(&h->pool, &pages, &pooled);
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) fprintf(out, "omadm: peak RSS %ld KiB\n", (long)ru.ru_maxrss);
    fprintf(out, "omadm: pool at exit: %zu blocks, %zu B in %zu pages in use (%zu B held)\n", h->pool.blocks, pooled, pages,
            h->pool.held);
    fprintf(out, "omadm: census at the largest heap an interrupt saw (%zu B; pool: %zu blocks, %zu B in %zu pages):\n",
            h->census_at, h->census_blocks, h->census_pooled, h->census_pages);
    JS_DumpMemoryUsage(out, &h->census, h->rt);
    fprintf(out, "omadm: census of the live heap at exit:\n");
    JS_DumpMemoryUsage(out, &mu, h->rt);
    prv_census_close(out);
}

static JSValue prv_js_memory_usage(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    prv_host_t *h = prv_host(ctx);
    JSMemoryUsage mu;
    JS_ComputeMemoryUsage(h->rt, &mu);
    JSValue o = JS_NewObject(ctx);
    JS_SetPropertyStr(ctx, o, "used", JS_NewInt64(ctx, mu.malloc_size));
    JS_SetPropertyStr(ctx, o, "peak", JS_NewInt64(ctx, (int64_t)h->peak));
    JS_SetPropertyStr(ctx, o, "limit", JS_NewInt64(ctx, mu.malloc_limit == (int64_t)(size_t)-1 ? 0 : mu.malloc_limit));
    JS_SetPropertyStr(ctx, o, "allocations", JS_NewInt64(ctx, mu.malloc_count));
    return o;
}

static JSValue prv_js_set_memory_limit(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    double d;
    if (!JS_IsNumber(argv[0]) || JS_ToFloat64(ctx, &d, argv[0]) || d < 0 || d > 4294967295.0 || d != (double)(uint64_t)d)
        return JS_ThrowTypeError(ctx, "setMemoryLimit: bytes must be an integer in [0, 2^32-1]");
    JS_SetMemoryLimit(JS_GetRuntime(ctx), d == 0 ? (size_t)-1 : (size_t)d);
    return JS_UNDEFINED;
}

static JSValue prv_js_gc(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    prv_host_t *h = prv_host(ctx);
    JS_RunGC(JS_GetRuntime(ctx));
    if (h->ms) h->gc_base = h->ms->malloc_size;
    return JS_UNDEFINED;
}

static JSValue prv_js_set_exit_code(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    int32_t c;
    if (!JS_IsNumber(argv[0]) || JS_ToInt32(ctx, &c, argv[0]) || c < 0 || c > 255)
        return JS_ThrowTypeError(ctx, "setExitCode: code must be an integer in [0, 255]");
    prv_host(ctx)->exit_code = c;
    return JS_UNDEFINED;
}

static JSValue prv_js_exit(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    int32_t c;
    if (!JS_IsNumber(argv[0]) || JS_ToInt32(ctx, &c, argv[0]) || c < 0 || c > 255)
        return JS_ThrowTypeError(ctx, "exit: code must be an integer in [0, 255]");
    prv_host_t *h = prv_host(ctx);
    if (h->mem_report) prv_mem_report(h);
    fflush(stdout);
    fflush(stderr);
    exit(c);
}

/* ------------------------------------------------------------------ UTF-8 (src/util/utf8.ts setUtf8Native) */

/* The Uint8Array view argv[0] as (pointer, length), or NULL with a TypeError thrown. */
static uint8_t *prv_u8(JSContext *ctx, JSValueConst v, size_t *len) {
    size_t off, n, per, abn;
    JSValue ab = JS_GetTypedArrayBuffer(ctx, v, &off, &n, &per);
    if (JS_IsException(ab)) return NULL;
    uint8_t *p = JS_GetArrayBuffer(ctx, &abn, ab);
    JS_FreeValue(ctx, ab);
    if (!p || per != 1 || off + n > abn) {
        if (p) JS_ThrowTypeError(ctx, "expected a Uint8Array");
        return NULL;
    }
    *len = n;
    return p + off;
}

/* Strict UTF-8 (what utf8.ts decodes without replacement): no overlongs, surrogates or > U+10FFFF. */
static int prv_is_utf8(const uint8_t *p, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        if (c < 0x80) { i++; continue; }
        size_t need;
        uint32_t cp, min;
        if (c >= 0xc2 && c <= 0xdf) { need = 1; cp = c & 0x1f; min = 0x80; }
        else if (c >= 0xe0 && c <= 0xef) { need = 2; cp = c & 0x0f; min = 0x800; }
        else if (c >= 0xf0 && c <= 0xf4) { need = 3; cp = c & 0x07; min = 0x10000; }
        else return 0;
        if (n - i <= need) return 0;
        for (size_t k = 1; k <= need; k++) {
            if ((p[i + k] & 0xc0) != 0x80) return 0;
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
        i += need + 1;
    }
    return 1;
}

/* dmHost.utf8Decode(u8, start, end) → the string of u8[start, end), or undefined when those bytes are
 * not strict UTF-8 (the portable decoder then applies its U+FFFD rules). */
static JSValue prv_js_utf8_decode(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    size_t n;
    uint32_t a, b;
    uint8_t *p = prv_u8(ctx, argv[0], &n);
    if (!p) return JS_EXCEPTION;
    if (JS_ToUint32(ctx, &a, argv[1]) || JS_ToUint32(ctx, &b, argv[2])) return JS_EXCEPTION;
    if (a > b || b > n) return JS_ThrowRangeError(ctx, "utf8Decode: range outside the array");
    if (!prv_is_utf8(p + a, b - a)) return JS_UNDEFINED;
    return JS_NewStringLen(ctx, (const char *)p + a, b - a);
}

/* dmHost.utf8EncodeInto(s, u8, pos) → the position after the UTF-8 of s written at pos, -1 when it
 * does not fit (nothing written), -2 when the conversion itself ran out of memory (the portable
 * encoder then runs). Lone surrogates become U+FFFD, as in utf8.ts: QuickJS keeps them as 3-byte
 * ED A0..BF xx sequences, which are the same length as EF BF BD. */
static JSValue prv_js_utf8_encode_into(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    size_t n, sl;
    uint32_t pos;
    if (!JS_IsString(argv[0])) return JS_ThrowTypeError(ctx, "utf8EncodeInto: expected a string");
    uint8_t *p = prv_u8(ctx, argv[1], &n);
    if (!p) return JS_EXCEPTION;
    if (JS_ToUint32(ctx, &pos, argv[2])) return JS_EXCEPTION;
    if (pos > n) return JS_ThrowRangeError(ctx, "utf8EncodeInto: position outside the array");
    const char *s = JS_ToCStringLen(ctx, &sl, argv[0]);
    if (!s) {
        JS_FreeValue(ctx, JS_GetException(ctx));
        return JS_NewInt32(ctx, -2);
    }
    if (sl > n - pos) {
        JS_FreeCString(ctx, s);
        return JS_NewInt32(ctx, -1);
    }
    uint8_t *q = p + pos;
    memcpy(q, s, sl);
    JS_FreeCString(ctx, s);
    for (size_t i = 0; i + 2 < sl; i++) {
        if (q[i] == 0xed && q[i + 1] >= 0xa0) { q[i] = 0xef; q[i + 1] = 0xbf; q[i + 2] = 0xbd; i += 2; }
    }
    return JS_NewInt64(ctx, (int64_t)(pos + sl));
}

static const JSCFunctionListEntry prv_dmhost_funcs[] = {
    JS_CFUNC_DEF("memoryUsage", 0, prv_js_memory_usage),
    JS_CFUNC_DEF("setMemoryLimit", 1, prv_js_set_memory_limit),
    JS_CFUNC_DEF("gc", 0, prv_js_gc),
    JS_CFUNC_DEF("setExitCode", 1, prv_js_set_exit_code),
    JS_CFUNC_DEF("exit", 1, prv_js_exit),
    JS_CFUNC_DEF("utf8Decode", 3, prv_js_utf8_decode),
    JS_CFUNC_DEF("utf8EncodeInto", 3, prv_js_utf8_encode_into),
    JS_PROP_STRING_DEF("quickjs", "2021-03-27", 0),
};

/* ------------------------------------------------------------------ running code */

/** Evaluates a compiled module/script object (consumed); returns 0 or -1 with the error printed. */
static int prv_eval_obj(JSContext *ctx, JSValue obj) {
    if (JS_IsException(obj)) goto fail;
    if (JS_VALUE_GET_TAG(obj) == JS_TAG_MODULE) {
        if (JS_ResolveModule(ctx, obj) < 0) { JS_FreeValue(ctx, obj); goto fail; }
        js_module_set_import_meta(ctx, obj, 0, 1);
    }
    JSValue v = JS_EvalFunction(ctx, obj);
    if (JS_IsException(v)) goto fail;
    JS_FreeValue(ctx, v);
    return 0;
fail: {
    JSValue ex = JS_GetException(ctx);
    if (JS_IsNull(ex)) {
        /* QuickJS throws null when even the error object could not be allocated */
        fprintf(stderr, "omadm: out of memory (heap limit reached)\n");
    } else {
        JS_Throw(ctx, ex);
        js_std_dump_error(ctx);
    }
    return -1;
}
}

/*
 * Module loader: an embedded bytecode module by its (normalized) name, else quickjs-libc's loader
 * (files, for --run). The module is registered in the context by JS_ReadObject; like js_module_loader
 * we drop our reference and return the definition.
 */
static JSModuleDef *prv_module_loader(JSContext *ctx, const char *name, void *opaque) {
    uint32_t n = &dmq_app_modules_count ? dmq_app_modules_count : 0;
    for (uint32_t i = 0; i < n; i++) {
        const dmq_module_t *m = &dmq_app_modules[i];
        if (strcmp(m->name, name) != 0) continue;
        size_t before = prv_self->ms ? prv_self->ms->malloc_size : 0;
        JSValue obj = JS_ReadObject(ctx, m->bc, m->size, JS_READ_OBJ_BYTECODE);
        if (JS_IsException(obj)) return NULL;
        if (prv_self->mem_report > 1) prv_census_module(prv_self, name, m->size, prv_self->ms->malloc_size - before);
        if (JS_VALUE_GET_TAG(obj) != JS_TAG_MODULE) {
            JS_FreeValue(ctx, obj);
            JS_ThrowTypeError(ctx, "embedded module '%s' is not a module", name);
            return NULL;
        }
        JSModuleDef *md = JS_VALUE_GET_PTR(obj);
        JS_FreeValue(ctx, obj);
        prv_gc_rebase(prv_self);
        return md;
    }
    return js_module_loader(ctx, name, opaque);
}

static int prv_run_file(JSContext *ctx, const char *path) {
    size_t len;
    uint8_t *buf = js_load_file(ctx, &len, path);
    if (!buf) {
        fprintf(stderr, "omadm: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    JSValue obj = JS_Eval(ctx, (const char *)buf, len, path, JS_EVAL_TYPE_MODULE | JS_EVAL_FLAG_COMPILE_ONLY);
    js_free(ctx, buf);
    return prv_eval_obj(ctx, obj);
}

/* ------------------------------------------------------------------ the application's std and os modules */

/*
 * The exports of std, of std's FILE objects and of os that the embedded application uses
 * (target/quickjs/platform.ts, main.ts, diag.ts; test/quickjs/modules.test.ts checks the bundle
 * against these lists). Every export is a function object with its properties and shape in the heap
 * (std + os in full: 20 KB on 64-bit), so the application's modules have only these; `--run` files
 * get QuickJS's full modules.
 */
static const char *const prv_std_keep[] = { "loadFile", NULL };
static const char *const prv_file_keep[] = { "puts", "flush", NULL };
static const char *const prv_os_keep[] = { "setTimeout", "clearTimeout", "setReadHandler", "setWriteHandler",
                                           "mkdir", "stat", "S_IFMT", "S_IFDIR", NULL };

#define PRV_MAX_KEEP 16

/** The entries of list[0..n) named in keep, into out (at most PRV_MAX_KEEP); returns how many. */
static int prv_keep(const JSCFunctionListEntry *list, int n, const char *const *keep, JSCFunctionListEntry *out) {
    int k = 0;
    for (int i = 0; i < n && k < PRV_MAX_KEEP; i++)
        for (const char *const *w = keep; *w; w++)
            if (strcmp(list[i].name, *w) == 0) { out[k++] = list[i]; break; }
    return k;
}

static JSCFunctionListEntry prv_std_list[PRV_MAX_KEEP], prv_file_list[PRV_MAX_KEEP], prv_os_list[PRV_MAX_KEEP];
static int prv_std_n, prv_file_n, prv_os_n;

/* as js_std_init, with the kept exports and FILE methods (no `in`) */
static int prv_app_std_init(JSContext *ctx, JSModuleDef *m) {
    JS_NewClassID(&js_std_file_class_id);
    JS_NewClass(JS_GetRuntime(ctx), js_std_file_class_id, &js_std_file_class);
    JSValue proto = JS_NewObject(ctx);
    JS_SetPropertyFunctionList(ctx, proto, prv_file_list, prv_file_n);
    JS_SetClassProto(ctx, js_std_file_class_id, proto);
    if (JS_SetModuleExportList(ctx, m, prv_std_list, prv_std_n) < 0) return -1;
    if (JS_SetModuleExport(ctx, m, "out", js_new_std_file(ctx, stdout, FALSE, FALSE)) < 0) return -1;
    return JS_SetModuleExport(ctx, m, "err", js_new_std_file(ctx, stderr, FALSE, FALSE));
}

/* as js_os_init, with the kept exports (no Worker) */
static int prv_app_os_init(JSContext *ctx, JSModuleDef *m) {
    os_poll_func = js_os_poll; /* js_std_loop's fd and timer polling */
    JS_NewClassID(&js_os_timer_class_id);
    JS_NewClass(JS_GetRuntime(ctx), js_os_timer_class_id, &js_os_timer_class);
    return JS_SetModuleExportList(ctx, m, prv_os_list, prv_os_n);
}

/** Registers the application's std and os modules; 0 or -1. */
static int prv_init_app_modules(JSContext *ctx) {
    prv_std_n = prv_keep(js_std_funcs, countof(js_std_funcs), prv_std_keep, prv_std_list);
    prv_file_n = prv_keep(js_std_file_proto_funcs, countof(js_std_file_proto_funcs), prv_file_keep, prv_file_list);
    prv_os_n = prv_keep(js_os_funcs, countof(js_os_funcs), prv_os_keep, prv_os_list);
    JSModuleDef *m = JS_NewCModule(ctx, "std", prv_app_std_init);
    if (!m || JS_AddModuleExportList(ctx, m, prv_std_list, prv_std_n) < 0 || JS_AddModuleExport(ctx, m, "out") < 0 ||
        JS_AddModuleExport(ctx, m, "err") < 0)
        return -1;
    m = JS_NewCModule(ctx, "os", prv_app_os_init);
    if (!m || JS_AddModuleExportList(ctx, m, prv_os_list, prv_os_n) < 0) return -1;
    return 0;
}

/** Parses a byte count with an optional k/K/m/M suffix; -1 when malformed. */
static long long prv_parse_size(const char *s) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || v < 0) return -1;
    if (*end == 'k' || *end == 'K') { v *= 1024; end++; }
    else if (*end == 'm' || *end == 'M') { v *= 1024 * 1024; end++; }
    if (*end != 0 || v > 0xffffffffLL) return -1;
    return v;
}

static void prv_usage(FILE *f) {
    fprintf(f, "usage: omadm [--memory-limit N[k|M]] [--stack-size N[k|M]] [--mem-report[=full]] [--run FILE.mjs] [--] [args...]\n");
}

int main(int argc, char **argv) {
    prv_host_t host;
    memset(&host, 0, sizeof host);
    for (int i = 0; i < PRV_MAX_REJECTIONS; i++) host.rej_promise[i] = host.rej_reason[i] = JS_UNDEFINED;
    long long mem_limit = 0, stack_size = -1;
    const char *run_file = NULL;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) { i++; break; }
        if (strcmp(a, "--memory-limit") == 0 && i + 1 < argc) {
            if ((mem_limit = prv_parse_size(argv[++i])) < 0) { prv_usage(stderr); return 2; }
        } else if (strcmp(a, "--stack-size") == 0 && i + 1 < argc) {
            if ((stack_size = prv_parse_size(argv[++i])) < 0) { prv_usage(stderr); return 2; }
        } else if (strcmp(a, "--mem-report") == 0) {
            host.mem_report = 1;
        } else if (strcmp(a, "--mem-report=full") == 0) {
            host.mem_report = 2;
        } else if (strcmp(a, "--run") == 0 && i + 1 < argc) {
            run_file = argv[++i];
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            prv_usage(stdout);
            return 0;
        } else if (strncmp(a, "--", 2) == 0 && (strcmp(a, "--memory-limit") == 0 || strcmp(a, "--stack-size") == 0 ||
                                                 strcmp(a, "--run") == 0)) {
            prv_usage(stderr); /* option without its value */
            return 2;
        } else {
            break; /* first application argument */
        }
    }
    /* OMADM_MEM_CENSUS=FILE: the full report appended to FILE (for runs driven by tests) */
    if (getenv("OMADM_MEM_CENSUS") && *getenv("OMADM_MEM_CENSUS")) {
        host.census_file = getenv("OMADM_MEM_CENSUS");
        host.mem_report = 2;
    }
    /* scriptArgs = [program, application arguments...] */
    int sargc = argc - i + 1;
    char **sargv = calloc((size_t)sargc + 1, sizeof *sargv);
    if (!sargv) return 1;
    sargv[0] = argv[0];
    for (int k = 1; k < sargc; k++) sargv[k] = argv[i + k - 1];

    prv_self = &host; /* prv_usable has no state argument */
    prv_pool_init(&host.pool);
    JSRuntime *rt = JS_NewRuntime2(&prv_mf, &host);
    if (!rt) { fprintf(stderr, "omadm: cannot create the JS runtime\n"); return 1; }
    host.rt = rt;
    if (stack_size >= 0) JS_SetMaxStackSize(rt, (size_t)stack_size);
    js_std_set_worker_new_context_func(NULL);
    js_std_init_handlers(rt);
    JS_SetHostPromiseRejectionTracker(rt, prv_rejection, &host);
    JS_SetInterruptHandler(rt, prv_interrupt, &host);
    JS_SetModuleLoaderFunc(rt, NULL, prv_module_loader, NULL);

    int status = 1;
    dmq_state_t *native = dmq_state_new();
    JSContext *ctx = native ? JS_NewContext(rt) : NULL;
    host.ctx = ctx;
    if (!ctx) {
        fprintf(stderr, "omadm: cannot create the JS context (memory limit too small?)\n");
        goto out_rt;
    }
    js_std_add_helpers(ctx, sargc, sargv);
    JSValue global = JS_GetGlobalObject(ctx);
    JSValue dmhost = JS_NewObject(ctx);
    JS_SetPropertyFunctionList(ctx, dmhost, prv_dmhost_funcs, sizeof prv_dmhost_funcs / sizeof prv_dmhost_funcs[0]);
    JS_SetPropertyStr(ctx, global, "dmHost", dmhost);
    JS_FreeValue(ctx, global);
    int libc_ok = run_file ? js_init_module_std(ctx, "std") && js_init_module_os(ctx, "os") : prv_init_app_modules(ctx) == 0;
    if (!libc_ok || !dmq_init_module(ctx, "dm_native", native)) {
        fprintf(stderr, "omadm: cannot register the std/os/dm_native modules\n");
        goto out_ctx;
    }

    /*
     * The limit is applied once the runtime, the context and the modules exist: QuickJS 2021 does not
     * survive running out of memory while JS_NewContext is half done (JS_FreeRuntime then crashes in
     * the GC). Everything the application does, loading its bytecode included, counts against it.
     */
    if (mem_limit > 0) {
        JSMemoryUsage mu;
        JS_ComputeMemoryUsage(rt, &mu);
        if (mu.malloc_size >= mem_limit) {
            fprintf(stderr, "omadm: --memory-limit %lld is below the runtime's own %lld bytes\n", mem_limit,
                    (long long)mu.malloc_size);
            goto out_ctx;
        }
        JS_SetMemoryLimit(rt, (size_t)mem_limit);
    }
    prv_gc_rebase(&host); /* the runtime and context: live */
    int r;
    if (run_file) r = prv_run_file(ctx, run_file);
    else {
        size_t before = host.ms ? host.ms->malloc_size : 0;
        JSValue app = JS_ReadObject(ctx, dmq_app_bc, dmq_app_bc_size, JS_READ_OBJ_BYTECODE);
        prv_gc_rebase(&host); /* the entry module's bytecode: live */
        if (host.mem_report > 1 && host.ms) prv_census_module(&host, "(entry)", dmq_app_bc_size, host.ms->malloc_size - before);
        r = prv_eval_obj(ctx, app);
    }
    if (r == 0) {
        js_std_loop(ctx);
        status = host.exit_code;
    }
    if (prv_flush_rejections(&host) > 0 && status == 0) status = 1;
    if (host.mem_report) {
        JS_RunGC(rt); /* report what is still live, not garbage waiting for the next collection */
        prv_mem_report(&host);
    }

out_ctx:
    js_std_free_handlers(rt);
    JS_FreeContext(ctx);
out_rt:
    dmq_state_free(native);
    JS_FreeRuntime(rt);
    if (host.pool.blocks == 0) prv_pool_fini(&host.pool);
    free(sargv);
    return status;
}
