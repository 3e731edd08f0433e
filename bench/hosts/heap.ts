/**
 * Heap growth of our tokenizers on one message, with a consumer that allocates nothing (entity-
 * bearing XML text is resolved into one fixed scratch buffer with `unescapeInto`, as
 * bench/codec-adapter.mjs does), so what grows is the codec's own:
 *   node --expose-gc --min-semi-space-size=64 --max-semi-space-size=64 build/bench/heap.mjs FILE
 * Prints one JSON line: elements, heap growth of a cold decode (first in the process: includes
 * compiling) and of a warm one (after two decodes), and the GCs that ran during each (0 = the
 * growth is everything allocated). Used by `make bench-anchors`.
 */
import { readFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { TEXT_ESCAPED } from '../../src/codec/events';
import type { TokenHandler } from '../../src/codec/events';
import { WbxmlTokenizer } from '../../src/codec/wbxml/Tokenizer';
import { unescapeInto } from '../../src/codec/xml/entities';
import { XmlTokenizer } from '../../src/codec/xml/Tokenizer';

const file = process.argv[2];
if (!file) throw new RangeError('usage: heap.mjs FILE');
const maybeGc = (globalThis as { gc?: () => void }).gc;
if (!maybeGc) throw new Error('run with --expose-gc');
const gc: () => void = maybeGc;
const scratch = new Uint8Array(1 << 16);
let elements = 0;
let textBytes = 0;
const h: TokenHandler = {
  open() { elements++; },
  close() {},
  text(b, s, e, f) { textBytes += f & TEXT_ESCAPED ? unescapeInto(b, s, e, scratch, 0) : e - s; },
  opaque(_b, s, e) { textBytes += e - s; },
  entity() { textBytes++; },
};
const lim = { maxDepth: 64, maxStringTable: 1 << 20, maxOpaque: 1 << 30, maxTokenLen: 1 << 16 };
const u8 = new Uint8Array(readFileSync(file));
const t = file.endsWith('.wbxml') ? new WbxmlTokenizer(h, lim) : new XmlTokenizer(h, lim);
let gcs = 0;
new PerformanceObserver((l) => { gcs += l.getEntries().length; }).observe({ entryTypes: ['gc'] });
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

async function one(): Promise<{ growth: number; gcs: number }> {
  gc(); gc();
  await settle();
  const g0 = gcs;
  const h0 = process.memoryUsage().heapUsed;
  elements = 0;
  t.decode(u8);
  const h1 = process.memoryUsage().heapUsed;
  await settle();
  return { growth: h1 - h0, gcs: gcs - g0 };
}

const cold = await one();
await one();
const warm = await one();
console.log(JSON.stringify({ file: file.split('/').pop(), bytes: u8.length, elements, textBytes, cold, warm }));
