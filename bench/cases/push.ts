/**
 * Notification workloads:
 *
 * - `push.pkg0`: package #0 parse + digest verification (two MD5 chains over the trigger, the
 *   credential and the nonce) — what every inbound notification costs before anything else.
 * - `push.router`: the whole push path of the product: GSM SMS-DELIVER PDUs (a two-part
 *   concatenated WAP push, as a push proxy gateway sends a notification with a vendor body) →
 *   port check → reassembly → WSP → package #0 → DMAcc lookup → digest → duplicate/rate table →
 *   decision. The router's clock advances a day per operation and the session ids rotate through
 *   a pool larger than its table, so every notification is accepted: the check counts acceptances.
 */
import type { InboundSms } from '../../src/platform';
import { encodeGsmWapPush } from '../../src/push/gsm';
import { buildPkg0, parsePkg0, verifyPkg0 } from '../../src/push/pkg0';
import { PushRouter } from '../../src/push/PushRouter';
import { encodeWspPush } from '../../src/push/wsp';
import { utf8Encode } from '../../src/util/utf8';
import type { BenchHost, CaseInstance, CaseParams } from '../lib/types';
import { check } from '../lib/types';

const SERVER_ID = 'com.mgmtsrv.manage';
const SECRET = utf8Encode('server-secret');
const NONCE = new Uint8Array([0x21, 0x43, 0x65, 0x87]);

/** Vendor-specific body of `n` bytes (deterministic). */
function vendor(n: number): Uint8Array {
  const v = new Uint8Array(n);
  for (let i = 0; i < n; i++) v[i] = (i * 37 + 11) & 0xff;
  return v;
}

/** Package #0 parse + digest check. */
export function pkg0Case(_host: BenchHost, p: CaseParams): CaseInstance {
  const vlen = Number(p['vendor'] ?? 0);
  const bytes = buildPkg0({ sessionId: 0x0a3f, serverId: SERVER_ID, secret: SECRET, nonce: NONCE, vendor: vendor(vlen) });
  return {
    bytes: bytes.length, elements: 1, elementName: 'notification',
    fn() {
      const pkg = parsePkg0(bytes);
      check(pkg.sessionId === 0x0a3f && verifyPkg0(pkg, SECRET, NONCE) === 'ok', 'package #0 does not verify');
    },
  };
}

/** GSM WAP push (two concatenated SMS) through the PushRouter to an accepted decision. */
export function routerCase(_host: BenchHost, p: CaseParams): CaseInstance {
  const vlen = Number(p['vendor'] ?? 120);
  const pool: InboundSms[][] = [];
  // more distinct session ids than the router remembers (16): no duplicate ever
  for (let i = 0; i < 32; i++) {
    const pkg = buildPkg0({ sessionId: 0x100 + i, serverId: SERVER_ID, secret: SECRET, nonce: NONCE, vendor: vendor(vlen) });
    const pdus = encodeGsmWapPush(encodeWspPush({ body: pkg }), { originator: '+447700900123', ref: i & 0xff });
    pool.push(pdus.map((bytes) => ({ kind: 'gsm' as const, bytes })));
  }
  const segments = pool[0]!.length;
  let now = 0;
  let accepted = 0;
  let rejected = '';
  const router = new PushRouter({
    accounts: { find: (id) => (id === SERVER_ID ? { serverId: SERVER_ID, serverSecret: SECRET, serverNonce: NONCE } : null) },
    log: () => {},
    now: () => now,
    onDecision: (d) => {
      if (d.outcome === 'accepted') accepted++;
      else rejected = d.reason;
    },
  });
  let k = 0;
  return {
    bytes: pool[0]!.reduce((n, s) => n + s.bytes.length, 0), elements: segments, elementName: 'SMS',
    fn() {
      const sms = pool[k]!;
      k = (k + 1) % pool.length;
      now += 86_400_000; // beyond the duplicate and rate windows
      const before = accepted;
      for (const s of sms) router.handle(s);
      check(accepted === before + 1, `notification not accepted (${rejected || 'no decision'})`);
    },
  };
}
