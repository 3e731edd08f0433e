#!/usr/bin/env node
// Bundles the benchmark programs with esbuild (the same settings as the product, scripts/build.mjs):
//   build/bench/bench-node.mjs   trial process for Node (host, and Debian node 18 under QEMU)
//   build/bench/bench-qjs.mjs    trial process for QuickJS 2021-03-27 (run by omadm-bench --run)
//   build/bench/heap.mjs         heap growth of the tokenizers on one message (make bench-anchors)
//   build/bench/driver.mjs       the orchestrator (make bench, bench-qemu, bench-check, ...)
// tinybench and the portable core are bundled into the trial programs; the QuickJS one keeps
// `os`, `std` and `dm_native` external (the host provides them).
import * as esbuild from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

// QuickJS 2021-03-27: es2022 minus static blocks, regexp /d and top-level await (scripts/build.mjs
// QJS_SUPPORTED; lowering to es2020 would turn #private fields into WeakMaps, 10x slower there).
const QJS_SUPPORTED = { 'class-static-blocks': false, 'regexp-match-indices': false, 'top-level-await': false };
const common = { bundle: true, target: 'es2022', sourcemap: false, logLevel: 'warning', legalComments: 'none', format: 'esm' };
const nodeBanner = { js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);' };

await Promise.all([
  esbuild.build({ ...common, entryPoints: ['bench/hosts/node.ts'], outfile: 'build/bench/bench-node.mjs', platform: 'node', banner: nodeBanner }),
  esbuild.build({
    ...common, entryPoints: ['bench/hosts/qjs.ts'], outfile: 'build/bench/bench-qjs.mjs', platform: 'neutral',
    supported: QJS_SUPPORTED, external: ['os', 'std', 'dm_native'], mainFields: ['module', 'main'],
  }),
  esbuild.build({ ...common, entryPoints: ['bench/hosts/heap.ts'], outfile: 'build/bench/heap.mjs', platform: 'node', banner: nodeBanner }),
  esbuild.build({ ...common, entryPoints: ['bench/driver/main.ts'], outfile: 'build/bench/driver.mjs', platform: 'node', packages: 'external', banner: nodeBanner }),
]);
