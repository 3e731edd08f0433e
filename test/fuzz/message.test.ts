// Fuzz (node-only, fast-check): the SyncML message decoder (MessageDecoder = tokenizer + parser) on
// grammar-generated messages written by our own independent XML and WBXML writers in many styles,
// on structurally mutated trees and on byte-mutated encodings. Properties:
//  - a valid message decodes to exactly what was generated, in either encoding and any style;
//  - chunked decoding (begin/write/end, any split points) gives the same message as a whole decode;
//  - malformed input raises only DecodeError, and the same decoder instance then decodes a valid
//    message correctly (no state leaks across messages).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MessageDecoder } from '../../src/codec/decode';
import type { Encoding } from '../../src/codec/model';
import { params } from './lib/params';
import { hexOf, underContract } from './lib/contract';
import {
  applyEdits, byteEdit, chunksOf, expected, message, mutate, mutation, splits, summarize, toTree, toWbxml, toXml, wbxmlStyle, xmlStyle,
} from './lib/syncml';
import type { GMsg } from './lib/syncml';

/** One decoder for the whole file: every property also checks that instances are reusable. */
const dec = new MessageDecoder();

/** A fixed valid message and its summary: decoded after every malformed input. */
const REF: GMsg = {
  version: '1.2', sessionId: '1A2B', msgId: '2', target: 'IMEI:493005100592800', source: 'https://dm.example.com/dm', final: true,
  cmds: [{ name: 'Replace', cmdId: '3', noResp: false, items: [{ target: './Vendor/x', data: new Uint8Array([0x61, 0x26, 0x62]), moreData: false }] }],
};
const REF_XML = toXml(toTree(REF), { pretty: true, prolog: false, bom: false, metinfNs: true, text: 0, doctype: false });
const REF_WBXML = toWbxml(toTree(REF), { version: 3, text: 1, redundantSwitch: false, publicIdString: false, splitSeed: 7 });

function checkReference(after: string): void {
  for (const [bytes, enc] of [[REF_XML, 'xml'], [REF_WBXML, 'wbxml']] as const) {
    const m = dec.decode(bytes, enc);
    assert.deepEqual(summarize(m), expected(REF), `the decoder is unusable after ${after}`);
  }
}

function decodeChunked(chunks: readonly Uint8Array[], enc: Encoding): ReturnType<typeof summarize> {
  dec.begin(enc);
  for (const c of chunks) dec.write(c);
  return summarize(dec.end());
}

describe('fuzz: MessageDecoder on generated SyncML', () => {
  test('XML in any style decodes to the generated message', () => {
    fc.assert(fc.property(message(), xmlStyle, (m, style) => {
      const bytes = toXml(toTree(m), style, m.version);
      const got = underContract('xml decode', () => summarize(dec.decode(bytes)), bytes.length);
      assert.ok(got.ok, `valid XML refused: ${got.ok ? '' : got.error.message}\n${Buffer.from(bytes).toString()}`);
      assert.deepEqual(got.value, expected(m));
    }), params('message/xml-roundtrip', 300));
  });

  test('WBXML in any style (STR_I, STR_T, ENTITY, OPAQUE, page switches, 1.1–1.3) decodes to the generated message', () => {
    fc.assert(fc.property(message({ binary: true }), wbxmlStyle, (m, style) => {
      const bytes = toWbxml(toTree(m), style, m.version);
      const got = underContract('wbxml decode', () => summarize(dec.decode(bytes)), bytes.length);
      assert.ok(got.ok, `valid WBXML refused: ${got.ok ? '' : got.error.message}\n${hexOf(bytes)}`);
      assert.deepEqual(got.value, expected(m));
    }), params('message/wbxml-roundtrip', 300));
  });

  test('chunked decoding (any split points, buffers reused by the caller) equals whole decoding', () => {
    fc.assert(fc.property(message({ binary: true }), fc.boolean(), xmlStyle, wbxmlStyle, fc.integer({ min: 0, max: 1 << 30 }), (m, asXml, xs, ws, seed) => {
      const binary = m.cmds.some(function hasBin(c): boolean { return c.items.some((i) => i.binary === true) || (c.children ?? []).some(hasBin); });
      const enc: Encoding = asXml && !binary ? 'xml' : 'wbxml';
      const bytes = enc === 'xml' ? toXml(toTree(m), xs, m.version) : toWbxml(toTree(m), ws, m.version);
      const whole = summarize(dec.decode(bytes, enc));
      const at = fc.sample(splits(bytes.length), { seed, numRuns: 1 })[0]!;
      const chunked = underContract('chunked decode', () => decodeChunked(chunksOf(bytes, at), enc), bytes.length);
      assert.ok(chunked.ok, `chunked decode refused a message the whole decode took (splits ${at.join(',')}): ${chunked.ok ? '' : chunked.error.message}`);
      assert.deepEqual(chunked.value, whole);
    }), params('message/chunked', 200));
  });

  test('structurally mutated messages: a Message or a DecodeError, and the decoder stays usable', () => {
    fc.assert(fc.property(message({ binary: true, maxCmds: 4 }), fc.array(mutation, { minLength: 1, maxLength: 6 }), xmlStyle, wbxmlStyle, (m, edits, xs, ws) => {
      const tree = mutate(toTree(m), edits);
      for (const [bytes, enc] of [[toXml(tree, xs, m.version), 'xml'], [toWbxml(tree, ws, m.version), 'wbxml']] as const) {
        const r = underContract(`${enc} decode of a mutated tree`, () => dec.decode(bytes, enc), bytes.length, bytes);
        if (r.ok) {
          // whatever was accepted is a consistent model: every command has a name and an item list
          for (const c of r.value.body) assert.ok(c.name.length > 0 && Array.isArray(c.items));
        }
      }
      checkReference('a mutated message');
    }), params('message/structural', 300));
  });

  test('byte-mutated encodings: a Message or a DecodeError, and the decoder stays usable', () => {
    fc.assert(fc.property(message({ binary: true, maxCmds: 4 }), fc.boolean(), fc.array(byteEdit, { minLength: 1, maxLength: 8 }), xmlStyle, wbxmlStyle, (m, asXml, edits, xs, ws) => {
      const valid = asXml ? toXml(toTree(m), { ...xs, text: xs.text }, m.version) : toWbxml(toTree(m), ws, m.version);
      const bytes = applyEdits(valid, edits);
      underContract('decode of a byte-mutated message', () => dec.decode(bytes), bytes.length, bytes);
      dec.begin(asXml ? 'xml' : 'wbxml');
      underContract('chunked decode of a byte-mutated message', () => {
        for (let i = 0; i < bytes.length; i += 7) dec.write(bytes.slice(i, i + 7));
        return dec.end();
      }, bytes.length);
      checkReference('a byte-mutated message');
    }), params('message/bytes', 400));
  });
});
