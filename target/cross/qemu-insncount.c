/*
 * qemu-insncount.c — QEMU TCG plugin counting executed guest instructions (user mode, any arch).
 * Build against qemu-plugin.h from Debian's qemu source package (scripts/qemu-plugin-header.sh):
 *   gcc -O2 -shared -fPIC -I<dir of qemu-plugin.h> -o libinsncount.so qemu-insncount.c
 * Use with the dynamic qemu-user (qemu-*-static has no -plugin):
 *   qemu-aarch64 -plugin ./libinsncount.so[,mode=atomic][,out=FILE] prog args…
 * At exit it prints "guest_insns N" to stderr, or writes it to FILE (so the program's own stderr
 * stays clean). Default mode adds each translated block's size inline when the block runs (fast,
 * exact for single-threaded guests); mode=atomic uses a callback with an atomic add (multi-threaded
 * guests such as node: V8 threads).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "qemu-plugin.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

/** Executed guest instructions. */
static uint64_t prv_insns;
/** mode=atomic given. */
static int prv_atomic;
/** out=FILE given (NUL-terminated), else "" = stderr. */
static char prv_out[1024];

static void prv_tb_exec(unsigned int vcpu, void *udata) {
    (void)vcpu;
    __atomic_fetch_add(&prv_insns, (uint64_t)(uintptr_t)udata, __ATOMIC_RELAXED);
}

static void prv_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    if (prv_atomic)
        qemu_plugin_register_vcpu_tb_exec_cb(tb, prv_tb_exec, QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)n);
    else
        qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &prv_insns, n);
}

static void prv_at_exit(qemu_plugin_id_t id, void *p) {
    (void)id;
    (void)p;
    uint64_t n = __atomic_load_n(&prv_insns, __ATOMIC_RELAXED);
    FILE *f = prv_out[0] ? fopen(prv_out, "w") : stderr;
    if (!f) f = stderr;
    fprintf(f, "guest_insns %" PRIu64 "\n", n);
    if (f != stderr) fclose(f);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv) {
    (void)info;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "mode=atomic") == 0) prv_atomic = 1;
        else if (strncmp(argv[i], "out=", 4) == 0) snprintf(prv_out, sizeof prv_out, "%s", argv[i] + 4);
        else {
            fprintf(stderr, "insncount: unknown argument '%s' (mode=atomic, out=FILE)\n", argv[i]);
            return -1;
        }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, prv_tb_trans);
    qemu_plugin_register_atexit_cb(id, prv_at_exit, NULL);
    return 0;
}
