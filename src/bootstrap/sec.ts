/**
 * Transport-neutral bootstrap security: the SEC methods, their HMAC keys and the MAC check.
 *
 * The bootstrap document (WBXML DM message, or OMA CP document) travels with
 * `Content-Type: <type>; SEC=<method>; MAC=<hex>` and MAC = hex(HMAC-SHA1(key, document)) over
 * the exact document bytes ([DMSEC] 5.1.7.2.1; OMA-WAP-TS-ProvBoot-V1_1 §5). The keys:
 *
 * | SEC (DM name / CP name / WSP code) | key |
 * |---|---|
 * | NETWORKID / NETWPIN / 0 | the network shared secret; for GSM/UMTS the IMSI in its EF_IMSI semi-octet form (`imsiKey`) |
 * | USERPIN / USERPIN / 1 | the PIN as entered (ASCII digits) |
 * | USERPIN_NETWORKID / USERNETWPIN / 2 | network key followed by the PIN bytes (`netKey ‖ PIN`); option: `PIN ‖ ':' ‖ netKey` |
 * | USERPINMAC / USERPINMAC / 3 | (CP only) the entered PIN is `K ‖ m`: m = the first |m| bytes of HMAC-SHA1(K, document), each mod 10 as a digit |
 *
 * Sources and the one disagreement (documented in docs/bootstrap.md): the DM Security text names the
 * methods but leaves the key encodings to the bootstrap profile; the OMA CP ProvBoot encodings are
 * what deployed clients use for both profiles (Symbian's provisioning engine `ConvertIMSIL` +
 * `Append(PIN)`, Funambol's server `getKeyFromIMSI` + `imsiKey ‖ userPin`). One DM client (NetComm)
 * keys USERPIN_NETWORKID with `PIN ":" netKey`; `UserPinNetworkKeyForm` selects it.
 */
import { hmac } from '../crypto/hmac';
import { utf8Encode } from '../util/utf8';

/** The transport-neutral security methods. */
export type SecMethod = 'NETWORKID' | 'USERPIN' | 'USERPIN_NETWORKID' | 'USERPINMAC';

/** How the USERPIN_NETWORKID key is composed: ProvBoot `netKey ‖ PIN` (default) or `PIN ‖ ':' ‖ netKey`. */
export type UserPinNetworkKeyForm = 'network-pin' | 'pin-colon-network';

/** WSP well-known SEC values (WAP-230 §8.4.2.4 parameter 0x11; tshark's table), index = code. */
const SEC_BY_CODE: readonly SecMethod[] = ['NETWORKID', 'USERPIN', 'USERPIN_NETWORKID', 'USERPINMAC'];

const SEC_BY_NAME: Readonly<Record<string, SecMethod>> = Object.freeze({
  NETWORKID: 'NETWORKID', NETWPIN: 'NETWORKID',
  USERPIN: 'USERPIN',
  USERPIN_NETWORKID: 'USERPIN_NETWORKID', USERNETWPIN: 'USERPIN_NETWORKID',
  USERPINMAC: 'USERPINMAC',
});

/** SEC method of a decoded WSP parameter value (code 0..3, a name, or the digit text); null when unknown. */
export function parseSec(v: number | string | Uint8Array): SecMethod | null {
  if (typeof v === 'number') return SEC_BY_CODE[v] ?? null;
  if (typeof v !== 'string') return null;
  const t = v.trim().toUpperCase();
  if (/^[0-3]$/.test(t)) return SEC_BY_CODE[Number(t)]!;
  return SEC_BY_NAME[t] ?? null;
}

/** True when the method needs the network secret. */
export function needsNetworkKey(sec: SecMethod): boolean {
  return sec === 'NETWORKID' || sec === 'USERPIN_NETWORKID';
}

/** True when the method needs a PIN from the user. */
export function needsPin(sec: SecMethod): boolean {
  return sec !== 'NETWORKID';
}

/**
 * The IMSI as the HMAC key of NETWORKID/NETWPIN: its EF_IMSI semi-octet form without the length
 * byte (3GPP TS 31.102 §4.2.2 / GSM 11.11 §10.3.2): the first octet holds digit 1 in the high nibble
 * and `1001` (odd number of digits) or `0001` (even) in the low nibble; then two digits per octet,
 * low nibble first; an even count is padded with `F`. '262011234567890' → 29 26 10 21 43 65 87 09.
 * RangeError for anything but 1..15 decimal digits.
 */
