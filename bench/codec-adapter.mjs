// perfkit adapter for our codec (see ../../shared/perfkit/README.md, "Pointing it at our codec"):
//   decodeXml(u8) / decodeWbxml(u8) fully decode a message with the real tokenizers and return the
//   number of elements. Every text/opaque span is delivered to the handler (which touches it by
//   summing lengths), entity-bearing text is resolved into a reused scratch buffer (as the SyncML
//   parser resolves it into its arena), nothing is allocated per element.
// Plain ES module with a relative import of the portable core bundle (make build), so it loads
// under Node and QuickJS 2021-03-27 alike.
import { WbxmlTokenizer, XmlTokenizer, TEXT_ESCAPED, xmlUnescapeInto } from '../build/dist/core.mjs';

let scratch = new Uint8Array(4096);

const counter = {
  elements: 0,
  textBytes: 0,
  open() { this.elements++; },
  close() {},
  text(buf, s, e, flags) {
    if (flags & TEXT_ESCAPED) {
      if (scratch.length < e - s) scratch = new Uint8Array(e - s); // grows once to the longest escaped text
      this.textBytes += xmlUnescapeInto(buf, s, e, scratch, 0);
    }
    else this.textBytes += e - s;
  },
  opaque(buf, s, e) { this.textBytes += e - s; },
  entity() { this.textBytes++; },
};
const limits = { maxDepth: 64, maxStringTable: 1 << 20, maxOpaque: 1 << 30, maxTokenLen: 1 << 16 };
const wbxml = new WbxmlTokenizer(counter, limits);
const xml = new XmlTokenizer(counter, limits);

export function decodeXml(u8) {
  counter.elements = 0;
  xml.decode(u8);
  return counter.elements;
}

export function decodeWbxml(u8) {
  counter.elements = 0;
  wbxml.decode(u8);
  return counter.elements;
}
