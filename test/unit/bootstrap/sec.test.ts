// Layer: unit (portable). Bootstrap security: SEC parameter values, the IMSI key, key composition per
// method, MAC verification (case, malformed hex, one flipped bit), USERPINMAC. The MACs themselves are
// checked against python3's hmac in test/interop/bootstrap/vectors.test.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bootstrapKey, bootstrapMac, imsiKey, needsNetworkKey, needsPin, parseSec, userPinMac, verifyMac, verifyUserPinMac } from '../../../src/bootstrap/sec';
import { IMSI, IMSI_KEY, u8 } from './helpers';

describe('SEC parameter', () => {
  test('WSP codes 0..3, DM names, CP names and digit text map onto the four methods', () => {
    assert.equal(parseSec(0), 'NETWORKID');
    assert.equal(parseSec(1), 'USERPIN');
    assert.equal(parseSec(2), 'USERPIN_NETWORKID');
    assert.equal(parseSec(3), 'USERPINMAC');
    assert.equal(parseSec('NETWORKID'), 'NETWORKID');
    assert.equal(parseSec('netwpin'), 'NETWORKID');
    assert.equal(parseSec(' USERPIN '), 'USERPIN');
    assert.equal(parseSec('USERNETWPIN'), 'USERPIN_NETWORKID');
    assert.equal(parseSec('userpin_networkid'), 'USERPIN_NETWORKID');
    assert.equal(parseSec('USERPINMAC'), 'USERPINMAC');
    assert.equal(parseSec('2'), 'USERPIN_NETWORKID');
  });
  test('unknown values are null', () => {
    assert.equal(parseSec(4), null);
    assert.equal(parseSec('NETWORK'), null);
    assert.equal(parseSec(''), null);
    assert.equal(parseSec(new Uint8Array([1])), null);
  });
  test('which inputs each method needs', () => {
    assert.deepEqual(['NETWORKID', 'USERPIN', 'USERPIN_NETWORKID', 'USERPINMAC'].map((s) => [needsNetworkKey(s as never), needsPin(s as never)]),
      [[true, false], [false, true], [true, true], [false, true]]);
  });
});

describe('IMSI key (EF_IMSI semi-octets)', () => {
  test('15 digits: odd parity nibble 9, digit pairs swapped', () => {
    assert.deepEqual([...imsiKey(IMSI)], IMSI_KEY);
  });
  test('14 digits: even parity nibble 1 and an F pad in the last octet', () => {
    // digits 3|10|15|01|23|45|67|8F: first octet 3 with nibble 1, then each pair low digit first
    assert.deepEqual([...imsiKey('31015012345678')], [0x31, 0x01, 0x51, 0x10, 0x32, 0x54, 0x76, 0xf8]);
  });
  test('a single digit', () => {
    assert.deepEqual([...imsiKey('7')], [0x79]);
  });
  test('non-digits and lengths beyond 15 are RangeErrors naming imsi', () => {
    assert.throws(() => imsiKey('26201123456789a'), /imsi/);
    assert.throws(() => imsiKey('1234567890123456'), /imsi/);
    assert.throws(() => imsiKey(''), /imsi/);
  });
});

describe('keys and MACs', () => {
  const net = imsiKey(IMSI);
  const doc = u8('bootstrap document bytes');
  test('NETWORKID uses the network key, USERPIN the PIN bytes, USERPIN_NETWORKID both (network first)', () => {
    assert.deepEqual([...bootstrapKey('NETWORKID', net, null)], IMSI_KEY);
    assert.deepEqual([...bootstrapKey('USERPIN', null, '1234')], [0x31, 0x32, 0x33, 0x34]);
    assert.deepEqual([...bootstrapKey('USERPIN_NETWORKID', net, '1234')], [...IMSI_KEY, 0x31, 0x32, 0x33, 0x34]);
    assert.deepEqual([...bootstrapKey('USERPIN_NETWORKID', net, '1234', 'pin-colon-network')], [0x31, 0x32, 0x33, 0x34, 0x3a, ...IMSI_KEY]);
  });
  test('missing inputs are RangeErrors', () => {
    assert.throws(() => bootstrapKey('NETWORKID', null, null), /networkKey/);
    assert.throws(() => bootstrapKey('USERPIN', null, null), /pin/);
    assert.throws(() => bootstrapKey('USERPIN_NETWORKID', net, null), /pin/);
    assert.throws(() => bootstrapKey('USERPINMAC', null, '12'), RangeError);
  });
  test('the MAC is 40 upper-case hex digits and verifies in either case, trimmed', () => {
    const k = bootstrapKey('USERPIN', null, '1234');
    const mac = bootstrapMac(k, doc);
    assert.match(mac, /^[0-9A-F]{40}$/);
    assert.equal(verifyMac(mac, k, doc), true);
    assert.equal(verifyMac(` ${mac.toLowerCase()}\n`, k, doc), true);
  });
  test('a different key, a changed document byte, a flipped MAC bit, malformed hex all fail', () => {
    const k = bootstrapKey('USERPIN', null, '1234');
    const mac = bootstrapMac(k, doc);
    assert.equal(verifyMac(mac, bootstrapKey('USERPIN', null, '1235'), doc), false);
    const d2 = doc.slice();
    d2[3] = d2[3]! ^ 1;
    assert.equal(verifyMac(mac, k, d2), false);
    const flipped = mac.slice(0, 39) + (mac[39] === '0' ? '1' : '0');
    assert.equal(verifyMac(flipped, k, doc), false);
    assert.equal(verifyMac(mac.slice(0, 38), k, doc), false);
    assert.equal(verifyMac(mac.slice(0, 39) + 'G', k, doc), false);
    assert.equal(verifyMac('', k, doc), false);
  });
});

describe('USERPINMAC', () => {
  const doc = u8('<wap-provisioningdoc/>');
  test('the PIN a sender computes verifies; it is K followed by |K| digits', () => {
    const pin = userPinMac('1234', doc);
    assert.match(pin, /^1234[0-9]{4}$/);
    assert.equal(verifyUserPinMac(pin, doc), true);
  });
  test('a wrong digit, an odd length or another document fail', () => {
    const pin = userPinMac('98765', doc);
    const last = pin[pin.length - 1] === '0' ? '1' : '0';
    assert.equal(verifyUserPinMac(pin.slice(0, -1) + last, doc), false);
    assert.equal(verifyUserPinMac(pin.slice(0, -1), doc), false);
    assert.equal(verifyUserPinMac(pin, u8('<wap-provisioningdoc />')), false);
  });
});
