/**
 * The decoders as fuzz/regression targets: each takes the input bytes (and optional chunking) and
 * runs one decoder under the DecodeError contract. Regression vectors in test/fixtures/fuzz/*.json
 * name one of these targets.
 */
import { MessageDecoder, detectEncoding } from '../../../src/codec/decode';
import { WbxmlTokenizer } from '../../../src/codec/wbxml/Tokenizer';
import { XmlTokenizer } from '../../../src/codec/xml/Tokenizer';
import { decodeGsmDeliver } from '../../../src/push/gsm';
import { decodeCdmaSms, parseCdmaWdp } from '../../../src/push/cdma';
import { decodeWspPush, peekWspPushContentType } from '../../../src/push/wsp';
import { parsePkg0 } from '../../../src/push/pkg0';
import { HttpResponseParser, buildRequest, parseUrl, resolveUrl } from '../../../src/session/http';
import { DecodeError } from '../../../src/errors';
import { Recorder } from './events';
import { underContract } from './contract';
import type { Outcome } from './contract';

/** How a vector is fed: whole (undefined), byte by byte, every n bytes, or at explicit split points. */
export type Chunking = undefined | 'bytewise' | number | number[];

export function chunk(b: Uint8Array, how: Chunking): Uint8Array[] {
  if (how === undefined) return [b];
  const at: number[] = how === 'bytewise' ? Array.from({ length: b.length - 1 }, (_, i) => i + 1)
    : typeof how === 'number' ? Array.from({ length: Math.ceil(b.length / how) - 1 }, (_, i) => (i + 1) * how) : how;
  const out: Uint8Array[] = [];
  let p = 0;
  for (const s of at) { out.push(b.slice(p, s)); p = s; }
  out.push(b.slice(p));
  return out;
}

export type Target = (bytes: Uint8Array, how: Chunking) => Outcome<unknown>;

export const TARGETS: Record<string, Target> = {
  'xml-tokenizer': (b, how) => {
    const tk = new XmlTokenizer(new Recorder());
    return underContract('xml-tokenizer', () => { for (const c of chunk(b, how)) tk.write(c); tk.end(); }, b.length, b);
  },
  'wbxml-tokenizer': (b, how) => {
    const tk = new WbxmlTokenizer(new Recorder());
    return underContract('wbxml-tokenizer', () => { for (const c of chunk(b, how)) tk.write(c); tk.end(); }, b.length, b);
  },
  message: (b, how) => {
    const d = new MessageDecoder();
    if (how === undefined) return underContract('message', () => d.decode(b), b.length, b);
    return underContract('message (chunked)', () => {
      d.begin(detectEncoding(b) ?? 'xml');
      for (const c of chunk(b, how)) d.write(c);
      return d.end();
    }, b.length, b);
  },
  gsm: (b) => underContract('gsm', () => decodeGsmDeliver(b, { smsc: false }), b.length, b),
  'gsm-smsc': (b) => underContract('gsm-smsc', () => decodeGsmDeliver(b, { smsc: true }), b.length, b),
  cdma: (b) => underContract('cdma', () => decodeCdmaSms(b), b.length, b),
  'cdma-wdp': (b) => underContract('cdma-wdp', () => parseCdmaWdp(b), b.length, b),
  wsp: (b) => underContract('wsp', () => decodeWspPush(b), b.length, b),
  'wsp-peek': (b) => underContract('wsp-peek', () => peekWspPushContentType(b), b.length, b),
  pkg0: (b) => underContract('pkg0', () => parsePkg0(b), b.length, b),
  http: (b, how) => {
    const p = new HttpResponseParser();
    p.reset();
    return underContract('http', () => {
      for (const c of chunk(b, how)) { if (!p.done) p.push(c); }
      p.end();
      return { status: p.status, body: p.body.length };
    }, b.length, b);
  },
  /**
   * Not a decoder: the input is a redirect Location (UTF-8), resolved against
   * https://127.0.0.1:8443/dm and turned into the next request; a request line that is not
   * `POST <visible ASCII> HTTP/1.1` is reported as DecodeError('bad-request-line').
   */
  redirect: (b) => underContract('redirect', () => {
    const next = resolveUrl(parseUrl('https://127.0.0.1:8443/dm')!, Buffer.from(b).toString('utf8'));
    if (next === null) return null;
    const line = Buffer.from(buildRequest('POST', next, [], null)).toString('latin1').split('\r\n')[0]!;
    if (!/^POST [!-~]+ HTTP\/1\.1$/.test(line)) throw new DecodeError('bad-request-line', `request line ${JSON.stringify(line)}`, 0, b[0] ?? -1, 'redirect');
    return line;
  }, b.length, b),
};
