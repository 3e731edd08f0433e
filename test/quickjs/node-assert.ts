/**
 * `node:assert/strict` for QuickJS: the strict assertion API the portable tests use, dependency-free.
 * The QuickJS test bundle aliases `node:assert/strict` (and `node:assert`, which then behaves strictly)
 * to this module. test/quickjs/runner.test.ts checks it against the real node:assert on the same cases.
 *
 * Semantics follow node 20's strict mode: `equal` is `strictEqual` (Object.is), `deepEqual` is
 * `deepStrictEqual` (prototypes, own enumerable keys incl. symbols, Map/Set contents, typed arrays
 * element-wise, Date/RegExp/boxed values, Error name+message, cycles); `throws`/`rejects` accept a
 * class, a RegExp (tested against String(error)), a validation function, or an object whose keys
 * are compared (RegExp values test string properties). Failures throw `AssertionError` with
 * code 'ERR_ASSERTION', `actual`, `expected` and `operator`.
 */

/** The error every failed assertion throws. */
export class AssertionError extends Error {
  override name = 'AssertionError';
  readonly code = 'ERR_ASSERTION';
  readonly actual: unknown;
  readonly expected: unknown;
  readonly operator: string;
  readonly generatedMessage: boolean;
  constructor(opts: { message?: string | Error | undefined; actual?: unknown; expected?: unknown; operator: string; generated: string }) {
    super(typeof opts.message === 'string' ? opts.message : opts.generated);
    this.actual = opts.actual;
    this.expected = opts.expected;
    this.operator = opts.operator;
    this.generatedMessage = opts.message === undefined;
  }
}

type Msg = string | Error | undefined;

function fail0(message: Msg, generated: string, actual: unknown, expected: unknown, operator: string): never {
  if (message instanceof Error) throw message;
  throw new AssertionError({ message, actual, expected, operator, generated });
}

// ------------------------------------------------------------------------------------------ inspect

