/**
 * The perfkit corpus as the cases see it (../shared/perfkit/gen-corpus.mjs output): manifest.json
 * with each message's size and element count (the generator's count, checked by perfkit against
 * libwbxml's round trip: the independent oracle every decode case checks against).
 */
import { utf8Decode } from '../../src/util/utf8';
import type { BenchHost } from './types';

/** One form of a corpus message. */
export interface CorpusForm {
  file: string;
  bytes: number;
  /** Start tags (XML) / tag tokens (WBXML), declaration and DOCTYPE excluded. */
  elements: number;
}

/** One corpus message (the WBXML form is absent in XML-only corpora). */
export interface CorpusMessage {
  name: string;
  xml: CorpusForm;
  wbxml?: CorpusForm;
}

/** Message names of the perfkit corpus, in its order. */
export const CORPUS_MESSAGES = ['a-pkg1', 'b-pkg2', 'c-pkg3', 'd-largeobj', 'e-stress'] as const;

const cache = new Map<string, CorpusMessage[]>();

/** The manifest of `host.corpusDir`. */
export function corpusManifest(host: BenchHost): CorpusMessage[] {
  let m = cache.get(host.corpusDir);
  if (!m) {
    const doc = JSON.parse(utf8Decode(host.readFile(host.corpusDir + '/manifest.json'))) as { messages: CorpusMessage[] };
    m = doc.messages;
    cache.set(host.corpusDir, m);
  }
  return m;
}

/** Bytes and manifest entry of message `name` in `form`; throws when the corpus lacks it. */
export function corpusFile(host: BenchHost, name: string, form: 'xml' | 'wbxml'): { bytes: Uint8Array; entry: CorpusForm } {
  const msg = corpusManifest(host).find((x) => x.name === name);
  const entry = msg?.[form];
  if (!entry) throw new Error(`corpus ${host.corpusDir} has no ${form} form of ${name}`);
  const bytes = host.readFile(host.corpusDir + '/' + entry.file);
  if (bytes.length !== entry.bytes) throw new Error(`${entry.file}: ${bytes.length} bytes, manifest says ${entry.bytes}`);
  return { bytes, entry };
}
