/**
 * Node formats (the Format property, OMA DM TND §8.3) and their persisted codes.
 */

/** The formats of DM 1.2 (1.1.2 had all but date/time/float). */
export type Format = 'b64' | 'bin' | 'bool' | 'chr' | 'int' | 'node' | 'null' | 'xml' | 'date' | 'time' | 'float';

/**
 * Persisted code of each format in the tree record. Frozen: these numbers are on flash;
 * never renumber, only append.
 */
export const FORMAT_CODE: Readonly<Record<Format, number>> = Object.freeze({
  chr: 0, node: 1, bin: 2, b64: 3, bool: 4, int: 5, null: 6, xml: 7, date: 8, time: 9, float: 10,
});

/** Format for a persisted code (index = code). */
export const FORMAT_BY_CODE: readonly Format[] = Object.freeze(['chr', 'node', 'bin', 'b64', 'bool', 'int', 'null', 'xml', 'date', 'time', 'float']);

/** True for a Format name (case-sensitive, as on the wire). */
export function isFormat(s: string): s is Format {
  return Object.prototype.hasOwnProperty.call(FORMAT_CODE, s);
}

/** Default Format of a leaf value when Meta carries none (facts §1.3). */
export const DEFAULT_FORMAT: Format = 'chr';
/** Default MIME type of a leaf value when Meta carries none. */
export const DEFAULT_TYPE = 'text/plain';

const INT = /^[+-]?[0-9]{1,10}$/;
const FLOAT = /^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?$/;
const DATE = /^([0-9]{4})-?([0-9]{2})-?([0-9]{2})$/;
const TIME = /^([0-9]{2}):?([0-9]{2}):?([0-9]{2})(\.[0-9]+)?(Z|[+-][0-9]{2}:?[0-9]{2})?$/;

/**
 * Checks a textual value against a format: bool `true|false`, int (decimal, -2^31..2^32-1),
 * float (decimal/exponent), date (ISO 8601 `YYYY-MM-DD` or `YYYYMMDD`), time (`hh:mm:ss[.f][Z|±hh:mm]`
 * or basic form), null (empty). Other formats accept anything.
 */
export function valueMatchesFormat(format: Format, text: string): boolean {
  switch (format) {
    case 'bool': return text === 'true' || text === 'false';
    case 'int': {
      if (!INT.test(text)) return false;
      const n = Number(text);
      return n >= -2147483648 && n <= 4294967295;
    }
    case 'float': return FLOAT.test(text);
    case 'date': {
      const m = DATE.exec(text);
      return !!m && +m[2]! >= 1 && +m[2]! <= 12 && +m[3]! >= 1 && +m[3]! <= 31;
    }
    case 'time': {
      const m = TIME.exec(text);
      return !!m && +m[1]! <= 23 && +m[2]! <= 59 && +m[3]! <= 60;
    }
    case 'null': return text === '';
    default: return true;
  }
}

/** ISO 8601 basic UTC form of a wall-clock time, e.g. `20010711T163817Z` (TStamp property). */
export function tstampText(ms: number): string {
  if (!ms) return '';
  const iso = new Date(ms).toISOString(); // 2001-07-11T16:38:17.000Z
  return iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10) + 'T' + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19) + 'Z';
}
