/**
 * Persistent server state: the nonces per device, so md5/HMAC sessions chain across sessions and
 * across server restarts (the Node host saves it as a JSON file). Plain data, JSON-able.
 */

/** Nonces of one device (Base64 text as sent in NextNonce). */
export interface DeviceState {
  /** Nonce the server issued to the client (the client's next md5 Cred / HMAC uses it). */
  clientNonce?: string;
  /** Nonce the client issued to the server (our next md5 Cred / HMAC uses it). */
  serverNonce?: string;
  /** Sessions seen from this device. */
  sessions: number;
}

/** The whole state; `version` is the format version (1). */
export interface ServerStateData {
  version: 1;
  /** By device id (client Source/LocURI). */
  devices: Record<string, DeviceState>;
}

/** Bound on devices kept in the state (the oldest entry is dropped first). */
export const DEFAULT_MAX_STATE_DEVICES = 1024;

/** An empty state. */
export function emptyState(): ServerStateData {
  return { version: 1, devices: {} };
}

/**
 * Checks parsed JSON as state; TypeError naming the field when it is not. Unknown devices fields are
 * dropped, so older and newer files load.
 */
export function checkState(json: unknown): ServerStateData {
  if (typeof json !== 'object' || json === null) throw new TypeError('state: must be an object');
  const o = json as Record<string, unknown>;
  if (o['version'] !== 1) throw new TypeError(`state.version: unsupported ${String(o['version'])}`);
  const devs = o['devices'];
  if (typeof devs !== 'object' || devs === null || Array.isArray(devs)) throw new TypeError('state.devices: must be an object');
  const out = emptyState();
  for (const [id, d] of Object.entries(devs as Record<string, unknown>)) {
    if (typeof d !== 'object' || d === null) throw new TypeError(`state.devices[${JSON.stringify(id)}]: must be an object`);
    const dd = d as Record<string, unknown>;
    const ds: DeviceState = { sessions: typeof dd['sessions'] === 'number' ? dd['sessions'] : 0 };
    if (typeof dd['clientNonce'] === 'string') ds.clientNonce = dd['clientNonce'];
    if (typeof dd['serverNonce'] === 'string') ds.serverNonce = dd['serverNonce'];
    out.devices[id] = ds;
  }
  return out;
}

/** The device's entry, created when missing (evicting the oldest beyond `max`). */
export function deviceState(state: ServerStateData, id: string, max = DEFAULT_MAX_STATE_DEVICES): DeviceState {
  let d = state.devices[id];
  if (!d) {
    const keys = Object.keys(state.devices);
    if (keys.length >= max) delete state.devices[keys[0]!];
    d = { sessions: 0 };
    state.devices[id] = d;
  }
  return d;
}
