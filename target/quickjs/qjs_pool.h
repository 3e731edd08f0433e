/*
 * qjs_pool.h — the small-block pool of the omadm QuickJS heap: blocks of up to PRV_POOL_MAX bytes in
 * pages of one size class, without a per-block header. Included by target/quickjs/host.c (the QuickJS
 * allocator hooks) and by its unit test (target/quickjs/tests/pool_test.c); everything is static.
 *
 * Why: glibc rounds every chunk to 16 B steps with an 8 B header and a 32 B minimum on 64-bit, and a
 * QuickJS heap is mostly small blocks (JSObjects of 72 B, property arrays, shapes, atoms of 17-40 B).
 * Census of the 1 MiB FUMO session on x86_64 at its high-water mark: 12,194 live blocks holding
 * 1,010,504 B requested in 1,180,368 B of glibc chunks; the 11,700 blocks of at most 128 B took
 * 648 KB of chunks for 517 KB requested.
 *
 * Layout: one arena of PRV_POOL_ARENA bytes of address space, reserved once (mmap, MAP_NORESERVE:
 * pages never touched cost no memory), cut into PRV_POOL_PAGE pages. A pointer is a pool block iff
 * it lies inside the arena; its page header is at the pointer rounded down to the page. Every page
 * holds blocks of one class (PRV_POOL_STEP steps: 8, 16, ... 128 B, so a block is 8-byte aligned) on
 * a free list threaded through the free blocks' first word; a page with free blocks is in its
 * class's `avail` list. A page whose last block is freed goes back to the kernel (madvise
 * MADV_DONTNEED) when a pool page is a whole number of kernel pages, and is reused (lowest address
 * first) by whichever class next needs a page.
 *
 * Accounting: `held` is every page touched and not given back, whole (header and free blocks
 * included): what the pool keeps is counted, not what it hands out. When the arena is full, mmap
 * was refused or the room left under the caller's limit is less than a page, prv_pool_alloc returns
 * NULL and the caller takes the block from malloc.
 *
 * Under AddressSanitizer free blocks and the unused tail of a page are poisoned, so a use after free
 * or an overflow past a pool block is reported as for malloc's blocks.
 */
#ifndef DMQ_QJS_POOL_H
#define DMQ_QJS_POOL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define PRV_POOL_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define PRV_POOL_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define PRV_POOL_POISON(p, n) ((void)(p), (void)(n))
#define PRV_POOL_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/** Size-class step and alignment of pool blocks (bytes). */
#define PRV_POOL_STEP 8u
/** Largest pooled block (bytes); larger blocks come from malloc. */
#define PRV_POOL_MAX 128u
#define PRV_POOL_CLASSES (PRV_POOL_MAX / PRV_POOL_STEP)
/** Pool page (bytes): a power of two, the unit the pool takes, gives back and counts. */
#define PRV_POOL_PAGE 4096u
/** Address space reserved for pool pages (bytes; a multiple of 64 pages). */
#ifndef PRV_POOL_ARENA
#define PRV_POOL_ARENA (32u << 20)
#endif
#define PRV_POOL_PAGES (PRV_POOL_ARENA / PRV_POOL_PAGE)

/** Header at the start of every page in use. */
typedef struct prv_page {
    struct prv_page *next, *prev; /* the class's avail list (pages with free blocks) */
    void *free;                   /* free blocks, linked through their first word */
    uint16_t cls;                 /* size class: blocks of (cls + 1) * PRV_POOL_STEP bytes */
    uint16_t used;                /* blocks handed out */
    uint16_t cap;                 /* blocks in the page */
} prv_page_t;

/** Bytes before the first block of a page (the header, rounded up to the block alignment). */
#define PRV_POOL_HDR ((sizeof(prv_page_t) + PRV_POOL_STEP - 1) & ~(size_t)(PRV_POOL_STEP - 1))

