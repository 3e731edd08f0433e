/**
 * ES2022 library methods missing in QuickJS 2021-03-27, installed (non-enumerable, only when absent)
 * before the portable tests run. Test files are type-checked with lib es2022 and use them (`.at(-1)`);
 * product code cannot: src/ is checked against lib es2020, so these shims never hide a product bug.
 * Language-level differences (e.g. a write past the end of a typed array throws in strict mode on
 * QuickJS 2021) cannot be shimmed and are listed in known-failures.txt instead.
 */
function define(proto: object, name: string, fn: unknown): void {
  if (!(name in proto)) Object.defineProperty(proto, name, { value: fn, writable: true, configurable: true, enumerable: false });
}

function at(this: ArrayLike<unknown>, i: number): unknown {
  const n = this.length;
  let k = Math.trunc(i) || 0;
  if (k < 0) k += n;
  return k < 0 || k >= n ? undefined : this[k];
}

function findLast(this: ArrayLike<unknown>, pred: (v: unknown, i: number, a: unknown) => unknown, thisArg?: unknown): unknown {
  for (let i = this.length - 1; i >= 0; i--) if (pred.call(thisArg, this[i], i, this)) return this[i];
  return undefined;
}

function findLastIndex(this: ArrayLike<unknown>, pred: (v: unknown, i: number, a: unknown) => unknown, thisArg?: unknown): number {
  for (let i = this.length - 1; i >= 0; i--) if (pred.call(thisArg, this[i], i, this)) return i;
  return -1;
}

const typedArrayProto = Object.getPrototypeOf(Uint8Array.prototype) as object;
for (const proto of [Array.prototype, typedArrayProto]) {
  define(proto, 'at', at);
  define(proto, 'findLast', findLast);
  define(proto, 'findLastIndex', findLastIndex);
}
define(String.prototype, 'at', function (this: string, i: number) { return at.call(String(this), i); });
define(Object, 'hasOwn', (o: object, k: PropertyKey) => Object.prototype.hasOwnProperty.call(o, k));

export {};
