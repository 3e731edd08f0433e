/**
 * Node-only: the SMS source (target/node/sms.ts → N-API addon → native/core AT machine) against the
 * modem simulator (native/tools/modem-sim.c) on a real pseudo-terminal. The simulator is the
 * independent peer: its own AT parser and PDU framing; the oracle for every PDU is the hex we
 * injected. Needs `make native`.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InboundSms, PlatformError } from '../../src/platform';
import { fromHex } from '../../src/util/bytes';
import { openSmsSource, type NativeSmsSource, type SmsSourceOptions } from '../../target/node/sms';
import { findNativeAddon } from '../../target/node/native';
import { ModemSim, haveModemSim } from '../helpers/modem-sim';

const skip = !haveModemSim() || findNativeAddon() === null ? 'needs `make native` (addon + modem-sim)' : false;

/** SMSC 07 91 13 26 04 00 00 F0 + the 74-byte WAP push SMS-DELIVER of omadm-1.2-facts.md §6.4. */
const TPDU = '440C914477000910320004521142214300003706050' +
  '40B8423F0010603C4AF8789AC8C2925578DED4F1E161C20A6A88203180000001234126' +
  '36F6D2E6D676D747372762E6D616E616765';
const PDU = '07911326040000F0' + TPDU;
/** A second one without SMSC address (length octet 00). */
const PDU2 = '00' + TPDU.replace(/^44/, '04');

interface Receiver {
  got: InboundSms[];
  next(timeoutMs?: number): Promise<InboundSms>;
}

function receiver(src: NativeSmsSource): Receiver {
  const got: InboundSms[] = [];
  let taken = 0;
  let wake: (() => void) | null = null;
  src.onSms((s) => {
    got.push(s);
    wake?.();
  });
  return {
    got,
    next(timeoutMs = 5000): Promise<InboundSms> {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          if (taken < got.length) {
            wake = null;
            clearTimeout(t);
            resolve(got[taken++]!);
            return true;
          }
          return false;
        };
        const t = setTimeout(() => { wake = null; reject(new Error(`no SMS within ${timeoutMs} ms`)); }, timeoutMs);
        if (!check()) wake = () => { check(); };
      });
    },
  };
}

/** Opens a source on the simulator and records errors. */
function open(sim: ModemSim, opts: Partial<SmsSourceOptions> = {}): { src: NativeSmsSource; errors: PlatformError[]; failed: Promise<PlatformError> } {
  const errors: PlatformError[] = [];
  let onFail: (e: PlatformError) => void = () => {};
  const failed = new Promise<PlatformError>((res) => { onFail = res; });
  const src = openSmsSource({
    tty: sim.pty, timeoutMs: 2000, ...opts,
    onError: (e) => { errors.push(e); onFail(e); },
  });
  opened.push(src);
  return { src, errors, failed };
}

/** Sources opened by the running test: closed whatever happens (a failed test must not leak handles). */
const opened: NativeSmsSource[] = [];

async function withSim(args: string[], fn: (sim: ModemSim) => Promise<void>): Promise<void> {
  const sim = await ModemSim.start(args);
  try {
    await fn(sim);
  } finally {
    for (const s of opened.splice(0)) s.close();
    await sim.stop();
  }
}

/** Resolves when `cond()` holds (checked every 10 ms); rejects after `timeoutMs`. */
async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function assertPdu(sms: InboundSms, hex: string): void {
  assert.equal(sms.kind, 'gsm');
  assert.equal(sms.smsc, true);
  assert.deepEqual(sms.bytes, fromHex(hex));
}

