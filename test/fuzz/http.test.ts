// Fuzz (node-only, fast-check): the client's HTTP/1.1 response framing (src/session/http.ts
// HttpResponseParser) on generated responses: Content-Length, chunked (random chunk sizes, chunk
// extensions, trailers), until-close bodies, 1xx interim responses, repeated headers, and a second
// response pipelined behind the first. Properties: the parse is independent of how the bytes are
// split; status, headers and body are what was generated; `push()` consumes exactly the first
// response; malformed responses raise only DecodeError; bounds (header bytes, header count, body)
// are enforced; a parser instance is reusable after reset().
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HttpResponseParser, parseUrl, resolveUrl, buildRequest } from '../../src/session/http';
import { params } from './lib/params';
import { hexOf, underContract } from './lib/contract';
import { applyEdits, byteEdit, chunksOf, splits } from './lib/syncml';

interface Resp {
  status: number;
  reason: string;
  headers: [string, string][];
  framing: 'length' | 'chunked' | 'close';
  body: Uint8Array;
  chunkSizes: number[];
  ext: boolean;
  trailers: [string, string][];
  interim: boolean;
}

const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/).filter((t) => !/^(content-length|transfer-encoding|connection)$/i.test(t));
const value = fc.stringMatching(/^[ -~]{0,30}$/).map((v) => v.trim());
const respArb: fc.Arbitrary<Resp> = fc.record({
  status: fc.oneof(fc.constant(200), fc.integer({ min: 200, max: 599 })).filter((s) => s !== 204 && s !== 304),
  reason: fc.constantFrom('OK', 'Not Found', '', 'Service Unavailable'),
  headers: fc.array(fc.tuple(token, value), { maxLength: 8 }),
  framing: fc.constantFrom<'length' | 'chunked' | 'close'>('length', 'chunked', 'close'),
  body: fc.uint8Array({ maxLength: 3000 }),
  chunkSizes: fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 8 }),
  ext: fc.boolean(),
  trailers: fc.array(fc.tuple(token, value), { maxLength: 2 }),
  interim: fc.boolean(),
});

function encode(r: Resp): Uint8Array {
  const parts: Buffer[] = [];
  if (r.interim) parts.push(Buffer.from('HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\n'));
  let head = `HTTP/1.1 ${r.status}${r.reason ? ' ' + r.reason : ''}\r\n`;
  for (const [k, v] of r.headers) head += `${k}: ${v}\r\n`;
  if (r.framing === 'length') head += `Content-Length: ${r.body.length}\r\n`;
  if (r.framing === 'chunked') head += 'Transfer-Encoding: chunked\r\n';
  parts.push(Buffer.from(head + '\r\n'));
  if (r.framing === 'chunked') {
    let p = 0;
    let i = 0;
    while (p < r.body.length) {
      const n = Math.min(r.chunkSizes[i++ % r.chunkSizes.length]!, r.body.length - p);
      parts.push(Buffer.from(`${n.toString(16)}${r.ext ? ';ext=1' : ''}\r\n`), Buffer.from(r.body.subarray(p, p + n)), Buffer.from('\r\n'));
      p += n;
    }
    parts.push(Buffer.from(`0\r\n${r.trailers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`));
  } else parts.push(Buffer.from(r.body));
  return new Uint8Array(Buffer.concat(parts));
}

/** Expected header map: lower-cased names, repeated ones joined with ", ". */
function headerMap(r: Resp): Map<string, string> {
  const m = new Map<string, string>();
  const all: [string, string][] = [...r.headers];
  if (r.framing === 'length') all.push(['Content-Length', String(r.body.length)]);
  if (r.framing === 'chunked') all.push(['Transfer-Encoding', 'chunked']);
  for (const [k, v] of all) {
    const key = k.toLowerCase();
    const prev = m.get(key);
    m.set(key, prev === undefined ? v : `${prev}, ${v}`);
  }
  return m;
}

/** Feeds chunks until done; returns bytes consumed by this response. */
function feed(p: HttpResponseParser, chunks: readonly Uint8Array[], closeAtEnd: boolean): number {
  let used = 0;
  for (const c of chunks) {
    if (p.done) break;
    used += p.push(c);
  }
  if (closeAtEnd && !p.done) p.end();
  return used;
}

const parser = new HttpResponseParser({ maxBody: 4096, maxHeaderBytes: 2048, maxHeaders: 16 });

