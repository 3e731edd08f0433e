/**
 * The benchmark matrix as data: workload × corpus/parameters × runtime. The driver runs every row
 * in a fresh process per trial (on Node, QuickJS on the host, QuickJS and Node under QEMU); the
 * hosts look rows up by id. Portable (the QuickJS host bundles it).
 *
 * Columns:
 * - `runtimes`: where the full runs execute the row (`node` = Node on the host and, for
 *   `make bench-qemu`, Node on ARM; `qjs` = QuickJS on the host (callgrind) and under QEMU).
 * - `count`: operations per instruction-count run (QuickJS; enough to dwarf the per-process noise,
 *   small enough for QEMU). The count reported is (insns(1 + count) − insns(1)) / count.
 * - `smoke`: part of `make bench-smoke` (inside `make test`), with `smokeParams` overriding the
 *   parameters and `smokeCount` the count.
 * - `noCallgrind`: left out of the valgrind runs (about 50× slower than QuickJS itself) unless a
 *   --filter names it.
 */
import { decodeCase, encodeCase, tokenizeCase } from './cases/codec';
import { slotWriteCase } from './cases/flash';
import { pkg0Case, routerCase } from './cases/push';
import { session200Case, sessionStartCase } from './cases/session';
import { commitCase } from './cases/store';
import type { CaseParams, RuntimeName, Workload } from './lib/types';

/** Workloads by name. */
export const WORKLOADS: Readonly<Record<string, Workload>> = {
  'codec.tokenize': tokenizeCase,
  'codec.decode': decodeCase,
  'codec.encode': encodeCase,
  'session.pkg2-200': session200Case,
  'session.pkg1': sessionStartCase,
  'push.pkg0': pkg0Case,
  'push.router': routerCase,
  'store.commit': commitCase,
  'fumo.slot-write': slotWriteCase,
};

/** One row of the matrix. */
export interface Trial {
  /** Stable id (baselines are keyed by it): `<workload>.<variant>`. */
  id: string;
  workload: keyof typeof WORKLOADS;
  params: CaseParams;
  runtimes: readonly RuntimeName[];
  /** Operations per QuickJS instruction-count run. */
  count: number;
  smoke?: boolean;
  smokeParams?: CaseParams;
  smokeCount?: number;
  /** Skipped under valgrind (ARCH=x86_64 counts) unless named by --filter: too slow there. */
  noCallgrind?: boolean;
  /** Group shown in tables. */
  group: string;
}

const BOTH: readonly RuntimeName[] = ['node', 'qjs'];
const NODE: readonly RuntimeName[] = ['node'];

/** Operations per count run by message: small messages need more repetitions. */
const MSG_COUNT: Record<string, number> = { 'a-pkg1': 200, 'b-pkg2': 10, 'c-pkg3': 10, 'd-largeobj': 2, 'e-stress': 1 };

function codecRows(): Trial[] {
  const rows: Trial[] = [];
  for (const w of ['tokenize', 'decode', 'encode'] as const) {
    for (const form of ['wbxml', 'xml'] as const) {
      for (const msg of ['a-pkg1', 'b-pkg2', 'c-pkg3', 'd-largeobj', 'e-stress']) {
        if (msg === 'e-stress' && w !== 'tokenize') continue; // 36,000 commands: beyond any message model; tokenizer only
        rows.push({
          id: `codec.${w}.${form}.${msg}`, workload: `codec.${w}`, params: { msg, form }, group: `codec ${w}`,
          // 10 MiB under QEMU's interpreter is minutes per operation: Node only
          runtimes: msg === 'e-stress' ? NODE : BOTH,
          count: MSG_COUNT[msg]!,
          // 1.4 MB of base64 text through the XML writer: ~3 G QuickJS instructions an operation
          ...(w === 'encode' && form === 'xml' && msg === 'd-largeobj' ? { count: 1, noCallgrind: true } : {}),
          // smoke: the 200-command server package, both forms
          ...(msg === 'b-pkg2' ? { smoke: true, smokeCount: 2 } : {}),
        });
      }
    }
  }
  return rows;
}

/** The whole matrix. */
export const TRIALS: readonly Trial[] = [
  ...codecRows(),
  { id: 'session.pkg2-200.wbxml', workload: 'session.pkg2-200', params: { form: 'wbxml' }, group: 'session', runtimes: BOTH, count: 3, smoke: true, smokeCount: 1 },
  { id: 'session.pkg2-200.xml', workload: 'session.pkg2-200', params: { form: 'xml' }, group: 'session', runtimes: BOTH, count: 3 },
  { id: 'session.pkg1.wbxml', workload: 'session.pkg1', params: { form: 'wbxml' }, group: 'session', runtimes: BOTH, count: 50, smoke: true, smokeCount: 10 },
  { id: 'push.pkg0', workload: 'push.pkg0', params: { vendor: 0 }, group: 'push', runtimes: BOTH, count: 200, smoke: true, smokeCount: 50 },
  { id: 'push.router.gsm2', workload: 'push.router', params: { vendor: 120 }, group: 'push', runtimes: BOTH, count: 100, smoke: true, smokeCount: 20 },
  { id: 'store.commit.mem.4k', workload: 'store.commit', params: { storage: 'mem', size: 4096 }, group: 'store', runtimes: BOTH, count: 200, smoke: true, smokeCount: 50 },
  { id: 'store.commit.mem.64k', workload: 'store.commit', params: { storage: 'mem', size: 65536 }, group: 'store', runtimes: BOTH, count: 20 },
  { id: 'store.commit.file.4k', workload: 'store.commit', params: { storage: 'file', size: 4096 }, group: 'store', runtimes: BOTH, count: 50 },
  {
    id: 'fumo.slot-write.1m', workload: 'fumo.slot-write', params: { size: 1 << 20, eraseSize: 65536, chunk: 4096 }, group: 'fumo', runtimes: BOTH, count: 2,
    smoke: true, smokeParams: { size: 1 << 18, eraseSize: 65536, chunk: 4096 }, smokeCount: 1,
  },
];

/** Row by id; throws with the known ids when missing. */
export function trialById(id: string): Trial {
  const t = TRIALS.find((x) => x.id === id);
  if (!t) throw new RangeError(`unknown case ${id}`);
  return t;
}

/** Parameters of a row in a normal or a smoke run. */
export function trialParams(t: Trial, smoke: boolean): CaseParams {
  return smoke && t.smokeParams ? t.smokeParams : t.params;
}
