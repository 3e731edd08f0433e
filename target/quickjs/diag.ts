/**
 * The diagnostic commands of the QuickJS host, `tls-get` and `selftest` (target/quickjs/main.ts):
 * a module of their own that main.ts imports with a dynamic `import()`, so their code is not in the
 * heap of the device's DM commands (`run`, `listen`).
 */
import * as std from 'std';
import * as native from 'dm_native';
import { errName } from './platform';
import { PlatformError, type Platform } from '../../src/platform';
import { Sha256 } from '../../src/crypto/sha256';
import { toHex } from '../../src/util/bytes';
import { utf8Decode, utf8Encode } from '../../src/util/utf8';

/** tls-get: largest response header accepted, bytes. */
export const DEFAULT_MAX_HEADER = 8192;

/** One line on stdout, flushed (as main.ts's). */
function out(s: string): void {
  std.out.puts(s + '\n');
  std.out.flush();
}

// ------------------------------------------------------------------------------------------ tls-get

interface Url { tls: boolean; host: string; port: number; path: string }

export function parseUrl(s: string): Url {
  const m = /^(https?):\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?(\/[^\s]*)?$/.exec(s);
  if (!m) throw new TypeError(`not an http(s) URL: ${s}`);
  const tls = m[1] === 'https';
  const host = m[2]!.replace(/^\[|\]$/g, '');
  return { tls, host, port: m[3] ? Number(m[3]) : tls ? 443 : 80, path: m[4] ?? '/' };
}

/**
 * Minimal HTTP/1.1 client for `tls-get` (Connection: close; Content-Length or read-to-EOF body;
 * chunked is refused). The DM session uses src/session's framing instead.
 */
export function tlsGet(p: Platform, url: Url, servername: string | undefined, outBlob: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const head = new Uint8Array(DEFAULT_MAX_HEADER);
    let headLen = 0;
    let inBody = false;
    let status = 0;
    let expect = -1;
    let got = 0;
    const sha = new Sha256();
    const blob = outBlob === undefined ? null : p.storage.open(outBlob, true);
    if (blob) blob.truncate(0);
    const body = (chunk: Uint8Array): void => {
      sha.update(chunk);
      if (blob) blob.write(got, chunk);
      got += chunk.length;
      if (expect >= 0 && got >= expect) stream.close();
    };
    const target = { host: url.host, port: url.port, tls: url.tls, ...(servername === undefined ? {} : { servername }) };
    const stream = p.network.connect(target, {
      onOpen(): void {
        p.log('debug', 'connected', { host: url.host, port: url.port, tls: url.tls });
        stream.write(utf8Encode(`GET ${url.path} HTTP/1.1\r\nHost: ${servername ?? url.host}\r\nConnection: close\r\n` +
          'User-Agent: omadm-qjs\r\n\r\n'));
      },
      onData(chunk: Uint8Array): void {
        if (inBody) { body(chunk); return; }
        if (headLen + chunk.length > head.length) {
          // the header must end inside the bounded buffer
          const room = head.length - headLen;
          head.set(chunk.subarray(0, room), headLen);
          headLen += room;
        } else {
          head.set(chunk, headLen);
          headLen += chunk.length;
        }
        let end = -1;
        for (let i = 3; i < headLen; i++) {
          if (head[i] === 10 && head[i - 1] === 13 && head[i - 2] === 10 && head[i - 3] === 13) { end = i + 1; break; }
        }
        if (end < 0) {
          if (headLen === head.length) { stream.close(); reject(new RangeError(`response header longer than ${head.length} bytes`)); }
          return;
        }
        const text = utf8Decode(head, 0, end);
        const sm = /^HTTP\/1\.[01] (\d{3})/.exec(text);
        if (!sm) { stream.close(); reject(new TypeError('malformed HTTP status line')); return; }
        status = Number(sm[1]);
        if (/\r\ntransfer-encoding:\s*chunked/i.test(text)) { stream.close(); reject(new TypeError('chunked responses are not supported by tls-get')); return; }
        const cl = /\r\ncontent-length:\s*(\d+)/i.exec(text);
        if (cl) expect = Number(cl[1]);
        inBody = true;
        // body bytes that came with the header: those of this chunk after the header end
        const fromChunk = end - (headLen - chunk.length);
        if (fromChunk < chunk.length) body(chunk.subarray(Math.max(0, fromChunk)));
        else if (expect === 0) stream.close();
      },
      onClose(err: PlatformError | null): void {
        if (blob) { blob.sync(); blob.close(); }
        if (err) { reject(err); return; }
        if (!inBody) { reject(new PlatformError('ECONNRESET', 'connection closed before the response header')); return; }
        if (expect >= 0 && got !== expect) { reject(new PlatformError('ECONNRESET', `body truncated: ${got} of ${expect} bytes`)); return; }
        const mem = dmHost.memoryUsage();
        out(`status ${status}`);
        out(`bytes ${got}`);
        out(`sha256 ${toHex(sha.digest())}`);
        out(`heap-peak ${mem.peak}`);
        resolve(status);
      },
    });
  });
}

