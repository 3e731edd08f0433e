/**
 * Trial process on Node (host x86_64, or Debian's node on arm64/armhf under QEMU):
 *   node build/bench/bench-node.mjs <case> --mode time|count [--iters N] [--time MS] [--warmup MS] [--min-samples N]
 *        [--smoke] --corpus DIR --scratch DIR
 *   node build/bench/bench-node.mjs --mode list           (the case ids this runtime runs)
 * Prints one line `BENCH {json}` (bench/lib/types.ts TrialResult); exit status 1 when the case failed.
 * The native addon is the host build, or $DM_NATIVE_ADDON (the cross build under QEMU).
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { DirStorage } from '../../target/node/platform';
import { loadNative } from '../../target/node/native';
import type { BenchHost } from '../lib/types';
import { parseTrialArgs, RESULT_PREFIX, runTrial } from '../lib/measure';
import { TRIALS, trialById } from '../trials';

function main(): number {
  const a = parseTrialArgs(process.argv.slice(2));
  if (a.mode === 'list') {
    for (const t of TRIALS) if (t.runtimes.includes('node')) console.log(t.id);
    return 0;
  }
  const host: BenchHost = {
    runtime: 'node',
    version: `node ${process.version} ${process.arch}`,
    readFile: (p) => new Uint8Array(readFileSync(p)),
    corpusDir: a.corpus,
    scratchDir: a.scratch,
    native: () => {
      try {
        return loadNative();
      } catch {
        return null;
      }
    },
    fileStorage: (dir) => new DirStorage(dir),
  };
  const r = runTrial(host, trialById(a.caseId), {
    mode: a.mode, iters: a.iters, timeMs: a.timeMs, warmupMs: a.warmupMs, minSamples: a.minSamples, smoke: a.smoke,
    now: () => performance.now(),
    heap: () => ({ used: process.memoryUsage().heapUsed, rssKb: process.resourceUsage().maxRSS }),
  });
  console.log(RESULT_PREFIX + JSON.stringify(r));
  return r.ok ? 0 : 1;
}

process.exitCode = main();
