// Fuzz + examples (node-only): the push pretty-printer of `omadm decode --sms|--cdma|--wsp|--pkg0`
// (target/node/decode-push.ts). The facts sheet §6.4 example renders every layer with the values
// the sheet states; a digest check with the right and a wrong secret; malformed layers are reported,
// never thrown; any bytes of any kind render without throwing, and hex input files are read.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describePush, readPushInput, decodePushMain, PUSH_KINDS } from '../../target/node/decode-push';
import type { PushKind } from '../../target/node/decode-push';
import { encodeCdmaWapPush } from '../../src/push/cdma';
import { encodeGsmWapPush } from '../../src/push/gsm';
import { buildPkg0 } from '../../src/push/pkg0';
import { params } from './lib/params';

/** facts §6.4: the 74-byte SMS-DELIVER carrying the WSP push and the 42-byte package #0. */
const FACTS_SMS = `44 0C 91 44 77 00 09 10 32 00 04 52 11 42 21 43 00 00 37
06 05 04 0B 84 23 F0   # UDH: ports 2948 / 9200
01 06 03 C4 AF 87      # WSP
89 AC 8C 29 25 57 8D ED 4F 1E 16 1C 20 A6 A8 82 03 18 00 00 00 12 34 12
63 6F 6D 2E 6D 67 6D 74 73 72 76 2E 6D 61 6E 61 67 65`;
const NONCE = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);

