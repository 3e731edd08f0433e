/**
 * Management-tree URIs (OMA DM TND §8.1, facts §7.1): parsing, normalisation and limits.
 *
 * Normalisation rules:
 * - surrounding whitespace is trimmed (servers put newlines inside LocURI);
 * - `.` is the root; `./A/B` and `A/B` are the same node; one trailing `/` is dropped;
 * - a leading `/`, an empty segment (`A//B`), and `.` or `..` segments are malformed (400);
 * - node names are compared exactly as received (case-sensitive, no %-decoding: a server that
 *   escapes names uses the escaped form consistently);
 * - a query is `?prop=<Name>` or `?list=<Value>`; anything else is unsupported (406);
 * - depth, total length and segment length beyond the limits → 414.
 */
import { Status } from '../status';

/** The URI bounds (a subset of TreeLimits). */
export interface UriLimits {
  maxUriDepth: number;
  maxUriLength: number;
  maxSegmentLength: number;
}

/** A parsed, normalised URI. */
export interface ParsedUri {
  /** Segments below the root (`[]` for the root). */
  segs: string[];
  /** Normalised absolute form: `.` or `./A/B`. */
  path: string;
  /** Property name of `?prop=<Name>`. */
  prop?: string;
  /** Value of `?list=<Value>` (e.g. `Struct`, `StructData`, `TNDS+ACL`). */
  list?: string;
}

/** Absolute normalised form of segments. */
export function joinPath(segs: readonly string[]): string {
  return segs.length === 0 ? '.' : './' + segs.join('/');
}

/** Checks a single node name; returns 0 when fine, else the status (400 malformed, 414 too long). */
export function checkSegment(s: string, limits: UriLimits): number {
  if (s === '' || s === '.' || s === '..') return Status.BadRequest;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x2f /* / */ || c === 0x3f /* ? */) return Status.BadRequest;
  }
  if (s.length > limits.maxSegmentLength) return Status.UriTooLong;
  return 0;
}

/**
 * Parses and normalises `uri`. Returns the parsed form, or a DM status: 400 malformed,
 * 406 unsupported query, 414 beyond a limit.
 */
export function parseUri(uri: string, limits: UriLimits): ParsedUri | number {
  let s = uri.trim();
  let prop: string | undefined;
  let list: string | undefined;
  const q = s.indexOf('?');
  if (q >= 0) {
    const query = s.slice(q + 1);
    s = s.slice(0, q);
    const eq = query.indexOf('=');
    const key = eq < 0 ? query : query.slice(0, eq);
    const val = eq < 0 ? '' : query.slice(eq + 1);
    if (val === '' || val.indexOf('&') >= 0) return key === 'prop' || key === 'list' ? Status.BadRequest : Status.OptionalFeatureNotSupported;
    if (key === 'prop') prop = val;
    else if (key === 'list') list = val;
    else return Status.OptionalFeatureNotSupported;
  }
  if (s === '' || s.charCodeAt(0) === 0x2f) return Status.BadRequest;
  if (s === '.' || s === './') s = '';
  else if (s.startsWith('./')) s = s.slice(2);
  if (s.endsWith('/')) s = s.slice(0, -1);
  const segs = s === '' ? [] : s.split('/');
  let worst = 0;
  for (const seg of segs) {
    const st = checkSegment(seg, limits);
    if (st === Status.BadRequest) return st;
    if (st) worst = st;
  }
  if (worst) return worst;
  if (segs.length > limits.maxUriDepth) return Status.UriTooLong;
  const path = joinPath(segs);
  if (path.length > limits.maxUriLength) return Status.UriTooLong;
  const out: ParsedUri = { segs, path };
  if (prop !== undefined) out.prop = prop;
  if (list !== undefined) out.list = list;
  return out;
}
