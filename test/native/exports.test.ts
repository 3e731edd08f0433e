/**
 * Node-only: native/exports.h is the one list of what crosses the boundary. This checks that
 * src/native/binding.ts declares exactly that list (names, arities, constants, errno names), that the
 * built addon exports exactly it, and that the pure-TS fake uses the same constant and errno values.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NATIVE_CONST_NAMES, NATIVE_ERRNO_NAMES, NATIVE_FUNCS, checkBinding } from '../../src/native/binding';
import { FAKE_CONSTANTS, FAKE_ERRNO } from '../../src/native/fake';
import { findNativeAddon, loadNative } from '../../target/node/native';
import { ROOT } from '../helpers/paths';

const header = readFileSync(join(ROOT, 'native', 'exports.h'), 'utf8');

/** Body of `#define NAME(X) ...` (continuation lines joined, comments removed). */
function macroBody(name: string): string {
  const start = header.indexOf(`#define ${name}(X)`);
  assert.ok(start >= 0, `${name} not found in exports.h`);
  let body = '';
  for (const line of header.slice(start).split('\n')) {
    body += line.replace(/\\\s*$/, '') + '\n';
    if (!/\\\s*$/.test(line)) break;
  }
  return body.replace(/\/\*[\s\S]*?\*\//g, '').slice(`#define ${name}(X)`.length);
}

const funcs = [...macroBody('DM_NATIVE_FUNCS').matchAll(/X\((\w+),\s*(\d+),\s*(\w+),\s*(\w+)\)/g)]
  .map((m) => ({ js: m[1]!, arity: Number(m[2]), c: m[3]!, fam: m[4]! }));
const consts = [...macroBody('DM_NATIVE_CONSTS').matchAll(/X\((\w+),\s*(\w+)\)/g)].map((m) => m[1]!);
const errnos = [...macroBody('DM_NATIVE_ERRNOS').matchAll(/X\((\w+)\)/g)].map((m) => m[1]!);

describe('exports.h ⇔ src/native/binding.ts', () => {
  test('functions: same names, order and arities', () => {
    assert.ok(funcs.length >= 20);
    assert.deepEqual(funcs.map((f) => [f.js, f.arity]), NATIVE_FUNCS.map(([n, a]) => [n, a]));
  });
  test('arity column matches each family', () => {
    const arity = Object.fromEntries([...header.matchAll(/#define DM_ARITY_(\w+) (\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
    for (const f of funcs) assert.equal(f.arity, arity[f.fam], `${f.js} (${f.fam})`);
  });
  test('constants and errno names', () => {
    assert.deepEqual(consts, [...NATIVE_CONST_NAMES]);
    assert.deepEqual(errnos, [...NATIVE_ERRNO_NAMES]);
    assert.deepEqual(Object.keys(FAKE_CONSTANTS).sort(), [...NATIVE_CONST_NAMES].sort());
    assert.deepEqual(Object.keys(FAKE_ERRNO).sort(), [...NATIVE_ERRNO_NAMES].sort());
  });
});

describe('the built addon', { skip: findNativeAddon() === null ? 'needs `make native`' : false }, () => {
  test('exports exactly the list (+ watch/unwatch on Node)', () => {
    const b = loadNative();
    const fnKeys = Object.keys(b).filter((k) => typeof (b as unknown as Record<string, unknown>)[k] === 'function');
    assert.deepEqual(fnKeys.sort(), [...funcs.map((f) => f.js), 'watch', 'unwatch'].sort());
    assert.deepEqual(Object.keys(b.constants).sort(), [...consts].sort());
    assert.deepEqual(Object.keys(b.errno).sort(), [...errnos].sort());
    assert.ok(Object.isFrozen(b.constants) && Object.isFrozen(b.errno));
  });
  test('constants equal the fake\'s (dm_native.h values) and errno values are Linux\'s', () => {
    const b = loadNative();
    assert.deepEqual({ ...b.constants }, { ...FAKE_CONSTANTS });
    assert.deepEqual({ ...b.errno }, { ...FAKE_ERRNO });
  });
  test('checkBinding rejects incomplete or foreign modules', () => {
    const b = loadNative();
    assert.throws(() => checkBinding(null), TypeError);
    assert.throws(() => checkBinding({ ...b, flashWrite: undefined }), /flashWrite missing/);
    assert.throws(() => checkBinding({ ...b, constants: { ...b.constants, ABI: 99 } }), /ABI 99/);
    assert.throws(() => checkBinding({ ...b, errno: {} }), /errno/);
    assert.equal(checkBinding(b), b);
  });
});
