/** Codec test helpers (portable). */
import type { TokenHandler } from '../../../src/codec/events';
import { TEXT_CDATA, TEXT_ESCAPED, TEXT_WBXML } from '../../../src/codec/events';
import type { Message } from '../../../src/codec/model';
import { tagName } from '../../../src/codec/tokens';
import { unescape } from '../../../src/codec/xml/entities';
import { utf8Decode } from '../../../src/util/utf8';

import pkg1Dm12 from '../../fixtures/codec/pkg1-dm12.xml';
import pkg1Dm112 from '../../fixtures/codec/pkg1-dm112.xml';
import pkg2Mgmt from '../../fixtures/codec/pkg2-mgmt.xml';
import pkg2AtomicSeqUi from '../../fixtures/codec/pkg2-atomic-seq-ui.xml';
import pkg2LargeObj from '../../fixtures/codec/pkg2-largeobj.xml';
import pkg3StatusResults from '../../fixtures/codec/pkg3-status-results.xml';
import pkg2Dm112 from '../../fixtures/codec/pkg2-dm112.xml';
import status401 from '../../fixtures/codec/status-401-chal.xml';
import pkg4End from '../../fixtures/codec/pkg4-end.xml';
import next1222 from '../../fixtures/codec/next-message-1222.xml';
import sloppy from '../../fixtures/codec/lenient-sloppy.xml';

/** Well-formed corpus (libwbxml accepts all of these). */
export const CORPUS: Record<string, string> = {
  'pkg1-dm12': pkg1Dm12,
  'pkg1-dm112': pkg1Dm112,
  'pkg2-mgmt': pkg2Mgmt,
  'pkg2-atomic-seq-ui': pkg2AtomicSeqUi,
  'pkg2-largeobj': pkg2LargeObj,
  'pkg3-status-results': pkg3StatusResults,
  'pkg2-dm112': pkg2Dm112,
  'status-401-chal': status401,
  'pkg4-end': pkg4End,
  'next-message-1222': next1222,
};
/** Not well-formed XML that real servers send; only our lenient decoder takes it. */
export const LENIENT: Record<string, string> = { 'lenient-sloppy': sloppy };

/** Records tokenizer events as strings; adjacent text/opaque pieces are coalesced. */
export class EventLog implements TokenHandler {
  events: string[] = [];
  #pend: { kind: string; bytes: number[]; escaped: boolean } | null = null;
  open(tag: number, buf: Uint8Array, ns: number, ne: number, empty: boolean): void {
    this.#flush();
    this.events.push(`open ${tag < 0 ? '#' + utf8Decode(buf, ns, ne) : tagName(tag)}${empty ? '/' : ''}`);
  }
  close(tag: number): void {
    this.#flush();
    this.events.push(`close ${tag < 0 ? '#' : tagName(tag)}`);
  }
  text(buf: Uint8Array, s: number, e: number, flags: number): void {
    const kind = flags & TEXT_CDATA ? 'cdata' : flags & TEXT_WBXML ? 'str' : 'text';
    this.#add(kind, buf.subarray(s, e));
    if (flags & TEXT_ESCAPED) this.#pend!.escaped = true;
  }
  opaque(buf: Uint8Array, s: number, e: number): void {
    this.#add('opaque', buf.subarray(s, e));
  }
  entity(cp: number): void {
    this.#flush();
    this.events.push(`entity ${cp}`);
  }
  #add(kind: string, bytes: Uint8Array): void {
    // pieces of one run are joined raw; references are resolved on the whole run at flush time
    // (a chunk boundary may fall inside "&amp;")
    if (this.#pend && this.#pend.kind === kind) {
      for (const b of bytes) this.#pend.bytes.push(b);
      return;
    }
    this.#flush();
    this.#pend = { kind, bytes: Array.from(bytes), escaped: false };
  }
  #flush(): void {
    if (this.#pend) {
      let b: Uint8Array = Uint8Array.from(this.#pend.bytes);
      if (this.#pend.escaped) b = unescape(b, 0, b.length);
      this.events.push(`${this.#pend.kind} ${JSON.stringify(utf8Decode(b))}`);
      this.#pend = null;
    }
  }
  done(): string[] {
    this.#flush();
    return this.events;
  }
}

/** A Message as plain JSON-able data (DataValues → {kind, text}). */
export function plain(m: Message): unknown {
  return JSON.parse(JSON.stringify(m, (_k, v: unknown) => {
    const d = v as { kind?: string; bytes?: unknown; text?: () => string } | null;
    if (d && typeof d === 'object' && d.bytes !== undefined && typeof d.text === 'function') {
      return { kind: d.kind, text: d.text() };
    }
    return v;
  }));
}

/** Deterministic PRNG for tests (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