// ------------------------------------------------------------------------------------------ selftest

export async function selftest(p: Platform): Promise<number> {
  let failed = 0;
  let passed = 0;
  const check = (name: string, ok: boolean, detail = ''): void => {
    if (ok) { passed++; out(`ok ${name}`); } else { failed++; out(`FAIL ${name} ${detail}`); }
  };
  const sleep = (ms: number): Promise<void> => new Promise((r) => p.setTimer(ms, r));

  check('bigint', typeof BigInt === 'function' && (2n ** 64n).toString() === '18446744073709551616');
  const s = 'DevId=IMEI:ß€𝄞';
  check('utf8-roundtrip', utf8Decode(utf8Encode(s)) === s && utf8Encode(s).length === 20);
  check('sha256-fips180', toHex(new Sha256().update(utf8Encode('abc')).digest()) ===
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  check('native-errno', native.errno.ECONNREFUSED !== undefined && native.errno.ECERTEXPIRED === 4002 &&
    errName(-(native.errno.EIO ?? 5)) === 'EIO');
  const t0 = p.clock.now();
  await sleep(15);
  const t1 = p.clock.now();
  check('clock-monotonic', Number.isFinite(t0) && t1 - t0 >= 14, `t0=${t0} t1=${t1}`);
  check('wall-clock', p.clock.wallMs() > Date.UTC(2020, 0, 1));
  const r1 = new Uint8Array(32);
  const r2 = new Uint8Array(32);
  p.randomFill(r1);
  p.randomFill(r2);
  check('random', r1.some((b) => b !== 0) && toHex(r1) !== toHex(r2));
  // timers fire by due time, a cleared one never
  const order: string[] = [];
  const cancelled = p.setTimer(5, () => order.push('cancelled'));
  p.setTimer(30, () => order.push('b'));
  p.setTimer(10, () => order.push('a'));
  p.clearTimer(cancelled);
  await sleep(60);
  check('timers', order.join(',') === 'a,b', order.join(','));
  // storage round trip
  try {
    const st = p.storage;
    const name = `selftest-${toHex(r1.subarray(0, 4))}`;
    const b = st.open(name, true);
    b.write(0, utf8Encode('hello world'));
    b.write(6, utf8Encode('WORLD!'));
    b.sync();
    const back = new Uint8Array(32);
    const n = b.read(0, back);
    b.truncate(5);
    const size5 = b.size();
    b.close();
    st.rename(name, `${name}.renamed`);
    const moved = st.exists(`${name}.renamed`) && !st.exists(name);
    st.remove(`${name}.renamed`);
    check('storage', utf8Decode(back, 0, n) === 'hello WORLD!' && size5 === 5 && moved && !st.exists(`${name}.renamed`),
      `read=${utf8Decode(back, 0, n)} size=${size5} moved=${moved}`);
    let threw = false;
    try { b.size(); } catch (e) { threw = e instanceof TypeError; }
    check('storage-closed-blob', threw);
  } catch (e) {
    check('storage', false, String(e));
  }
  // network: nothing listens on port 1 of loopback
  const err = await new Promise<PlatformError | null>((resolve) => {
    let opened = false;
    const st = p.network.connect({ host: '127.0.0.1', port: 1, tls: false }, {
      onOpen: () => { opened = true; st.close(); },
      onData: () => {},
      onClose: (e) => resolve(opened ? null : e),
    });
  });
  check('net-refused', err !== null && err.code === 'ECONNREFUSED', String(err));
  const mem = dmHost.memoryUsage();
  check('memory-usage', mem.peak >= mem.used && mem.used > 0, JSON.stringify(mem));
  out(`selftest: ${passed} passed, ${failed} failed (heap peak ${mem.peak} B, quickjs ${dmHost.quickjs})`);
  return failed === 0 ? 0 : 1;
}