describe('SMS source on a pty with the modem simulator', { skip }, () => {
  test('direct delivery (+CMT) with phase 2+ acknowledgement', async () => {
    await withSim([], async (sim) => {
      const { src, errors } = open(sim);
      const rx = receiver(src);
      await sim.waitFor(/^AT AT\+CNMI=2,2,0,0,0$/);
      sim.send(`cmt ${PDU}`);
      assertPdu(await rx.next(), PDU);
      await sim.waitFor(/^ACK$/);
      sim.send(`cmt ${PDU2}`);
      assertPdu(await rx.next(), PDU2);
      await sim.waitFor(/^ACK$/);
      assert.deepEqual(sim.commands(), ['ATE0', 'AT+CMGF=0', 'AT+CSMS=1', 'AT+CNMI=2,2,0,0,0', 'AT+CNMA', 'AT+CNMA']);
      const st = src.stats()!;
      assert.equal(st.state, 'run');
      assert.equal(st.ackMode, true);
      assert.equal(st.storedMode, false);
      assert.equal(st.pdus, 2);
      assert.equal(st.acks, 2);
      assert.equal(st.badPdus, 0);
      assert.equal((await sim.status())['missing'], 0);
      src.close();
      assert.deepEqual(errors, []);
    });
  });

  test('stored delivery: +CMTI → AT+CMGR → PDU → AT+CMGD', async () => {
    await withSim([], async (sim) => {
      const { src } = open(sim, { stored: true });
      const rx = receiver(src);
      await sim.waitFor(/^AT AT\+CNMI=2,1,0,0,0$/);
      sim.send(`sms ${PDU}`); // delivered the way the client configured: stored + announced
      await sim.waitFor(/^DELIVER cmti 1 74$/);
      assertPdu(await rx.next(), PDU);
      await sim.waitFor(/^DELETED 1$/);
      sim.send(`cmti ${PDU2}`);
      assertPdu(await rx.next(), PDU2);
      await sim.waitFor(/^DELETED 1$/);
      assert.deepEqual(sim.commands(), ['ATE0', 'AT+CMGF=0', 'AT+CNMI=2,1,0,0,0', 'AT+CMGR=1', 'AT+CMGD=1', 'AT+CMGR=1', 'AT+CMGD=1']);
      assert.equal((await sim.status())['stored'], 0);
      assert.equal(src.stats()!.storedMode, true);
      src.close();
    });
  });

  test('every byte its own write: split reads on the real tty', async () => {
    await withSim(['--split'], async (sim) => {
      const { src } = open(sim);
      const rx = receiver(src);
      await sim.waitFor(/^AT AT\+CNMI=2,2,0,0,0$/);
      sim.send(`cmt ${PDU}`);
      sim.send(`cmt ${PDU2}`);
      sim.send(`cmti ${PDU}`);
      assertPdu(await rx.next(10000), PDU);
      assertPdu(await rx.next(10000), PDU2);
      assertPdu(await rx.next(10000), PDU);
      await sim.waitFor(/^DELETED 1$/, 10000);
      const st = src.stats()!;
      assert.equal(st.pdus, 3);
      assert.equal(st.badPdus, 0);
      assert.equal(st.overlongLines, 0);
      src.close();
    });
  });

  test('garbage, unsolicited codes, overlong and broken PDU lines are skipped and counted', async () => {
    await withSim([], async (sim) => {
      const { src, errors } = open(sim);
      const rx = receiver(src);
      await sim.waitFor(/^AT AT\+CNMI=2,2,0,0,0$/);
      sim.send('raw RING');
      sim.send('raw +CREG: 1,"00C3","1A2B"');
      sim.send('rawhex 0d0a00ff7f80fe0d0a'); // binary junk as a line
      sim.send(`raw ${'A'.repeat(700)}`); // longer than the line buffer
      sim.send('raw +CMT: ,5'); // header whose PDU line is not hex
      sim.send('raw ZZ-not-hex');
      sim.send('raw +CMT: ,10'); // header whose PDU has the wrong length
      sim.send('raw 000400000000');
      sim.send(`cmt ${PDU}`);
      assertPdu(await rx.next(), PDU);
      await sim.waitFor(/^ACK$/);
      const st = src.stats()!;
      assert.equal(st.pdus, 1);
      assert.equal(st.badPdus, 2);
      assert.equal(st.overlongLines, 1);
      assert.ok(st.ignoredLines >= 4, `ignored ${st.ignoredLines}`);
      // The broken +CMT were acknowledged too (the simulator did not expect those: +CMS ERROR 340).
      await until(() => sim.commands().filter((c) => c === 'AT+CNMA').length >= 3);
      assert.equal(sim.commands().filter((c) => c === 'AT+CNMA').length, 3);
      assert.equal(rx.got.length, 1);
      assert.equal(st.state, 'run');
      src.close();
      assert.deepEqual(errors, []);
    });
  });

  test('ERROR answers are retried a bounded number of times, then the dialogue goes on', async () => {
    await withSim([], async (sim) => {
      sim.send('fail AT+CMGF 2');
      await sim.status(); // the rule is in place before the client starts
      const { src, errors } = open(sim, { timeoutMs: 300 });
      const rx = receiver(src);
      await sim.waitFor(/^AT AT\+CNMI=2,2,0,0,0$/);
      assert.deepEqual(sim.commands(), ['ATE0', 'AT+CMGF=0', 'AT+CMGF=0', 'AT+CMGF=0', 'AT+CSMS=1', 'AT+CNMI=2,2,0,0,0']);
      sim.send(`cmt ${PDU}`);
      assertPdu(await rx.next(), PDU);
      const st = src.stats()!;
      assert.equal(st.errors, 2);
      assert.equal(st.retries, 2);
      src.close();
      assert.deepEqual(errors, []);
    });
  });

  test('a modem that keeps answering ERROR fails the source with EPROTO after 3 tries', async () => {
    await withSim([], async (sim) => {
      sim.send('fail AT+CMGF 99');
      await sim.status();
      const { src, failed } = open(sim, { timeoutMs: 100 });
      const err = await failed;
      assert.equal(err.code, 'EPROTO');
      assert.deepEqual(sim.commands(), ['ATE0', 'AT+CMGF=0', 'AT+CMGF=0', 'AT+CMGF=0']);
      assert.equal(src.stats(), null); // the failed channel is closed
      src.close();
    });
  });

  test('a modem that never answers: bounded retries, then ETIMEDOUT', async () => {
    await withSim(['--silent'], async (sim) => {
      const { src, failed, errors } = open(sim, { timeoutMs: 100 });
      const err = await failed;
      assert.equal(err.code, 'ETIMEDOUT');
      assert.deepEqual(sim.commands(), ['ATE0', 'ATE0', 'ATE0']);
      assert.equal(errors.length, 1);
      src.close();
    });
  });

  test('phase 2 modem (no AT+CSMS=1): no acknowledgements are sent', async () => {
    await withSim(['--no-csms'], async (sim) => {
      const { src } = open(sim);
      const rx = receiver(src);
      await sim.waitFor(/^AT AT\+CNMI=2,2,0,0,0$/);
      sim.send(`cmt ${PDU}`);
      assertPdu(await rx.next(), PDU);
      sim.send(`cmt ${PDU2}`);
      assertPdu(await rx.next(), PDU2);
      assert.equal(src.stats()!.ackMode, false);
      assert.ok(!sim.commands().includes('AT+CNMA'));
      assert.equal((await sim.status())['csms'], 0);
      src.close();
    });
  });

  test('a modem without direct routing: falls back to storage after 3 ERRORs', async () => {
    await withSim(['--no-direct'], async (sim) => {
      const { src } = open(sim, { timeoutMs: 200 });
      const rx = receiver(src);
      await sim.waitFor(/^AT AT\+CNMI=2,1,0,0,0$/);
      assert.deepEqual(sim.commands().filter((c) => c.startsWith('AT+CNMI')),
        ['AT+CNMI=2,2,0,0,0', 'AT+CNMI=2,2,0,0,0', 'AT+CNMI=2,2,0,0,0', 'AT+CNMI=2,1,0,0,0']);
      sim.send(`sms ${PDU}`);
      assertPdu(await rx.next(), PDU);
      assert.equal(src.stats()!.storedMode, true);
      src.close();
    });
  });

  test('PDUs that arrive before onSms wait in the bounded queue', async () => {
    await withSim([], async (sim) => {
      const src = openSmsSource({ tty: sim.pty, timeoutMs: 2000, limits: { queueMax: 2 } });
      opened.push(src);
      await sim.waitFor(/^AT AT\+CNMI=2,2,0,0,0$/);
      for (const p of [PDU, PDU2, PDU]) {
        sim.send(`cmt ${p}`);
        await sim.waitFor(/^ACK$/);
      }
      const got: InboundSms[] = [];
      src.onSms((s) => got.push(s));
      assert.equal(got.length, 0); // never inside onSms itself
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(got.length, 2);
      assertPdu(got[0]!, PDU);
      assertPdu(got[1]!, PDU2);
      assert.equal(src.stats()!.droppedQueued, 1);
      src.close();
    });
  });

  test('close stops everything; the modem can be opened again', async () => {
    await withSim([], async (sim) => {
      const first = open(sim);
      const rx1 = receiver(first.src);
      await sim.waitFor(/^AT AT\+CNMI=2,2,0,0,0$/);
      sim.send(`cmt ${PDU}`);
      assertPdu(await rx1.next(), PDU);
      await sim.waitFor(/^ACK$/);
      first.src.close();
      first.src.close(); // idempotent
      assert.equal(first.src.stats(), null);
      sim.send(`cmt ${PDU2}`); // nobody listens now
      await sim.waitFor(/^DELIVER cmt/);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(rx1.got.length, 1);
      const second = open(sim);
      const rx2 = receiver(second.src);
      await sim.waitFor(/^AT AT\+CNMI=2,2,0,0,0$/);
      sim.send(`cmt ${PDU}`);
      assertPdu(await rx2.next(), PDU);
      assert.equal(rx2.got.length, 1); // the PDU sent while closed was flushed at open, not delivered
      assert.equal(sim.commands().filter((c) => c === 'ATE0').length, 2);
      second.src.close();
      assert.deepEqual([...first.errors, ...second.errors], []);
    });
  });

  test('the modem going away fails the source (EIO)', async () => {
    const sim = await ModemSim.start([]);
    const { src, failed } = open(sim);
    await sim.waitFor(/^AT AT\+CNMI=2,2,0,0,0$/);
    await sim.stop();
    const err = await failed;
    assert.ok(err.code === 'EIO' || err.code === 'EPIPE', err.code);
    src.close();
  });

  test('demo-style simulator: --link path, control over a FIFO, bare TPDUs (--tpdu)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dm-sim-'));
    const link = join(dir, 'modem');
    const fifo = join(dir, 'ctl');
    const sim = await ModemSim.start(['--link', link, '--fifo', fifo, '--tpdu']);
    try {
      assert.equal(realpathSync(link), sim.pty);
      const { src } = open(sim, { tty: link });
      const rx = receiver(src);
      await sim.waitFor(/^AT AT\+CNMI=2,2,0,0,0$/);
      writeFileSync(fifo, `${TPDU}\n`); // a bare hex line = "sms HEX"; the simulator adds an empty SMSC
      assertPdu(await rx.next(), '00' + TPDU);
      src.close();
    } finally {
      for (const s of opened.splice(0)) s.close();
      await sim.stop();
      assert.equal(existsSync(link), false); // the link is removed at exit
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('opening a missing tty throws ENOENT', () => {
    assert.throws(() => openSmsSource({ tty: '/nonexistent/ttyUSB9' }), (e: PlatformError) => e.code === 'ENOENT');
  });
});

