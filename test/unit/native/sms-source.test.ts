/**
 * Portable: NativeSmsSource (src/native/NativeSmsSource.ts) with a scripted stand-in for the SMS part
 * of the binding and FakePlatform's manual clock. Covers the host contract: flags, readiness-driven
 * turns bounded by pdusPerTurn, AT deadlines (smsWait) as timers, the bounded queue before onSms,
 * failures, close. The real binding + modem on a pty is test/native/sms.test.ts.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { InboundSms, PlatformError } from '../../../src/platform';
import type { NativeBuffer, SmsBinding } from '../../../src/native/binding';
import { NativeSmsSource, type SmsHost } from '../../../src/native/NativeSmsSource';
import { FAKE_CONSTANTS, FAKE_ERRNO } from '../../../src/native/fake';
import { FakePlatform } from '../../helpers/fake-platform';

const SMS_H = (1 << 24) | (1 << 8);
const WDP_H = (2 << 24) | (1 << 8);

/** The SMS/WDP functions, scripted: PDUs and results are queued by the test. */
class ScriptedBinding implements SmsBinding {
  readonly constants = FAKE_CONSTANTS;
  readonly errno = FAKE_ERRNO;
  /** what smsPoll returns next: bytes (a PDU) or a number (result) */
  readonly sms: (Uint8Array | number)[] = [];
  readonly wdp: (Uint8Array | number)[] = [];
  openArgs: [string, number, number] | null = null;
  wait = -1;
  polls = 0;
  readonly closed: number[] = [];
  smsOpen(path: string, flags: number, timeoutMs: number): number {
    this.openArgs = [path, flags, timeoutMs];
    return path === '/missing' ? -FAKE_ERRNO.ENOENT! : SMS_H;
  }
  #take(q: (Uint8Array | number)[], buf: NativeBuffer, off: number, len: number): number {
    const next = q.shift() ?? 0;
    if (typeof next === 'number') return next;
    if (next.length > len) return -FAKE_ERRNO.EMSGSIZE!;
    (buf as Uint8Array).set(next, off);
    return next.length;
  }
  smsPoll(_h: number, buf: NativeBuffer, off: number, len: number): number {
    this.polls++;
    return this.#take(this.sms, buf, off, len);
  }
  smsWait(): number { return this.wait; }
  smsStats(_h: number, buf: NativeBuffer, off: number, len: number): number {
    const u = buf as Uint8Array;
    for (let i = 0; i < len / 4; i++) u[off + 4 * i] = i === FAKE_CONSTANTS.SMS_STAT_STATE ? 1 : i + 10;
    return len - (len % 4);
  }
  wdpOpen(port: number): number { return port === 1 ? -FAKE_ERRNO.EADDRINUSE! : WDP_H; }
  wdpRecv(_h: number, buf: NativeBuffer, off: number, len: number): number { return this.#take(this.wdp, buf, off, len); }
  wdpPort(): number { return 2948; }
  handleFd(h: number): number { return (h & 0xff) + (h >>> 24) * 10; }
  close(h: number): number {
    this.closed.push(h);
    return 0;
  }
}

/** Host over FakePlatform; `readable(h)` plays the fd becoming readable. */
function makeHost(p: FakePlatform): SmsHost & { readable(h: number): void; watched: Map<number, () => void>; unwatched: number[] } {
  const watched = new Map<number, () => void>();
  const unwatched: number[] = [];
  return {
    setTimer: (ms, cb) => p.setTimer(ms, cb),
    clearTimer: (t) => p.clearTimer(t),
    watch: (h, _fd, cb) => { watched.set(h, cb); },
    unwatch: (h) => { watched.delete(h); unwatched.push(h); },
    log: p.log,
    watched,
    unwatched,
    readable(h: number): void { watched.get(h)?.(); },
  };
}

const pdu = (n: number): Uint8Array => Uint8Array.of(0, 4, n, n, n);

