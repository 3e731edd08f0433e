/**
 * Trial process on QuickJS 2021-03-27, run by the bench host (the omadm host's C code with no
 * application: build/bench/<arch>/omadm-bench, see bench/bench.mk) so the `std`, `os` and
 * `dm_native` modules are the product's:
 *   omadm-bench --run build/bench/bench-qjs.mjs <case> --mode time|count [--iters N] [--time MS]
 *               [--warmup MS] [--min-samples N] [--smoke] --corpus DIR --scratch DIR
 * Same protocol as bench/hosts/node.ts: one line `BENCH {json}`, exit status 1 when the case failed.
 * The clock is dm_native.clockMonotonicMs (CLOCK_MONOTONIC); count mode never reads it.
 */
/// <reference path="../../target/quickjs/types.d.ts" />
import './qjs-globals';
import * as std from 'std';
import * as native from 'dm_native';
import { checkBinding } from '../../src/native/binding';
import type { FlashBinding } from '../../src/native/binding';
import { createStorage, installQjsTuning } from '../../target/quickjs/platform';
import type { BenchHost } from '../lib/types';
import { parseTrialArgs, RESULT_PREFIX, runTrial } from '../lib/measure';
import { TRIALS, trialById } from '../trials';

function readFile(path: string): Uint8Array {
  const f = std.open(path, 'rb');
  if (!f) throw new Error(`cannot open ${path}`);
  try {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const buf = new ArrayBuffer(1 << 20);
      const n = f.read(buf, 0, buf.byteLength);
      if (n <= 0) break;
      chunks.push(new Uint8Array(buf, 0, n));
      total += n;
    }
    const out = new Uint8Array(total);
    let o = 0;
    for (const c of chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  } finally {
    f.close();
  }
}

function main(): number {
  installQjsTuning(); // as the product does (target/quickjs/main.ts)
  const a = parseTrialArgs(scriptArgs.slice(1));
  if (a.mode === 'list') {
    for (const t of TRIALS) if (t.runtimes.includes('qjs')) print(t.id);
    return 0;
  }
  let binding: FlashBinding | null = null;
  const host: BenchHost = {
    runtime: 'qjs',
    version: `quickjs ${dmHost.quickjs}`,
    readFile,
    corpusDir: a.corpus,
    scratchDir: a.scratch,
    native: () => (binding ??= checkBinding(native)),
    fileStorage: (dir) => createStorage(dir),
  };
  const r = runTrial(host, trialById(a.caseId), {
    mode: a.mode, iters: a.iters, timeMs: a.timeMs, warmupMs: a.warmupMs, minSamples: a.minSamples, smoke: a.smoke,
    now: () => native.clockMonotonicMs(),
    collect: () => dmHost.gc(),
    heap: () => {
      const u = dmHost.memoryUsage();
      return { used: u.used, peak: u.peak };
    },
  });
  print(RESULT_PREFIX + JSON.stringify(r));
  return r.ok ? 0 : 1;
}

dmHost.setExitCode(main());
