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
 * class's `avail` list, in address order (blocks go to the oldest pages, so younger ones can empty).
 * An empty page is reused (lowest address first) by whichever class next needs one; a kernel page
 * none of whose pool pages is in use goes back to the kernel (madvise MADV_DONTNEED). 2 KB pool
 * pages in 4 KB kernel pages: the last, partly filled page of each of the 16 classes costs half
 * what 4 KB pool pages cost (measured: -16 KB for a bare runtime, -8 KB at the FUMO session's
 * high-water on 64-bit).
 *
 * Accounting: `held` is every kernel page with a pool page in use, whole (headers, free blocks and
 * empty pool pages in it included; and a kernel page madvise refused to take back): what the pool
 * keeps is counted, not what it hands out. When the arena is full, mmap was refused (or the kernel
 * page size is not a power of two in 4-64 KB) or the room left under the caller's limit is less than
 * the kernel page a new pool page needs, prv_pool_alloc returns NULL and the caller takes the block
 * from malloc.
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
/** Pool page (bytes): a power of two, the unit a size class takes. Kernel pages (4 KB or more) hold
 * several; they are what the pool counts and gives back. */
#define PRV_POOL_PAGE 2048u
/** Smallest kernel page the arena's bookkeeping is sized for (bytes). */
#define PRV_POOL_OS_MIN 4096u
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
    size_t os_page;                          /* kernel page size (bytes) */
    size_t per_os;                           /* pool pages per kernel page */
    prv_page_t *avail[PRV_POOL_CLASSES];     /* pages with free blocks, per class */
    size_t nfree;                            /* empty pages below top */
    uint64_t freemap[PRV_POOL_PAGES / 64];   /* bit set: pool page below top is empty */
    uint8_t os_used[PRV_POOL_ARENA / PRV_POOL_OS_MIN]; /* pool pages in use per kernel page */
    uint64_t os_kept[PRV_POOL_ARENA / PRV_POOL_OS_MIN / 64]; /* bit set: kernel page empty but not given back */
} prv_pool_t;

/** Reserves the arena. On failure the pool stays off (base NULL) and every block comes from malloc. */
static void prv_pool_init(prv_pool_t *pl) {
    memset(pl, 0, sizeof *pl);
    long os = sysconf(_SC_PAGESIZE);
    /* kernel pages of 4-64 KB (a power of two): each holds a whole number of pool pages */
    if (os < (long)PRV_POOL_OS_MIN || os > 65536 || (os & (os - 1)) || PRV_POOL_ARENA % (size_t)os) return;
    void *a = mmap(NULL, PRV_POOL_ARENA, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (a == MAP_FAILED) return;
    pl->base = a;
    pl->os_page = (size_t)os;
    pl->per_os = (size_t)os / PRV_POOL_PAGE;
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

/** Whether kernel page o is held: a pool page in use in it, or empty but not given back. */
static int prv_pool_os_held(const prv_pool_t *pl, size_t o) {
    return pl->os_used[o] || ((pl->os_kept[o / 64] >> (o % 64)) & 1);
}

/*
 * A page for class c: the lowest empty page, else a fresh one; NULL when the arena is full or the
 * kernel page it lies in is not held yet and `room` is less than a kernel page.
 */
static prv_page_t *prv_pool_new_page(prv_pool_t *pl, unsigned c, size_t room) {
    size_t i;
    if (pl->nfree) {
        size_t w = 0;
        while (!pl->freemap[w]) w++;
        i = w * 64 + (size_t)__builtin_ctzll(pl->freemap[w]);
    } else {
        if (pl->top >= PRV_POOL_PAGES) return NULL;
        i = pl->top;
    }
    size_t o = i / pl->per_os;
    if (!prv_pool_os_held(pl, o)) {
        if (pl->os_page > room) return NULL;
        pl->held += pl->os_page;
    }
    pl->os_kept[o / 64] &= ~((uint64_t)1 << (o % 64));
    pl->os_used[o]++;
    if (pl->nfree) {
        pl->freemap[i / 64] &= ~((uint64_t)1 << (i % 64));
        pl->nfree--;
    } else {
        pl->top++;
    }
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
 * needed in a kernel page not held yet and less than a kernel page of `room` left. `held` grows by the
 * kernel pages taken.
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
 * reused by the next class needing one; its kernel page goes back when none of its pool pages is in
 * use (`held` shrinks).
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
        /* the kernel page goes back once none of its pool pages is in use */
        size_t o = i / pl->per_os;
        if (--pl->os_used[o] == 0) {
            if (madvise(pl->base + o * pl->os_page, pl->os_page, MADV_DONTNEED) == 0) pl->held -= pl->os_page;
            else pl->os_kept[o / 64] |= (uint64_t)1 << (o % 64);
        }
    } else if (was_full) {
        prv_pool_link(pl, pg);
    }
    return 1;
}

/** Pool pages in use and the bytes of their blocks handed out (reports, tests). */
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
