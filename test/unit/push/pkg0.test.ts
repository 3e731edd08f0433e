// Unit (portable): package #0 parse/digest/verify/build against facts §6.4 and the Funambol vector.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePkg0, pkg0Digest, verifyPkg0, buildPkg0, UiMode, PKG0_RESET_NONCE } from '../../../src/push/pkg0';
import { DecodeError } from '../../../src/errors';
import { concatBytes, toHex } from '../../../src/util/bytes';
import { utf8Encode } from '../../../src/util/utf8';
import {
  FACTS_SERVER, FACTS_SECRET, FACTS_NONCE, FACTS_TRIGGER, FACTS_DIGEST, FACTS_TRIGGER_V11, FACTS_DIGEST_V11,
  FUNAMBOL_PKG0, FUNAMBOL_SECRET, FUNAMBOL_NONCE,
} from './vectors';

describe('pkg0 facts §6.4', () => {
  test('digest of the worked example is 89 AC 8C 29 …', () => {
    assert.equal(toHex(pkg0Digest(FACTS_SERVER, FACTS_SECRET, FACTS_NONCE, FACTS_TRIGGER)), toHex(FACTS_DIGEST));
    assert.equal(toHex(pkg0Digest(FACTS_SERVER, 'srvSecret', FACTS_NONCE, FACTS_TRIGGER)), toHex(FACTS_DIGEST), 'string secret = UTF-8 bytes');
  });
  test('parse of the 42-byte pkg0', () => {
    const p = parsePkg0(concatBytes([FACTS_DIGEST, FACTS_TRIGGER]));
    assert.equal(p.version, 12);
    assert.equal(p.uiMode, UiMode.Background);
    assert.equal(p.initiator, 1);
    assert.equal(p.futureUse, 0);
    assert.equal(p.sessionId, 0x1234);
    assert.equal(p.sessionIdHex, '1234');
    assert.equal(p.serverId, FACTS_SERVER);
    assert.equal(p.vendor.length, 0);
    assert.equal(toHex(p.trigger), toHex(FACTS_TRIGGER));
    assert.equal(verifyPkg0(p, FACTS_SECRET, FACTS_NONCE), 'ok');
  });
  test('builder reproduces the example byte for byte', () => {
    const b = buildPkg0({ version: 12, uiMode: UiMode.Background, initiator: 1, sessionId: 0x1234, serverId: FACTS_SERVER, secret: FACTS_SECRET, nonce: FACTS_NONCE });
    assert.equal(toHex(b), toHex(concatBytes([FACTS_DIGEST, FACTS_TRIGGER])));
  });
  test('version 11 variant', () => {
    const p = parsePkg0(concatBytes([FACTS_DIGEST_V11, FACTS_TRIGGER_V11]));
    assert.equal(p.version, 11);
    assert.equal(p.uiMode, UiMode.Background);
    assert.equal(verifyPkg0(p, FACTS_SECRET, FACTS_NONCE), 'ok');
    assert.equal(toHex(buildPkg0({ version: 11, sessionId: 0x1234, serverId: FACTS_SERVER, secret: FACTS_SECRET, nonce: FACTS_NONCE })), toHex(concatBytes([FACTS_DIGEST_V11, FACTS_TRIGGER_V11])));
  });
  test('Funambol vector', () => {
    const p = parsePkg0(FUNAMBOL_PKG0);
    assert.equal(p.serverId, 'funambol');
    assert.equal(p.version, 12);
    assert.equal(p.uiMode, UiMode.NotSpecified);
    assert.equal(p.initiator, 0);
    assert.equal(p.sessionIdHex, '1234');
    assert.equal(verifyPkg0(p, FUNAMBOL_SECRET, FUNAMBOL_NONCE), 'ok');
    assert.equal(verifyPkg0(p, utf8Encode('other'), FUNAMBOL_NONCE), 'bad');
  });
});

