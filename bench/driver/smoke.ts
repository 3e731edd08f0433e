/**
 * The bench smoke step of `make test` (test/bench/smoke.test.ts runs it and checks the summary):
 * the smoke rows of the matrix on Node (host, one short trial each) and on QuickJS under QEMU
 * (instruction counts + one short trial each), a determinism probe (one count process repeated: the
 * two counts must be equal), and, for information, the count deltas against the committed baseline
 * for rows whose smoke parameters equal the full ones. Nothing here gates on time.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CorpusMessage } from '../lib/corpus';
import { TRIALS, trialById } from '../trials';
import type { TargetResults } from './results';
import { loadResults } from './results';
import { runSuite } from './suite';
import type { Arch } from './targets';
import { BUILD, ROOT, target, trialProcess } from './targets';

export interface SmokeSummary {
  ok: boolean;
  seconds: number;
  targets: { name: string; cases: number; failed: string[]; file: string }[];
  determinism: { case: string; first: number | null; second: number | null; equal: boolean };
  vsBaseline: { case: string; baseline: number; smoke: number; deltaPct: number }[];
  /** Smoke cases left out, with the reason (the corpus lacks their message or form). */
  skipped: { case: string; reason: string }[];
}

/** Smoke rows whose corpus input is missing (no perfkit, no libwbxml tools), with the reason. */
export function missingInputs(corpus: string): Map<string, string> {
  const skip = new Map<string, string>();
  const doc = JSON.parse(readFileSync(join(corpus, 'manifest.json'), 'utf8')) as { messages: CorpusMessage[]; missing?: string };
  for (const r of TRIALS) {
    const msg = r.params['msg'];
    const form = r.params['form'];
    if (!r.smoke || typeof msg !== 'string' || (form !== 'xml' && form !== 'wbxml')) continue;
    if (!doc.messages.find((m) => m.name === msg)?.[form]) skip.set(r.id, doc.missing ?? `the smoke corpus has no ${form} form of ${msg}`);
  }
  return skip;
}

/** Case whose count process is run twice for the determinism probe. */
const PROBE = 'push.pkg0';

export async function smokeCommand(arch: Arch, corpus: string, out: string, log: (s: string) => void): Promise<SmokeSummary> {
  const t0 = Date.now();
  mkdirSync(out, { recursive: true });
  const skip = missingInputs(corpus);
  for (const [id, why] of skip) log(`[bench] smoke: skipping ${id}: ${why}`);
  const common = { corpus, filter: null, smoke: true, out, log, skip };
  const results: TargetResults[] = [];
  results.push(await runSuite(target('node', 'x86_64'), { ...common, trials: 1, counts: false, timeMs: 150, warmupMs: 50, minSamples: 10 }));
  const qt = target('qjs', arch);
  results.push(await runSuite(qt, { ...common, trials: 1, counts: true, timeMs: 100, warmupMs: 0, minSamples: 3 }));
  // determinism: the same count process twice
  const dir = join(BUILD, 'bench', 'scratch', 'smoke-probe');
  const args = [PROBE, '--corpus', corpus, '--smoke', '--mode', 'count', '--iters', '0'];
  const a = await trialProcess(qt, args, dir, true);
  const b = await trialProcess(qt, args, dir, true);
  const determinism = { case: PROBE, first: a.insns, second: b.insns, equal: a.insns !== null && a.insns === b.insns };
  log(`[bench] determinism probe ${PROBE} on ${qt.name}: ${a.insns} / ${b.insns} ${determinism.equal ? '(identical)' : 'DIFFERENT'}`);
  // information: deltas against the committed baseline (same parameters only)
  const vsBaseline: SmokeSummary['vsBaseline'] = [];
  const bp = join(ROOT, 'bench', 'baselines', `${qt.name}.json`);
  const q = results[1]!;
  if (existsSync(bp)) {
    const base = loadResults(bp);
    for (const [id, c] of Object.entries(q.cases)) {
      const bc = base.cases[id];
      if (!c.insns || !bc?.insns || trialById(id).smokeParams) continue;
      vsBaseline.push({ case: id, baseline: bc.insns.perOp, smoke: c.insns.perOp, deltaPct: ((c.insns.perOp - bc.insns.perOp) / bc.insns.perOp) * 100 });
    }
  }
  const targets = results.map((r) => ({
    name: r.target, cases: Object.keys(r.cases).length,
    failed: Object.entries(r.cases).filter(([, c]) => !c.ok).map(([id, c]) => `${id}: ${(c.errors ?? []).join('; ')}`),
    file: join(out, `${r.target}.json`),
  }));
  const summary: SmokeSummary = {
    ok: targets.every((t) => t.failed.length === 0) && determinism.equal,
    seconds: Math.round((Date.now() - t0) / 1000), targets, determinism, vsBaseline,
    skipped: [...skip].map(([c, reason]) => ({ case: c, reason })),
  };
  writeFileSync(join(out, 'summary.json'), JSON.stringify(summary, null, 1) + '\n');
  for (const v of vsBaseline) log(`[bench]   ${v.case}: ${v.deltaPct >= 0 ? '+' : ''}${v.deltaPct.toFixed(2)}% vs baseline`);
  log(`[bench] smoke ${summary.ok ? 'passed' : 'FAILED'} in ${summary.seconds} s`);
  return summary;
}
