/**
 * Regression gate on instruction counts (never on wall time): every case of the baseline
 * (`bench/baselines/<target>.json`) must be present in the run, pass its self-check, and execute at
 * most `tolerance` percent more instructions per operation than the baseline. Improvements beyond
 * the tolerance are reported (re-baseline on purpose with `make bench-baseline`).
 *
 * Counts depend on the exact binary: the baseline records the bench host's sha256. A different
 * engine binary (C or QuickJS changed, another compiler) is reported next to the verdict, since
 * the counts then move for reasons outside the TypeScript under test.
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { num, table } from './format';
import type { TargetResults } from './results';
import { loadResults } from './results';

export interface CheckRow {
  id: string;
  base: number | null;
  cur: number | null;
  deltaPct: number | null;
  verdict: 'ok' | 'regression' | 'improved' | 'missing' | 'failed' | 'new';
}

export interface CheckOutcome {
  ok: boolean;
  rows: CheckRow[];
  engineChanged: boolean;
  report: string;
}

/** Compares the counts of `cur` with `base`. */
export function compare(base: TargetResults, cur: TargetResults, tolerancePct: number): CheckOutcome {
  const rows: CheckRow[] = [];
  for (const [id, b] of Object.entries(base.cases)) {
    if (!b.insns) continue;
    const c = cur.cases[id];
    if (!c) { rows.push({ id, base: b.insns.perOp, cur: null, deltaPct: null, verdict: 'missing' }); continue; }
    if (!c.ok || !c.insns) { rows.push({ id, base: b.insns.perOp, cur: c.insns?.perOp ?? null, deltaPct: null, verdict: 'failed' }); continue; }
    const d = ((c.insns.perOp - b.insns.perOp) / b.insns.perOp) * 100;
    rows.push({ id, base: b.insns.perOp, cur: c.insns.perOp, deltaPct: d, verdict: d > tolerancePct ? 'regression' : d < -tolerancePct ? 'improved' : 'ok' });
  }
  for (const [id, c] of Object.entries(cur.cases)) {
    if (!base.cases[id] && c.insns) rows.push({ id, base: null, cur: c.insns.perOp, deltaPct: null, verdict: 'new' });
  }
  const ok = rows.every((r) => r.verdict === 'ok' || r.verdict === 'improved' || r.verdict === 'new');
  const engineChanged = base.engine.sha256 !== cur.engine.sha256;
  const lines = [
    `## bench-check ${cur.target}: instruction counts vs bench/baselines/${base.target}.json (tolerance +${tolerancePct}%)`, '',
    `baseline: ${base.date} · ${base.git} · engine sha256 ${base.engine.sha256.slice(0, 16)}`,
    `this run: ${cur.date} · ${cur.git} · engine sha256 ${cur.engine.sha256.slice(0, 16)}${engineChanged ? ' (DIFFERENT engine binary: counts also move with the C/QuickJS build)' : ' (same engine binary)'}`, '',
    table(['case', 'baseline insns/op', 'this run', 'delta', 'verdict'], rows.map((r) => [r.id, num(r.base), num(r.cur),
      r.deltaPct === null ? '-' : `${r.deltaPct >= 0 ? '+' : ''}${r.deltaPct.toFixed(2)}%`, r.verdict === 'ok' ? 'ok' : `**${r.verdict}**`])),
    ok ? `PASS: no case above +${tolerancePct}%` : `FAIL: ${rows.filter((r) => !['ok', 'improved', 'new'].includes(r.verdict)).map((r) => `${r.id} (${r.verdict})`).join(', ')}`,
  ];
  if (rows.some((r) => r.verdict === 'improved')) lines.push('Improvements beyond the tolerance: rewrite the baseline on purpose with `make bench-baseline ARCH=…`.');
  return { ok, rows, engineChanged, report: lines.join('\n') + '\n' };
}

/** `check`: compares `<results>/<target>.json` with `<baselines>/<target>.json`; true when it passes. */
export function checkCommand(resultsDir: string, baselinesDir: string, targetName: string, tolerancePct: number, log: (s: string) => void): boolean {
  const bp = join(baselinesDir, `${targetName}.json`);
  if (!existsSync(bp)) {
    log(`no baseline ${bp}: create it on purpose with make bench-baseline`);
    return false;
  }
  const out = compare(loadResults(bp), loadResults(join(resultsDir, `${targetName}.json`)), tolerancePct);
  writeFileSync(join(resultsDir, `${targetName}.check.md`), out.report);
  log(out.report);
  return out.ok;
}

/** `baseline`: copies a run's results (it must be all ok) into the baselines directory. */
export function baselineCommand(resultsDir: string, baselinesDir: string, targetName: string, log: (s: string) => void): boolean {
  const src = join(resultsDir, `${targetName}.json`);
  const r = loadResults(src);
  const bad = Object.entries(r.cases).filter(([, c]) => !c.ok || !c.insns);
  if (bad.length) {
    log(`refusing to baseline ${targetName}: ${bad.map(([id]) => id).join(', ')} failed or have no count`);
    return false;
  }
  mkdirSync(baselinesDir, { recursive: true });
  copyFileSync(src, join(baselinesDir, `${targetName}.json`));
  log(`wrote ${join(baselinesDir, `${targetName}.json`)} (${Object.keys(r.cases).length} cases, engine sha256 ${r.engine.sha256.slice(0, 16)})`);
  return true;
}
