/**
 * Name resolution of the QuickJS Platform's streams (target/quickjs/platform.ts over native/core/tls),
 * run inside the omadm host by test/qemu/tls-dns.test.ts in a mount namespace whose /etc/resolv.conf
 * points at a DNS server that never answers and whose /etc/hosts maps HOSTS_NAME to 127.0.0.1:
 *   omadm --run <bundle> STORAGE_DIR CA_FILE TLS_PORT SILENT_NAME HOSTS_NAME
 * TLS_PORT is a TLS echo server on 127.0.0.1 with a certificate for `localhost` (CA in CA_FILE).
 * The lookup of SILENT_NAME hangs for the resolver's whole timeout: the event loop must keep running
 * (timers on time), close() and the JS connect timeout must act at once, and the lookup must end in
 * EDNS; names from /etc/hosts and numeric hosts must still connect and carry data.
 * QuickJS only (type-checked by target/quickjs/tsconfig.json with the QuickJS globals).
 */
import { test, describe, type TestContext } from '../../../test/quickjs/node-test';
import assert from '../../../test/quickjs/node-assert';
import { createQjsPlatform } from '../platform';
import { PlatformError, type Platform, type ByteStream } from '../../../src/platform';
import { utf8Encode, utf8Decode } from '../../../src/util/utf8';

const storageDir = scriptArgs[1]!;
const caFile = scriptArgs[2]!;
const tlsPort = Number(scriptArgs[3]);
const silentName = scriptArgs[4]!;
const hostsName = scriptArgs[5]!;

/** Timer ticks: period and the largest interval accepted (the host's loop, not the resolver, sets it). */
const TICK_MS = 100;
const TICK_MAX_MS = 350;

function platform(extra: Partial<Parameters<typeof createQjsPlatform>[0]> = {}): Platform {
  return createQjsPlatform({ storageDir, caFile, logLevel: 'error', connectTimeoutMs: 60_000, ...extra });
}

/** `n` chained ticks of TICK_MS; resolves to the measured intervals (ms). */
function ticks(p: Platform, n: number): Promise<number[]> {
  return new Promise((resolve) => {
    const got: number[] = [];
    let last = p.clock.now();
    const tick = (): void => {
      const now = p.clock.now();
      got.push(Math.round(now - last));
      last = now;
      if (got.length === n) resolve(got);
      else p.setTimer(TICK_MS, tick);
    };
    p.setTimer(TICK_MS, tick);
  });
}

interface Watch {
  stream: ByteStream;
  /** ms spent inside network.connect() */
  connectMs: number;
  closes: number;
  opened: boolean;
  data: string;
  /** Resolves with (error, ms from connect to onClose) at the first onClose. */
  closed: Promise<{ err: PlatformError | null; ms: number }>;
}

/** Connects and records the events; `onOpen` may act on the stream. */
function watch(p: Platform, target: Parameters<Platform['network']['connect']>[0], onOpen?: (w: Watch) => void): Watch {
  let done: (v: { err: PlatformError | null; ms: number }) => void = () => {};
  const w = { closes: 0, opened: false, data: '', closed: new Promise((r) => { done = r; }) } as Watch;
  const t0 = p.clock.now();
  w.stream = p.network.connect(target, {
    onOpen: () => { w.opened = true; onOpen?.(w); },
    onData: (b) => { w.data += utf8Decode(b, 0, b.length); if (w.data.endsWith('\n')) w.stream.close(); },
    onClose: (err) => { w.closes++; if (w.closes === 1) done({ err, ms: Math.round(p.clock.now() - t0) }); },
  });
  w.connectMs = Math.round(p.clock.now() - t0);
  return w;
}

describe('QuickJS platform: name resolution off the event loop', () => {
  test('a lookup the DNS server never answers: timers stay on time, close() returns at once', async (t: TestContext) => {
    const p = platform();
    const ticking = ticks(p, 10);
    const w = watch(p, { host: silentName, port: tlsPort, tls: true, servername: 'localhost' });
    const iv = await ticking;
    t.diagnostic(`dns-stall connect() ${w.connectMs} ms; 10 ticks of ${TICK_MS} ms: ${iv.join(' ')} (max ${Math.max(...iv)})`);
    assert.ok(w.connectMs < TICK_MAX_MS, `connect() blocked ${w.connectMs} ms`);
    assert.ok(Math.max(...iv) <= TICK_MAX_MS, `ticks late while resolving: ${iv.join(' ')}`);
    assert.equal(w.closes, 0, 'the lookup is still pending (resolver timeout not reached)');
    const c0 = p.clock.now();
    w.stream.close();
    const closeMs = p.clock.now() - c0;
    t.diagnostic(`dns-stall close() ${closeMs.toFixed(2)} ms`);
    assert.ok(closeMs < 20, `close() took ${closeMs} ms`);
    const r = await w.closed;
    assert.equal(r.err, null);
    assert.equal(w.opened, false);
  });

  test('the JS connect timeout fires and closes the stream while the lookup hangs', async (t: TestContext) => {
    const p = platform({ connectTimeoutMs: 400 });
    const w = watch(p, { host: silentName, port: tlsPort, tls: true, servername: 'localhost' });
    const r = await w.closed;
    t.diagnostic(`dns-timeout ETIMEDOUT after ${r.ms} ms (connect() ${w.connectMs} ms)`);
    assert.equal(r.err?.code, 'ETIMEDOUT');
    assert.ok(r.ms >= 390 && r.ms < 1000, `timeout after ${r.ms} ms`);
    assert.equal(w.closes, 1);
  });

  test('the stalled lookup ends in EDNS; the loop runs meanwhile', async (t: TestContext) => {
    const p = platform();
    let n = 0;
    let worst = 0;
    let last = p.clock.now();
    let stop = false;
    const tick = (): void => {
      const now = p.clock.now();
      worst = Math.max(worst, now - last);
      last = now;
      n++;
      if (!stop) p.setTimer(TICK_MS, tick);
    };
    p.setTimer(TICK_MS, tick);
    const w = watch(p, { host: silentName, port: tlsPort, tls: true, servername: 'localhost' });
    const r = await w.closed;
    stop = true;
    t.diagnostic(`dns-fail ${r.err?.code} after ${r.ms} ms; ${n} ticks meanwhile, worst interval ${Math.round(worst)} ms`);
    assert.equal(r.err?.code, 'EDNS');
    assert.ok(r.ms > 1000, `the silent server should have held the lookup (${r.ms} ms)`);
    assert.ok(worst <= TICK_MAX_MS, `worst tick interval ${worst} ms`);
    assert.ok(n >= Math.floor(r.ms / TICK_MS) * 0.8, `${n} ticks in ${r.ms} ms`);
  });

  for (const host of [hostsName, '127.0.0.1']) {
    test(`${host === hostsName ? 'an /etc/hosts name' : 'a numeric host'} connects to the loopback TLS server and echoes`, async (t: TestContext) => {
      const p = platform({ connectTimeoutMs: 10_000 });
      const w = watch(p, { host, port: tlsPort, tls: true, servername: 'localhost' }, (s) => s.stream.write(utf8Encode('ping\n')));
      const r = await w.closed;
      t.diagnostic(`${host}: ${r.err ? r.err.code : 'echo'} after ${r.ms} ms (connect() ${w.connectMs} ms)`);
      assert.equal(r.err, null);
      assert.equal(w.opened, true);
      assert.equal(w.data, 'ping\n');
    });
  }
});