/** Short, deterministic rendering of a value for failure messages. */
export function inspect(v: unknown, depth = 2, seen: unknown[] = []): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'symbol') return v.toString();
  if (typeof v === 'function') return `[Function: ${v.name || '(anonymous)'}]`;
  if (v === null || typeof v !== 'object') return String(v);
  if (seen.includes(v)) return '[Circular]';
  if (v instanceof Error) return `${v.name}: ${v.message}`;
  if (v instanceof Date) return isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
  if (v instanceof RegExp) return String(v);
  const s = [...seen, v];
  const more = (n: number, shown: number): string => (n > shown ? `, ... ${n - shown} more` : '');
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const a = v as unknown as ArrayLike<number | bigint>;
    const items: string[] = [];
    for (let i = 0; i < Math.min(a.length, 24); i++) items.push(inspect(a[i], 0));
    return `${v.constructor.name}(${a.length}) [${items.join(', ')}${more(a.length, 24)}]`;
  }
  if (depth < 0) return Array.isArray(v) ? '[Array]' : '[Object]';
  if (Array.isArray(v)) {
    return `[${v.slice(0, 24).map((x) => inspect(x, depth - 1, s)).join(', ')}${more(v.length, 24)}]`;
  }
  if (v instanceof Map) {
    return `Map(${v.size}) {${[...v].slice(0, 16).map(([k, x]) => `${inspect(k, depth - 1, s)} => ${inspect(x, depth - 1, s)}`).join(', ')}}`;
  }
  if (v instanceof Set) return `Set(${v.size}) {${[...v].slice(0, 16).map((x) => inspect(x, depth - 1, s)).join(', ')}}`;
  const keys = Object.keys(v);
  const body = keys.slice(0, 24).map((k) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${inspect((v as Record<string, unknown>)[k], depth - 1, s)}`);
  const proto = Object.getPrototypeOf(v);
  const prefix = proto === null ? '[Object: null prototype] ' : proto !== Object.prototype && proto?.constructor?.name ? `${proto.constructor.name} ` : '';
  return `${prefix}{${body.join(', ')}${more(keys.length, 24)}}`;
}

// ------------------------------------------------------------------------------------------ deep equality

const tag = (v: object): string => Object.prototype.toString.call(v);

function ownKeys(o: object): (string | symbol)[] {
  const keys: (string | symbol)[] = Object.keys(o);
  for (const s of Object.getOwnPropertySymbols(o)) if (Object.prototype.propertyIsEnumerable.call(o, s)) keys.push(s);
  return keys;
}

/** node's isDeepStrictEqual. */
export function isDeepStrictEqual(a: unknown, b: unknown): boolean {
  return deq(a, b, []);
}

function deq(a: unknown, b: unknown, memo: [unknown, unknown][]): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (tag(a) !== tag(b)) return false;
  for (const [x, y] of memo) if (x === a && y === b) return true;
  const m: [unknown, unknown][] = [...memo, [a, b]];
  if (a instanceof Date) {
    if (!Object.is((a as Date).getTime(), (b as Date).getTime())) return false;
  } else if (a instanceof RegExp) {
    const rb = b as RegExp;
    if (a.source !== rb.source || a.flags !== rb.flags || a.lastIndex !== rb.lastIndex) return false;
  } else if (a instanceof Error) {
    const eb = b as Error;
    if (a.message !== eb.message || a.name !== eb.name) return false;
  } else if (a instanceof Number || a instanceof String || a instanceof Boolean) {
    if (!Object.is(a.valueOf(), (b as Number).valueOf())) return false;
  } else if (a instanceof ArrayBuffer) {
    const ua = new Uint8Array(a);
    const ub = new Uint8Array(b as ArrayBuffer);
    if (ua.length !== ub.length) return false;
    for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return false;
  } else if (ArrayBuffer.isView(a)) {
    const va = a as unknown as ArrayLike<unknown> & ArrayBufferView;
    const vb = b as unknown as ArrayLike<unknown> & ArrayBufferView;
    if (va.byteLength !== vb.byteLength) return false;
    if (a instanceof DataView) {
      for (let i = 0; i < a.byteLength; i++) if (a.getUint8(i) !== (b as DataView).getUint8(i)) return false;
    } else {
      if (va.length !== vb.length) return false;
      for (let i = 0; i < va.length; i++) if (!Object.is(va[i], vb[i])) return false;
    }
    // typed arrays: own keys beyond the indices (rare) are compared too
    const ka = Object.keys(a).filter((k) => !/^\d+$/.test(k));
    const kb = Object.keys(b).filter((k) => !/^\d+$/.test(k));
    if (ka.length !== kb.length) return false;
    for (const k of ka) if (!deq((a as unknown as Record<string, unknown>)[k], (b as unknown as Record<string, unknown>)[k], m)) return false;
    return true;
  } else if (a instanceof Map) {
    const mb = b as Map<unknown, unknown>;
    if (a.size !== mb.size) return false;
    outer: for (const [k, v] of a) {
      if (mb.has(k)) {
        if (!deq(v, mb.get(k), m)) return false;
        continue;
      }
      if (typeof k !== 'object' || k === null) return false;
      for (const [k2, v2] of mb) if (typeof k2 === 'object' && k2 !== null && deq(k, k2, m) && deq(v, v2, m)) continue outer;
      return false;
    }
  } else if (a instanceof Set) {
    const sb = b as Set<unknown>;
    if (a.size !== sb.size) return false;
    outer2: for (const v of a) {
      if (sb.has(v)) continue;
      if (typeof v !== 'object' || v === null) return false;
      for (const v2 of sb) if (typeof v2 === 'object' && v2 !== null && !a.has(v2) && deq(v, v2, m)) continue outer2;
      return false;
    }
  }
  if (Array.isArray(a) && a.length !== (b as unknown[]).length) return false;
  const ka = ownKeys(a);
  const kb = ownKeys(b);
  if (ka.length !== kb.length) return false;
  const setB = new Set(kb);
  for (const k of ka) {
    if (!setB.has(k)) return false;
    if (!deq((a as Record<string | symbol, unknown>)[k], (b as Record<string | symbol, unknown>)[k], m)) return false;
  }
  return true;
}

// ------------------------------------------------------------------------------------------ assertions

export function ok(value: unknown, message?: Msg): asserts value {
  if (!value) fail0(message, `The expression evaluated to a falsy value:\n\n  assert.ok(${inspect(value)})\n`, value, true, '==');
}

export function strictEqual<T>(actual: unknown, expected: T, message?: Msg): asserts actual is T {
  if (!Object.is(actual, expected)) {
    fail0(message, `Expected values to be strictly equal:\n\n${inspect(actual)} !== ${inspect(expected)}\n`, actual, expected, 'strictEqual');
  }
}

export function notStrictEqual(actual: unknown, expected: unknown, message?: Msg): void {
  if (Object.is(actual, expected)) {
    fail0(message, `Expected "actual" to be strictly unequal to: ${inspect(expected)}`, actual, expected, 'notStrictEqual');
  }
}

export function deepStrictEqual<T>(actual: unknown, expected: T, message?: Msg): asserts actual is T {
  if (!isDeepStrictEqual(actual, expected)) {
    fail0(message, `Expected values to be strictly deep-equal:\n+ actual - expected\n\n+ ${inspect(actual)}\n- ${inspect(expected)}\n`,
      actual, expected, 'deepStrictEqual');
  }
}

export function notDeepStrictEqual(actual: unknown, expected: unknown, message?: Msg): void {
  if (isDeepStrictEqual(actual, expected)) {
    fail0(message, `Expected "actual" not to be strictly deep-equal to: ${inspect(expected)}`, actual, expected, 'notDeepStrictEqual');
  }
}

export function fail(message?: Msg): never {
  return fail0(message, 'Failed', undefined, undefined, 'fail');
}

export function ifError(value: unknown): void {
  if (value !== null && value !== undefined) {
    if (value instanceof Error) throw value;
    fail0(undefined, `ifError got unwanted exception: ${inspect(value)}`, value, null, 'ifError');
  }
}

export function match(actual: string, re: RegExp, message?: Msg): void {
  if (!(re instanceof RegExp)) throw new TypeError('The "regexp" argument must be an instance of RegExp');
  if (typeof actual !== 'string' || !re.test(actual)) {
    fail0(message, typeof actual !== 'string'
      ? `The "string" argument must be of type string. Received type ${typeof actual} (${inspect(actual)})`
      : `The input did not match the regular expression ${String(re)}. Input:\n\n${inspect(actual)}\n`, actual, re, 'match');
  }
}

export function doesNotMatch(actual: string, re: RegExp, message?: Msg): void {
  if (!(re instanceof RegExp)) throw new TypeError('The "regexp" argument must be an instance of RegExp');
  if (typeof actual !== 'string' || re.test(actual)) {
    fail0(message, `The input was expected to not match the regular expression ${String(re)}. Input:\n\n${inspect(actual)}\n`,
      actual, re, 'doesNotMatch');
  }
}

type Expected = RegExp | (new (...a: never[]) => unknown) | ((e: unknown) => boolean) | Record<string, unknown> | Error;

/** Checks a caught error against `expected` as node's expectedException does. */
function checkError(err: unknown, expected: Expected | undefined, message: Msg, operator: string): void {
  if (expected === undefined) return;
  if (expected instanceof RegExp) {
    if (expected.test(String(err))) return;
    fail0(message, `The input did not match the regular expression ${String(expected)}. Input:\n\n${inspect(String(err))}\n`,
      err, expected, operator);
  }
  if (typeof expected === 'function') {
    const proto = (expected as { prototype?: unknown }).prototype;
    if (proto !== undefined && err instanceof (expected as new () => unknown)) return;
    if (expected === Error || Object.prototype.isPrototypeOf.call(Error, expected)) {
      fail0(message, `The error is expected to be an instance of "${(expected as { name: string }).name}". Received ${inspect(err)}`,
        err, expected, operator);
    }
    const r = (expected as (e: unknown) => unknown).call({}, err);
    if (r !== true) {
      fail0(message, `The ${(expected as { name?: string }).name ? `"${(expected as { name: string }).name}" ` : ''}validation function is expected to return "true". Received ${inspect(r)}\n\nCaught error:\n\n${inspect(err)}`,
        err, expected, operator);
    }
    return;
  }
  if (typeof expected === 'object' && expected !== null) {
    if (typeof err !== 'object' || err === null) {
      fail0(message, `The error is expected to be an object. Received ${inspect(err)}`, err, expected, operator);
    }
    const keys = Object.keys(expected);
    if (expected instanceof Error) keys.push('name', 'message');
    for (const k of keys) {
      const want = (expected as Record<string, unknown>)[k];
      const got = (err as Record<string, unknown>)[k];
      if (want instanceof RegExp && typeof got === 'string') {
        if (!want.test(got)) fail0(message, `Property ${JSON.stringify(k)}: ${inspect(got)} does not match ${String(want)}`, err, expected, operator);
      } else if (!(k in (err as object)) || !isDeepStrictEqual(got, want)) {
        fail0(message, `Expected values to be strictly deep-equal:\n+ actual - expected\n\n  ${k}: + ${inspect(got)} - ${inspect(want)}\n`,
          err, expected, operator);
      }
    }
  }
}

const NO_EXCEPTION = Symbol('no exception');

function splitArgs(expected: Expected | string | undefined, message: Msg): [Expected | undefined, Msg] {
  if (typeof expected === 'string') return [undefined, expected];
  return [expected, message];
}

export function throws(fn: () => unknown, expected?: Expected | string, message?: Msg): void {
  if (typeof fn !== 'function') throw new TypeError('The "fn" argument must be of type function');
  const [exp, msg] = splitArgs(expected, message);
  let caught: unknown = NO_EXCEPTION;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  if (caught === NO_EXCEPTION) {
    const what = typeof exp === 'function' && exp.name ? ` (${exp.name})` : '';
    fail0(msg, `Missing expected exception${what}.`, undefined, exp, 'throws');
  }
  checkError(caught, exp, msg, 'throws');
}

export function doesNotThrow(fn: () => unknown, expected?: Expected | string, message?: Msg): void {
  const msg = typeof expected === 'string' ? expected : message;
  try {
    fn();
  } catch (e) {
    fail0(msg, `Got unwanted exception.\nActual message: "${e instanceof Error ? e.message : String(e)}"`, e, expected, 'doesNotThrow');
  }
}

export async function rejects(p: Promise<unknown> | (() => Promise<unknown>), expected?: Expected | string, message?: Msg): Promise<void> {
  const [exp, msg] = splitArgs(expected, message);
  let caught: unknown = NO_EXCEPTION;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    caught = e;
  }
  if (caught === NO_EXCEPTION) {
    const what = typeof exp === 'function' && exp.name ? ` (${exp.name})` : '';
    fail0(msg, `Missing expected rejection${what}.`, undefined, exp, 'rejects');
  }
  checkError(caught, exp, msg, 'rejects');
}

export async function doesNotReject(p: Promise<unknown> | (() => Promise<unknown>), expected?: Expected | string, message?: Msg): Promise<void> {
  const msg = typeof expected === 'string' ? expected : message;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    fail0(msg, `Got unwanted rejection.\nActual message: "${e instanceof Error ? e.message : String(e)}"`, e, expected, 'doesNotReject');
  }
}

export const equal = strictEqual;
export const notEqual = notStrictEqual;
export const deepEqual = deepStrictEqual;
export const notDeepEqual = notDeepStrictEqual;

/** Shape of the default export (explicit, so the assertion signatures narrow at call sites). */
export interface AssertApi {
  (value: unknown, message?: Msg): asserts value;
  ok(value: unknown, message?: Msg): asserts value;
  equal<T>(actual: unknown, expected: T, message?: Msg): asserts actual is T;
  strictEqual<T>(actual: unknown, expected: T, message?: Msg): asserts actual is T;
  notEqual(actual: unknown, expected: unknown, message?: Msg): void;
  notStrictEqual(actual: unknown, expected: unknown, message?: Msg): void;
  deepEqual<T>(actual: unknown, expected: T, message?: Msg): asserts actual is T;
  deepStrictEqual<T>(actual: unknown, expected: T, message?: Msg): asserts actual is T;
  notDeepEqual(actual: unknown, expected: unknown, message?: Msg): void;
  notDeepStrictEqual(actual: unknown, expected: unknown, message?: Msg): void;
  throws(fn: () => unknown, expected?: Expected | string, message?: Msg): void;
  doesNotThrow(fn: () => unknown, expected?: Expected | string, message?: Msg): void;
  rejects(p: Promise<unknown> | (() => Promise<unknown>), expected?: Expected | string, message?: Msg): Promise<void>;
  doesNotReject(p: Promise<unknown> | (() => Promise<unknown>), expected?: Expected | string, message?: Msg): Promise<void>;
  match(actual: string, re: RegExp, message?: Msg): void;
  doesNotMatch(actual: string, re: RegExp, message?: Msg): void;
  fail(message?: Msg): never;
  ifError(value: unknown): void;
  isDeepStrictEqual(a: unknown, b: unknown): boolean;
  AssertionError: typeof AssertionError;
  strict: AssertApi;
}

/** The default export: `assert(value)` plus every assertion as a property (and `strict` = itself). */
const assert: AssertApi = Object.assign((value: unknown, message?: Msg): void => ok(value, message), {
  ok, equal, notEqual, strictEqual, notStrictEqual, deepEqual, deepStrictEqual, notDeepEqual, notDeepStrictEqual,
  throws, doesNotThrow, rejects, doesNotReject, match, doesNotMatch, fail, ifError, AssertionError, isDeepStrictEqual,
  strict: undefined as unknown as AssertApi,
}) as AssertApi;
assert.strict = assert;
export const strict: AssertApi = assert;
export default assert;
