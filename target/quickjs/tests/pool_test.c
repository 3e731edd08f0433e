/*
 * pool_test.c — unit test of the QuickJS heap's small-block pool (target/quickjs/qjs_pool.h), against a
 * shadow model: every live block's class, alignment, contents and the pool's accounting are checked
 * after random allocation/free sequences. Built with ASan + UBSan for the build machine and plainly for
 * aarch64/armhf (run under QEMU: 64-bit and 32-bit headers); run by test/quickjs/pool.test.ts.
 *
 *   pool_test          the checks; prints "N passed, M failed", exit status 1 on any failure
 *   pool_test uaf      writes to a freed pool block (ASan build: must be reported as use-after-poison)
 *   pool_test overflow reads past the end of a pool block (ASan build: must be reported)
 *
 * The arena is shrunk to 256 KB so that running it full is part of the test.
 */
#define PRV_POOL_ARENA (256u * 1024u)
#include "qjs_pool.h"

#include <stdio.h>
#include <stdlib.h>

static int prv_passed, prv_failed;

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (cond) prv_passed++;                                                     \
        else {                                                                      \
            prv_failed++;                                                           \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                           \
    } while (0)

/** Deterministic xorshift32 (the test needs no real randomness, only coverage). */
static uint32_t prv_rng = 2463534242u;
static uint32_t prv_rand(void) {
    prv_rng ^= prv_rng << 13;
    prv_rng ^= prv_rng >> 17;
    prv_rng ^= prv_rng << 5;
    return prv_rng;
}

typedef struct { uint8_t *p; size_t size; uint8_t fill; } prv_live_t;

static int prv_intact(const prv_live_t *b) {
    for (size_t i = 0; i < b->size; i++)
        if (b->p[i] != (uint8_t)(b->fill + i)) return 0;
    return 1;
}

/** held is every kernel page with a pool page in use (or kept), whole; the per-kernel-page counts agree. */
static void prv_check_accounting(const prv_pool_t *pl, size_t live_blocks) {
    size_t pages, used, os_held = 0, in_use = 0;
    prv_pool_stats(pl, &pages, &used);
    CHECK(pl->blocks == live_blocks);
    for (size_t o = 0; o < PRV_POOL_ARENA / pl->os_page; o++) {
        os_held += prv_pool_os_held(pl, o);
        in_use += pl->os_used[o];
    }
    CHECK(in_use == pages);
    CHECK(pl->held == os_held * pl->os_page);
    CHECK(pages * PRV_POOL_PAGE <= pl->held);
    CHECK(used <= pages * (PRV_POOL_PAGE - PRV_POOL_HDR));
}

static void test_classes(void) {
    prv_pool_t pl;
    prv_pool_init(&pl);
    CHECK(pl.base != NULL);
    CHECK(PRV_POOL_HDR % PRV_POOL_STEP == 0);
    for (size_t size = 0; size <= PRV_POOL_MAX; size++) {
        uint8_t *p = prv_pool_alloc(&pl, size, (size_t)-1);
        CHECK(p != NULL);
        if (!p) continue;
        size_t cls = size ? (size + PRV_POOL_STEP - 1) / PRV_POOL_STEP * PRV_POOL_STEP : PRV_POOL_STEP;
        CHECK(prv_pool_owns(&pl, p));
        CHECK(prv_pool_usable(&pl, p) == cls);
        CHECK((uintptr_t)p % PRV_POOL_STEP == 0);
        memset(p, 0xa5, cls); /* the whole usable size is writable */
        CHECK(prv_pool_free(&pl, p) == 1);
    }
    CHECK(prv_pool_alloc(&pl, PRV_POOL_MAX + 1, (size_t)-1) == NULL); /* larger blocks are malloc's */
    void *m = malloc(24);
    CHECK(!prv_pool_owns(&pl, m));
    CHECK(prv_pool_usable(&pl, m) == 0);
    CHECK(prv_pool_free(&pl, m) == 0); /* not a pool block: left alone */
    free(m);
    prv_check_accounting(&pl, 0);
    CHECK(pl.held == 0); /* every kernel page emptied went back */
    prv_pool_fini(&pl);
}

static void test_room(void) {
    prv_pool_t pl;
    prv_pool_init(&pl);
    /* the first page needs a kernel page of room */
    CHECK(prv_pool_alloc(&pl, 16, pl.os_page - 1) == NULL);
    CHECK(pl.held == 0 && pl.top == 0);
    void *a = prv_pool_alloc(&pl, 16, pl.os_page);
    CHECK(a != NULL && pl.held == pl.os_page);
    /* a free block in an existing page needs none */
    void *b = prv_pool_alloc(&pl, 16, 0);
    CHECK(b != NULL && b != a && pl.held == pl.os_page);
    /* other classes take the rest of that kernel page without room; then one more needs a new one */
    void *other[PRV_POOL_CLASSES];
    size_t n = 0;
    if (pl.per_os < PRV_POOL_CLASSES) {
        for (; n + 1 < pl.per_os; n++) {
            other[n] = prv_pool_alloc(&pl, 24 + n * PRV_POOL_STEP, 0);
            CHECK(other[n] != NULL);
        }
        CHECK(pl.held == pl.os_page);
        CHECK(prv_pool_alloc(&pl, PRV_POOL_MAX, 0) == NULL);
    }
    for (size_t k = 0; k < n; k++) prv_pool_free(&pl, other[k]);
    prv_pool_free(&pl, a);
    CHECK(pl.held == pl.os_page); /* b still holds it */
    prv_pool_free(&pl, b);
    CHECK(pl.held == 0);
    prv_check_accounting(&pl, 0);
    /* an emptied page is reused before the arena grows */
    size_t top = pl.top;
    void *c = prv_pool_alloc(&pl, 100, pl.os_page);
    CHECK(c != NULL && pl.top == top);
    prv_pool_free(&pl, c);
    prv_pool_fini(&pl);
}