export function imsiKey(imsi: string): Uint8Array {
  if (typeof imsi !== 'string' || !/^[0-9]{1,15}$/.test(imsi)) throw new RangeError('imsi: must be 1..15 decimal digits');
  const d = (i: number): number => imsi.charCodeAt(i) - 0x30;
  const odd = imsi.length % 2 === 1;
  const out = new Uint8Array(1 + (imsi.length >> 1));
  out[0] = (d(0) << 4) | (odd ? 0x09 : 0x01);
  for (let i = 1, o = 1; i < imsi.length; i += 2, o++) {
    const lo = d(i);
    const hi = i + 1 < imsi.length ? d(i + 1) : 0x0f;
    out[o] = (hi << 4) | lo;
  }
  return out;
}

/**
 * The HMAC key of a method. `networkKey` is the network secret as key bytes (e.g. `imsiKey(imsi)`),
 * `pin` the PIN as entered. RangeError when a needed input is missing (callers check first).
 * USERPINMAC has no fixed key (see `verifyUserPinMac`).
 */
export function bootstrapKey(sec: SecMethod, networkKey: Uint8Array | null, pin: string | null, form: UserPinNetworkKeyForm = 'network-pin'): Uint8Array {
  switch (sec) {
    case 'NETWORKID':
      if (!networkKey) throw new RangeError('networkKey: required for NETWORKID');
      return networkKey.slice();
    case 'USERPIN':
      if (pin === null) throw new RangeError('pin: required for USERPIN');
      return utf8Encode(pin);
    case 'USERPIN_NETWORKID': {
      if (!networkKey) throw new RangeError('networkKey: required for USERPIN_NETWORKID');
      if (pin === null) throw new RangeError('pin: required for USERPIN_NETWORKID');
      const p = utf8Encode(form === 'pin-colon-network' ? pin + ':' : pin);
      const out = new Uint8Array(networkKey.length + p.length);
      if (form === 'pin-colon-network') { out.set(p, 0); out.set(networkKey, p.length); } else { out.set(networkKey, 0); out.set(p, networkKey.length); }
      return out;
    }
    default:
      throw new RangeError(`sec: ${sec} has no fixed key`);
  }
}

const HEX = '0123456789ABCDEF';

/** The MAC parameter value for `document` under `key`: HMAC-SHA1 as 40 upper-case hex digits. */
export function bootstrapMac(key: Uint8Array, document: Uint8Array): string {
  const m = hmac('sha1', key, document);
  let s = '';
  for (let i = 0; i < m.length; i++) s += HEX[m[i]! >> 4]! + HEX[m[i]! & 15]!;
  return s;
}

/**
 * True when `macText` (hex, either case, surrounding blanks ignored) equals HMAC-SHA1(key, document).
 * Malformed hex is simply false. The comparison time does not depend on where the bytes differ.
 */
export function verifyMac(macText: string, key: Uint8Array, document: Uint8Array): boolean {
  const t = macText.trim();
  if (!/^[0-9a-fA-F]{40}$/.test(t)) return false;
  const m = hmac('sha1', key, document);
  let diff = 0;
  for (let i = 0; i < 20; i++) diff |= m[i]! ^ parseInt(t.substr(i * 2, 2), 16);
  return diff === 0;
}

/**
 * USERPINMAC (ProvBoot §5.4): the user enters `K ‖ m` (even length, halves); m must equal the
 * first |m| bytes of HMAC-SHA1(K, document), each byte mod 10 written as an ASCII digit.
 */
export function verifyUserPinMac(pin: string, document: Uint8Array): boolean {
  if (pin.length < 2 || pin.length % 2 !== 0 || pin.length > 40) return false;
  const half = pin.length / 2;
  const k = utf8Encode(pin.slice(0, half));
  const want = pin.slice(half);
  const m = hmac('sha1', k, document);
  let diff = 0;
  for (let i = 0; i < half; i++) diff |= (0x30 + (m[i]! % 10)) ^ want.charCodeAt(i);
  return diff === 0;
}

/** The PIN a USERPINMAC sender gives the user for key `k` (digits) and `document` (for tests and tools). */
export function userPinMac(k: string, document: Uint8Array): string {
  const m = hmac('sha1', utf8Encode(k), document);
  let s = k;
  for (let i = 0; i < k.length; i++) s += String.fromCharCode(0x30 + (m[i]! % 10));
  return s;
}
