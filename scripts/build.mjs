#!/usr/bin/env node
// Bundles the product and the tests with esbuild.
//   node scripts/build.mjs            -> product bundles (build/dist)
//   node scripts/build.mjs tests [F]  -> every test/**/*.test.ts (path containing F if given) -> build/test/**.test.mjs
import * as esbuild from 'esbuild';
import { readdirSync, statSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, relative, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

// QuickJS 2021-03-27: class fields and #private are native, static blocks / regexp /d / top-level await are not.
// Lowering to es2020 would turn #private into WeakMaps (10x slower on QuickJS), so: es2022 minus those.
export const QJS_SUPPORTED = {
  'class-static-blocks': false,
  'regexp-match-indices': false,
  'top-level-await': false,
};

function walk(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

async function product() {
  const common = { bundle: true, target: 'es2022', sourcemap: false, logLevel: 'warning', legalComments: 'none' };
  const jobs = [];
  if (existsSync('target/node/cli.ts')) {
    jobs.push(esbuild.build({
      ...common, entryPoints: ['target/node/cli.ts'], outfile: 'build/dist/omadm.mjs', platform: 'node', format: 'esm',
      banner: { js: '#!/usr/bin/env node\nimport { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);' },
    }));
  }
  if (existsSync('target/quickjs/main.ts')) {
    const qjs = { ...common, platform: 'neutral', format: 'esm', supported: QJS_SUPPORTED, external: ['os', 'std', 'dm_native'], minifySyntax: true };
    // One file (the dynamic imports inlined): size reports, bundle checks, --run.
    jobs.push(esbuild.build({ ...qjs, entryPoints: ['target/quickjs/main.ts'], outfile: 'build/dist/omadm-qjs.mjs' }));
    // What the device binary embeds: split at the dynamic imports (push side, FUMO, transcript, diagnostics)
    // into modules the host loads on first import (scripts/qjs-modules.mjs compiles them one by one).
    rmSync('build/dist/qjs', { recursive: true, force: true });
    jobs.push(esbuild.build({
      // target/quickjs/lazy.ts (the import() calls) is an entry too, so it stays a module of its own that
      // qjs-modules.mjs compiles without "use strip" (QuickJS resolves import() with debug info).
      ...qjs, entryPoints: { 'omadm-qjs': 'target/quickjs/main.ts', 'omadm-lazy': 'target/quickjs/lazy.ts' }, outdir: 'build/dist/qjs', splitting: true,
      outExtension: { '.js': '.mjs' }, entryNames: '[name]', chunkNames: '[name]-[hash]',
    }));
  }
  // The portable core alone (what the QuickJS image carries), for size reports and the codec benchmark adapter.
  jobs.push(esbuild.build({
    ...common, entryPoints: ['src/index.ts'], outfile: 'build/dist/core.mjs', platform: 'neutral', format: 'esm',
    supported: QJS_SUPPORTED,
  }));
  jobs.push(esbuild.build({
    ...common, entryPoints: ['src/index.ts'], outfile: 'build/dist/core.min.mjs', platform: 'neutral', format: 'esm',
    supported: QJS_SUPPORTED, minify: true,
  }));
  await Promise.all(jobs);
}

async function tests(filter) {
  const files = walk('test').filter((f) => f.endsWith('.test.ts') && (!filter || f.includes(filter)));
  mkdirSync('build/test', { recursive: true });
  await esbuild.build({
    entryPoints: files, outdir: 'build/test', outbase: 'test', outExtension: { '.js': '.mjs' },
    bundle: true, platform: 'node', format: 'esm', target: 'es2022', logLevel: 'warning', sourcemap: 'inline',
    packages: 'external',
    loader: { '.xml': 'text', '.txt': 'text', '.hex': 'text' },
    banner: { js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);' },
  });
  console.log(`built ${files.length} test file(s)`);
}

const [what, arg] = process.argv.slice(2);
if (what === 'tests') await tests(arg);
else await product();
