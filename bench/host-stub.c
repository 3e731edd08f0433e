/*
 * host-stub.c — the empty application of the benchmark host (bench/bench.mk links it with
 * target/quickjs/host.c, the dm_native shim and the native core instead of the application
 * bytecode). The bench host only runs `--run FILE.mjs`: its binary, and so the instruction counts
 * measured with it, do not change when the application's TypeScript changes, only when the C code
 * or QuickJS does (the baselines record its sha256). Without --run it fails to load "nothing".
 */
#include <stdint.h>

const uint8_t dmq_app_bc[1] = { 0 };
const uint32_t dmq_app_bc_size = 0;
