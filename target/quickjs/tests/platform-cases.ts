/**
 * Cases for the QuickJS Platform (target/quickjs/platform.ts), run inside the omadm host by
 * test/quickjs/platform.test.ts: `omadm --run <bundle> SILENT_PORT STORAGE_DIR CA_FILE`, where
 * SILENT_PORT accepts TCP connections and never answers (a TLS handshake there can only time out).
 * QuickJS only (type-checked by target/quickjs/tsconfig.json with the QuickJS globals), so it imports
 * the runner and assert shims of test/quickjs directly instead of node:test / node:assert.
 */
import { test, describe } from '../../../test/quickjs/node-test';
import assert from '../../../test/quickjs/node-assert';
import { createQjsPlatform, errName, policyUi, DEFAULT_READ_CHUNK } from '../platform';
import { PlatformError, type Platform, type UiAnswer } from '../../../src/platform';
import { utf8Encode, utf8Decode } from '../../../src/util/utf8';

const silentPort = Number(scriptArgs[1]);
const storageDir = scriptArgs[2]!;
const caFile = scriptArgs[3]!;

function platform(extra: Partial<Parameters<typeof createQjsPlatform>[0]> = {}): Platform {
  return createQjsPlatform({ storageDir, caFile: '/nonexistent/ca.pem', logLevel: 'error', ...extra });
}

const sleep = (p: Platform, ms: number): Promise<void> => new Promise((r) => p.setTimer(ms, r));

/** Connects and collects the single onClose outcome, checking the events' contract on the way. */
function outcome(p: Platform, target: Parameters<Platform['network']['connect']>[0], act?: (s: ReturnType<Platform['network']['connect']>) => void):
  Promise<{ err: PlatformError | null; opened: boolean; sync: boolean; closes: number }> {
  return new Promise((resolve) => {
    let inConnect = true;
    let opened = false;
    let closes = 0;
    let sync = false;
    const s = p.network.connect(target, {
      onOpen: () => { opened = true; if (inConnect) sync = true; s.close(); },
      onData: () => {},
      onClose: (err) => {
        closes++;
        if (inConnect) sync = true;
        // report after a while so a second onClose would be counted
        p.setTimer(30, () => resolve({ err, opened, sync, closes }));
      },
    });
    inConnect = false;
    act?.(s);
  });
}

describe('QuickJS platform: network', () => {
  test('refused connection: ECONNREFUSED once, never from inside connect()', async () => {
    const r = await outcome(platform(), { host: '127.0.0.1', port: 1, tls: false });
    assert.equal(r.err?.code, 'ECONNREFUSED');
    assert.equal(r.sync, false);
    assert.equal(r.closes, 1);
    assert.equal(r.opened, false);
  });

  test('TLS without a usable CA file fails with ECAFILE', async () => {
    const r = await outcome(platform(), { host: '127.0.0.1', port: silentPort, tls: true, servername: 'localhost' });
    assert.equal(r.err?.code, 'ECAFILE');
  });

  test('a TLS handshake the peer never answers times out with ETIMEDOUT', async () => {
    const p = platform({ caFile, connectTimeoutMs: 300 });
    const r = await outcome(p, { host: '127.0.0.1', port: silentPort, tls: true, servername: 'localhost' });
    assert.equal(r.err?.code, 'ETIMEDOUT');
    assert.equal(r.opened, false);
    assert.equal(r.closes, 1);
  });

  test('plain TCP to a listening peer opens; close() then reports onClose(null)', async () => {
    const r = await outcome(platform(), { host: '127.0.0.1', port: silentPort, tls: false }, (s) => s.write(utf8Encode('hello')));
    // the peer stays silent and open: close from our side once opened
    assert.equal(r.err, null);
    assert.equal(r.opened, true);
    assert.equal(r.sync, false);
  });

  test('write queue bound: more than maxWriteQueue bytes before open → ENOBUFS', async () => {
    const p = platform({ maxWriteQueue: 16 });
    const r = await outcome(p, { host: '127.0.0.1', port: silentPort, tls: false }, (s) => s.write(new Uint8Array(32)));
    assert.equal(r.err?.code, 'ENOBUFS');
    assert.equal(r.closes, 1);
  });

  test('close() before open: onClose(null) exactly once, later', async () => {
    const r = await outcome(platform(), { host: '127.0.0.1', port: silentPort, tls: false }, (s) => { s.close(); s.close(); s.write(new Uint8Array(4)); });
    assert.equal(r.err, null);
    assert.equal(r.closes, 1);
    assert.equal(r.sync, false);
  });

  test('misuse throws at the boundary', () => {
    const p = platform();
    const ev = { onOpen() {}, onData() {}, onClose() {} };
    assert.throws(() => p.network.connect({ host: '', port: 80, tls: false }, ev), TypeError);
    assert.throws(() => p.network.connect({ host: 'x', port: 0, tls: false }, ev), RangeError);
    assert.throws(() => p.network.connect({ host: 'x', port: 70000, tls: false }, ev), RangeError);
    assert.throws(() => platform({ readChunk: 0 }), RangeError);
    assert.ok(DEFAULT_READ_CHUNK > 0);
  });

  test('errno names come from the native table', () => {
    assert.equal(errName(-111), 'ECONNREFUSED');
    assert.equal(errName(-4002), 'ECERTEXPIRED');
    assert.equal(errName(-99999), 'E99999');
  });
});

