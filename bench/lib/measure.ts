/**
 * One trial in the current process (the hosts call this; the driver starts one process per trial):
 *
 * - `time`: tinybench (`runSync`) around the hot closure after a checked first call: warm-up
 *   time, then samples for `timeMs` (at least `minSamples`); the median latency (p50) is the
 *   figure reported, with the mean, its relative margin of error and the median throughput.
 *   Operations under ~20 µs are batched (one sample = `batch` calls, reported per call through
 *   tinybench's `overriddenDuration`, the batch charged to the time budget through
 *   `overriddenIterationCost`), so the clock's own cost stays below ~1 % of a sample.
 * - `count`: exactly `1 + iters` calls and nothing time-dependent, so the process executes the
 *   same instructions every run (QuickJS under QEMU: bit-identical counts). The driver counts a run
 *   with `iters = 0` and one with `iters = N` and divides the difference by N.
 *
 * Every call of the closure verifies its result; a failure ends the trial with `ok: false`.
 */
import { Bench } from 'tinybench';
import type { Trial } from '../trials';
import { trialParams, WORKLOADS } from '../trials';
import type { BenchHost, CaseInstance, TrialResult } from './types';

/** Options of one trial. */
export interface TrialOptions {
  mode: 'time' | 'count';
  /** count mode: operations after the first (checked) call. */
  iters: number;
  /** time mode: sampling time in ms (default 1000) and warm-up time in ms (default 200). */
  timeMs: number;
  warmupMs: number;
  /** time mode: fewest samples (tinybench `iterations`, default 10). */
  minSamples: number;
  /** Use the row's smoke parameters. */
  smoke: boolean;
  /** Monotonic clock in ms (performance.now on Node, dm_native.clockMonotonicMs on QuickJS). */
  now: () => number;
  /** Heap figures at the end. */
  heap: () => { used: number; peak?: number; rssKb?: number };
  /**
   * count mode: a full collection before the checked first call, so the setup's garbage is not
   * collected at some point inside the counted operations (where the collection would land
   * depends on the iteration count), and what a collection leaves behind (allocator free lists)
   * is absorbed by the first call, which both count runs make. QuickJS: dmHost.gc(); absent on Node.
   */
  collect?: () => void;
}

/** Shortest batch duration (ms) when batching fast operations. */
const MIN_BATCH_MS = 0.05;
/** Operations shorter than this (ms) are batched. */
const BATCH_BELOW_MS = 0.02;

function measureTime(c: CaseInstance, t: Trial, o: TrialOptions, firstMs: number): Partial<TrialResult> {
  let batch = 1;
  if (firstMs < 1) {
    // fast operation: warm it up (JIT tiers, caches) for up to the warm-up time, then the median
    // of a few single calls decides the batch size
    const w0 = o.now();
    for (let i = 0; i < 3 || (o.now() - w0 < Math.min(50, o.warmupMs) && i < 100000); i++) c.fn();
    const one: number[] = [];
    for (let i = 0; i < 5; i++) {
      const a = o.now();
      c.fn();
      one.push(o.now() - a);
    }
    one.sort((x, y) => x - y);
    const single = one[2]!;
    if (single < BATCH_BELOW_MS) batch = Math.min(100000, Math.ceil(MIN_BATCH_MS / Math.max(single, 1e-6)));
  }
  const now = o.now;
  const fn = c.fn;
  const task = batch === 1 ? fn : () => {
    const a = now();
    for (let i = 0; i < batch; i++) fn();
    const d = now() - a;
    // the sample is per operation; the time budget is charged the whole batch
    return { overriddenDuration: d / batch, overriddenIterationCost: d };
  };
  // operations over half a second (QuickJS under QEMU on megabyte inputs): three samples suffice
  const minSamples = firstMs > 500 ? Math.min(3, o.minSamples) : o.minSamples;
  const bench = new Bench({ now, time: o.timeMs, warmupTime: firstMs > 500 ? 0 : o.warmupMs, iterations: minSamples,
    warmup: o.warmupMs > 0 && firstMs <= 500, warmupIterations: 2, throws: true });
  bench.add(t.id, task);
  bench.runSync();
  const task0 = bench.tasks[0]!;
  const r = task0.result as unknown as { state: string; latency?: { p50: number; mean: number; rme: number; samplesCount: number }; throughput?: { p50: number }; error?: unknown };
  if (r.state !== 'completed' || !r.latency) throw r.error instanceof Error ? r.error : new Error(`tinybench state ${r.state}`);
  return {
    nsPerOp: r.latency.p50 * 1e6, nsMean: r.latency.mean * 1e6, rme: r.latency.rme,
    opsPerSec: r.throughput ? r.throughput.p50 : 1e3 / r.latency.p50, samples: r.latency.samplesCount, batch,
  };
}