describe('fuzz: HTTP response framing', () => {
  test('generated responses parse identically whatever the split points; push() stops at the end of the response', () => {
    fc.assert(fc.property(respArb, fc.integer(), fc.boolean(), (r, seed, pipelined) => {
      const first = encode(r);
      const next = pipelined && r.framing !== 'close' ? encode({ ...r, status: 299, interim: false, framing: 'length' }) : new Uint8Array(0);
      const all = new Uint8Array([...first, ...next]);
      const at = fc.sample(splits(all.length), { seed, numRuns: 1 })[0]!;
      parser.reset();
      const got = underContract('http', () => feed(parser, chunksOf(all, at), r.framing === 'close'), all.length);
      assert.ok(got.ok, `valid response refused: ${got.ok ? '' : got.error.message}\n${Buffer.from(first).toString('latin1').slice(0, 300)}`);
      assert.ok(parser.done);
      assert.equal(parser.status, r.status);
      assert.equal(parser.reason, r.reason);
      assert.deepEqual(new Map(parser.headers), headerMap(r));
      assert.ok(Buffer.from(parser.body).equals(Buffer.from(r.body)), 'body differs');
      if (r.framing !== 'close') assert.equal(got.value, first.length, 'push() must consume exactly the first response');
    }), params('http/valid', 500));
  });

  test('bodies streamed to a sink arrive whole, whatever their size (no collection limit)', () => {
    fc.assert(fc.property(respArb, fc.integer({ min: 5000, max: 20000 }), fc.integer(), (r0, size, seed) => {
      const r = { ...r0, body: new Uint8Array(size).map((_, i) => i * 7) };
      const b = encode(r);
      const got: Buffer[] = [];
      const p = new HttpResponseParser({ maxBody: 16 });
      p.reset({ sink: (c) => got.push(Buffer.from(c)) });
      feed(p, chunksOf(b, fc.sample(splits(b.length), { seed, numRuns: 1 })[0]!), r.framing === 'close');
      assert.ok(Buffer.concat(got).equals(Buffer.from(r.body)));
      assert.equal(p.bodyReceived, size);
    }), params('http/sink', 100));
  });

  test('mutated responses: only DecodeError, and the parser is reusable after reset()', () => {
    fc.assert(fc.property(respArb, fc.array(byteEdit, { minLength: 1, maxLength: 6 }), fc.integer(), (r, edits, seed) => {
      const bad = applyEdits(encode(r), edits);
      parser.reset();
      underContract('http (mutated)', () => feed(parser, chunksOf(bad, fc.sample(splits(bad.length), { seed, numRuns: 1 })[0]!), true), bad.length);
      parser.reset();
      const ok = encode({ ...r, framing: 'length', interim: false });
      feed(parser, [ok], false);
      assert.ok(parser.done && parser.status === r.status && Buffer.from(parser.body).equals(Buffer.from(r.body)), 'parser unusable after a malformed response');
    }), params('http/mutants', 600));
  });

  test('hostile sizes: header flood, huge Content-Length, huge chunk, endless 100-continue, long lines', () => {
    const cases: [string, string][] = [
      ['http-header-too-large', 'HTTP/1.1 200 OK\r\n' + 'X-A: b\r\n'.repeat(400) + '\r\n'],
      ['http-too-many-headers', 'HTTP/1.1 200 OK\r\n' + Array.from({ length: 20 }, (_, i) => `X-${i}: v\r\n`).join('') + '\r\n'],
      ['http-body-too-large', 'HTTP/1.1 200 OK\r\nContent-Length: 999999999999\r\n\r\n'],
      ['http-body-too-large', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\n' + 'a'.repeat(5000)],
      ['http-header-too-large', 'HTTP/1.1 100 Continue\r\n\r\n'.repeat(200)],
      ['http-line-too-long', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' + '1'.repeat(3000)],
      ['http-bad-length', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello'],
      ['http-bad-chunk', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n123456789\r\n'],
      ['http-bad-status', 'HTTP/2 200 OK\r\n\r\n'],
      ['http-truncated', 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'],
    ];
    for (const [code, text] of cases) {
      parser.reset();
      const b = new Uint8Array(Buffer.from(text, 'latin1'));
      const r = underContract(code, () => feed(parser, chunksOf(b, [1, 17, 100]), true), b.length);
      assert.ok(!r.ok, `${code}: accepted`);
      assert.equal(r.error.code, code, `${code}: got ${r.error.message}`);
    }
  });

  test('URLs: a redirect Location never yields a malformed request line (spaces, bare CR, controls; finding F8, fixed in 1f7dee6)', () => {
    const loc = fc.array(fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...'/abc?=&#.:'.split('')) }, { weight: 1, arbitrary: fc.constantFrom(' ', '\r', '\t', '\u0000', '%0d', 'HTTP/1.1') }), { maxLength: 12 }).map((a) => a.join(''));
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 60 }), fc.constant('https://127.0.0.1:8443/dm?x=1')), loc, (u, loc) => {
      const p = parseUrl(u);
      if (p === null) return;
      assert.ok(p.port >= 1 && p.port <= 65535 && p.path.startsWith('/'));
      const n = resolveUrl(p, loc);
      if (n === null) return;
      const r = underContract('buildRequest', () => {
        try {
          return buildRequest('POST', n, [], null);
        } catch (e) {
          if (e instanceof TypeError) return null; // CR/LF refused: fine
          throw e;
        }
      });
      if (r.ok && r.value) {
        const head = Buffer.from(r.value).toString('latin1');
        const lines = head.split('\r\n');
        assert.match(lines[0]!, /^POST [!-~]+ HTTP\/1\.1$/, `malformed request line from the Location ${JSON.stringify(loc)}: ${JSON.stringify(lines[0])} (${hexOf(Buffer.from(loc))})`);
        assert.ok(!/[\r\n]/.test(lines.join('')), 'bare CR/LF in the request head');
      }
    }), params('http/urls', 1000));
  });
});
