/**
 * A TokenHandler that records events as strings, for comparing runs of a tokenizer (whole input
 * against chunked input). Adjacent text pieces of the same kind and adjacent OPAQUE pieces are
 * coalesced, because a chunk boundary may split a value into several calls.
 */
import type { TokenHandler } from '../../../src/codec/events';
import { TEXT_CDATA, TEXT_ESCAPED, TEXT_WBXML } from '../../../src/codec/events';

export class Recorder implements TokenHandler {
  readonly events: string[] = [];
  /** Open elements (checked against close events). */
  readonly stack: number[] = [];
  /** Deepest nesting of elements with content (the tokenizers' depth limit counts these). */
  maxDepth = 0;
  /** Deepest nesting including empty elements (one level more is allowed: nothing is pushed). */
  maxDepthEmpty = 0;
  /** Pending run: kind ('t' text, 'c' CDATA, 's' WBXML string, 'o' opaque), bytes, escaped flag. */
  #kind = '';
  #bytes: number[] = [];
  #escaped = false;

  open(tag: number, buf: Uint8Array, ns: number, ne: number, empty: boolean): void {
    this.#flush();
    const name = tag < 0 ? '#' + Buffer.from(buf.subarray(ns, ne)).toString('hex') : tag.toString(16);
    this.events.push(`<${name}${empty ? '/' : ''}`);
    this.stack.push(tag);
    if (!empty && this.stack.length > this.maxDepth) this.maxDepth = this.stack.length;
    if (this.stack.length > this.maxDepthEmpty) this.maxDepthEmpty = this.stack.length;
  }
  close(tag: number): void {
    this.#flush();
    const open = this.stack.pop();
    if (open !== tag) throw new Error(`close(${tag}) does not match the open element ${String(open)}`);
    this.events.push(`>${tag.toString(16)}`);
  }
  text(buf: Uint8Array, s: number, e: number, flags: number): void {
    if (e < s || s < 0 || e > buf.length) throw new Error(`text span [${s}, ${e}) outside its buffer (${buf.length})`);
    this.#add(flags & TEXT_CDATA ? 'c' : flags & TEXT_WBXML ? 's' : 't', buf, s, e);
    if (flags & TEXT_ESCAPED) this.#escaped = true;
  }
  opaque(buf: Uint8Array, s: number, e: number): void {
    if (e < s || s < 0 || e > buf.length) throw new Error(`opaque span [${s}, ${e}) outside its buffer (${buf.length})`);
    if (e === s && this.#bytes.length === 0) {
      this.#flush();
      this.events.push('o:');
      return;
    }
    this.#add('o', buf, s, e);
  }
  entity(cp: number): void {
    this.#flush();
    this.events.push(`&${cp}`);
  }
  /** Forgets everything recorded (for a reused tokenizer). */
  clear(): void {
    this.events.length = 0;
    this.stack.length = 0;
    this.maxDepth = 0;
    this.maxDepthEmpty = 0;
    this.#kind = '';
    this.#bytes = [];
    this.#escaped = false;
  }
  /** Pending text is written out (call before comparing). */
  done(): string[] {
    this.#flush();
    return this.events;
  }

  #add(kind: string, buf: Uint8Array, s: number, e: number): void {
    if (this.#kind !== kind) this.#flush();
    this.#kind = kind;
    for (let i = s; i < e; i++) this.#bytes.push(buf[i]!);
  }
  #flush(): void {
    if (this.#kind && this.#bytes.length > 0) this.events.push(`${this.#kind}${this.#escaped ? '!' : ''}:${Buffer.from(this.#bytes).toString('hex')}`);
    this.#kind = '';
    this.#escaped = false;
    this.#bytes = [];
  }
}