typedef struct prv_pool {
    uint8_t *base;                           /* the arena; NULL: the pool is off (everything from malloc) */
    size_t top;                              /* pages [0, top) have been used at least once */
    size_t held;                             /* bytes of pages touched and not given back (accounting) */
    size_t blocks;                           /* blocks handed out */
    int release;                             /* empty pages go back to the kernel (page size allows it) */
    prv_page_t *avail[PRV_POOL_CLASSES];     /* pages with free blocks, per class */
    size_t nfree;                            /* empty pages below top */
    uint64_t freemap[PRV_POOL_PAGES / 64];   /* bit set: page below top is empty */
    uint64_t keptmap[PRV_POOL_PAGES / 64];   /* bit set: that empty page is still held (not given back) */
} prv_pool_t;

/** Reserves the arena. On failure the pool stays off (base NULL) and every block comes from malloc. */
static void prv_pool_init(prv_pool_t *pl) {
    memset(pl, 0, sizeof *pl);
    long os = sysconf(_SC_PAGESIZE);
    void *a = mmap(NULL, PRV_POOL_ARENA, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (a == MAP_FAILED) return;
    if ((uintptr_t)a % PRV_POOL_PAGE != 0) { /* kernel pages smaller than a pool page: not seen on Linux */
        munmap(a, PRV_POOL_ARENA);
        return;
    }
    pl->base = a;
    pl->release = os > 0 && PRV_POOL_PAGE % (size_t)os == 0;
    PRV_POOL_POISON(pl->base, PRV_POOL_ARENA);
}

/** Unmaps the arena (after the last block is freed; the pool is off afterwards). */
static void prv_pool_fini(prv_pool_t *pl) {
    if (pl->base) {
        PRV_POOL_UNPOISON(pl->base, PRV_POOL_ARENA);
        munmap(pl->base, PRV_POOL_ARENA);
    }
    pl->base = NULL;
}

static int prv_pool_owns(const prv_pool_t *pl, const void *p) {
    return pl->base && (const uint8_t *)p >= pl->base && (const uint8_t *)p < pl->base + PRV_POOL_ARENA;
}

static prv_page_t *prv_pool_page_of(const prv_pool_t *pl, const void *p) {
    return (prv_page_t *)(pl->base + ((size_t)((const uint8_t *)p - pl->base) & ~(size_t)(PRV_POOL_PAGE - 1)));
}

/** Usable bytes of a pool block (its class size), 0 when p is not one. */
static size_t prv_pool_usable(const prv_pool_t *pl, const void *p) {
    if (!prv_pool_owns(pl, p)) return 0;
    return (size_t)(prv_pool_page_of(pl, p)->cls + 1) * PRV_POOL_STEP;
}

/** Class of a request of `size` bytes (0 < size <= PRV_POOL_MAX; 0 counts as 1). */
static unsigned prv_pool_class(size_t size) { return size ? (unsigned)((size - 1) / PRV_POOL_STEP) : 0; }

static void prv_pool_link(prv_pool_t *pl, prv_page_t *pg) {
    prv_page_t *prev = NULL, *next = pl->avail[pg->cls];
    while (next && next < pg) { prev = next; next = next->next; }
    pg->prev = prev;
    pg->next = next;
    if (next) next->prev = pg;
    if (prev) prev->next = pg;
    else pl->avail[pg->cls] = pg;
}

static void prv_pool_unlink(prv_pool_t *pl, prv_page_t *pg) {
    if (pg->prev) pg->prev->next = pg->next;
    else pl->avail[pg->cls] = pg->next;
    if (pg->next) pg->next->prev = pg->prev;
    pg->next = pg->prev = NULL;
}

/** A page for class c: the lowest empty page, else a fresh one; NULL when it would exceed `room`. */
static prv_page_t *prv_pool_new_page(prv_pool_t *pl, unsigned c, size_t room) {
    size_t i, cost;
    if (pl->nfree) {
        size_t w = 0;
        while (!pl->freemap[w]) w++;
        i = w * 64 + (size_t)__builtin_ctzll(pl->freemap[w]);
        cost = (pl->keptmap[w] >> (i % 64)) & 1 ? 0 : PRV_POOL_PAGE;
        if (cost > room) return NULL;
        pl->freemap[w] &= ~((uint64_t)1 << (i % 64));
        pl->keptmap[w] &= ~((uint64_t)1 << (i % 64));
        pl->nfree--;
    } else {
        if (pl->top >= PRV_POOL_PAGES || PRV_POOL_PAGE > room) return NULL;
        i = pl->top++;
        cost = PRV_POOL_PAGE;
    }
    pl->held += cost;
    prv_page_t *pg = (prv_page_t *)(pl->base + i * PRV_POOL_PAGE);
    PRV_POOL_UNPOISON(pg, PRV_POOL_HDR);
    size_t bs = (size_t)(c + 1) * PRV_POOL_STEP;
    pg->cls = (uint16_t)c;
    pg->used = 0;
    pg->cap = (uint16_t)((PRV_POOL_PAGE - PRV_POOL_HDR) / bs);
    /* free list in address order: blocks are handed out from the page start */
    uint8_t *b = (uint8_t *)pg + PRV_POOL_HDR;
    pg->free = b;
    for (size_t k = 0; k < pg->cap; k++) {
        PRV_POOL_UNPOISON(b + k * bs, sizeof(void *));
        *(void **)(b + k * bs) = k + 1 < pg->cap ? b + (k + 1) * bs : NULL;
        PRV_POOL_POISON(b + k * bs, sizeof(void *));
    }
    prv_pool_link(pl, pg);
    return pg;
}

/*
 * A block of `size` bytes (<= PRV_POOL_MAX), or NULL: size too large, pool off or full, or a new page
 * needed and fewer than PRV_POOL_PAGE bytes of `room` left. `held` grows by the pages taken.
 */
static void *prv_pool_alloc(prv_pool_t *pl, size_t size, size_t room) {
    if (!pl->base || size > PRV_POOL_MAX) return NULL;
    unsigned c = prv_pool_class(size);
    prv_page_t *pg = pl->avail[c];
    if (!pg && !(pg = prv_pool_new_page(pl, c, room))) return NULL;
    void *b = pg->free;
    PRV_POOL_UNPOISON(b, (size_t)(c + 1) * PRV_POOL_STEP);
    pg->free = *(void **)b;
    pg->used++;
    if (!pg->free) prv_pool_unlink(pl, pg); /* full */
    pl->blocks++;
    return b;
}

/*
 * Frees p if it is a pool block (returns 1), else returns 0 and does nothing. An emptied page is
 * given back to the kernel when possible (`held` shrinks) and reused by the next class needing one.
 */
static int prv_pool_free(prv_pool_t *pl, void *p) {
    if (!prv_pool_owns(pl, p)) return 0;
    prv_page_t *pg = prv_pool_page_of(pl, p);
    size_t bs = (size_t)(pg->cls + 1) * PRV_POOL_STEP;
    int was_full = pg->free == NULL;
    *(void **)p = pg->free;
    PRV_POOL_POISON(p, bs);
    pg->free = p;
    pg->used--;
    pl->blocks--;
    if (pg->used == 0) {
        if (!was_full) prv_pool_unlink(pl, pg);
        size_t i = (size_t)((uint8_t *)pg - pl->base) / PRV_POOL_PAGE;
        pl->freemap[i / 64] |= (uint64_t)1 << (i % 64);
        pl->nfree++;
        PRV_POOL_POISON(pg, PRV_POOL_PAGE);
        if (pl->release && madvise(pg, PRV_POOL_PAGE, MADV_DONTNEED) == 0) pl->held -= PRV_POOL_PAGE;
        else pl->keptmap[i / 64] |= (uint64_t)1 << (i % 64);
    } else if (was_full) {
        prv_pool_link(pl, pg);
    }
    return 1;
}

/** Pages in use and the bytes of their blocks handed out (reports, tests). */
static void prv_pool_stats(const prv_pool_t *pl, size_t *pages, size_t *used_bytes) {
    *pages = *used_bytes = 0;
    for (size_t i = 0; pl->base && i < pl->top; i++) {
        if ((pl->freemap[i / 64] >> (i % 64)) & 1) continue;
        const prv_page_t *pg = (const prv_page_t *)(pl->base + i * PRV_POOL_PAGE);
        (*pages)++;
        *used_bytes += (size_t)pg->used * (pg->cls + 1) * PRV_POOL_STEP;
    }
}

#endif /* DMQ_QJS_POOL_H */
