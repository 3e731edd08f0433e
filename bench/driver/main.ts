/**
 * The benchmark driver (bundled to build/bench/driver.mjs; bench/bench.mk calls it):
 *
 *   run --runtime node|qjs --arch x86_64|aarch64|armhf --corpus DIR [--trials N] [--counts-only]
 *       [--no-counts] [--filter RE] [--time MS] [--warmup MS] [--min-samples N] [--out DIR]
 *   check --results DIR --baselines DIR --target NAME [--tolerance PCT]
 *   baseline --results DIR --baselines DIR --target NAME
 *   smoke --arch ARCH --corpus DIR --out DIR
 *   corpus-smoke --perfkit DIR --out DIR
 *   anchors --work DIR --adapter PATH --out DIR
 *   footprint --out DIR
 *   report --dir DIR
 * Exit status 1 when a case failed its self-check, a check found a regression, or the smoke failed.
 */
import { anchorsCommand } from './anchors';
import { baselineCommand, checkCommand } from './check';
import { buildSmokeCorpus } from './corpus';
import { footprintCommand } from './footprint';
import { reportCommand } from './report';
import { smokeCommand } from './smoke';
import { runSuite } from './suite';
import type { Runtime } from './targets';
import { BUILD, isArch, target } from './targets';
import { join } from 'node:path';

function opts(argv: string[]): { pos: string[]; o: Map<string, string>; flags: Set<string> } {
  const pos: string[] = [];
  const o = new Map<string, string>();
  const flags = new Set<string>();
  const boolean = new Set(['--counts-only', '--no-counts']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (boolean.has(a)) flags.add(a);
    else if (a.startsWith('--')) {
      const v = argv[++i];
      if (v === undefined) throw new RangeError(`${a} needs a value`);
      o.set(a.slice(2), v);
    } else pos.push(a);
  }
  return { pos, o, flags };
}

function need(o: Map<string, string>, k: string): string {
  const v = o.get(k);
  if (v === undefined) throw new RangeError(`--${k} is required`);
  return v;
}

const log = (s: string): void => {
  process.stderr.write(s + '\n');
};

async function main(): Promise<number> {
  const [cmd, ...rest] = process.argv.slice(2);
  const { o, flags } = opts(rest);
  switch (cmd) {
    case 'run': {
      const runtime = need(o, 'runtime');
      const arch = need(o, 'arch');
      if (runtime !== 'node' && runtime !== 'qjs') throw new RangeError('--runtime: node or qjs');
      if (!isArch(arch)) throw new RangeError('--arch: x86_64, aarch64 or armhf');
      const t = target(runtime as Runtime, arch);
      const countsOnly = flags.has('--counts-only');
      const r = await runSuite(t, {
        corpus: need(o, 'corpus'),
        trials: countsOnly ? 0 : Number(o.get('trials') ?? 1),
        counts: !flags.has('--no-counts'),
        filter: o.has('filter') ? new RegExp(o.get('filter')!) : null,
        smoke: false,
        timeMs: Number(o.get('time') ?? 1000),
        warmupMs: Number(o.get('warmup') ?? 200),
        minSamples: Number(o.get('min-samples') ?? 10),
        out: o.get('out') ?? join(BUILD, 'bench', 'results'),
        log,
      });
      const failed = Object.entries(r.cases).filter(([, c]) => !c.ok);
      log(`[bench] ${t.name}: ${Object.keys(r.cases).length} cases, ${failed.length} failed → ${o.get('out') ?? join(BUILD, 'bench', 'results')}/${t.name}.{json,md}`);
      for (const [id, c] of failed) log(`[bench] FAILED ${id}: ${(c.errors ?? []).join('; ')}`);
      return failed.length ? 1 : 0;
    }
    case 'check':
      return checkCommand(need(o, 'results'), need(o, 'baselines'), need(o, 'target'), Number(o.get('tolerance') ?? 2), log) ? 0 : 1;
    case 'baseline':
      return baselineCommand(need(o, 'results'), need(o, 'baselines'), need(o, 'target'), log) ? 0 : 1;
    case 'smoke': {
      const arch = need(o, 'arch');
      if (!isArch(arch) || arch === 'x86_64') throw new RangeError('--arch: aarch64 or armhf');
      return (await smokeCommand(arch, need(o, 'corpus'), need(o, 'out'), log)).ok ? 0 : 1;
    }
    case 'corpus-smoke':
      buildSmokeCorpus(need(o, 'perfkit'), need(o, 'out'), log);
      return 0;
    case 'anchors':
      return (await anchorsCommand(need(o, 'work'), need(o, 'adapter'), need(o, 'out'), log)) ? 0 : 1;
    case 'footprint':
      return (await footprintCommand(need(o, 'out'), log)) ? 0 : 1;
    case 'report':
      process.stdout.write(reportCommand(need(o, 'dir')));
      return 0;
    default:
      log('usage: driver.mjs run|check|baseline|smoke|corpus-smoke|anchors|footprint|report ... (see bench/driver/main.ts)');
      return 2;
  }
}

main().then((c) => { process.exitCode = c; }, (e: unknown) => {
  log(`[bench] ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  process.exitCode = 2;
});
