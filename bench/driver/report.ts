/**
 * `make bench-report`: every result found under build/bench as one markdown document (the tables
 * docs/bench.md quotes), plus a side-by-side table of the per-target medians and counts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dur, num, table } from './format';
import type { TargetResults } from './results';
import { loadResults, resultsTable } from './results';

/** Medians and counts of several targets side by side, one row per case. */
export function sideBySide(rs: TargetResults[]): string {
  const ids = [...new Set(rs.flatMap((r) => Object.keys(r.cases)))];
  const head = ['case', ...rs.flatMap((r) => [`${r.target} median`, ...(Object.values(r.cases).some((c) => c.insns) ? [`${r.target} insns/op`] : [])])];
  const rows = ids.map((id) => [id, ...rs.flatMap((r) => {
    const c = r.cases[id];
    const cells = [c?.time ? dur(c.time.nsPerOp) : '-'];
    if (Object.values(r.cases).some((x) => x.insns)) cells.push(c?.insns ? num(c.insns.perOp) : '-');
    return cells;
  })]);
  return table(head, rows);
}

export function reportCommand(dir: string): string {
  const L: string[] = ['# omadm benchmark report', ''];
  const rdir = join(dir, 'results');
  const rs: TargetResults[] = [];
  if (existsSync(rdir)) {
    for (const f of readdirSync(rdir).filter((x) => /^(node|qjs)-[a-z0-9_]+\.json$/.test(x)).sort()) {
      try {
        rs.push(loadResults(join(rdir, f)));
      } catch (e) {
        L.push(`(skipped ${f}: ${String(e)})`);
      }
    }
  }
  if (rs.length > 1) L.push('## All targets side by side', '', sideBySide(rs));
  for (const r of rs) L.push(resultsTable(r));
  for (const f of [join(dir, 'anchors', 'anchors.md'), join(dir, 'footprint.md')]) {
    if (existsSync(f)) L.push(readFileSync(f, 'utf8'));
  }
  return L.join('\n') + '\n';
}