describe('NativeSmsSource', () => {
  test('flags and timeout reach smsOpen; defaults: direct routing with acknowledgements', () => {
    const p = new FakePlatform();
    for (const [opts, flags] of [
      [{}, FAKE_CONSTANTS.SMS_ACK],
      [{ stored: true }, FAKE_CONSTANTS.SMS_STORED | FAKE_CONSTANTS.SMS_ACK],
      [{ ack: false, keepSpeed: true }, FAKE_CONSTANTS.SMS_KEEP_SPEED],
    ] as const) {
      const b = new ScriptedBinding();
      const s = new NativeSmsSource(b, makeHost(p), { tty: '/dev/ttyX', timeoutMs: 750, ...opts });
      assert.deepEqual(b.openArgs, ['/dev/ttyX', flags, 750]);
      s.close();
    }
  });

  test('argument checks', () => {
    const p = new FakePlatform();
    const b = new ScriptedBinding();
    assert.throws(() => new NativeSmsSource(b, makeHost(p), {}), TypeError);
    assert.throws(() => new NativeSmsSource(b, makeHost(p), { tty: '/t', timeoutMs: -1 }), /timeoutMs/);
    assert.throws(() => new NativeSmsSource(b, makeHost(p), { tty: '/t', timeoutMs: 10 ** 9 }), /timeoutMs/);
    assert.throws(() => new NativeSmsSource(b, makeHost(p), { wdpPort: 70000 }), /wdpPort/);
    assert.throws(() => new NativeSmsSource(b, makeHost(p), { tty: '/t', limits: { queueMax: 0 } }), /queueMax/);
  });

  test('open failures are PlatformErrors and leave nothing open or watched', () => {
    const p = new FakePlatform();
    const b = new ScriptedBinding();
    const host = makeHost(p);
    assert.throws(() => new NativeSmsSource(b, host, { tty: '/missing' }), (e: PlatformError) => e.code === 'ENOENT');
    assert.throws(() => new NativeSmsSource(b, host, { tty: '/ok', wdpPort: 1 }), (e: PlatformError) => e.code === 'EADDRINUSE');
    assert.deepEqual(b.closed, [SMS_H]); // the modem opened first was closed again
    assert.equal(host.watched.size, 0);
    assert.equal(p.pendingTimers(), 0);
  });

  test('readable → PDUs delivered (copies, smsc: true), at most pdusPerTurn per turn', () => {
    const p = new FakePlatform();
    const b = new ScriptedBinding();
    const host = makeHost(p);
    const s = new NativeSmsSource(b, host, { tty: '/t', limits: { pdusPerTurn: 3 } });
    const got: InboundSms[] = [];
    s.onSms((x) => got.push(x));
    p.runAll();
    for (let i = 0; i < 7; i++) b.sms.push(pdu(i));
    host.readable(SMS_H);
    assert.equal(got.length, 3); // one turn, then it yields to the loop ...
    assert.equal(p.pendingTimers(), 1); // ... with a 0 ms timer to continue
    p.advance(0); // (FakePlatform also fires the timers scheduled while advancing)
    assert.equal(got.length, 7);
    assert.deepEqual(got.map((x) => x.bytes[2]), [0, 1, 2, 3, 4, 5, 6]);
    assert.ok(got.every((x) => x.kind === 'gsm' && x.smsc === true));
    assert.notEqual(got[0]!.bytes.buffer, got[1]!.bytes.buffer); // not views of the receive buffer
    s.close();
  });

  test('the AT deadline (smsWait) becomes a timer; nothing polls in between', () => {
    const p = new FakePlatform();
    const b = new ScriptedBinding();
    b.wait = 500;
    const s = new NativeSmsSource(b, makeHost(p), { tty: '/t' });
    p.advance(0); // the first turn
    const after0 = b.polls;
    assert.equal(after0, 1);
    p.advance(499);
    assert.equal(b.polls, after0);
    b.wait = -1; // then the machine is idle: readability only
    p.advance(1);
    assert.equal(b.polls, after0 + 1);
    p.advance(100000);
    assert.equal(b.polls, after0 + 1);
    assert.equal(p.pendingTimers(), 0);
    s.close();
  });

  test('before onSms: bounded queue, delivered later from the loop, overflow counted', () => {
    const p = new FakePlatform();
    const b = new ScriptedBinding();
    const host = makeHost(p);
    const s = new NativeSmsSource(b, host, { tty: '/t', limits: { queueMax: 2 } });
    b.sms.push(pdu(1), pdu(2), pdu(3));
    host.readable(SMS_H);
    const got: number[] = [];
    s.onSms((x) => got.push(x.bytes[2]!));
    assert.deepEqual(got, []); // never from inside onSms
    p.runAll();
    assert.deepEqual(got, [1, 2]);
    assert.equal(s.droppedQueued, 1);
    assert.equal(s.stats()!.droppedQueued, 1);
    s.close();
  });

  test('a failing channel reports once via onError and is closed', () => {
    const p = new FakePlatform();
    const b = new ScriptedBinding();
    const host = makeHost(p);
    const errors: [string, string][] = [];
    const s = new NativeSmsSource(b, host, { tty: '/t', onError: (e, ch) => errors.push([e.code, ch]) });
    b.sms.push(pdu(1), -FAKE_ERRNO.ETIMEDOUT!);
    const got: InboundSms[] = [];
    s.onSms((x) => got.push(x));
    host.readable(SMS_H);
    assert.equal(got.length, 1);
    assert.deepEqual(errors, [['ETIMEDOUT', 'sms']]);
    assert.deepEqual(b.closed, [SMS_H]);
    assert.deepEqual(host.unwatched, [SMS_H]);
    assert.equal(s.stats(), null);
    host.readable(SMS_H); // a late readiness callback does nothing
    p.runAll();
    assert.equal(b.polls, 2);
    s.close();
    assert.deepEqual(b.closed, [SMS_H]);
  });

  test('without onError the failure is logged with its code', () => {
    const p = new FakePlatform();
    const b = new ScriptedBinding();
    const host = makeHost(p);
    const s = new NativeSmsSource(b, host, { tty: '/t' });
    b.sms.push(-FAKE_ERRNO.EIO!);
    host.readable(SMS_H);
    assert.deepEqual(p.logs.map((l) => [l.level, l.fields?.['code']]), [['error', 'EIO']]);
    s.close();
  });

  test('close: idempotent, unwatches, clears timers, no callbacks afterwards', () => {
    const p = new FakePlatform();
    const b = new ScriptedBinding();
    b.wait = 100;
    const host = makeHost(p);
    const s = new NativeSmsSource(b, host, { tty: '/t', wdpPort: 0 });
    const got: InboundSms[] = [];
    s.onSms((x) => got.push(x));
    const cb = host.watched.get(SMS_H)!;
    s.close();
    s.close();
    assert.deepEqual(b.closed.sort(), [SMS_H, WDP_H].sort());
    assert.equal(host.watched.size, 0);
    assert.equal(p.pendingTimers(), 0);
    b.sms.push(pdu(1));
    cb();
    p.runAll();
    assert.equal(got.length, 0);
    assert.equal(s.wdpPort(), null);
  });

  test('a receiver may close the source from inside its callback', () => {
    const p = new FakePlatform();
    const b = new ScriptedBinding();
    const host = makeHost(p);
    const s = new NativeSmsSource(b, host, { tty: '/t' });
    let n = 0;
    s.onSms(() => { n++; s.close(); });
    b.sms.push(pdu(1), pdu(2));
    host.readable(SMS_H);
    p.runAll();
    assert.equal(n, 1);
    assert.equal(b.polls, 1);
  });

  test('WDP: datagrams as kind wdp; oversized ones skipped and counted', () => {
    const p = new FakePlatform();
    const b = new ScriptedBinding();
    const host = makeHost(p);
    const s = new NativeSmsSource(b, host, { wdpPort: 2948 });
    const got: InboundSms[] = [];
    s.onSms((x) => got.push(x));
    b.wdp.push(new Uint8Array(FAKE_CONSTANTS.WDP_MAX_DATAGRAM + 1), Uint8Array.of(1, 6, 3));
    host.readable(WDP_H);
    assert.equal(got.length, 1);
    assert.deepEqual(got[0], { kind: 'wdp', bytes: Uint8Array.of(1, 6, 3) });
    assert.equal(s.droppedDatagrams, 1);
    assert.equal(s.wdpPort(), 2948);
    assert.equal(s.stats(), null);
    s.close();
  });

  test('stats decode the native counters', () => {
    const p = new FakePlatform();
    const s = new NativeSmsSource(new ScriptedBinding(), makeHost(p), { tty: '/t' });
    const st = s.stats()!;
    assert.equal(st.pdus, 10);
    assert.equal(st.badPdus, 11);
    assert.equal(st.retries, 21);
    assert.equal(st.state, 'run');
    assert.equal(st.storedMode, false); // 19 ≠ 1
    s.close();
  });
});
