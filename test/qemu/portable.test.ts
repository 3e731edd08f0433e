/**
 * The portable unit tests (test/unit, see test/quickjs/bundle.ts for what counts as portable) on QuickJS:
 * one bundle, run by the host qjs, by the static aarch64 qjs under qemu-aarch64 and by the armhf qjs under
 * qemu-arm. Every test must pass on every runtime, except those listed in test/quickjs/known-failures.txt,
 * and the three runtimes must agree test by test. Layer: node-only (child processes, QEMU).
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, BUILD } from '../helpers/paths';
import { buildPortableBundle, parseOutcomes, parseSummary, type PortableBundle } from '../quickjs/bundle';

/**
 * Upper bound for one whole-suite run under QEMU (P6: every qemu run is bounded). A hang guard, not a
 * performance bound: alone on 2 cores a run takes about 3 minutes, but on a loaded machine QEMU gets a
 * fraction of a core (seen: 12 minutes at load 8).
 */
const RUN_TIMEOUT_S = 1800;

const RUNTIMES = [
  { name: 'host qjs', cmd: [join(BUILD, 'qjs', 'host', 'qjs')] },
  { name: 'aarch64 qjs (qemu-aarch64)', cmd: ['qemu-aarch64', join(BUILD, 'qjs', 'aarch64', 'qjs')] },
  { name: 'armhf qjs (qemu-arm)', cmd: ['qemu-arm', join(BUILD, 'qjs', 'armhf', 'qjs')] },
];

function knownFailures(): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of readFileSync(join(ROOT, 'test', 'quickjs', 'known-failures.txt'), 'utf8').split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const [name, reason] = line.split('\t');
    m.set(name!.trim(), (reason ?? '').trim());
  }
  return m;
}

function run(cmd: string[], file: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn('timeout', [String(RUN_TIMEOUT_S), ...cmd, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    // decode as a stream: a multi-byte UTF-8 character may span two chunks
    p.stdout.setEncoding('utf8');
    p.stderr.setEncoding('utf8');
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    p.on('close', (code) => resolve({ code, out }));
  });
}

describe('portable unit tests on QuickJS (host, qemu-aarch64, qemu-arm)', () => {
  let bundle: PortableBundle;
  const known = knownFailures();
  const outcomes: Map<string, string>[] = [];
  /** The three runs, started together in before() (2 cores: the QEMU runs dominate, ~10x host qjs). */
  const runs = new Map<string, Promise<{ code: number | null; out: string }>>();

  before(async () => {
    const mk = spawnSync('make', ['-s', '--no-print-directory', '-j2', 'build/qjs/host/qjs', 'build/qjs/aarch64/qjs', 'build/qjs/armhf/qjs'],
      { cwd: ROOT, encoding: 'utf8' });
    assert.equal(mk.status, 0, mk.stdout + mk.stderr);
    bundle = await buildPortableBundle({ outFile: join(BUILD, 'qjs-tests', 'portable.mjs') });
    if (bundle.included.length > 0) for (const rt of RUNTIMES) runs.set(rt.name, run(rt.cmd, bundle.file));
  });

  test('the bundle holds the portable test files', (t) => {
    t.diagnostic(`${bundle.included.length} portable test files, bundle ${bundle.bytes} bytes`);
    for (const e of bundle.excluded) t.diagnostic(`not portable: ${e.file} (${e.reason})`);
    const bundling = bundle.excluded.filter((e) => e.reason.startsWith('does not bundle'));
    assert.deepEqual(bundling, [], 'files that import only allowed modules must bundle for QuickJS');
  });

  for (const rt of RUNTIMES) {
    test(rt.name, async (t) => {
      if (bundle.included.length === 0) { t.skip('no portable tests yet'); return; }
      const r = await runs.get(rt.name)!;
      const s = parseSummary(r.out);
      assert.ok(s, `no summary line (exit ${r.code}):\n${r.out.slice(-4000)}`);
      assert.equal(s.files, bundle.included.length);
      assert.ok(s.tests > 0);
      const unexpected = s.failures.filter((f) => !known.has(f.name));
      const fixed = [...known.keys()].filter((k) => parseOutcomes(r.out).get(k) === 'pass');
      for (const k of fixed) t.diagnostic(`known failure now passes, remove it from test/quickjs/known-failures.txt: ${k}`);
      for (const f of s.failures) if (known.has(f.name)) t.diagnostic(`known failure: ${f.name} (${known.get(f.name)})`);
      t.diagnostic(`${s.tests} tests: ${s.pass} pass, ${s.fail} fail (${s.fail - unexpected.length} known), ${s.skip} skip, ${s.todo} todo`);
      assert.deepEqual(unexpected.map((f) => `${f.name}: ${f.error}`), [],
        `unexpected failures on ${rt.name}; details:\n${r.out.split('\n').filter((l) => l.startsWith('not ok') || l.startsWith('#   ')).join('\n').slice(0, 6000)}`);
      outcomes.push(parseOutcomes(r.out));
    });
  }

  test('all runtimes agree test by test', (t) => {
    if (outcomes.length < 2) { t.skip('fewer than two runtimes completed'); return; }
    const [first, ...rest] = outcomes;
    for (const o of rest) assert.deepEqual([...o.entries()].sort(), [...first!.entries()].sort());
  });
});
