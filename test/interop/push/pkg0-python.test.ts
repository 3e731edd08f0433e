// Interop (node-only): python3 hashlib computes package #0 digests independently for random
// server ids, secrets, nonces and triggers; our pkg0Digest/buildPkg0/verifyPkg0 must agree,
// including the reset nonce (4 zero bytes) and the facts §6.4 example.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { pkg0Digest, buildPkg0, parsePkg0, verifyPkg0, PKG0_RESET_NONCE, UiMode } from '../../../src/push/pkg0';
import { toHex } from '../../../src/util/bytes';

const PY = `
import sys, json, hashlib, base64
def H(b): return hashlib.md5(b).digest()
def B64(b): return base64.b64encode(b)
out = []
for c in json.load(sys.stdin):
    sid = bytes.fromhex(c['sid']); pw = bytes.fromhex(c['pw']); nonce = bytes.fromhex(c['nonce']); trig = bytes.fromhex(c['trigger'])
    out.append(H(B64(H(sid + b':' + pw)) + b':' + nonce + b':' + B64(H(trig))).hex())
print(json.dumps(out))
`;

function python(cases: { sid: string; pw: string; nonce: string; trigger: string }[]): string[] | null {
  try {
    return JSON.parse(execFileSync('python3', ['-c', PY], { input: JSON.stringify(cases), encoding: 'utf8', timeout: 30000 })) as string[];
  } catch {
    return null;
  }
}

describe('pkg0 digest vs python3 hashlib', () => {
  test('200 random cases (server ids 0..255 bytes, binary nonces incl. reset nonce) and built packages', (t) => {
    const cases = [];
    const built: Uint8Array[] = [];
    const params: { secret: Uint8Array; nonce: Uint8Array }[] = [];
    for (let i = 0; i < 200; i++) {
      const idLen = i === 0 ? 255 : (i * 29) % 90;
      const serverId = randomBytes(idLen).toString('base64url').slice(0, idLen).padEnd(idLen, 'x');
      const secret = new Uint8Array(randomBytes(1 + (i % 40)));
      const nonce = i % 10 === 0 ? PKG0_RESET_NONCE : new Uint8Array(randomBytes(i % 33));
      const pkg = buildPkg0({
        serverId, secret, nonce, sessionId: (i * 7919) & 0xffff, version: 10 + (i % 3), uiMode: (i % 4) as UiMode,
        initiator: i & 1, vendor: new Uint8Array(randomBytes((i * 13) % 300)),
      });
      built.push(pkg);
      params.push({ secret, nonce });
      cases.push({ sid: Buffer.from(serverId).toString('hex'), pw: toHex(secret), nonce: toHex(nonce), trigger: toHex(pkg.subarray(16)) });
    }
    cases.push({ sid: Buffer.from('com.mgmtsrv.manage').toString('hex'), pw: Buffer.from('srvSecret').toString('hex'), nonce: '0102030405060708', trigger: '03180000001234' + '12' + Buffer.from('com.mgmtsrv.manage').toString('hex') });
    const want = python(cases);
    if (!want) { t.skip('python3 not available'); return; }
    assert.equal(want[want.length - 1], '89ac8c2925578ded4f1e161c20a6a882', 'python reproduces facts §6.4');
    built.forEach((pkg, i) => {
      const p = parsePkg0(pkg);
      assert.equal(toHex(p.digest), want[i], `case ${i}: built digest`);
      assert.equal(toHex(pkg0Digest(p.serverId, params[i]!.secret, params[i]!.nonce, p.trigger)), want[i], `case ${i}: pkg0Digest`);
      const other = new Uint8Array([...params[i]!.nonce, 1]);
      const isReset = params[i]!.nonce === PKG0_RESET_NONCE;
      assert.equal(verifyPkg0(p, params[i]!.secret, isReset ? other : params[i]!.nonce), isReset ? 'ok-reset-nonce' : 'ok', `case ${i}: verify`);
    });
  });
});
