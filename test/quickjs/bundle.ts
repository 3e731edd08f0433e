/**
 * Builds the QuickJS test bundle: every portable test file bundled with esbuild into ONE ES module that
 * `qjs` runs (host, qemu-aarch64, qemu-arm), with `node:test` → test/quickjs/node-test.ts and
 * `node:assert/strict` → test/quickjs/node-assert.ts.
 *
 * Portable = the file and everything it imports stays inside src/, test/unit/, test/quickjs/,
 * test/fixtures/ (data imported as text) and test/helpers/fake-platform.ts, and imports nothing else:
 * no other `node:*` module, no npm package. The ES2022 library methods QuickJS lacks (`.at`,
 * `findLast`, `Object.hasOwn`) are shimmed for the tests (es2022-shims.ts).
 * That is decided from esbuild's own resolution (metafile), so a helper that pulls in node:fs makes
 * its importers non-portable too. Excluded files are listed with the reason.
 * Node-side helper (used by test/qemu/portable.test.ts and test/quickjs/runner.test.ts).
 */
import * as esbuild from 'esbuild';
import { readdirSync, statSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { ROOT } from '../helpers/paths';

/** esbuild settings for QuickJS 2021-03-27 (same as scripts/build.mjs QJS_SUPPORTED). */
const QJS_SUPPORTED = { 'class-static-blocks': false, 'regexp-match-indices': false, 'top-level-await': false };
const SHIM_TEST = join(ROOT, 'test', 'quickjs', 'node-test.ts');
const SHIM_ASSERT = join(ROOT, 'test', 'quickjs', 'node-assert.ts');
// test/fixtures: data files the tests import as text (the .xml/.txt/.hex loaders below)
const ALLOWED_DIRS = ['src', join('test', 'unit'), join('test', 'quickjs'), join('test', 'fixtures')].map((d) => join(ROOT, d) + sep);
const ALLOWED_FILES = [join(ROOT, 'test', 'helpers', 'fake-platform.ts')];

/** Result of `buildPortableBundle`. */
export interface PortableBundle {
  /** Absolute path of the bundle (.mjs, runs with `qjs`). */
  file: string;
  /** Test files in the bundle, relative to the repository root, in run order. */
  included: string[];
  /** Test files left out, with the first reason found. */
  excluded: { file: string; reason: string }[];
  /** Bundle size in bytes. */
  bytes: number;
}

function walk(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

/** Resolves node:test / node:assert to the shims; every other node:* or bare import stays external (= not portable). */
const shimPlugin: esbuild.Plugin = {
  name: 'qjs-shims',
  setup(b) {
    b.onResolve({ filter: /^node:test$/ }, () => ({ path: SHIM_TEST }));
    b.onResolve({ filter: /^node:assert(\/strict)?$/ }, () => ({ path: SHIM_ASSERT }));
    b.onResolve({ filter: /^node:/ }, (a) => ({ path: a.path, external: true }));
    b.onResolve({ filter: /^[^./]/ }, (a) => ({ path: a.path, external: true }));
  },
};

const common: esbuild.BuildOptions = {
  bundle: true, format: 'esm', platform: 'neutral', target: 'es2022', supported: QJS_SUPPORTED,
  logLevel: 'silent', plugins: [shimPlugin], legalComments: 'none',
  // fixtures imported as text, as scripts/build.mjs does for the node test bundles
  loader: { '.xml': 'text', '.txt': 'text', '.hex': 'text' },
};

/** Decides portability of each candidate (absolute paths); returns the portable ones and the reasons for the rest. */
async function classify(files: string[]): Promise<{ ok: string[]; excluded: { file: string; reason: string }[] }> {
  const ok: string[] = [];
  const excluded: { file: string; reason: string }[] = [];
  for (const f of files) {
    const rel = relative(ROOT, f);
    let r: esbuild.BuildResult & { metafile: esbuild.Metafile };
    try {
      r = await esbuild.build({ ...common, entryPoints: [f], write: false, outdir: '/tmp/omadm-qjs-classify', metafile: true });
    } catch (e) {
      excluded.push({ file: rel, reason: `does not bundle: ${String((e as Error).message).split('\n')[0]}` });
      continue;
    }
    const out = Object.values(r.metafile.outputs)[0]!;
    const ext = out.imports.filter((i) => i.external && i.path !== 'std' && i.path !== 'os').map((i) => i.path);
    if (ext.length > 0) {
      excluded.push({ file: rel, reason: `imports ${[...new Set(ext)].join(', ')}` });
      continue;
    }
    const outside = Object.keys(out.inputs).map((p) => join(ROOT, p))
      .filter((p) => !ALLOWED_FILES.includes(p) && !ALLOWED_DIRS.some((d) => p.startsWith(d)));
    if (outside.length > 0) {
      excluded.push({ file: rel, reason: `imports ${outside.map((p) => relative(ROOT, p)).join(', ')}` });
      continue;
    }
    ok.push(f);
  }
  return { ok, excluded };
}

/**
 * Bundles the portable tests (test/unit/**\/*.test.ts whose path contains `filter`, plus `extraFiles`)
 * into `outFile`. Each file's tests are registered under its repository-relative name.
 */
export async function buildPortableBundle(opts: { outFile: string; filter?: string; extraFiles?: string[]; noUnit?: boolean }): Promise<PortableBundle> {
  return build(opts, 'qjs');
}

/**
 * The same portable files as one ES module for Node (real node:test and node:assert, external), so a
 * single node process runs them all (Debian's node under QEMU starts in ~1.4 s, once per process).
 */
export async function buildPortableNodeBundle(opts: { outFile: string; filter?: string }): Promise<PortableBundle> {
  return build(opts, 'node');
}

/**
 * Test files for the omadm QuickJS host itself (they import target/quickjs and the host modules
 * `os`, `std`, `dm_native`): bundled with the same shims, without the portability check, to run
 * with `omadm --run FILE`.
 */
export async function buildHostTestBundle(opts: { outFile: string; files: string[] }): Promise<PortableBundle> {
  return build({ outFile: opts.outFile, extraFiles: opts.files, noUnit: true }, 'host');
}

async function build(opts: { outFile: string; filter?: string; extraFiles?: string[]; noUnit?: boolean }, target: 'qjs' | 'node' | 'host'): Promise<PortableBundle> {
  const cand = opts.noUnit ? [] : walk(join(ROOT, 'test', 'unit')).filter((f) => f.endsWith('.test.ts') && (!opts.filter || f.includes(opts.filter)));
  for (const f of opts.extraFiles ?? []) cand.push(f);
  const { ok, excluded } = target === 'host' ? { ok: cand, excluded: [] } : await classify(cand);
  // entry: runner first, then per file a marker module (setFile) followed by the file itself
  const lines = [
    `import ${JSON.stringify(join(ROOT, 'test', 'quickjs', 'es2022-shims.ts'))};`,
    `import { run } from ${JSON.stringify(SHIM_TEST)};`,
    `import * as std from 'std';`,
  ];
  ok.forEach((f, i) => {
    lines.push(`import 'qjs-marker:${i}';`);
    lines.push(`import ${JSON.stringify(f)};`);
  });
  lines.push(
    'run({ print: (s) => std.out.puts(s + "\\n") }).then(',
    '  (s) => { std.out.flush(); std.exit(s.fail > 0 ? 1 : 0); },',
    '  (e) => { std.out.puts("# runner crashed: " + e + "\\n" + (e && e.stack) + "\\n"); std.out.flush(); std.exit(2); });',
  );
  const markers: esbuild.Plugin = {
    name: 'qjs-markers',
    setup(b) {
      b.onResolve({ filter: /^qjs-marker:/ }, (a) => ({ path: a.path, namespace: 'qjs-marker' }));
      b.onLoad({ filter: /.*/, namespace: 'qjs-marker' }, (a) => {
        const i = Number(a.path.slice('qjs-marker:'.length));
        return {
          contents: `import { setFile } from ${JSON.stringify(SHIM_TEST)}; setFile(${JSON.stringify(relative(ROOT, ok[i]!))});`,
          loader: 'js', resolveDir: ROOT,
        };
      });
    },
  };
  mkdirSync(dirname(opts.outFile), { recursive: true });
  if (target === 'node') {
    const r = await esbuild.build({
      bundle: true, format: 'esm', platform: 'node', target: 'es2022', logLevel: 'silent', legalComments: 'none',
      loader: common.loader!, packages: 'external', write: false, outfile: opts.outFile,
      stdin: { contents: ok.map((f) => `import ${JSON.stringify(f)};`).join('\n'), resolveDir: ROOT, sourcefile: 'node-test-entry.js', loader: 'js' },
    });
    const text = r.outputFiles[0]!.contents;
    writeFileSync(opts.outFile, text);
    return { file: opts.outFile, included: ok.map((f) => relative(ROOT, f)), excluded, bytes: text.length };
  }
  const r = await esbuild.build({
    ...common, plugins: [markers, shimPlugin], write: false, outfile: opts.outFile,
    ...(target === 'host' ? { external: ['std', 'os', 'dm_native'] } : {}),
    stdin: { contents: lines.join('\n'), resolveDir: ROOT, sourcefile: 'qjs-test-entry.js', loader: 'js' },
  });
  const text = r.outputFiles[0]!.contents;
  writeFileSync(opts.outFile, text);
  return { file: opts.outFile, included: ok.map((f) => relative(ROOT, f)), excluded, bytes: text.length };
}

/** The summary line the runner prints last. */
export interface QjsSummary {
  tests: number; pass: number; fail: number; skip: number; todo: number; files: number;
  failures: { name: string; error: string }[];
}

/** Extracts the `# qjs-summary` JSON from runner output (null when the run crashed before it). */
export function parseSummary(output: string): QjsSummary | null {
  const m = /^# qjs-summary (\{.*\})$/m.exec(output);
  return m ? (JSON.parse(m[1]!) as QjsSummary) : null;
}

/** Per-test outcomes from the TAP lines: full name → 'pass' | 'fail' | 'skip' | 'todo'. */
export function parseOutcomes(output: string): Map<string, string> {
  const res = new Map<string, string>();
  for (const line of output.split('\n')) {
    const m = /^(ok|not ok) \d+ - (.*?)( # (SKIP|TODO).*)?$/.exec(line);
    if (!m) continue;
    res.set(m[2]!, m[4] === 'SKIP' ? 'skip' : m[4] === 'TODO' ? 'todo' : m[1] === 'ok' ? 'pass' : 'fail');
  }
  return res;
}