describe('QuickJS platform: storage, timers, random, UI', () => {
  test('blobs: write, read back, truncate, size, sync; closed blob throws', () => {
    const st = platform().storage;
    const b = st.open('cases.bin', true);
    b.truncate(0);
    b.write(0, utf8Encode('abcdef'));
    b.write(10, utf8Encode('Z'));
    assert.equal(b.size(), 11);
    const back = new Uint8Array(16);
    assert.equal(b.read(0, back), 11);
    assert.deepEqual([...back.subarray(6, 10)], [0, 0, 0, 0], 'the gap reads as zeros');
    assert.equal(b.read(11, back), 0, 'at EOF');
    b.truncate(3);
    b.sync();
    assert.equal(utf8Decode(back, 0, b.read(0, back)), 'abc');
    b.close();
    b.close();
    assert.throws(() => b.size(), TypeError);
  });

  test('names, missing blobs, rename and remove', () => {
    const st = platform().storage;
    assert.throws(() => st.open('../escape', true), TypeError);
    assert.throws(() => st.open('a/b', true), TypeError);
    assert.throws(() => st.open('..', true), TypeError);
    assert.throws(() => st.open('missing.bin', false), (e: unknown) => e instanceof PlatformError && e.code === 'ENOENT');
    st.open('r1', true).close();
    st.rename('r1', 'r2');
    assert.equal(st.exists('r1'), false);
    assert.equal(st.exists('r2'), true);
    st.remove('r2');
    st.remove('r2');
    assert.equal(st.exists('r2'), false);
    assert.throws(() => st.rename('r2', 'r3'), (e: unknown) => e instanceof PlatformError && e.code === 'ENOENT');
  });

  test('timers: order by due time, clear works, unknown handles are ignored', async () => {
    const p = platform();
    const seen: number[] = [];
    p.setTimer(20, () => seen.push(2));
    const h = p.setTimer(10, () => seen.push(99));
    p.setTimer(-5, () => seen.push(1));
    p.clearTimer(h);
    p.clearTimer(undefined);
    p.clearTimer(12345);
    await sleep(p, 50);
    assert.deepEqual(seen, [1, 2]);
  });

  test('timers fire by due time even when the loop is late (quickjs-libc alone uses creation order)', async () => {
    const p = platform();
    const seen: string[] = [];
    p.setTimer(30, () => seen.push('b30'));
    p.setTimer(10, () => seen.push('a10'));
    p.setTimer(30, () => seen.push('c30'));
    const t0 = p.clock.now();
    while (p.clock.now() - t0 < 60) { /* keep the loop busy: all three are overdue when it runs */ }
    await sleep(p, 10);
    assert.deepEqual(seen, ['a10', 'b30', 'c30']);
  });

  test('a callback may set and clear timers', async () => {
    const p = platform();
    const seen: string[] = [];
    let later: unknown = null;
    p.setTimer(5, () => {
      seen.push('first');
      p.clearTimer(later);
      p.setTimer(0, () => seen.push('set-inside'));
    });
    later = p.setTimer(20, () => seen.push('cancelled'));
    await sleep(p, 40);
    assert.deepEqual(seen, ['first', 'set-inside']);
  });

  test('clock and random', async () => {
    const p = platform();
    const a = p.clock.now();
    await sleep(p, 20);
    assert.ok(p.clock.now() - a >= 19);
    const r = new Uint8Array(64);
    p.randomFill(new Uint8Array(0));
    p.randomFill(r);
    assert.ok(new Set(r).size > 16, 'random bytes vary');
  });

  test('policy UI answers later, never synchronously', async () => {
    const ui = policyUi('accept');
    let sync = true;
    const a = await new Promise<UiAnswer>((resolve) => { ui.ask({ kind: 'input', text: 'name?', defaultResponse: 'dflt' }, resolve); sync = false; });
    assert.equal(sync, false);
    assert.deepEqual(a, { outcome: 'ok', text: 'dflt' });
    const no = await new Promise<UiAnswer>((resolve) => policyUi('reject').ask({ kind: 'confirm', text: 'ok?' }, resolve));
    assert.equal(no.outcome, 'no');
  });
});
