/**
 * The host's native UTF-8 (dmHost.utf8Decode / utf8EncodeInto in target/quickjs/host.c, installed by
 * installNativeUtf8) against the portable loops of src/util/utf8.ts: for every input the core's
 * result with the native conversions installed must equal its result without them. Run inside the
 * omadm host (host build and, under QEMU, aarch64 and armhf) by test/quickjs/utf8-native.test.ts.
 */
import { test } from '../../../test/quickjs/node-test';
import assert from '../../../test/quickjs/node-assert';
import { installNativeUtf8 } from '../platform';
import { setUtf8Native, utf8Decode, utf8EncodeInto, utf8Length } from '../../../src/util/utf8';

/** Deterministic xorshift32, so a failure names an input that can be made again. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x;
  };
}

/** Strings that mix what matters: ASCII, Latin-1, BMP, astral pairs, lone and reversed surrogates, NUL. */
function randomString(r: () => number): string {
  const n = r() % 40;
  let s = '';
  for (let i = 0; i < n; i++) {
    switch (r() % 9) {
      case 0: case 1: case 2: s += String.fromCharCode(0x20 + (r() % 95)); break;
      case 3: s += String.fromCharCode(0x80 + (r() % 0x80)); break;
      case 4: s += String.fromCharCode(0x100 + (r() % 0xd700)); break;
      case 5: s += String.fromCodePoint(0x10000 + (r() % 0x100000)); break;
      case 6: s += String.fromCharCode(0xd800 + (r() % 0x800)); break; // lone high or low surrogate
      case 7: s += String.fromCharCode(0xe000 + (r() % 0x2000)); break;
      default: s += String.fromCharCode(r() % 0x20); break;
    }
  }
  return s;
}

/** Byte runs: valid UTF-8 of random strings, then corrupted (truncations, overlongs, surrogates, stray continuations). */
function randomBytes(r: () => number): Uint8Array {
  const s = randomString(r);
  const b = new Uint8Array(utf8Length(s) + 8);
  let n = encodePortable(s, b, 0);
  const kind = r() % 4;
  if (kind === 1 && n > 0) b[r() % n] = r() & 0xff;
  if (kind === 2) {
    const bad = [[0xc0, 0x80], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf8], [0x80], [0xe2, 0x82], [0xf0, 0x9f, 0x98]];
    const x = bad[r() % bad.length]!;
    for (const v of x) if (n < b.length) b[n++] = v;
  }
  if (kind === 3 && n > 1) n -= 1 + (r() % Math.min(3, n - 1));
  return b.subarray(0, n);
}

function encodePortable(s: string, out: Uint8Array, pos: number): number {
  setUtf8Native(null);
  return utf8EncodeInto(s, out, pos);
}

/** [result, bytes written] with the given conversions installed. */
function encodeWith(native: boolean, s: string, cap: number, pos: number): [number, number[]] {
  if (native) installNativeUtf8(); else setUtf8Native(null);
  // a view with its own byteOffset, over a buffer that is larger on both sides
  const backing = new Uint8Array(cap + 16).fill(0xaa);
  const view = backing.subarray(8, 8 + cap);
  const r = utf8EncodeInto(s, view, pos);
  return [r, Array.from(backing)];
}

test('the host provides the native conversions', () => {
  assert.equal(typeof dmHost.utf8Decode, 'function');
  assert.equal(typeof dmHost.utf8EncodeInto, 'function');
  const b = new Uint8Array([0x41, 0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80]);
  assert.equal(dmHost.utf8Decode(b, 0, b.length), 'A\u00e9\u{1f600}');
  assert.equal(dmHost.utf8Decode(new Uint8Array([0xc0, 0x80]), 0, 2), undefined, 'overlong is declined');
  const out = new Uint8Array(8);
  assert.equal(dmHost.utf8EncodeInto('\ud800x', out, 1), 5);
  assert.deepEqual(Array.from(out.subarray(1, 5)), [0xef, 0xbf, 0xbd, 0x78]);
  assert.equal(dmHost.utf8EncodeInto('abcdefgh', out, 1), -1, 'does not fit');
  assert.throws(() => dmHost.utf8EncodeInto('a', out, 9), RangeError);
  assert.throws(() => dmHost.utf8Decode(out, 4, 9), RangeError);
  assert.throws(() => dmHost.utf8Decode(new Uint16Array(2) as unknown as Uint8Array, 0, 1), TypeError);
});

test('encodeInto: native equals portable (5,000 strings, room and no room, views with an offset)', () => {
  const r = rng(0x5eed);
  let nativeUsed = 0;
  for (let i = 0; i < 5000; i++) {
    const s = randomString(r);
    const need = utf8Length(s);
    const pos = r() % 4;
    const cap = pos + need - (r() % 3 === 0 ? 1 + (r() % 3) : 0); // a third do not fit
    if (cap < pos) continue;
    const [a, bytesA] = encodeWith(false, s, cap, pos);
    const [b, bytesB] = encodeWith(true, s, cap, pos);
    assert.equal(b, a, `case ${i}: result for ${JSON.stringify(s)} at ${pos} in ${cap}`);
    // on success every byte must match; on -1 the contract says nothing about the tail, only the head
    if (a >= 0) assert.deepEqual(bytesB, bytesA, `case ${i}: bytes for ${JSON.stringify(s)}`);
    else assert.deepEqual(bytesB.slice(0, 8 + pos), bytesA.slice(0, 8 + pos), `case ${i}: bytes before pos`);
    if (a >= 0) nativeUsed++;
  }
  assert.ok(nativeUsed > 3000, `${nativeUsed} successful encodes`);
  setUtf8Native(null);
});

test('decode: native equals portable (5,000 byte runs, valid and broken, sub-ranges)', () => {
  const r = rng(0xdec0de);
  let declined = 0;
  for (let i = 0; i < 5000; i++) {
    const b = randomBytes(r);
    const start = b.length > 0 ? r() % (b.length + 1) : 0;
    const end = start + (b.length > start ? r() % (b.length - start + 1) : 0);
    setUtf8Native(null);
    const want = utf8Decode(b, start, end);
    if (dmHost.utf8Decode(b, start, end) === undefined) declined++;
    installNativeUtf8();
    assert.equal(utf8Decode(b, start, end), want, `case ${i}: [${Array.from(b.subarray(start, end)).join(',')}]`);
  }
  // the corrupted inputs are declined by C and decoded by the portable loop
  assert.ok(declined > 200 && declined < 4000, `${declined} of 5,000 declined`);
  setUtf8Native(null);
});

test('a 1 MiB ASCII value (a base64 large object) both ways', () => {
  installNativeUtf8();
  const n = 1 << 20;
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = 0x41 + (i % 26);
  const s = utf8Decode(b);
  assert.equal(s.length, n);
  assert.equal(s.charCodeAt(n - 1), 0x41 + ((n - 1) % 26));
  const out = new Uint8Array(n + 3);
  assert.equal(utf8EncodeInto(s, out, 3), n + 3);
  let same = true;
  for (let i = 0; i < n; i++) if (out[i + 3] !== b[i]) { same = false; break; }
  assert.ok(same, 'round trip');
  setUtf8Native(null);
});