describe('pkg0 verification', () => {
  test('nonce reset: a digest made with 4 zero bytes verifies as ok-reset-nonce unless disabled', () => {
    const pkt = buildPkg0({ sessionId: 7, serverId: 'srv', secret: 's3cret', nonce: PKG0_RESET_NONCE });
    const p = parsePkg0(pkt);
    assert.equal(verifyPkg0(p, 's3cret', utf8Encode('stale-nonce')), 'ok-reset-nonce');
    assert.equal(verifyPkg0(p, 's3cret', utf8Encode('stale-nonce'), { allowNonceReset: false }), 'bad');
    assert.equal(verifyPkg0(p, 's3cret', PKG0_RESET_NONCE), 'ok', 'stored nonce tried first');
    // the ASCII string "0x00000000" (libdmclient) is not the reset nonce
    const ascii = parsePkg0(buildPkg0({ sessionId: 7, serverId: 'srv', secret: 's3cret', nonce: utf8Encode('0x00000000') }));
    assert.equal(verifyPkg0(ascii, 's3cret', utf8Encode('stale-nonce')), 'bad');
  });
  test('any flipped bit in digest or trigger fails', () => {
    const pkt = buildPkg0({ sessionId: 0xbeef, serverId: 'srv.example', secret: 'pw', nonce: utf8Encode('n'), vendor: utf8Encode('vendor!') });
    for (let i = 0; i < pkt.length; i++) {
      const m = pkt.slice();
      m[i] = m[i]! ^ (1 << (i % 8));
      let r: string;
      try {
        r = verifyPkg0(parsePkg0(m), 'pw', utf8Encode('n'));
      } catch (e) {
        assert.ok(e instanceof DecodeError); // server id length byte changed to run past the end
        continue;
      }
      assert.equal(r, 'bad', `bit flip at byte ${i}`);
    }
  });
});

describe('pkg0 fields', () => {
  test('every version value, ui mode and initiator round-trips', () => {
    for (const version of [0, 10, 11, 12, 13, 19, 20, 1023]) {
      for (const uiMode of [0, 1, 2, 3] as UiMode[]) {
        for (const initiator of [0, 1]) {
          const p = parsePkg0(buildPkg0({ version, uiMode, initiator, sessionId: 1, serverId: 'x', secret: 'p', nonce: new Uint8Array(0) }));
          assert.deepEqual([p.version, p.uiMode, p.initiator, p.futureUse], [version, uiMode, initiator, 0]);
        }
      }
    }
    const p = parsePkg0(buildPkg0({ futureUse: 0x7ffffff, sessionId: 1, serverId: 'x', secret: 'p', nonce: new Uint8Array(0) }));
    assert.equal(p.futureUse, 0x7ffffff);
    assert.equal(p.version, 12);
  });
  test('session id hex is uppercase without leading zeros', () => {
    const hex = (id: number): string => parsePkg0(buildPkg0({ sessionId: id, serverId: 'x', secret: 'p', nonce: new Uint8Array(0) })).sessionIdHex;
    assert.equal(hex(0x0a3f), 'A3F');
    assert.equal(hex(0x1234), '1234');
    assert.equal(hex(0x0001), '1');
    assert.equal(hex(0xffff), 'FFFF');
  });
  test('server ids of every length 0..255 (no 24-byte cap) with a vendor body', () => {
    for (let n = 0; n <= 255; n += n < 30 ? 1 : 15) {
      const id = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(8).slice(0, n);
      const vendor = utf8Encode('VND');
      const p = parsePkg0(buildPkg0({ sessionId: 2, serverId: id, secret: 'p', nonce: utf8Encode('nn'), vendor }));
      assert.equal(p.serverId, id);
      assert.equal(toHex(p.vendor), toHex(vendor));
      assert.equal(verifyPkg0(p, 'p', utf8Encode('nn')), 'ok');
    }
    assert.throws(() => buildPkg0({ sessionId: 2, serverId: 'x'.repeat(256), secret: 'p', nonce: new Uint8Array(0) }), RangeError);
  });
  test('a large vendor body (no 255-byte trigger cap)', () => {
    const vendor = new Uint8Array(1000).fill(0x5a);
    const p = parsePkg0(buildPkg0({ sessionId: 3, serverId: 'srv', secret: 'p', nonce: new Uint8Array(0), vendor }));
    assert.equal(p.vendor.length, 1000);
    assert.equal(p.trigger.length, 8 + 3 + 1000);
    assert.equal(verifyPkg0(p, 'p', new Uint8Array(0)), 'ok');
  });
  test('truncation: shorter than 24 bytes or server id past the end → DecodeError truncated', () => {
    const pkt = concatBytes([FACTS_DIGEST, FACTS_TRIGGER]);
    for (let n = 0; n < pkt.length; n++) {
      assert.throws(() => parsePkg0(pkt.subarray(0, n)), (e) => e instanceof DecodeError && e.code === 'truncated', `length ${n}`);
    }
  });
  test('builder argument checks', () => {
    assert.throws(() => buildPkg0({ sessionId: 0x10000, serverId: 'x', secret: 'p', nonce: new Uint8Array(0) }), RangeError);
    assert.throws(() => buildPkg0({ version: 1024, sessionId: 1, serverId: 'x', secret: 'p', nonce: new Uint8Array(0) }), RangeError);
    assert.throws(() => buildPkg0({ uiMode: 4 as UiMode, sessionId: 1, serverId: 'x', secret: 'p', nonce: new Uint8Array(0) }), RangeError);
  });
});
