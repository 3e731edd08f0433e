// Fuzz (node-only): memory growth. Every decoder instance runs on tens of thousands of generated
// inputs (valid and malformed, whole and chunked); after a forced GC the heap and the ArrayBuffer
// total must be where they were after the warm-up: a decoder that kept references to inputs,
// grew a table or leaked per-message buffers fails. GC is exposed at run time
// (v8.setFlagsFromString + a fresh context), so no node flag is needed.
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { MessageDecoder } from '../../src/codec/decode';
import { WbxmlTokenizer } from '../../src/codec/wbxml/Tokenizer';
import { XmlTokenizer } from '../../src/codec/xml/Tokenizer';
import { NULL_HANDLER } from '../../src/codec/events';
import { PushRouter } from '../../src/push/PushRouter';
import { encodeGsmWapPush } from '../../src/push/gsm';
import { buildPkg0 } from '../../src/push/pkg0';
import { HttpResponseParser } from '../../src/session/http';
import { SCALE } from './lib/params';
import { applyEdits, byteEdit, message, toTree, toWbxml, toXml, wbxmlStyle, xmlStyle } from './lib/syncml';
import { DecodeError } from '../../src/errors';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap and ArrayBuffer bytes after a full collection. */
function settled(): { heap: number; buffers: number } {
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers };
}

/** A fixed corpus (valid and mutated) built once, so the measurement sees only the decoders. */
function corpus(n: number): Uint8Array[] {
  const gen = fc.tuple(message({ binary: true, maxCmds: 6 }), fc.boolean(), xmlStyle, wbxmlStyle, fc.array(byteEdit, { maxLength: 3 }));
  return fc.sample(gen, { seed: 42, numRuns: n }).map(([m, asXml, xs, ws, edits]) => {
    const bin = JSON.stringify(m.cmds).includes('"binary":true');
    const doc = asXml && !bin ? toXml(toTree(m), xs, m.version) : toWbxml(toTree(m), ws, m.version);
    return applyEdits(doc, edits);
  });
}

/** Runs `round` `rounds` times after a warm-up and checks the settled memory did not grow. */
function flat(t: TestContext, name: string, rounds: number, round: (i: number) => void, slackBytes = 1 << 20): void {
  for (let i = 0; i < Math.min(200, rounds); i++) round(i);
  const before = settled();
  for (let i = 0; i < rounds; i++) round(i);
  const after = settled();
  const dh = after.heap - before.heap;
  const db = after.buffers - before.buffers;
  t.diagnostic(`${name}: ${rounds} rounds, heap ${(before.heap / 1e6).toFixed(2)} → ${(after.heap / 1e6).toFixed(2)} MB (${dh >= 0 ? '+' : ''}${(dh / 1024).toFixed(0)} KiB), array buffers ${db >= 0 ? '+' : ''}${(db / 1024).toFixed(0)} KiB`);
  assert.ok(dh < slackBytes, `${name}: heap grew by ${dh} bytes over ${rounds} rounds`);
  assert.ok(db < slackBytes, `${name}: array buffers grew by ${db} bytes over ${rounds} rounds`);
}

const ignore = (f: () => unknown): void => {
  try {
    f();
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
  }
};

/** Rounds per instance (the long run caps the scale at 10: flat is flat). */
const N = Math.round(20000 * Math.min(SCALE, 10));

describe('fuzz: decoders keep memory flat over many inputs', () => {
  const docs = corpus(400);

  test('MessageDecoder (whole and chunked), one instance', (t) => {
    const dec = new MessageDecoder();
    flat(t, 'MessageDecoder', N, (i) => {
      const d = docs[i % docs.length]!;
      if (i % 2 === 0) ignore(() => dec.decode(d));
      else ignore(() => {
        dec.begin(d[0]! <= 3 ? 'wbxml' : 'xml');
        for (let p = 0; p < d.length; p += 61) dec.write(d.subarray(p, p + 61));
        return dec.end();
      });
    });
  });

  test('tokenizers, one instance each, byte-sized chunks', (t) => {
    const w = new WbxmlTokenizer(NULL_HANDLER);
    const x = new XmlTokenizer(NULL_HANDLER);
    flat(t, 'tokenizers', N, (i) => {
      const d = docs[i % docs.length]!;
      const t = d[0]! <= 3 ? w : x;
      ignore(() => {
        t.reset();
        for (let p = 0; p < d.length; p += 13) t.write(d.subarray(p, p + 13));
        t.end();
      });
    });
  });

  test('PushRouter: a flood of valid, replayed and incomplete segmented pushes', (t) => {
    let now = 0;
    const router = new PushRouter({
      accounts: { find: (id) => (id === 's' ? { serverId: 's', serverSecret: new Uint8Array([1]), serverNonce: new Uint8Array([2]) } : null) },
      log: () => {}, now: () => now, onDecision: () => {},
    });
    const pushes = Array.from({ length: 64 }, (_, k) => {
      const pkg = buildPkg0({ sessionId: k + 1, serverId: 's', secret: new Uint8Array([1]), nonce: new Uint8Array([2]), vendor: new Uint8Array(k * 3) });
      return encodeGsmWapPush(Uint8Array.from([1, 6, 3, 0xc4, 0xaf, 0x87, ...pkg]), { originator: `+${1000 + k}`, ref: k, forceConcat: k % 2 === 0 });
    });
    flat(t, 'PushRouter', N, (i) => {
      now += 997;
      const parts = pushes[i % pushes.length]!;
      // every third push loses its last segment (kept pending until evicted)
      const n = i % 3 === 0 && parts.length > 1 ? parts.length - 1 : parts.length;
      for (let k = 0; k < n; k++) router.handle({ kind: 'gsm', bytes: parts[k]! });
      if (i % 5 === 0) router.handle({ kind: 'gsm', bytes: applyEdits(parts[0]!, [{ op: 'flip', at: i, v: i, n: 1 }]) });
    });
    const u = router.usage();
    assert.ok(u.reassembly.highPending <= router.limits.maxPending && u.tracked <= router.limits.maxTracked);
  });

  test('HttpResponseParser, one instance, chunked bodies', (t) => {
    const p = new HttpResponseParser();
    const resp = new Uint8Array(Buffer.from(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: ${'b'.repeat(100)}\r\n\r\n400\r\n${'x'.repeat(1024)}\r\n0\r\n\r\n`));
    flat(t, 'HttpResponseParser', N, (i) => {
      p.reset();
      ignore(() => {
        for (let k = 0; k < resp.length && !p.done; k += 7 + (i % 50)) p.push(resp.subarray(k, k + 7 + (i % 50)));
      });
    });
  });
});
