/**
 * Runs the matrix rows of one target: per case, `trials` time processes one after the other (a
 * fresh process each; medians), and for targets with an instruction counter two count processes
 * (1 operation, 1 + N operations) in the same scratch path. Count processes are deterministic, so
 * they run two at a time; time processes never overlap anything this driver starts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Trial } from '../trials';
import { TRIALS } from '../trials';
import type { TrialResult } from '../lib/types';
import { median } from './format';
import type { CaseResult, TargetResults } from './results';
import { gitId, machine, RESULTS_SCHEMA, resultsTable, toolVersion } from './results';
import type { Target } from './targets';
import { BUILD, sha256, trialProcess } from './targets';

export interface SuiteOptions {
  corpus: string;
  /** Time processes per case (0 = counts only). */
  trials: number;
  /** Count instructions (targets with a counter). */
  counts: boolean;
  /** Regex on case ids. */
  filter: RegExp | null;
  /** Cases left out on purpose (id → reason), e.g. corpus messages that do not exist. */
  skip?: Map<string, string>;
  smoke: boolean;
  /** tinybench sampling and warm-up time per trial, ms. */
  timeMs: number;
  warmupMs: number;
  /** Fewest tinybench samples per trial (10; the smoke under QEMU uses 3). */
  minSamples: number;
  /** Where `<target>.json` and `<target>.md` go. */
  out: string;
  log: (s: string) => void;
}

/** Rows that run on this target. */
export function casesFor(t: Target, o: Pick<SuiteOptions, 'filter' | 'smoke' | 'skip'>): Trial[] {
  return TRIALS.filter((r) => r.runtimes.includes(t.runtime) && (!o.smoke || r.smoke) && (!o.filter || o.filter.test(r.id)) && !o.skip?.has(r.id)
    && !(r.noCallgrind && t.counter === 'callgrind' && !o.filter));
}

/** Runs `jobs` with at most `n` at a time. */
async function pool<T>(n: number, jobs: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]!();
    }
  }));
  return out;
}

function common(row: Trial, o: SuiteOptions): string[] {
  return [row.id, '--corpus', o.corpus, ...(o.smoke ? ['--smoke'] : [])];
}

/** Counts one row: (insns(1 + N) − insns(1)) / N. */
async function countRow(t: Target, row: Trial, o: SuiteOptions): Promise<{ insns?: CaseResult['insns']; res: TrialResult[]; errors: string[] }> {
  const n = o.smoke ? row.smokeCount ?? row.count : row.count;
  const dir = join(BUILD, 'bench', 'scratch', `${t.name}-count-${row.id}`);
  const a = await trialProcess(t, [...common(row, o), '--mode', 'count', '--iters', '0'], dir, true);
  const b = await trialProcess(t, [...common(row, o), '--mode', 'count', '--iters', String(n)], dir, true);
  const errors = [a, b].filter((x) => !x.res.ok).map((x) => x.res.error ?? 'failed');
  if (errors.length || a.insns === null || b.insns === null) return { res: [a.res, b.res], errors };
  const perOp = (b.insns - a.insns) / n;
  const insns: NonNullable<CaseResult['insns']> = { perOp, iters: n, base: a.insns };
  const u = b.res.units;
  if (u.elements) insns.perElement = perOp / u.elements;
  if (u.bytes) insns.perByte = perOp / u.bytes;
  return { insns, res: [a.res, b.res], errors };
}

