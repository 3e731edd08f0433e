/**
 * The dynamic imports of the QuickJS host (target/quickjs/main.ts), gathered in one module that is
 * compiled WITHOUT "use strip": QuickJS resolves `import()` against the file name in the calling
 * function's debug information, which stripped bytecode does not have ("no function filename for
 * import()"). scripts/build.mjs makes this file an entry of the split bundle (omadm-lazy.mjs) so it
 * stays a module of its own, and scripts/qjs-modules.mjs leaves it unstripped (a few hundred bytes).
 * Each target is a bytecode module the host reads on first import (target/quickjs/host.c).
 */
// The push side in parts: the router for every `listen` (with the SMS decoders only when a modem is
// given; WDP alone needs the core: WSP, package #0), the over-the-air bootstrapper (its decoders,
// SEC/MAC, DM/CP planning) only on the first bootstrap push.
export const importPushRouter = () => import('../../src/push/PushRouter');
export const importPushRouterWdp = () => import('../../src/push/PushRouterCore');
export const importBootstrapper = () => import('../../src/bootstrap/Bootstrapper');
export const importSmsSource = () => import('../../src/native/NativeSmsSource');
export const importTranscript = () => import('../../src/agent/transcript');
export const importFumo = () => import('./fumo');
export const importDiag = () => import('./diag');