static void test_full_arena(void) {
    prv_pool_t pl;
    prv_pool_init(&pl);
    /* 128 B blocks: fill all 64 pages */
    size_t per_page = (PRV_POOL_PAGE - PRV_POOL_HDR) / PRV_POOL_MAX, n = per_page * PRV_POOL_PAGES;
    void **all = malloc(n * sizeof *all);
    size_t got = 0;
    while (got < n && (all[got] = prv_pool_alloc(&pl, PRV_POOL_MAX, (size_t)-1))) got++;
    CHECK(got == n);
    CHECK(prv_pool_alloc(&pl, PRV_POOL_MAX, (size_t)-1) == NULL); /* full: the caller uses malloc */
    CHECK(prv_pool_alloc(&pl, 8, (size_t)-1) == NULL);
    CHECK(pl.held == PRV_POOL_ARENA);
    prv_check_accounting(&pl, n);
    /* one free block makes room for exactly one block of that class */
    prv_pool_free(&pl, all[n / 2]);
    all[n / 2] = prv_pool_alloc(&pl, PRV_POOL_MAX - 3, 0);
    CHECK(all[n / 2] != NULL);
    for (size_t i = 0; i < got; i++) prv_pool_free(&pl, all[i]);
    prv_check_accounting(&pl, 0);
    CHECK(pl.nfree == PRV_POOL_PAGES);
    free(all);
    prv_pool_fini(&pl);
}

/** Random allocations and frees against a shadow list; contents and accounting checked throughout. */
static void test_random(void) {
    enum { SLOTS = 3000, STEPS = 400000 };
    prv_pool_t pl;
    prv_pool_init(&pl);
    prv_live_t *live = calloc(SLOTS, sizeof *live);
    size_t nlive = 0, bad = 0, misplaced = 0;
    for (int step = 0; step < STEPS; step++) {
        size_t k = prv_rand() % SLOTS;
        prv_live_t *b = &live[k];
        if (b->p) {
            if (!prv_intact(b)) bad++;
            prv_pool_free(&pl, b->p);
            b->p = NULL;
            nlive--;
        } else {
            /* mostly small sizes, as in a QuickJS heap; phases with more frees empty whole pages */
            size_t size = (step / 50000) % 2 ? prv_rand() % 40 : prv_rand() % (PRV_POOL_MAX + 1);
            uint8_t *p = prv_pool_alloc(&pl, size, (size_t)-1);
            if (!p) continue; /* arena full: the host would use malloc */
            if (prv_pool_usable(&pl, p) < size || (uintptr_t)p % PRV_POOL_STEP) misplaced++;
            *b = (prv_live_t){ p, size, (uint8_t)prv_rand() };
            for (size_t i = 0; i < size; i++) p[i] = (uint8_t)(b->fill + i);
            nlive++;
        }
        if (step % 9973 == 0) prv_check_accounting(&pl, nlive);
    }
    CHECK(bad == 0);      /* no block was overwritten by another */
    CHECK(misplaced == 0);
    for (size_t k = 0; k < SLOTS; k++) {
        if (!live[k].p) continue;
        if (!prv_intact(&live[k])) bad++;
        prv_pool_free(&pl, live[k].p);
    }
    CHECK(bad == 0);
    prv_check_accounting(&pl, 0);
    CHECK(pl.held == 0);
    free(live);
    prv_pool_fini(&pl);
}

int main(int argc, char **argv) {
    if (argc > 1) {
        prv_pool_t pl;
        prv_pool_init(&pl);
        uint8_t *p = prv_pool_alloc(&pl, 40, (size_t)-1);
        uint8_t *q = prv_pool_alloc(&pl, 40, (size_t)-1); /* keeps the page in use */
        if (!strcmp(argv[1], "uaf")) {
            prv_pool_free(&pl, p);
            p[8] = 1;
        } else if (!strcmp(argv[1], "overflow")) {
            volatile uint8_t x = q[40]; /* blocks go out in address order: q[40] is the next, free block */
            (void)x;
        }
        printf("no report\n");
        return 0;
    }
    test_classes();
    test_room();
    test_full_arena();
    test_random();
    printf("pool page %u B, header %zu B, kernel page %ld B\n", PRV_POOL_PAGE, (size_t)PRV_POOL_HDR, sysconf(_SC_PAGESIZE));
    printf("%d passed, %d failed\n", prv_passed, prv_failed);
    return prv_failed ? 1 : 0;
}