/** Runs the suite of one target and writes its results. */
export async function runSuite(t: Target, o: SuiteOptions): Promise<TargetResults> {
  const rows = casesFor(t, o);
  if (rows.length === 0) throw new Error(`no case matches on ${t.name}`);
  const cases: Record<string, CaseResult> = {};
  for (const r of rows) cases[r.id] = { group: r.group, units: {}, ok: true };
  const counting = o.counts && t.counter !== null;
  /** Engine version as a trial process reported it. */
  let seen = '';
  const t0 = Date.now();
  // instruction counts (deterministic: two processes at a time)
  if (counting) {
    o.log(`[bench] ${t.name}: counting instructions of ${rows.length} cases (${t.counter})`);
    const counted = await pool(2, rows.map((row) => async () => {
      const c = await countRow(t, row, o);
      o.log(`[bench]   ${row.id}: ${c.insns ? Math.round(c.insns.perOp).toLocaleString('en-US') + ' insns/op' : 'FAILED ' + c.errors.join('; ')}`);
      return c;
    }));
    rows.forEach((row, i) => {
      const c = counted[i]!;
      const cr = cases[row.id]!;
      const last = c.res[c.res.length - 1]!;
      cr.units = last.units;
      if (last.version) seen = last.version;
      if (c.insns) cr.insns = c.insns;
      if (last.heapPeak !== undefined) cr.heapPeak = last.heapPeak;
      if (last.rssPeakKb !== undefined) cr.rssPeakKb = last.rssPeakKb;
      if (c.errors.length) {
        cr.ok = false;
        cr.errors = c.errors;
      }
    });
  }
  // wall time (one process at a time)
  if (o.trials > 0) {
    o.log(`[bench] ${t.name}: timing ${rows.length} cases, ${o.trials} trial(s) each`);
    for (const row of rows) {
      const per: TrialResult[] = [];
      for (let i = 0; i < o.trials; i++) {
        const dir = join(BUILD, 'bench', 'scratch', `${t.name}-time-${row.id}`);
        const p = await trialProcess(t, [...common(row, o), '--mode', 'time', '--time', String(o.timeMs), '--warmup', String(o.warmupMs), '--min-samples', String(o.minSamples)], dir, false);
        per.push(p.res);
      }
      const cr = cases[row.id]!;
      const good = per.filter((x) => x.ok && x.nsPerOp !== undefined);
      const bad = per.filter((x) => !x.ok).map((x) => x.error ?? 'failed');
      if (bad.length) {
        cr.ok = false;
        cr.errors = [...(cr.errors ?? []), ...bad];
      }
      if (good.length) {
        const u = good[0]!.units;
        cr.units = u;
        seen = good[0]!.version || seen;
        const ns = median(good.map((x) => x.nsPerOp!));
        cr.time = {
          trials: good.length, nsPerOp: ns, perTrial: good.map((x) => x.nsPerOp!),
          opsPerSec: median(good.map((x) => x.opsPerSec!)), rme: median(good.map((x) => x.rme ?? 0)),
        };
        if (u.bytes) cr.time.mbPerSec = u.bytes / 1e6 / (ns / 1e9);
        if (u.elements) cr.time.nsPerElement = ns / u.elements;
        if (cr.heapPeak === undefined && good[0]!.heapPeak !== undefined) cr.heapPeak = good[0]!.heapPeak;
        if (cr.rssPeakKb === undefined && good[0]!.rssPeakKb !== undefined) cr.rssPeakKb = good[0]!.rssPeakKb;
      }
      o.log(`[bench]   ${row.id}: ${cr.time ? (cr.time.nsPerOp / 1e3).toFixed(1) + ' µs/op' : 'FAILED ' + (cr.errors ?? []).join('; ')}`);
    }
  }
  const res: TargetResults = {
    schema: RESULTS_SCHEMA, target: t.name, runtime: t.runtime, arch: t.arch, date: new Date().toISOString(), git: gitId(), machine: machine(),
    engine: { path: t.engine, sha256: sha256(t.engine), version: seen || engineVersion(t) },
    bundle: { path: t.bundle, sha256: sha256(t.bundle) },
    tools: {
      qemu: t.arch === 'x86_64' ? '' : toolVersion('qemu-aarch64'),
      valgrind: counting && t.counter === 'callgrind' ? toolVersion('valgrind') : '',
      node: process.version,
    },
    settings: { trials: o.trials, timeMs: o.timeMs, warmupMs: o.warmupMs, minSamples: o.minSamples, counts: counting, counter: t.counter ?? 'none', smoke: o.smoke, corpus: o.corpus, wallSeconds: Math.round((Date.now() - t0) / 1000) },
    cases,
  };
  mkdirSync(o.out, { recursive: true });
  writeFileSync(join(o.out, `${t.name}.json`), JSON.stringify(res, null, 1) + '\n');
  writeFileSync(join(o.out, `${t.name}.md`), resultsTable(res));
  return res;
}

function engineVersion(t: Target): string {
  if (t.runtime === 'qjs') return 'QuickJS 2021-03-27 (omadm host, bench/host-stub.c)';
  if (t.arch === 'x86_64') return `node ${process.version}`;
  return 'Debian node 18 (build/sysroot)';
}
