// Layer: unit (portable). The alternate-download client against an in-memory HTTP server on the fake
// network: Range resume after drops, 200-instead-of-206 restart, bad Content-Range, 416 at the end,
// redirects, timeouts, status → FUMO result mapping, descriptors, size checks.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Downloader } from '../../../src/fumo/Downloader';
import type { DownloadOutcome, DownloaderLimits } from '../../../src/fumo/Downloader';
import { toHex, concatBytes } from '../../../src/util/bytes';
import { utf8Decode, utf8Encode } from '../../../src/util/utf8';
import { FakePlatform } from '../../helpers/fake-platform';
import { FakeHttp, payload } from './helpers';
import type { HttpBehaviour } from './helpers';

const FILE = payload(20000, 11);
const URL = 'http://dl.test/fw.bin';

interface Run {
  out: DownloadOutcome;
  starts: [number, number | null][];
  got: Uint8Array;
  http: FakeHttp;
  dl: Downloader;
}

function run(faults: (n: number) => HttpBehaviour, opts: { from?: number; expected?: number | null; allowDd?: boolean; url?: string; limits?: Partial<DownloaderLimits>; chunk?: number; prefix?: Uint8Array } = {}): Run {
  const p = new FakePlatform(1);
  const http = new FakeHttp();
  http.files.set('/fw.bin', { body: FILE });
  http.files.set('/fw.dd', { body: utf8Encode('<media><objectURI>fw.bin</objectURI></media>'), type: 'application/vnd.oma.dd+xml' });
  http.faults = (n) => faults(n);
  if (opts.chunk) http.chunk = opts.chunk;
  http.install(p);
  const dl = new Downloader(p, { limits: { retryDelayMs: 10, maxRetryDelayMs: 50, idleTimeoutMs: 500, connectTimeoutMs: 500, ...(opts.limits ?? {}) } });
  const starts: [number, number | null][] = [];
  let parts: Uint8Array[] = opts.prefix ? [opts.prefix] : [];
  let out: DownloadOutcome | null = null;
  dl.get(opts.url ?? URL, { from: opts.from ?? 0, expectedSize: opts.expected ?? null, allowDescriptor: opts.allowDd ?? false }, {
    start: (from, total) => {
      starts.push([from, total]);
      if (from === 0) parts = [];
      return 0;
    },
    data: (c) => { parts.push(c.slice()); return 0; },
  }, (o) => { assert.equal(out, null, 'done called once'); out = o; });
  p.runAll();
  assert.ok(out, 'download finished');
  return { out: out!, starts, got: concatBytes(parts), http, dl };
}

