// Regression vectors (node-only): every finding of the fuzzers and of the hardening review is a JSON
// file in test/fixtures/fuzz/ (target, input as hex or text, chunking, expected outcome). This test
// replays them all. Vectors of findings not fixed yet (`"status": "open"`) run as `todo` tests: they
// report the bug without failing the suite, and pass once the decoder is fixed (then set the status
// to "fixed" so a regression fails the suite).
//
// Vector format:
//   { "id", "finding", "status": "open" | "fixed", "target": <key of lib/targets.ts TARGETS>,
//     "hex" | "text": input, "chunks": undefined | "bytewise" | n | [split points],
//     "expect": { "ok": true } | { "error": "<DecodeError code>", "offsetWithinInput"?: true, "offsetAtLeast"?: n }, "note" }
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fixture } from '../helpers/paths';
import { TARGETS } from './lib/targets';
import type { Chunking } from './lib/targets';

interface Vector {
  id: string;
  finding: string;
  status: 'open' | 'fixed';
  target: string;
  hex?: string;
  text?: string;
  chunks?: Chunking;
  expect: { ok: true } | { error: string; offsetWithinInput?: boolean; offsetAtLeast?: number };
  note: string;
}

const dir = fixture('fuzz');
const vectors: Vector[] = readdirSync(dir).filter((f) => f.endsWith('.json')).sort()
  .map((f) => JSON.parse(readFileSync(`${dir}/${f}`, 'utf8')) as Vector);

describe('fuzz regression vectors (test/fixtures/fuzz)', () => {
  test('every vector is well-formed and names a known target', () => {
    assert.ok(vectors.length > 0);
    for (const v of vectors) {
      assert.ok(TARGETS[v.target], `${v.id}: unknown target ${v.target}`);
      assert.ok((v.hex === undefined) !== (v.text === undefined), `${v.id}: exactly one of hex/text`);
      assert.ok(v.status === 'open' || v.status === 'fixed', `${v.id}: status`);
      assert.ok(typeof v.note === 'string' && v.note.length > 10, `${v.id}: note`);
    }
  });

  for (const v of vectors) {
    const opts = v.status === 'open' ? { todo: `${v.finding} open: ${v.note}` } : {};
    test(`${v.finding} ${v.id} (${v.target})`, opts, () => {
      const bytes = v.hex !== undefined ? new Uint8Array(Buffer.from(v.hex, 'hex')) : new Uint8Array(Buffer.from(v.text!, 'utf8'));
      const r = TARGETS[v.target]!(bytes, v.chunks);
      if ('ok' in v.expect) {
        assert.ok(r.ok, `expected success, got ${r.ok ? '' : r.error.message}`);
      } else {
        assert.ok(!r.ok, 'expected a DecodeError');
        assert.equal(r.error.code, v.expect.error);
        if (v.expect.offsetWithinInput) assert.ok(r.error.offset <= bytes.length, `offset ${r.error.offset} beyond the ${bytes.length}-byte input`);
        if (v.expect.offsetAtLeast !== undefined) assert.ok(r.error.offset >= v.expect.offsetAtLeast, `offset ${r.error.offset}, the offending input starts at ${v.expect.offsetAtLeast}`);
      }
    });
  }
});
