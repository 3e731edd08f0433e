/**
 * The results file of one target (`<runtime>-<arch>.json`, also the baseline format) and its table.
 *
 * Per case: the time figures are medians over trials (each trial a fresh process reporting
 * tinybench's median latency); the instruction count per operation is
 * (insns(1 + iters) − insns(1)) / iters of two count-mode processes (exact for QuickJS under QEMU).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { CaseUnits } from '../lib/types';
import { dur, num, table } from './format';
import { ROOT } from './targets';

/** Results schema version (bump on incompatible changes; baselines carry it). */
export const RESULTS_SCHEMA = 1;

export interface CaseResult {
  group: string;
  units: CaseUnits;
  ok: boolean;
  errors?: string[];
  time?: {
    /** Trials (processes) that contributed. */
    trials: number;
    /** Median over trials of each trial's median latency, ns per operation. */
    nsPerOp: number;
    /** Each trial's median latency (ns). */
    perTrial: number[];
    opsPerSec: number;
    /** Median relative margin of error reported by tinybench (%). */
    rme: number;
    mbPerSec?: number;
    nsPerElement?: number;
  };
  insns?: {
    /** Instructions per operation. */
    perOp: number;
    /** Operations counted (the difference of the two runs). */
    iters: number;
    /** Instructions of the run with one operation (start-up, setup, one call). */
    base: number;
    perElement?: number;
    perByte?: number;
  };
  /** JS heap high-water (QuickJS) or peak RSS (Node, KiB) of a count run. */
  heapPeak?: number;
  rssPeakKb?: number;
}

export interface TargetResults {
  schema: number;
  target: string;
  runtime: string;
  arch: string;
  date: string;
  git: string;
  machine: string;
  engine: { path: string; sha256: string; version: string };
  bundle: { path: string; sha256: string };
  tools: Record<string, string>;
  settings: Record<string, number | string | boolean>;
  cases: Record<string, CaseResult>;
}

/** `git describe`-like identity of the checkout (commit, +dirty when files differ). */
export function gitId(): string {
  try {
    const c = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return c + (dirty ? '+dirty' : '');
  } catch {
    return 'unknown';
  }
}

export function machine(): string {
  const c = cpus();
  return `${c[0]?.model ?? 'unknown cpu'} × ${c.length}`;
}

/** First line of `cmd --version`, or ''. */
export function toolVersion(cmd: string, args: string[] = ['--version']): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0]!.trim();
  } catch {
    return '';
  }
}

export function loadResults(path: string): TargetResults {
  const r = JSON.parse(readFileSync(path, 'utf8')) as TargetResults;
  if (r.schema !== RESULTS_SCHEMA) throw new Error(`${path}: results schema ${r.schema}, this driver reads ${RESULTS_SCHEMA}`);
  return r;
}

/** The readable table of one target's results. */
export function resultsTable(r: TargetResults): string {
  const rows: string[][] = [];
  for (const [id, c] of Object.entries(r.cases)) {
    const u = c.units;
    const en = u.elementName ?? 'element';
    rows.push([
      id,
      c.time ? dur(c.time.nsPerOp) : '-',
      c.time ? num(c.time.opsPerSec) : '-',
      c.time?.mbPerSec !== undefined ? num(c.time.mbPerSec) : '-',
      c.time?.nsPerElement !== undefined ? `${num(c.time.nsPerElement)} /${en}` : '-',
      c.insns ? num(c.insns.perOp) : '-',
      c.insns?.perElement !== undefined ? `${num(c.insns.perElement)} /${en}` : '-',
      c.time ? `${c.time.trials}×, ±${num(c.time.rme, 2)}%` : '-',
      c.ok ? 'ok' : `FAILED: ${(c.errors ?? []).join('; ')}`,
    ]);
  }
  const head = [`# ${r.target}`, '',
    `${r.date} · ${r.git} · ${r.machine} · ${r.engine.version} · engine sha256 ${r.engine.sha256.slice(0, 16)} · bundle sha256 ${r.bundle.sha256.slice(0, 16)}`,
    Object.entries(r.tools).filter(([, v]) => v).map(([k, v]) => `${k}: ${v}`).join(' · '), ''].join('\n');
  return head + '\n' + table(['case', 'median/op', 'ops/s', 'MB/s', 'ns/unit', 'insns/op', 'insns/unit', 'trials (rme)', 'check'], rows);
}
