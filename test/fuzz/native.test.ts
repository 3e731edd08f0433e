// Fuzz (node-only): the libFuzzer harnesses of native/fuzz (AT dialogue, simulated flash + handle
// table) with ASan and UBSan. This short run builds each harness when needed (clang-14 with
// libclang-rt-14-dev; skipped with a reason when missing), replays the regression vectors of
// test/fixtures/fuzz/native/index.json with FUZZ_STRICT=1, and runs a seeded, bounded number of
// mutations from the seed programs. `make fuzz` (test/fuzz/fuzz.mk) runs the same harnesses for
// minutes with a persistent corpus.
//
//   FUZZ_SCALE=<n>   multiplies the mutation runs (default 1, capped at 4: `make fuzz-native` is the long run)
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD, ROOT, fixture } from '../helpers/paths';
import { SCALE } from './lib/params';

const OUT = join(BUILD, 'fuzz', 'native');
const CC = process.env['FUZZ_CC'] ?? 'clang-14';
const HARNESSES = ['at', 'flash'] as const;
const RUNS: Record<(typeof HARNESSES)[number], number> = { at: 15000, flash: 20000 };

interface Index {
  seeds: Record<string, { name: string; hex: string }[]>;
  vectors: { id: string; finding: string; status: 'open' | 'fixed'; harness: string; hex: string; note: string }[];
}
const index = JSON.parse(readFileSync(fixture('fuzz', 'native', 'index.json'), 'utf8')) as Index;
const hexBytes = (h: string): Buffer => Buffer.from(h.replace(/\s+/g, ''), 'hex');

const coreSources = readdirSync(join(ROOT, 'native', 'core')).filter((f) => f.endsWith('.c')).map((f) => join(ROOT, 'native', 'core', f));

/** Builds build/fuzz/native/fuzz_<h> when missing or older than its sources; returns null or the reason it cannot. */
function build(h: string): string | null {
  const exe = join(OUT, `fuzz_${h}`);
  const src = [join(ROOT, 'native', 'fuzz', `fuzz_${h}.c`), ...coreSources, join(ROOT, 'native', 'core', 'dm_native.h')];
  if (existsSync(exe) && src.every((s) => statSync(s).mtimeMs <= statSync(exe).mtimeMs)) return null;
  mkdirSync(OUT, { recursive: true });
  const r = spawnSync(CC, ['-g', '-O1', '-fsanitize=fuzzer,address,undefined', '-fno-sanitize-recover=undefined', '-Wall', '-Wextra', '-Wno-missing-field-initializers',
    '-o', exe, src[0]!, ...coreSources], { encoding: 'utf8', timeout: 120000 });
  if (r.error) return `${CC} not available (${r.error.message}); apt-get install clang-14 libclang-rt-14-dev`;
  if (r.status !== 0) {
    if (/fuzzer|libclang_rt/.test(r.stderr)) return `libFuzzer runtime missing (apt-get install libclang-rt-14-dev): ${r.stderr.slice(0, 200)}`;
    throw new Error(`building fuzz_${h} failed:\n${r.stderr}`);
  }
  return null;
}

const why = new Map<string, string | null>();
for (const h of HARNESSES) {
  try {
    why.set(h, build(h));
  } catch (e) {
    why.set(h, null);
    throw e;
  }
}

function runHarness(h: string, args: string[], env: Record<string, string> = {}): { status: number | null; out: string } {
  const r = spawnSync(join(OUT, `fuzz_${h}`), args, { encoding: 'utf8', timeout: 120000, env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1', ...env }, cwd: OUT });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

describe('fuzz: native harnesses (libFuzzer, ASan, UBSan)', () => {
  for (const h of HARNESSES) {
    const skip = why.get(h) ?? false;
    test(`fuzz_${h}: seeded mutation run from the seed programs finds no crash, leak or hang`, skip ? { skip } : {}, () => {
      const corpus = join(OUT, 'short', h);
      rmSync(corpus, { recursive: true, force: true });
      mkdirSync(corpus, { recursive: true });
      for (const s of index.seeds[h] ?? []) writeFileSync(join(corpus, s.name), hexBytes(s.hex));
      const artifacts = join(OUT, 'findings') + '/';
      mkdirSync(artifacts, { recursive: true });
      const r = runHarness(h, ['-seed=1', `-runs=${Math.round(RUNS[h] * Math.min(SCALE, 4))}`, '-max_len=512', '-timeout=10', `-artifact_prefix=${artifacts}${h}-`, corpus]);
      assert.equal(r.status, 0, `fuzz_${h} failed (crash input saved under ${artifacts}):\n${r.out.slice(-3000)}`);
      assert.match(r.out, /Done \d+ runs/);
    });
  }

  for (const v of index.vectors) {
    const skip = why.get(v.harness) ?? false;
    const opts = skip ? { skip } : v.status === 'open' ? { todo: `${v.finding} open: ${v.note}` } : {};
    test(`${v.finding} ${v.id} (fuzz_${v.harness}, strict)`, opts, () => {
      const f = join(OUT, `vector-${v.id}`);
      writeFileSync(f, hexBytes(v.hex));
      const r = runHarness(v.harness, [f], { FUZZ_STRICT: '1' });
      assert.equal(r.status, 0, r.out.split('\n').filter((l) => /fuzz_|ERROR|SUMMARY/.test(l)).join('\n'));
    });
  }

  test('open vectors still reproduce with FUZZ_STRICT=1 and are tolerated without it', { skip: why.get('at') ?? false }, () => {
    for (const v of index.vectors.filter((x) => x.status === 'open')) {
      const f = join(OUT, `vector-${v.id}`);
      writeFileSync(f, hexBytes(v.hex));
      assert.notEqual(runHarness(v.harness, [f], { FUZZ_STRICT: '1' }).status, 0, `${v.id} no longer reproduces: fixed? set its status to "fixed"`);
      assert.equal(runHarness(v.harness, [f]).status, 0, `${v.id}: the harness must tolerate a known bug outside strict mode`);
    }
  });
});
