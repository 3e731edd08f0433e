// Node-only (child processes, QEMU): the bench smoke step of `make test`. Runs `make bench-smoke`
// (the smoke rows of bench/trials.ts on Node and on QuickJS under qemu-aarch64: tinybench medians and
// guest instruction counts, every hot closure self-checking) and checks that every expected number
// exists, every self-check passed and a repeated count process gave the identical count. No timing
// thresholds: speed is judged by `make bench-check` on instruction counts, not here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, BUILD } from '../helpers/paths';
import { TRIALS } from '../../bench/trials';
import type { SmokeSummary } from '../../bench/driver/smoke';
import type { TargetResults } from '../../bench/driver/results';

/** The make environment of an enclosing `make test` (jobserver fds) must not leak into the child make. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES']) delete env[k];
  return env;
}

test('make bench-smoke: Node and QuickJS/QEMU numbers exist, self-checks pass, counts repeat exactly', { timeout: 900_000 }, (t) => {
  const r = spawnSync('make', ['-s', '--no-print-directory', 'bench-smoke'], { cwd: ROOT, env: cleanEnv(), encoding: 'utf8', timeout: 880_000 });
  const log = `${r.stdout}\n${r.stderr}`.slice(-4000);
  assert.equal(r.status, 0, log);
  const out = join(BUILD, 'bench', 'smoke');
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as SmokeSummary;
  assert.equal(summary.ok, true, JSON.stringify(summary, null, 1));

  // codec cases need the perfkit corpus (../shared/perfkit); without it they are skipped, with the reason
  const skipped = new Set(summary.skipped.map((s) => s.case));
  for (const s of summary.skipped) t.diagnostic(`skipped ${s.case}: ${s.reason}`);
  assert.ok(skipped.size < TRIALS.filter((x) => x.smoke).length, 'some smoke cases ran');
  const smokeIds = (runtime: 'node' | 'qjs'): string[] => TRIALS.filter((x) => x.smoke && x.runtimes.includes(runtime) && !skipped.has(x.id)).map((x) => x.id).sort();
  const node = JSON.parse(readFileSync(join(out, 'node-x86_64.json'), 'utf8')) as TargetResults;
  const qjs = JSON.parse(readFileSync(join(out, 'qjs-aarch64.json'), 'utf8')) as TargetResults;
  assert.deepEqual(Object.keys(node.cases).sort(), smokeIds('node'));
  assert.deepEqual(Object.keys(qjs.cases).sort(), smokeIds('qjs'));

  for (const res of [node, qjs]) {
    assert.match(res.engine.sha256, /^[0-9a-f]{64}$/, `${res.target}: engine binary hash recorded`);
    assert.match(res.bundle.sha256, /^[0-9a-f]{64}$/, `${res.target}: bundle hash recorded`);
    for (const [id, c] of Object.entries(res.cases)) {
      assert.equal(c.ok, true, `${res.target} ${id}: ${(c.errors ?? []).join('; ')}`);
      assert.ok(c.time, `${res.target} ${id}: no time figures`);
      assert.ok(Number.isFinite(c.time.nsPerOp) && c.time.nsPerOp > 0, `${res.target} ${id}: ns/op ${c.time.nsPerOp}`);
      assert.ok(c.time.opsPerSec > 0 && c.time.trials === 1, `${res.target} ${id}: ops/s ${c.time.opsPerSec}, trials ${c.time.trials}`);
      assert.ok((c.units.bytes ?? 0) > 0 && (c.units.elements ?? 0) > 0, `${res.target} ${id}: units ${JSON.stringify(c.units)}`);
    }
  }
  // QuickJS under QEMU: a count per operation for every case, from two runs of the same binary
  assert.equal(qjs.settings['counter'], 'qemu-plugin');
  for (const [id, c] of Object.entries(qjs.cases)) {
    assert.ok(c.insns, `${id}: no instruction count`);
    assert.ok(c.insns.perOp > 1000 && c.insns.base > c.insns.perOp / 100, `${id}: ${c.insns.perOp} insns/op, base ${c.insns.base}`);
    assert.ok(c.heapPeak !== undefined && c.heapPeak > 0, `${id}: JS heap high-water recorded`);
  }
  assert.equal(summary.determinism.equal, true, `repeated count: ${summary.determinism.first} vs ${summary.determinism.second}`);
  assert.ok((summary.determinism.first ?? 0) > 0);
  for (const v of summary.vsBaseline) t.diagnostic(`${v.case}: ${v.deltaPct >= 0 ? '+' : ''}${v.deltaPct.toFixed(2)}% instructions vs bench/baselines/qjs-aarch64.json`);
  t.diagnostic(`bench smoke took ${summary.seconds} s`);
});