/** Runs one trial of row `t` and returns its result line (never throws for a failing case). */
export function runTrial(host: BenchHost, t: Trial, o: TrialOptions): TrialResult {
  const res: TrialResult = { case: t.id, runtime: host.runtime, version: host.version, mode: o.mode, ok: false, units: {} };
  let c: CaseInstance | null = null;
  try {
    c = WORKLOADS[t.workload]!(host, trialParams(t, o.smoke));
    const units: TrialResult['units'] = {};
    if (c.bytes !== undefined) units.bytes = c.bytes;
    if (c.elements !== undefined) units.elements = c.elements;
    if (c.elementName !== undefined) units.elementName = c.elementName;
    res.units = units;
    // first call: lazy initialisation out of the way, and checked (timed only in time mode)
    if (o.mode === 'time') {
      const a = o.now();
      c.fn();
      Object.assign(res, measureTime(c, t, o, o.now() - a));
    } else {
      o.collect?.();
      c.fn();
      for (let i = 0; i < o.iters; i++) c.fn();
      res.iters = o.iters;
    }
    c.teardown?.();
    c = null;
    const h = o.heap();
    res.heapUsed = h.used;
    if (h.peak !== undefined) res.heapPeak = h.peak;
    if (h.rssKb !== undefined) res.rssPeakKb = h.rssKb;
    res.ok = true;
  } catch (e) {
    res.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    try {
      c?.teardown?.();
    } catch {
      // the first error is the one reported
    }
  }
  return res;
}

/** Parsed command line of a trial process: `<case> [--mode time|count] [--iters N] ...`. */
export interface TrialArgs {
  caseId: string;
  mode: 'time' | 'count' | 'list';
  iters: number;
  timeMs: number;
  warmupMs: number;
  minSamples: number;
  smoke: boolean;
  corpus: string;
  scratch: string;
}

/** Parses trial arguments (RangeError naming the option on bad input). */
export function parseTrialArgs(argv: readonly string[]): TrialArgs {
  const a: TrialArgs = { caseId: '', mode: 'time', iters: 10, timeMs: 1000, warmupMs: 200, minSamples: 10, smoke: false, corpus: '', scratch: '' };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new RangeError(`${k} needs a value`);
      return x;
    };
    const num = (): number => {
      const n = Number(v());
      if (!Number.isFinite(n) || n < 0) throw new RangeError(`${k}: not a non-negative number`);
      return n;
    };
    if (k === '--mode') {
      const m = v();
      if (m !== 'time' && m !== 'count' && m !== 'list') throw new RangeError(`--mode: time, count or list, got ${m}`);
      a.mode = m;
    } else if (k === '--iters') a.iters = Math.floor(num());
    else if (k === '--time') a.timeMs = num();
    else if (k === '--warmup') a.warmupMs = num();
    else if (k === '--min-samples') a.minSamples = Math.max(1, Math.floor(num()));
    else if (k === '--smoke') a.smoke = true;
    else if (k === '--corpus') a.corpus = v();
    else if (k === '--scratch') a.scratch = v();
    else if (k.startsWith('--')) throw new RangeError(`unknown option ${k}`);
    else a.caseId = k;
  }
  if (a.mode !== 'list' && !a.caseId) throw new RangeError('a case id is required');
  return a;
}

/** The prefix of the one result line a trial process prints. */
export const RESULT_PREFIX = 'BENCH ';
