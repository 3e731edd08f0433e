/**
 * Replay protection for bootstrap pushes: a bounded ring of the SHA-1 digests of the documents
 * that were applied, persisted through the power-fail-safe record store (`bootstrap.rec`).
 *
 * Why persisted: the threat is an attacker who recorded a genuine (MAC-valid) bootstrap and plays
 * it back later, after the operator changed the account (new credentials, new server, account
 * deleted) — most likely right after a reboot. An in-memory table would forget exactly then.
 * Why the document digest (not the MAC): the same document re-sent under another SEC method is
 * still the same bootstrap. Why only applied ones: pushes that fail verification must not be able
 * to fill the table and evict real entries. A document whose application failed can be retried.
 *
 * The ring keeps the newest `max` digests (oldest overwritten); a bootstrap older than that can be
 * replayed — the bound is the documented trade-off of fixed memory (default 16). Record payload
 * (CBOR, version 1): `{"v": 1, "d": [digest (20-byte bstr), …]}`, oldest first.
 */
import { sha1 } from '../crypto/sha1';
import { DecodeError } from '../errors';
import type { LogSink, Storage } from '../platform';
import { CborReader, CborWriter } from '../store/cbor';
import { RecordStore } from '../store/RecordStore';
import { bytesEqual } from '../util/bytes';

/** Record name of the replay table in platform storage. */
export const REPLAY_RECORD = 'bootstrap.rec';
/** Replay record format version (the `v` key). History: 1 = initial. */
export const REPLAY_RECORD_VERSION = 1;

/** Smallest payload bound of the record (room for 340 digests), whatever the configured ring size. */
export const REPLAY_MIN_PAYLOAD_BOUND = 8192;

/** Options of the replay guard. */
export interface ReplayGuardOptions {
  /** Digests remembered (ring size). */
  max: number;
  /** Storage for persistence; null keeps the table in memory only (tests, hosts without storage). */
  storage: Storage | null;
  /** Record name. Default `bootstrap.rec`. */
  recordName?: string;
  log?: LogSink;
}

/** SHA-1 of a bootstrap document: the replay key. */
export function documentDigest(doc: Uint8Array): Uint8Array {
  return sha1(doc);
}

export class ReplayGuard {
  /** Ring size. */
  readonly max: number;
  readonly #rs: RecordStore | null;
  /** Digests, oldest first (never more than `max`). */
  #d: Uint8Array[] = [];

  /** RangeError for a bad `max`. Loads the persisted table (an unreadable record starts empty, logged). */
  constructor(opts: ReplayGuardOptions) {
    if (!Number.isInteger(opts.max) || opts.max <= 0) throw new RangeError(`max: must be a positive integer, got ${opts.max}`);
    this.max = opts.max;
    // the bound must not shrink with `max`: a record written under a larger ring stays readable
    this.#rs = opts.storage ? new RecordStore(opts.storage, opts.recordName ?? REPLAY_RECORD, { maxPayload: Math.max(REPLAY_MIN_PAYLOAD_BOUND, 16 + opts.max * 24) }) : null;
    const payload = this.#rs?.load() ?? null;
    if (payload) {
      try {
        this.#d = decode(payload).slice(-this.max);
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
        opts.log?.('error', 'bootstrap replay table unreadable; starting empty', { code: e.code });
      }
    }
  }

  /** Digests remembered now. */
  get size(): number {
    return this.#d.length;
  }

  /** True when a document with this digest was applied (and is still remembered). */
  seen(digest: Uint8Array): boolean {
    return this.#d.some((d) => bytesEqual(d, digest));
  }

  /** Remembers an applied document's digest and persists the table (throws PlatformError on storage failure). */
  remember(digest: Uint8Array): void {
    if (this.seen(digest)) return;
    const next = [...this.#d, digest.slice()];
    if (next.length > this.max) next.splice(0, next.length - this.max);
    if (this.#rs) this.#rs.commit(encode(next));
    this.#d = next;
  }
}

function encode(ds: readonly Uint8Array[]): Uint8Array {
  const w = new CborWriter(16 + ds.length * 24);
  w.map(2);
  w.text('d');
  w.array(ds.length);
  for (const d of ds) w.bytesItem(d);
  w.text('v');
  w.int(REPLAY_RECORD_VERSION);
  return w.bytes();
}

function decode(payload: Uint8Array): Uint8Array[] {
  const r = new CborReader(payload);
  const n = r.map('replay');
  let version = -1;
  let out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const k = r.text('key');
    if (k === 'v') version = r.uint('version');
    else if (k === 'd') {
      const m = r.array('digests');
      out = [];
      for (let j = 0; j < m; j++) out.push(r.bytes(true, 'digest'));
    } else r.value();
  }
  r.finish();
  if (version !== REPLAY_RECORD_VERSION) r.fail('version', `replay record version ${version} is not supported`, 'version');
  return out;
}
