// Interop (node-only): src/crypto against independent implementations: node:crypto (OpenSSL),
// node:zlib crc32 (zlib), Buffer base64, and python3 hashlib/hmac/zlib/base64 in a child process.
// Random data of every length 0..300, plus multi-megabyte inputs. Lives under push/ because that
// is the interop folder this area owns; it tests src/crypto only.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash as nodeHash, createHmac, randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { md5 } from '../../../src/crypto/md5';
import { sha1 } from '../../../src/crypto/sha1';
import { sha256, Sha256 } from '../../../src/crypto/sha256';
import { hmac, createHash } from '../../../src/crypto/hmac';
import type { HashName } from '../../../src/crypto/hmac';
import { b64encode, b64decode } from '../../../src/crypto/base64';
import { crc32 } from '../../../src/crypto/crc32';
import { toHex } from '../../../src/util/bytes';

const ours: Record<HashName, (b: Uint8Array) => Uint8Array> = { md5, sha1, sha256 };
const zcrc = (zlib as unknown as { crc32?: (b: Uint8Array, v?: number) => number }).crc32;

describe('crypto vs node:crypto / zlib / Buffer', () => {
  const data = randomBytes(300);
  test('hashes, hmac (random keys 0..130 bytes), base64 and crc32 for every length 0..300', () => {
    for (let n = 0; n <= 300; n++) {
      const b = new Uint8Array(data.subarray(0, n));
      for (const h of ['md5', 'sha1', 'sha256'] as const) {
        assert.equal(toHex(ours[h](b)), nodeHash(h).update(b).digest('hex'), `${h} n=${n}`);
        const key = new Uint8Array(randomBytes(n % 131));
        assert.equal(toHex(hmac(h, key, b)), createHmac(h, key).update(b).digest('hex'), `hmac-${h} n=${n}`);
      }
      const enc = Buffer.from(b).toString('base64');
      assert.equal(b64encode(b), enc, `b64 n=${n}`);
      assert.deepEqual(b64decode(enc), b, `b64d n=${n}`);
      if (zcrc) assert.equal(crc32(b), zcrc(b) >>> 0, `crc n=${n}`);
    }
  });
  test('multi-megabyte inputs, one-shot and streamed in odd chunks', () => {
    const big = new Uint8Array(randomBytes(5 * 1024 * 1024 + 13));
    for (const h of ['md5', 'sha1', 'sha256'] as const) {
      const want = nodeHash(h).update(big).digest('hex');
      assert.equal(toHex(ours[h](big)), want, h);
      const s = createHash(h);
      for (let i = 0; i < big.length; i += 65537) s.update(big.subarray(i, i + 65537));
      assert.equal(toHex(s.digest()), want, `${h} streamed`);
    }
    assert.equal(b64encode(big), Buffer.from(big).toString('base64'));
    if (zcrc) {
      assert.equal(crc32(big), zcrc(big) >>> 0);
      let c = 0;
      for (let i = 0; i < big.length; i += 99991) c = crc32(big.subarray(i, i + 99991), c);
      assert.equal(c, zcrc(big) >>> 0);
    }
  });
  test('node zlib.crc32 exists (else the crc check above ran only against python)', { skip: zcrc ? false : 'node:zlib has no crc32 in this Node version' }, () => {
    assert.equal(typeof zcrc, 'function');
  });
});

describe('crypto vs python3 hashlib/hmac/zlib/base64', () => {
  test('random inputs agree', (t) => {
    let py: string;
    const cases: { data: string; key: string }[] = [];
    for (let i = 0; i < 40; i++) {
      cases.push({ data: randomBytes((i * 37) % 400).toString('hex'), key: randomBytes((i * 13) % 100).toString('hex') });
    }
    const script = `
import sys, json, hashlib, hmac, zlib, base64
out = []
for c in json.load(sys.stdin):
    d = bytes.fromhex(c['data']); k = bytes.fromhex(c['key'])
    r = {}
    for h in ('md5', 'sha1', 'sha256'):
        r[h] = hashlib.new(h, d).hexdigest()
        r['hmac-' + h] = hmac.new(k, d, h).hexdigest()
    r['crc'] = zlib.crc32(d)
    r['b64'] = base64.b64encode(d).decode()
    out.append(r)
print(json.dumps(out))
`;
    try {
      py = execFileSync('python3', ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8', timeout: 30000 });
    } catch (e) {
      t.skip(`python3 unavailable: ${(e as Error).message}`);
      return;
    }
    const res = JSON.parse(py) as Record<string, string | number>[];
    assert.equal(res.length, cases.length);
    cases.forEach((c, i) => {
      const d = new Uint8Array(Buffer.from(c.data, 'hex'));
      const k = new Uint8Array(Buffer.from(c.key, 'hex'));
      const r = res[i]!;
      for (const h of ['md5', 'sha1', 'sha256'] as const) {
        assert.equal(toHex(ours[h](d)), r[h]);
        assert.equal(toHex(hmac(h, k, d)), r[`hmac-${h}`]);
      }
      assert.equal(crc32(d), r['crc']);
      assert.equal(b64encode(d), r['b64']);
    });
    assert.equal(new Sha256().update(new Uint8Array(0)).digest().length, 32);
  });
});