describe('WDP datagrams (push over IP)', { skip: findNativeAddon() === null ? 'needs `make native`' : false }, () => {
  test('datagrams arrive as kind wdp; oversized ones are dropped and counted', async () => {
    const src = openSmsSource({ wdpPort: 0, wdpLoopback: true });
    const port = src.wdpPort()!;
    assert.ok(port > 0);
    const rx = receiver(src);
    const sock = createSocket('udp4');
    const send = (b: Uint8Array): Promise<void> => new Promise((res, rej) => sock.send(b, port, '127.0.0.1', (e) => (e ? rej(e) : res())));
    try {
      const push = fromHex('0106 03C4AF87 89AC8C2925578DED4F1E161C20A6A882');
      await send(new Uint8Array(2000).fill(7)); // > WDP_MAX_DATAGRAM
      await send(push);
      const got = await rx.next();
      assert.equal(got.kind, 'wdp');
      assert.equal(got.smsc, undefined);
      assert.deepEqual(got.bytes, push);
      assert.equal(src.droppedDatagrams, 1);
      assert.equal(src.stats(), null); // no modem channel
      src.close();
    } finally {
      sock.close();
    }
  });

  test('a port in use is EADDRINUSE', () => {
    const a = openSmsSource({ wdpPort: 0, wdpLoopback: true });
    try {
      assert.throws(() => openSmsSource({ wdpPort: a.wdpPort()!, wdpLoopback: true }), (e: PlatformError) => e.code === 'EADDRINUSE');
    } finally {
      a.close();
    }
  });
});