describe('describePush (omadm decode for SMS / WSP / package #0)', () => {
  test('the facts sheet example: SMS → UDH → WSP → package #0, every value as stated', () => {
    const bytes = readPushInput(new Uint8Array(Buffer.from(FACTS_SMS)));
    assert.equal(bytes.length, 74);
    const t = describePush(bytes, 'sms', { secret: 'srvSecret', nonce: NONCE });
    for (const want of [
      /^GSM SMS-DELIVER \(74 bytes\)$/m, /originator\s+\+447700900123 \(international/, /DCS\s+0x04 \(8-bit data\)/,
      /SCTS\s+2025-11-24 12:34:00 \+00:00/, /application ports \(16-bit\): destination 2948 \(WAP push\), source 9200/,
      /^WSP Push \(48 bytes\)$/m, /Content-Type\s+application\/vnd\.syncml\.notification \(0x44\)/,
      /X-Wap-Application-Id\s+x-wap-application:syncml\.dm \(0x07\)/, /^OMA DM notification, package #0 \(42 bytes\)$/m,
      /digest\s+89 AC 8C 29 25 57 8D ED 4F 1E 16 1C 20 A6 A8 82/, /version\s+12 \(1\.2\)/, /ui-mode\s+1 \(background\)/,
      /initiator\s+1 \(server\)/, /session id\s+4660 \(0x1234; pkg1 SessionID "1234"\)/, /server id\s+"com\.mgmtsrv\.manage" \(18 bytes\)/,
      /digest check\s+ok$/m,
    ]) assert.match(t, want);
    assert.doesNotMatch(t, /srvSecret/, 'the secret is never printed');
    assert.match(describePush(bytes, 'sms', { secret: 'wrong', nonce: NONCE }), /digest check\s+BAD/);
  });

  test('CDMA, segmented GSM, SMSC prefix, bare WSP and bare package #0', () => {
    const pkg = buildPkg0({ sessionId: 0x0a3f, serverId: 'srv', secret: 's', nonce: new Uint8Array(0), uiMode: 3 });
    const wsp = Uint8Array.from([1, 6, 3, 0xc4, 0xaf, 0x87, ...pkg]);
    const cdma = describePush(encodeCdmaWapPush(wsp, { originator: '5551234567', messageId: 7 })[0]!, 'cdma');
    assert.match(cdma, /teleservice\s+4100 \(WAP\)/);
    assert.match(cdma, /ports\s+source 9200, destination 2948 \(WAP push\)/);
    assert.match(cdma, /pkg1 SessionID "A3F"/);
    assert.match(cdma, /asks the user/);
    const big = Uint8Array.from([1, 6, 3, 0xc4, 0xaf, 0x87, ...buildPkg0({ sessionId: 1, serverId: 'srv', secret: 's', nonce: new Uint8Array(0), vendor: new Uint8Array(200) })]);
    const parts = encodeGsmWapPush(big, { originator: '+1', refBits: 16, ref: 0x1234 });
    assert.equal(parts.length, 2);
    const seg = describePush(parts[0]!, 'sms');
    assert.match(seg, /concatenation \(16-bit reference\): reference 4660, part 1 of 2/);
    assert.doesNotMatch(seg, /^WSP/m);
    const withSmsc = Uint8Array.from([0x07, 0x91, 0x44, 0x77, 0x58, 0x10, 0x06, 0x50, ...encodeGsmWapPush(wsp, { originator: '+1' })[0]!]);
    assert.match(describePush(withSmsc, 'sms-smsc'), /SMSC\s+\+447785016005 \(international/);
    assert.match(describePush(wsp, 'wsp'), /^OMA DM notification/m);
    assert.match(describePush(pkg, 'pkg0'), /server id\s+"srv"/);
  });

  test('malformed layers are reported with the DecodeError, never thrown', () => {
    const bytes = readPushInput(new Uint8Array(Buffer.from(FACTS_SMS)));
    assert.match(describePush(bytes.subarray(0, 40), 'sms'), /malformed SMS-DELIVER: truncated at offset 40 \(end of input\), state ud/);
    const badWsp = bytes.slice();
    badWsp[28] = 0x7f; // header length becomes a huge uintvar start
    assert.match(describePush(badWsp, 'sms'), /^WSP Push/m);
    assert.match(describePush(Uint8Array.from([1, 2, 3]), 'pkg0'), /malformed package #0: truncated/);
    assert.throws(() => describePush(bytes, 'mms' as PushKind), TypeError);
  });

  test('any bytes of any kind: a description, never an exception', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(...PUSH_KINDS), fc.option(fc.string(), { nil: undefined }), (b, kind, secret) => {
      const t = describePush(b, kind, secret === undefined ? {} : { secret });
      assert.ok(t.length > 0 && !t.endsWith('\n'));
      // the secret only decides the verdict line: everything else is what is printed without it
      const withoutVerdict = (x: string): string => x.split('\n').filter((l) => !/^\s*digest check/.test(l)).join('\n');
      if (secret !== undefined) assert.equal(withoutVerdict(t), withoutVerdict(describePush(b, kind)));
    }), params('describe-push/random', 3000));
  });

  test('decodePushMain: hex and binary files, exit status 0 / 1 / 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'omadm-decode-push-'));
    writeFileSync(join(dir, 'sms.hex'), `gsm: ${FACTS_SMS}\n`);
    writeFileSync(join(dir, 'sms.bin'), readPushInput(new Uint8Array(Buffer.from(FACTS_SMS))));
    writeFileSync(join(dir, 'bad.hex'), '44 0C 91');
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    const errWrite = process.stderr.write.bind(process.stderr);
    process.stdout.write = ((s: string) => { out.push(String(s)); return true; }) as typeof process.stdout.write;
    process.stderr.write = ((s: string) => { out.push(String(s)); return true; }) as typeof process.stderr.write;
    try {
      assert.equal(await decodePushMain(['--sms', join(dir, 'sms.hex')]), 0);
      assert.equal(await decodePushMain(['--sms', join(dir, 'sms.bin')]), 0);
      assert.equal(await decodePushMain(['--sms', join(dir, 'bad.hex')]), 1);
      assert.equal(await decodePushMain(['--mms', join(dir, 'sms.hex')]), 2);
      assert.equal(await decodePushMain([join(dir, 'sms.hex')]), 2);
    } finally {
      process.stdout.write = write;
      process.stderr.write = errWrite;
    }
    assert.equal(out.filter((s) => s.includes('server id           "com.mgmtsrv.manage"')).length, 2);
  });
});
