/**
 * Field readers for validating parsed JSON configuration (device config, bootstrap profile): each
 * failure is a ConfigError naming the JSON path (`accounts[0].port`).
 */
import { ConfigError } from '../errors';

export type Obj = Record<string, unknown>;

/** `v` as an object (not null, not an array). */
export function obj(v: unknown, field: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError(field, 'must be an object');
  return v as Obj;
}

/** Refuses keys outside `keys` (typos are errors, not silently ignored). */
export function only(o: Obj, field: string, keys: readonly string[]): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new ConfigError(`${field}.${k}`, 'unknown field');
}

/** A required string (or `def` when absent). */
export function str(o: Obj, k: string, field: string, def?: string): string {
  const v = o[k];
  if (v === undefined && def !== undefined) return def;
  if (typeof v !== 'string') throw new ConfigError(`${field}.${k}`, 'must be a string');
  return v;
}

export function optStr(o: Obj, k: string, field: string): string | undefined {
  return o[k] === undefined ? undefined : str(o, k, field);
}

/** An optional integer in [min, max]. */
export function optInt(o: Obj, k: string, field: string, min: number, max: number): number | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new ConfigError(`${field}.${k}`, `must be an integer ${min}..${max}`);
  return v;
}

export function optBool(o: Obj, k: string, field: string): boolean | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new ConfigError(`${field}.${k}`, 'must be true or false');
  return v;
}
