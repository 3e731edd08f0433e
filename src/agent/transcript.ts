/**
 * Readable transcripts of DM messages: WBXML or XML rendered as indented XML with secrets redacted
 * (Cred data, and the data of items addressing secret nodes: AAuthSecret, AAuthData, ServerPW,
 * ClientPW, ServerNonce, ClientNonce, and any node named Password/Secret). Used by the demo, the
 * CLI's `trace` and logs; never for the wire.
 */
import { transcode } from '../codec/transcode';
import { utf8Decode } from '../util/utf8';

const SECRET_NODE = /\/(AAuthSecret|AAuthData|ServerPW|ClientPW|ServerNonce|ClientNonce|Password|Secret|PIN)\s*<\/LocURI>/i;

/** Redacts secrets in an XML rendering of a SyncML message. */
export function redactXml(xml: string): string {
  let out = xml.replace(/(<Cred>[\s\S]*?<Data>)([\s\S]*?)(<\/Data>)/g, '$1***$3');
  out = out.replace(/<Item>[\s\S]*?<\/Item>/g, (item) => (SECRET_NODE.test(item) ? item.replace(/(<Data>)([\s\S]*?)(<\/Data>)/g, '$1***$3').replace(/(<Data>)<!\[CDATA\[[\s\S]*?\]\]>(<\/Data>)/g, '$1***$2') : item));
  return out;
}

/** A message (WBXML or XML bytes) as redacted, indented XML; undecodable input is described, not thrown. */
export function renderMessage(body: Uint8Array, opts: { redact?: boolean } = {}): string {
  let xml: string;
  try {
    xml = utf8Decode(transcode(body, { to: 'xml', indent: true }));
  } catch (e) {
    return `(${body.length} bytes, not decodable: ${(e as Error).message})`;
  }
  xml = xml.replace(/^<\?xml[^>]*\?>\n?/, '');
  return opts.redact === false ? xml : redactXml(xml);
}
