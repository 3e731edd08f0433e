/**
 * Benchmark vocabulary shared by the cases, the two runtime hosts (Node, QuickJS) and the driver.
 * Portable: no `node:*` imports, so the cases run unchanged on QuickJS 2021-03-27.
 *
 * A case is data plus a `setup` that returns the hot closure. The closure does one operation and
 * verifies its own output (throwing `BenchCheckError` on a wrong result), so a benchmark that
 * measures a broken build fails instead of printing a fast number.
 */
import type { Storage } from '../../src/platform';
import type { FlashBinding } from '../../src/native/binding';

/** Runtimes a case can run on. */
export type RuntimeName = 'node' | 'qjs';

/** What a runtime host gives the cases (Node: node:fs + the N-API addon; QuickJS: std + dm_native). */
export interface BenchHost {
  runtime: RuntimeName;
  /** Engine version text (node v20.x, quickjs 2021-03-27). */
  version: string;
  /** Whole file as bytes; throws when missing. */
  readFile(path: string): Uint8Array;
  /** Directory with the perfkit corpus (`manifest.json`, `<msg>.xml`, `<msg>.wbxml`). */
  corpusDir: string;
  /** Private scratch directory of this trial (flash images, storage blobs); exists and is empty. */
  scratchDir: string;
  /** The native binding (flash, durable files) or null when it is not available on this host. */
  native(): FlashBinding | null;
  /** Durable file storage (the product platform's Storage) rooted at `dir`, or null. */
  fileStorage(dir: string): Storage | null;
}

/** Units a case reports besides time per operation. */
export interface CaseUnits {
  /** Input bytes per operation (→ MB/s). */
  bytes?: number;
  /** Elements (or commands) per operation (→ ns/element). */
  elements?: number;
  /** What `elements` counts ('element', 'command', 'segment'...). Default 'element'. */
  elementName?: string;
}

/** A set-up case: the hot closure and its units. */
export interface CaseInstance extends CaseUnits {
  /** One operation; throws BenchCheckError when its output is wrong. */
  fn(): void;
  /** Releases handles (flash, files). */
  teardown?(): void;
}

/** Parameters of one trial row (`bench/trials.ts`). */
export type CaseParams = Readonly<Record<string, string | number | boolean>>;

/** A workload: how to build the hot closure from a host and the row's parameters. */
export type Workload = (host: BenchHost, params: CaseParams) => CaseInstance;

/** A wrong result inside a hot closure (the trial fails, the run fails). */
export class BenchCheckError extends Error {
  override readonly name = 'BenchCheckError';
}

/** Throws BenchCheckError with `what` unless `ok`. */
export function check(ok: boolean, what: string): asserts ok {
  if (!ok) throw new BenchCheckError(what);
}

/** One trial's output line (printed by the hosts as `BENCH <json>`). */
export interface TrialResult {
  case: string;
  runtime: RuntimeName;
  version: string;
  mode: 'time' | 'count';
  ok: boolean;
  /** The error message when `ok` is false. */
  error?: string;
  units: CaseUnits;
  /** time mode: median latency per operation (ns), from tinybench's p50. */
  nsPerOp?: number;
  /** time mode: mean latency (ns) and its relative margin of error (%). */
  nsMean?: number;
  rme?: number;
  /** time mode: median throughput (operations per second). */
  opsPerSec?: number;
  /** time mode: samples taken (each one operation, or a batch reported per operation). */
  samples?: number;
  /** time mode: operations per sample (batching for sub-10 µs operations). */
  batch?: number;
  /** count mode: operations executed after setup (and after one checked warm-up call). */
  iters?: number;
  /** JS heap figures in bytes at the end (QuickJS: dmHost.memoryUsage; Node: process.memoryUsage). */
  heapUsed?: number;
  heapPeak?: number;
  /** Peak resident set size of the process in KiB (Node: resourceUsage().maxRSS). */
  rssPeakKb?: number;
}
