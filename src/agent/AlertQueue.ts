/**
 * Persistent queue of client alerts waiting for a server's acknowledgement (Generic Alert 1226 with
 * FUMO results, client events 1224). Every change is one power-fail-safe record commit, so an alert
 * survives reboots and is sent again in every session until the server answers it with a 2xx
 * Status (at least once delivery). Bounded: a full queue refuses new alerts (the caller decides).
 */
import type { OutItem } from '../codec/model';
import type { LogSink, Storage } from '../platform';
import { RecordStore } from '../store/RecordStore';
import type { CborMap, CborValue } from '../store/cbor';
import { cborDecode, cborEncode } from '../store/cbor';
import type { PendingAlert } from '../session/Session';

/** Persisted format version (bump with a migration when the layout changes). */
export const ALERT_QUEUE_VERSION = 1;
export const DEFAULT_MAX_ALERTS = 16;
/** Sessions in which a refused (non-2xx) alert is offered again before it is dropped. */
export const DEFAULT_MAX_ALERT_ATTEMPTS = 10;

export interface AlertQueueOptions {
  /** Record name in storage. Default 'alerts.rec'. */
  name?: string;
  maxAlerts?: number;
  maxAttempts?: number;
  log?: LogSink;
}

interface Entry {
  alert: PendingAlert;
  /** Times the server answered with a non-2xx status. */
  refused: number;
}

export class AlertQueue {
  readonly #rs: RecordStore;
  readonly #max: number;
  readonly #maxAttempts: number;
  readonly #log: LogSink | undefined;
  #entries: Entry[] = [];

  constructor(storage: Storage, opts: AlertQueueOptions = {}) {
    this.#rs = new RecordStore(storage, opts.name ?? 'alerts.rec', { maxPayload: 64 * 1024 });
    this.#max = opts.maxAlerts ?? DEFAULT_MAX_ALERTS;
    this.#maxAttempts = opts.maxAttempts ?? DEFAULT_MAX_ALERT_ATTEMPTS;
    this.#log = opts.log;
    const payload = this.#rs.load();
    if (payload) {
      try {
        this.#entries = decodeEntries(cborDecode(payload));
      } catch (e) {
        // a valid record (CRC ok) that we cannot read: refuse to lose it silently
        this.#log?.('error', 'alert queue record unreadable; starting empty', { error: String(e) });
        this.#entries = [];
      }
    }
  }

  /** Alerts to offer in the next session, oldest first. */
  pending(): PendingAlert[] {
    return this.#entries.map((e) => e.alert);
  }

  get size(): number {
    return this.#entries.length;
  }

  /** Queues an alert durably. Replaces a queued alert with the same id. False when the queue is full. */
  add(alert: PendingAlert): boolean {
    const i = this.#entries.findIndex((e) => e.alert.id === alert.id);
    if (i >= 0) this.#entries[i] = { alert, refused: 0 };
    else {
      if (this.#entries.length >= this.#max) return false;
      this.#entries.push({ alert, refused: 0 });
    }
    this.#save();
    return true;
  }

  /** The server's Status for an alert: 2xx removes it; other codes count towards dropping it. */
  status(id: string, code: number): void {
    const i = this.#entries.findIndex((e) => e.alert.id === id);
    if (i < 0) return;
    if (code >= 200 && code < 300) {
      this.#entries.splice(i, 1);
    } else {
      const e = this.#entries[i]!;
      e.refused++;
      if (e.refused >= this.#maxAttempts) {
        this.#log?.('warn', 'dropping an alert the server keeps refusing', { id, code, attempts: e.refused });
        this.#entries.splice(i, 1);
      }
    }
    this.#save();
  }

  /** Removes an alert without a server answer (e.g. superseded). */
  remove(id: string): void {
    const i = this.#entries.findIndex((e) => e.alert.id === id);
    if (i < 0) return;
    this.#entries.splice(i, 1);
    this.#save();
  }

  #save(): void {
    const v: CborValue = { v: ALERT_QUEUE_VERSION, alerts: this.#entries.map(encodeEntry) };
    this.#rs.commit(cborEncode(v));
  }
}

function encodeEntry(e: Entry): CborValue {
  const a = e.alert;
  const m: CborMap = { id: a.id, code: a.code, refused: e.refused, items: a.items.map(encodeItem) };
  if (a.correlator !== undefined) m.correlator = a.correlator;
  return m;
}

function encodeItem(it: OutItem): CborValue {
  const m: CborMap = {};
  if (it.source !== undefined) m.source = it.source;
  if (it.target !== undefined) m.target = it.target;
  if (it.data !== undefined) m.data = it.data;
  if (it.meta) {
    const meta: CborMap = {};
    for (const [k, val] of Object.entries(it.meta)) if (typeof val === 'string' || typeof val === 'number') meta[k] = val;
    m.meta = meta;
  }
  return m;
}

function decodeEntries(v: CborValue): Entry[] {
  const root = v as CborMap;
  if (!root || typeof root !== 'object' || root.v !== ALERT_QUEUE_VERSION || !Array.isArray(root.alerts)) throw new TypeError('bad alert queue record');
  return (root.alerts as CborValue[]).map((x) => {
    const m = x as CborMap;
    const alert: PendingAlert = {
      id: String(m.id), code: Number(m.code),
      items: (m.items as CborValue[]).map((i) => {
        const im = i as CborMap;
        const it: OutItem = {};
        if (typeof im.source === 'string') it.source = im.source;
        if (typeof im.target === 'string') it.target = im.target;
        if (typeof im.data === 'string' || im.data instanceof Uint8Array) it.data = im.data;
        if (im.meta && typeof im.meta === 'object') it.meta = { ...(im.meta as Record<string, string | number>) } as OutItem['meta'] & object;
        return it;
      }),
    };
    if (typeof m.correlator === 'string') alert.correlator = m.correlator;
    return { alert, refused: Number(m.refused ?? 0) };
  });
}
