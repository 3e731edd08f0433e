/**
 * The embedded application's std and os modules have only the exports it uses (target/quickjs/host.c,
 * prv_std_keep / prv_file_keep / prv_os_keep; `--run` files get QuickJS's full modules): every
 * `std.X`, `std.out|err.X` and `os.X` the QuickJS bundle (build/dist/qjs, what the binary embeds)
 * reads is in those lists, and the host build's `omadm selftest` (which reaches platform.ts and
 * diag.ts) passes with them. Layer: node-only (reads build output, child process).
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, BUILD } from '../helpers/paths';

/** The names of one `static const char *const NAME[] = { "a", "b", NULL };` list in host.c. */
function keepList(src: string, name: string): Set<string> {
  const m = new RegExp(`${name}\\[\\] = \\{([^}]*)\\}`).exec(src);
  assert.ok(m, `${name} not found in host.c`);
  return new Set([...m[1]!.matchAll(/"(\w+)"/g)].map((x) => x[1]!));
}

before(() => {
  const mk = spawnSync('make', ['-s', '--no-print-directory', 'build/qjs/host/omadm'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(mk.status, 0, mk.stdout + mk.stderr);
});

test('every std/os export the bundle reads is kept by the host', () => {
  const host = readFileSync(join(ROOT, 'target', 'quickjs', 'host.c'), 'utf8');
  const std = keepList(host, 'prv_std_keep');
  const file = keepList(host, 'prv_file_keep');
  const os = keepList(host, 'prv_os_keep');
  const dir = join(BUILD, 'dist', 'qjs');
  const code = readdirSync(dir).filter((f) => f.endsWith('.mjs')).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n')
    .replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, ''); // comments name "the os timer" etc.
  // the namespace must not escape (std[x], passing os around): only NAME.X outside the import line
  const escapes = (n: string) => code.replace(new RegExp(`import \\* as ${n} from "\\w+";`, 'g'), '')
    .match(new RegExp(`(?<![\\w."'])${n}\\b(?![.\\w"'])`, 'g')) ?? [];
  // esbuild may rename the namespace imports (os2, std3): `import * as NAME from "os"`
  const ns = (mod: string) => [...code.matchAll(new RegExp(`import \\* as (\\w+) from "${mod}"`, 'g'))].map((m) => m[1]!);
  const stdNames = ns('std');
  const osNames = ns('os');
  assert.ok(stdNames.length > 0 && osNames.length > 0, 'the bundle imports std and os');
  // only namespace imports: a named import would bypass these checks
  assert.doesNotMatch(code, /import \{[^}]*\} from "(std|os)"/);
  const used = { std: new Set<string>(), file: new Set<string>(), os: new Set<string>() };
  for (const n of stdNames) {
    for (const m of code.matchAll(new RegExp(`\\b${n}\\.(\\w+)(?:\\.(\\w+))?`, 'g'))) {
      if (m[1] === 'out' || m[1] === 'err') { if (m[2]) used.file.add(m[2]); } else used.std.add(m[1]!);
    }
    assert.deepEqual(escapes(n), [], `std namespace ${n} used other than ${n}.X`);
  }
  for (const n of osNames) {
    for (const m of code.matchAll(new RegExp(`\\b${n}\\.(\\w+)`, 'g'))) used.os.add(m[1]!);
    assert.deepEqual(escapes(n), [], `os namespace ${n} used other than ${n}.X`);
  }
  assert.ok(used.os.has('setTimeout') && used.file.has('puts'), JSON.stringify([...used.os]));
  assert.deepEqual([...used.std].filter((x) => !std.has(x)), [], 'std exports missing from prv_std_keep');
  assert.deepEqual([...used.file].filter((x) => !file.has(x)), [], 'FILE methods missing from prv_file_keep');
  assert.deepEqual([...used.os].filter((x) => !os.has(x)), [], 'os exports missing from prv_os_keep');
});

test('omadm selftest passes with the application modules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'omadm-mods-'));
  try {
    const r = spawnSync(join(BUILD, 'qjs', 'host', 'omadm'), ['selftest', '--storage', join(dir, 'st')], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /selftest: \d+ passed, 0 failed/, r.stdout + r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
