/**
 * Loads the N-API addon (build/native/host/dm_native.node, built by `make native`) and checks it
 * against src/native/binding.ts. One instance per process (Node caches the module); the addon keeps
 * its own handle table per environment (main thread, each worker).
 *
 * Where it looks, first match wins:
 *   1. the `path` argument, 2. $DM_NATIVE_ADDON,
 *   3. build/native/host/dm_native.node in an ancestor of this module's directory or of the cwd.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkBinding, type NativeBinding } from '../../src/native/binding';
import { NativeErrors } from '../../src/native/errors';

const ADDON_REL = join('build', 'native', 'host', 'dm_native.node');

/** The addon path that `loadNative()` would use, or null when none is found. */
export function findNativeAddon(): string | null {
  const env = process.env['DM_NATIVE_ADDON'];
  if (env) return resolve(env);
  const starts = [dirname(fileURLToPath(import.meta.url)), process.cwd()];
  for (const start of starts) {
    let d = start;
    for (let i = 0; i < 12; i++) {
      const p = join(d, ADDON_REL);
      if (existsSync(p)) return p;
      const up = dirname(d);
      if (up === d) break;
      d = up;
    }
  }
  return null;
}

const loaded = new Map<string, NativeBinding>();

/**
 * The native binding. Throws an Error with code 'ENOENT' when the addon is not built (run `make native`),
 * TypeError when it does not match this code's binding declaration (stale build).
 */
export function loadNative(path?: string): NativeBinding {
  const p = path ?? findNativeAddon();
  if (p === null) {
    throw Object.assign(new Error(`native addon not found (${ADDON_REL}); run \`make native\``), { code: 'ENOENT' });
  }
  let b = loaded.get(p);
  if (!b) {
    b = checkBinding(createRequire(import.meta.url)(p));
    loaded.set(p, b);
  }
  return b;
}

/** The errno mapper of a binding (cached per binding). */
const mappers = new WeakMap<NativeBinding, NativeErrors>();
export function nativeErrors(b: NativeBinding): NativeErrors {
  let m = mappers.get(b);
  if (!m) {
    m = new NativeErrors(b.errno);
    mappers.set(b, m);
  }
  return m;
}
