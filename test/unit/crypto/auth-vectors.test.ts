// Unit (portable): OMA DM auth formulas of facts sheet §5.1 built from md5 + b64 (spec vectors).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { md5 } from '../../../src/crypto/md5';
import { b64encode, b64decode } from '../../../src/crypto/base64';
import { utf8Encode } from '../../../src/util/utf8';
import { concatBytes } from '../../../src/util/bytes';

const a = (s: string): Uint8Array => utf8Encode(s);
const colon = a(':');
const md5Cred = (user: string, pw: string, nonce: Uint8Array): string =>
  b64encode(md5(concatBytes([a(b64encode(md5(a(`${user}:${pw}`)))), colon, nonce])));

describe('facts §5.1 auth vectors', () => {
  test('basic', () => assert.equal(b64encode(a('Bruce2:OhBehave')), 'QnJ1Y2UyOk9oQmVoYXZl'));
  test('md5 with ASCII nonce "Nonce" (spec example)', () => assert.equal(md5Cred('Bruce2', 'OhBehave', a('Nonce')), 'Zz6EivR3yeaaENcRN6lpAQ=='));
  test('md5 with a b64 NextNonce', () => assert.equal(md5Cred('Bruce2', 'OhBehave', b64decode('LG3iZQhhdmKNHg==')), 'LAK2i25Fh0nxxGGaAzRRpg=='));
  test('auth-MAC (nested MD5) over a 42-byte body', () => {
    const body = a('<SyncML xmlns="SYNCML:SYNCML1.2"></SyncML>');
    assert.equal(body.length, 42);
    const hUser = b64encode(md5(a('Bruce2:OhBehave')));
    const hBody = b64encode(md5(body));
    assert.equal(hUser, 'PtEdr8lBQ45IbT1bZIkrOQ==');
    assert.equal(hBody, 'V2pUFyVNkvBtkcuf1/uj0A==');
    assert.equal(b64encode(md5(concatBytes([a(hUser), colon, a('Nonce'), colon, a(hBody)]))), 'aSBvnDHzBa7JhdjeEEUR2g==');
  });
});
