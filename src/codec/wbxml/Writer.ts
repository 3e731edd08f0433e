/**
 * WBXML encoder for SyncML DM: WBXML 1.2 header with the numeric public id (0x1201 for DM 1.2,
 * 0x0FD3 for DM 1.1.2), UTF-8, empty string table; code pages switched lazily (SWITCH_PAGE right
 * before the first tag of another page, as libwbxml does); text as STR_I, binary as OPAQUE.
 */
import type { DocWriter } from '../Writer';
import { BufferWriter } from '../Writer';
import type { DmVersion } from '../model';
import { PUBLIC_ID_SYNCML_11, PUBLIC_ID_SYNCML_12, Tag } from '../tokens';
import { utf8EncodeInto } from '../../util/utf8';

const SWITCH_PAGE = 0x00;
const END = 0x01;
const STR_I = 0x03;
const OPAQUE = 0xc3;

/** Bytes of `v` as mb_u_int32. */
export function mbLength(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

export class WbxmlWriter extends BufferWriter implements DocWriter {
  readonly encoding = 'wbxml' as const;
  /** DM 1.1.2 documents cannot carry the 1.2-only tokens (Correlator etc.): they are dropped. */
  #v11 = false;

  begin(version: DmVersion): void {
    this.pos = 0;
    this.d = 0;
    this.page = 0;
    this.overflow = false;
    this.binaryInXml = false;
    this.#v11 = version === '1.1.2';
    const id = version === '1.2' ? PUBLIC_ID_SYNCML_12 : PUBLIC_ID_SYNCML_11;
    if (!this.room(5)) return;
    this.buf[this.pos++] = 0x02; // WBXML 1.2
    this.#mb(id);
    this.buf[this.pos++] = 0x6a; // UTF-8
    this.buf[this.pos++] = 0x00; // empty string table
  }

  open(tag: number): void {
    if (!this.#tag(tag, 0x40)) return;
    this.pushTag(tag);
  }

  close(): void {
    if (this.d === 0 || !this.room(1)) return;
    this.d--;
    this.buf[this.pos++] = END;
  }

  empty(tag: number): void {
    this.#tag(tag, 0);
  }

  leaf(tag: number, text: string): void {
    if (text.length === 0) {
      this.empty(tag);
      return;
    }
    if (text.indexOf('\u0000') >= 0) {
      // NUL cannot appear in STR_I
      const b = new Uint8Array(text.length * 3);
      const n = utf8EncodeInto(text, b, 0);
      this.leafBytes(tag, b.subarray(0, n), true);
      return;
    }
    const mark = this.pos;
    if (!this.#tag(tag, 0x40)) return;
    if (!this.room(1)) return;
    this.buf[this.pos++] = STR_I;
    const end = utf8EncodeInto(text, this.buf.subarray(0, this.limit), this.pos);
    if (end < 0 || end + 2 > this.limit) {
      this.pos = mark;
      this.overflow = true;
      return;
    }
    this.pos = end;
    this.buf[this.pos++] = 0;
    this.buf[this.pos++] = END;
  }

  leafBytes(tag: number, bytes: Uint8Array, opaque: boolean): void {
    if (!opaque && bytes.indexOf(0) < 0) {
      if (bytes.length === 0) {
        this.empty(tag);
        return;
      }
      if (!this.#tag(tag, 0x40) || !this.room(bytes.length + 3)) return;
      this.buf[this.pos++] = STR_I;
      this.buf.set(bytes, this.pos);
      this.pos += bytes.length;
      this.buf[this.pos++] = 0;
      this.buf[this.pos++] = END;
      return;
    }
    if (!this.#tag(tag, 0x40) || !this.room(2 + mbLength(bytes.length) + bytes.length)) return;
    this.buf[this.pos++] = OPAQUE;
    this.#mb(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    this.buf[this.pos++] = END;
  }

  text(s: string): void {
    if (s.length === 0) return;
    if (!this.room(2)) return;
    const start = this.pos;
    this.buf[this.pos++] = STR_I;
    const end = utf8EncodeInto(s, this.buf.subarray(0, this.limit), this.pos);
    if (end < 0 || end + 1 > this.limit) {
      this.pos = start;
      this.overflow = true;
      return;
    }
    this.pos = end;
    this.buf[this.pos++] = 0;
  }

  /** Raw OPAQUE content inside the current element. */
  opaque(bytes: Uint8Array): void {
    if (!this.room(1 + mbLength(bytes.length) + bytes.length)) return;
    this.buf[this.pos++] = OPAQUE;
    this.#mb(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Writes a tag token (with page switch); returns false on overflow. */
  #tag(tag: number, flags: number): boolean {
    const page = tag >> 8;
    const tok = tag & 0x3f;
    if (this.#v11 && page === 0 && tok >= Tag.Field && tok <= Tag.Correlator && tok !== Tag.SourceParent) {
      // not encodable in SyncML 1.1: such an element is only ever written by code paths that
      // already avoid it for 1.1.2; refuse loudly rather than emit an invalid token
      throw new RangeError(`tag 0x${tag.toString(16)} does not exist in SyncML 1.1 (DM 1.1.2)`);
    }
    const need = page !== this.page ? 3 : 1;
    if (!this.room(need)) return false;
    if (page !== this.page) {
      this.buf[this.pos++] = SWITCH_PAGE;
      this.buf[this.pos++] = page;
      this.page = page;
    }
    this.buf[this.pos++] = tok | flags;
    return true;
  }

  #mb(v: number): void {
    const n = mbLength(v);
    for (let i = n - 1; i >= 0; i--) {
      this.buf[this.pos + i] = (v & 0x7f) | (i === n - 1 ? 0 : 0x80);
      v = Math.floor(v / 128);
    }
    this.pos += n;
  }
}
