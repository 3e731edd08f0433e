/**
 * Run parameters shared by the fuzz targets (node-only). Every run is seeded and reproducible:
 *
 *   FUZZ_SEED=<int>     base seed (default: a fixed seed per target, derived from its name)
 *   FUZZ_SCALE=<n>      multiplies every target's run count (default 1 = the short run inside
 *                       `make test`, a few seconds per file; `make fuzz` uses 200)
 *   FUZZ_FINDINGS=<dir> where failing inputs are written as JSON for conversion into regression
 *                       vectors (default build/fuzz/findings)
 *
 * A failing property prints fast-check's seed and path; re-run with FUZZ_SEED=<seed> to replay it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Parameters } from 'fast-check';
import { BUILD } from '../../helpers/paths';

/** FNV-1a of a string: the default seed of a target (stable across runs and machines). */
export function seedOf(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h | 0;
}

/** Multiplier of run counts (FUZZ_SCALE, default 1). */
export const SCALE: number = Math.max(1, Number(process.env['FUZZ_SCALE'] ?? '1') || 1);

/** True in the long run (`make fuzz`). */
export const LONG: boolean = SCALE > 1;

/**
 * fast-check parameters for property `name` with `runs` runs in the short configuration.
 * The seed is FUZZ_SEED (mixed with the name, so properties do not share streams) or the name's hash.
 */
export function params<T>(name: string, runs: number): Parameters<T> {
  const env = process.env['FUZZ_SEED'];
  const seed = env !== undefined && env !== '' ? (Number(env) ^ seedOf(name)) | 0 : seedOf(name);
  return { seed, numRuns: Math.round(runs * SCALE), endOnFailure: LONG, includeErrorInReport: true };
}

/** Folder for inputs that failed a property (turned into regression vectors by hand). */
export const FINDINGS: string = process.env['FUZZ_FINDINGS'] ?? join(BUILD, 'fuzz', 'findings');

/**
 * Records a failing input (hex) with its target and reason under FINDINGS, so every finding of a
 * long run can become a vector in test/fixtures/fuzz/. Returns the file written.
 */
export function saveFinding(target: string, bytes: Uint8Array, reason: string, extra: Record<string, unknown> = {}): string {
  mkdirSync(FINDINGS, { recursive: true });
  const file = join(FINDINGS, `${target}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}.json`);
  writeFileSync(file, JSON.stringify({ target, hex: Buffer.from(bytes).toString('hex'), reason, ...extra }, null, 1) + '\n');
  return file;
}