describe('downloader', () => {
  test('plain 200: the body streams through in chunks; one request, no Range', () => {
    const r = run(() => ({}), { chunk: 333 });
    assert.equal(r.out.result, 200);
    assert.equal(r.out.total, FILE.length);
    assert.equal(toHex(r.got), toHex(FILE));
    assert.deepEqual(r.starts, [[0, FILE.length]]);
    assert.deepEqual(r.http.requests.map((q) => q.range), [null]);
  });

  test('drop mid-body → Range from the bytes held → 206 continues', () => {
    const r = run((n) => (n === 0 ? { dropAfter: 7000 } : n === 1 ? { dropAfter: 5000 } : {}));
    assert.equal(r.out.result, 200);
    assert.equal(toHex(r.got), toHex(FILE));
    assert.deepEqual(r.http.requests.map((q) => q.range), [null, 'bytes=7000-', 'bytes=12000-']);
    assert.deepEqual(r.starts, [[0, 20000], [7000, 20000], [12000, 20000]]);
  });

  test('resume from a checkpoint: first request already carries Range', () => {
    const r = run(() => ({}), { from: 8192, prefix: FILE.subarray(0, 8192) });
    assert.equal(r.out.result, 200);
    assert.deepEqual(r.http.requests.map((q) => q.range), ['bytes=8192-']);
    assert.equal(toHex(r.got), toHex(FILE));
  });

  test('200 to a Range request: the target is told to restart from 0', () => {
    const r = run((n) => (n === 0 ? { dropAfter: 9000 } : { ignoreRange: true }));
    assert.equal(r.out.result, 200);
    assert.deepEqual(r.starts, [[0, 20000], [0, 20000]]);
    assert.equal(toHex(r.got), toHex(FILE));
    assert.equal(r.http.requests[1]!.range, 'bytes=9000-');
  });

  test('206 with a Content-Range we did not ask for → fresh request without Range', () => {
    const r = run((n) => (n === 0 ? { dropAfter: 4000 } : n === 1 ? { wrongRange: true } : {}));
    assert.equal(r.out.result, 200);
    assert.deepEqual(r.http.requests.map((q) => q.range), [null, 'bytes=4000-', null]);
    assert.equal(toHex(r.got), toHex(FILE));
  });

  test('416 exactly at the end means complete', () => {
    const r = run(() => ({}), { from: FILE.length, prefix: FILE });
    assert.equal(r.out.result, 200);
    assert.equal(r.out.total, FILE.length);
    assert.deepEqual(r.starts, []);
  });

  test('chunked and close-delimited bodies', () => {
    for (const b of [{ chunked: true }, { noLength: true }] as HttpBehaviour[]) {
      const r = run(() => b, { chunk: 4096 });
      assert.equal(r.out.result, 200, JSON.stringify(b));
      assert.equal(toHex(r.got), toHex(FILE));
    }
  });

  test('redirects are followed up to the limit', () => {
    const ok = run((n) => (n < 2 ? { status: 302, location: n === 0 ? '/a' : 'http://dl.test/fw.bin' } : {}));
    assert.equal(ok.out.result, 200);
    assert.deepEqual(ok.http.requests.map((q) => q.path), ['/fw.bin', '/a', '/fw.bin']);
    const loop = run(() => ({ status: 301, location: '/again' }), { limits: { maxRedirects: 3 } });
    assert.equal(loop.out.result, 500);
    assert.equal(loop.http.requests.length, 4);
  });

  test('HTTP statuses map to FUMO results (facts §8.4)', () => {
    const cases: [number, number, number][] = [
      // status, result, requests (retries for transient ones: 1 + maxRetries)
      [404, 411, 1], [410, 411, 1], [401, 406, 1], [403, 406, 1], [407, 406, 1], [503, 412, 3], [429, 412, 3], [500, 500, 3], [502, 500, 3], [408, 407, 3], [418, 409, 1],
    ];
    for (const [status, result, reqs] of cases) {
      const r = run(() => ({ status }), { limits: { maxRetries: 2 } });
      assert.equal(r.out.result, result, `HTTP ${status}`);
      assert.equal(r.http.requests.length, reqs, `HTTP ${status} attempts`);
    }
  });

  test('transient failures then success; progress resets the retry budget', () => {
    const r = run((n) => (n < 2 ? { status: 503 } : {}), { limits: { maxRetries: 2 } });
    assert.equal(r.out.result, 200);
    // a server that drops every 3000 bytes still completes (each attempt makes progress)
    const d = run(() => ({ dropAfter: 3000 }), { limits: { maxRetries: 1 } });
    assert.equal(d.out.result, 200);
    assert.equal(toHex(d.got), toHex(FILE));
    assert.equal(d.http.requests.length, 7);
    // …but one that never sends a byte gives up: drops past the budget → 503
    const z = run(() => ({ dropAfter: 0 }), { limits: { maxRetries: 2 } });
    assert.equal(z.out.result, 503);
    assert.equal(z.http.requests.length, 3);
  });

  test('connection-level failures: refused → 412 (retried), TLS certificate → 406 (not retried), stall → 407', () => {
    const refused = run(() => ({ refuse: 'ECONNREFUSED' }), { limits: { maxRetries: 1 } });
    assert.equal(refused.out.result, 412);
    const cert = run(() => ({ refuse: 'ECERT' }), { limits: { maxRetries: 3 } });
    assert.equal(cert.out.result, 406);
    const stall = run(() => ({ stall: true }), { limits: { maxRetries: 1 } });
    assert.equal(stall.out.result, 407);
    assert.equal(stall.http.requests.length, 2);
  });

  test('sizes: announced size ≠ expected → 402; more bytes than announced → 402; a changed total between attempts → 402', () => {
    assert.equal(run(() => ({}), { expected: 19999 }).out.result, 402);
    const liar = run((n) => (n === 0 ? { extraLength: 100 } : {}));
    assert.equal(liar.out.result, 402, 'first response announced 20100, the resume says 20000');
    assert.equal(run(() => ({}), { expected: 20000 }).out.result, 200);
  });

  test('bad URLs fail without a request', () => {
    for (const u of ['', 'ftp://x/y', 'http//x', 'http://[::1']) {
      const r = run(() => ({}), { url: u });
      assert.equal(r.out.result, 411, u);
      assert.equal(r.http.requests.length, 0);
    }
  });

  test('a download descriptor is collected when allowed, streamed otherwise', () => {
    const r = run(() => ({}), { url: 'http://dl.test/fw.dd', allowDd: true });
    assert.equal(r.out.result, 200);
    assert.equal(r.out.descriptor?.url, 'http://dl.test/fw.dd');
    assert.match(utf8Decode(r.out.descriptor!.body), /objectURI/);
    assert.deepEqual(r.starts, [], 'nothing reached the package target');
    const s = run(() => ({}), { url: 'http://dl.test/fw.dd', allowDd: false });
    assert.equal(s.out.descriptor, undefined);
    assert.equal(s.starts.length, 1);
    const big = run(() => ({}), { url: 'http://dl.test/fw.dd', allowDd: true, limits: { maxDocumentBytes: 10 } });
    assert.equal(big.out.result, 405);
  });

  test('cancel: no callback, connection closed; target refusal stops with its result', () => {
    const p = new FakePlatform(1);
    const http = new FakeHttp();
    http.files.set('/fw.bin', { body: FILE });
    http.install(p);
    const dl = new Downloader(p);
    let called = 0;
    dl.get(URL, { from: 0, expectedSize: null, allowDescriptor: false }, { start: () => 0, data: () => 0 }, () => called++);
    p.advance(2);
    dl.cancel();
    p.runAll();
    assert.equal(called, 0);
    assert.equal(dl.busy, false);
    let res = 0;
    dl.get(URL, { from: 0, expectedSize: null, allowDescriptor: false }, { start: (_f, t) => (t! > 100 ? 501 : 0), data: () => 0 }, (o) => { res = o.result; });
    p.runAll();
    assert.equal(res, 501);
  });

  test('fetchSmall: body in memory, 404 → 411', () => {
    const p = new FakePlatform(1);
    const http = new FakeHttp();
    http.files.set('/fw.bin.sha256', { body: utf8Encode('ab'.repeat(32) + '  fw.bin\n') });
    http.install(p);
    const dl = new Downloader(p);
    const got: [number, string][] = [];
    dl.fetchSmall('http://dl.test/fw.bin.sha256', (r) => got.push([r.result, utf8Decode(r.body)]));
    p.runAll();
    dl.fetchSmall('http://dl.test/none', (r) => got.push([r.result, '']));
    p.runAll();
    assert.deepEqual(got, [[200, 'ab'.repeat(32) + '  fw.bin\n'], [411, '']]);
  });
});
