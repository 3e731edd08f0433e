/**
 * OMA Download Descriptor (`application/vnd.oma.dd+xml`, OMA DLOTA 1.0) parsing: a PkgURL may name
 * a descriptor instead of the package; its `objectURI` (resolved against the descriptor's URL),
 * `size` and `type` then describe the package.
 *
 * DD 1.0 has no hash element. We accept the package's SHA-256 (64 hex digits) from either
 *   - a `sha256` element (any namespace prefix) directly under `media`, or
 *   - `installParam` containing `sha256=<hex>` (installParam is DD 1.0's free-form parameter),
 * and otherwise from `<x>/Ext/PkgSHA256` or a `<url>.sha256` sidecar (see docs/fumo.md).
 *
 * The parser is small and bounded: the document is at most `maxDdSize` bytes (the caller checks),
 * element depth at most 8; DOCTYPE, PIs and comments are skipped; the five predefined entities,
 * numeric references and CDATA are resolved. Anything else is a DecodeError ('dd-…').
 */
import { DecodeError } from '../errors';
import { fromHex } from '../util/bytes';
import { utf8Decode } from '../util/utf8';

/** Media type of a download descriptor. */
export const DD_MEDIA_TYPE = 'application/vnd.oma.dd+xml';

/** What a descriptor says about the package. */
export interface DownloadDescriptor {
  /** objectURI as written (resolve it against the descriptor's URL). */
  objectUri: string;
  /** Declared size in bytes (mandatory in DD 1.0; null when absent). */
  size: number | null;
  /** MIME type of the object ('' when absent). */
  type: string;
  name: string;
  ddVersion: string;
  installNotifyUri: string;
  /** SHA-256 from a `sha256` element or `installParam sha256=…`, null when none. */
  sha256: Uint8Array | null;
}

const MAX_DEPTH = 8;

function fail(code: string, msg: string, offset: number): DecodeError {
  return new DecodeError(code, `download descriptor: ${msg}`, offset, -1, 'dd');
}

function unescapeText(s: string, at: number): string {
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|lt|gt|amp|quot|apos);?/g, (m, e: string) => {
    if (!m.endsWith(';')) throw fail('dd-entity', 'entity without ";"', at);
    if (e === 'lt') return '<';
    if (e === 'gt') return '>';
    if (e === 'amp') return '&';
    if (e === 'quot') return '"';
    if (e === 'apos') return "'";
    const cp = e.startsWith('#x') ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    if (cp > 0x10ffff) throw fail('dd-entity', 'character reference out of range', at);
    return String.fromCodePoint(cp);
  });
}

/** Parses a descriptor. DecodeError when it is not well-formed or lacks `media`/`objectURI`. */
export function parseDownloadDescriptor(bytes: Uint8Array): DownloadDescriptor {
  const doc = utf8Decode(bytes).replace(/^\uFEFF/, '');
  const stack: string[] = [];
  /** Text of the leaf children of the root, by local name (first occurrence wins). */
  const fields = new Map<string, string>();
  let text = '';
  let root = '';
  let i = 0;
  while (i < doc.length) {
    const lt = doc.indexOf('<', i);
    const chunk = lt < 0 ? doc.slice(i) : doc.slice(i, lt);
    if (chunk.includes('&') || chunk.trim() !== '') {
      if (stack.length === 0) throw fail('dd-text', 'text outside the root element', i);
      text += unescapeText(chunk, i);
    }
    if (lt < 0) break;
    if (doc.startsWith('<!--', lt)) {
      const e = doc.indexOf('-->', lt + 4);
      if (e < 0) throw fail('dd-truncated', 'unterminated comment', lt);
      i = e + 3;
      continue;
    }
    if (doc.startsWith('<![CDATA[', lt)) {
      const e = doc.indexOf(']]>', lt + 9);
      if (e < 0) throw fail('dd-truncated', 'unterminated CDATA', lt);
      if (stack.length === 0) throw fail('dd-text', 'CDATA outside the root element', lt);
      text += doc.slice(lt + 9, e);
      i = e + 3;
      continue;
    }
    if (doc.startsWith('<?', lt)) {
      const e = doc.indexOf('?>', lt + 2);
      if (e < 0) throw fail('dd-truncated', 'unterminated processing instruction', lt);
      i = e + 2;
      continue;
    }
    if (doc.startsWith('<!', lt)) {
      // DOCTYPE (an internal subset is not expected in a DD; refuse '[' to stay simple)
      const e = doc.indexOf('>', lt + 2);
      if (e < 0 || doc.slice(lt, e).includes('[')) throw fail('dd-doctype', 'unsupported DOCTYPE', lt);
      i = e + 1;
      continue;
    }
    const gt = doc.indexOf('>', lt + 1);
    if (gt < 0) throw fail('dd-truncated', 'unterminated tag', lt);
    const tag = doc.slice(lt + 1, gt);
    const closing = tag.startsWith('/');
    const selfClosing = !closing && tag.endsWith('/');
    const m = /^\/?\s*([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)/.exec(tag);
    if (!m) throw fail('dd-tag', `bad tag <${tag.slice(0, 20)}>`, lt);
    const qname = m[1]!;
    const local = qname.includes(':') ? qname.slice(qname.indexOf(':') + 1) : qname;
    if (closing) {
      const open = stack.pop();
      if (open !== qname) throw fail('dd-nesting', `</${qname}> closes <${open ?? '(none)'}>`, lt);
      if (stack.length === 1 && !fields.has(local)) fields.set(local, text.trim());
      text = '';
    } else {
      if (stack.length === 0) {
        if (root !== '') throw fail('dd-root', 'more than one root element', lt);
        root = local;
      }
      if (selfClosing) {
        if (stack.length === 1 && !fields.has(local)) fields.set(local, '');
      } else {
        if (stack.length >= MAX_DEPTH) throw fail('dd-depth', `deeper than ${MAX_DEPTH} elements`, lt);
        stack.push(qname);
      }
      text = '';
    }
    i = gt + 1;
  }
  if (stack.length !== 0) throw fail('dd-truncated', `<${stack[stack.length - 1]}> not closed`, doc.length);
  if (root !== 'media') throw fail('dd-root', `root element is <${root || '(none)'}>, not <media>`, 0);
  const objectUri = fields.get('objectURI') ?? '';
  if (objectUri === '') throw fail('dd-objecturi', 'no objectURI', 0);
  let size: number | null = null;
  const sz = fields.get('size');
  if (sz !== undefined) {
    if (!/^[0-9]{1,15}$/.test(sz)) throw fail('dd-size', `bad size "${sz.slice(0, 20)}"`, 0);
    size = parseInt(sz, 10);
  }
  let sha256: Uint8Array | null = null;
  const hexOf = (s: string): Uint8Array => {
    if (!/^[0-9a-fA-F]{64}$/.test(s)) throw fail('dd-hash', 'sha256 must be 64 hex digits', 0);
    return fromHex(s);
  };
  const h = fields.get('sha256');
  if (h !== undefined) sha256 = hexOf(h);
  else {
    const ip = /(?:^|[\s;&,])sha256=([0-9a-fA-F]+)/.exec(fields.get('installParam') ?? '');
    if (ip) sha256 = hexOf(ip[1]!);
  }
  return {
    objectUri, size, sha256, type: fields.get('type') ?? '', name: fields.get('name') ?? '',
    ddVersion: fields.get('DDVersion') ?? '', installNotifyUri: fields.get('installNotifyURI') ?? '',
  };
}
