/**
 * DevInfo CSP (urn:oma:mo:oma-dm-devinfo:1.0, facts §7.6): identity of the device, read-only.
 * Values come from a host-supplied config object and are produced on Get (nothing is stored);
 * the nodes are permanent. Add/Replace/Delete are answered 405 by the engine (no handlers).
 *
 * ./DevInfo            interior, Type urn:oma:mo:oma-dm-devinfo:1.0
 *   DevId Man Mod DmV Lang   chr leaves
 *   Ext                interior, one chr leaf per `ext` entry (vendor extensions)
 */
import type { OutItem } from '../codec/model';
import { Status } from '../status';
import type { Csp, CspCall, NodeStore, ValueSink } from './Csp';

/** MO identifier of DevInfo. */
export const DEVINFO_MO = 'urn:oma:mo:oma-dm-devinfo:1.0';

/** What the host tells about the device. */
export interface DevInfoConfig {
  /** Globally unique device id in URN form (`IMEI:…`, `MEID:…`); also the SyncHdr Source. */
  devId: string;
  /** Manufacturer. */
  man: string;
  /** Model. */
  mod: string;
  /** DM client version string. */
  dmV: string;
  /** Current language, RFC 1766 tag (`en-US`). */
  lang: string;
  /** Vendor extensions under ./DevInfo/Ext: name → value. */
  ext?: Record<string, string>;
}

const LEAVES = [['DevId', 'devId'], ['Man', 'man'], ['Mod', 'mod'], ['DmV', 'dmV'], ['Lang', 'lang']] as const;

export class DevInfoCsp implements Csp {
  readonly root = './DevInfo';
  #cfg: DevInfoConfig;
  #store: NodeStore | null = null;

  constructor(cfg: DevInfoConfig) {
    checkConfig(cfg);
    this.#cfg = { ...cfg, ext: { ...(cfg.ext ?? {}) } };
  }

  /** The current configuration (a copy). */
  get config(): DevInfoConfig {
    return { ...this.#cfg, ext: { ...(this.#cfg.ext ?? {}) } };
  }

  /** Changes values at run time (e.g. the language); Ext entries are merged. */
  update(cfg: Partial<DevInfoConfig>): void {
    const next = { ...this.#cfg, ...cfg, ext: { ...(this.#cfg.ext ?? {}), ...(cfg.ext ?? {}) } };
    checkConfig(next);
    this.#cfg = next;
    if (this.#store) this.#skeleton(this.#store);
  }

  init(store: NodeStore): void {
    this.#store = store;
    this.#skeleton(store);
  }

  removed(): void {
    this.#store = null;
  }

  get(call: CspCall, out: ValueSink): number {
    const [a, b] = call.rel;
    if (call.rel.length === 1) {
      const hit = LEAVES.find(([n]) => n === a);
      if (hit) { out.value(this.#cfg[hit[1]], 'chr'); return Status.Ok; }
    } else if (call.rel.length === 2 && a === 'Ext' && b !== undefined) {
      const v = this.#cfg.ext?.[b];
      if (v !== undefined) { out.value(v, 'chr'); return Status.Ok; }
    }
    return Status.NotFound;
  }

  /** Items of the package-1 Replace: one per DevInfo leaf (Source LocURI, Data, Meta Format chr). */
  pkg1Items(): OutItem[] {
    return LEAVES.map(([n, k]) => ({ source: `./DevInfo/${n}`, data: this.#cfg[k], meta: { format: 'chr' } }));
  }

  #skeleton(store: NodeStore): void {
    store.ensure(this.root, { interior: true, permanent: true, type: DEVINFO_MO });
    for (const [n] of LEAVES) store.ensure(`${this.root}/${n}`, { permanent: true, format: 'chr' });
    store.ensure(`${this.root}/Ext`, { interior: true, permanent: true });
    for (const k of Object.keys(this.#cfg.ext ?? {})) store.ensure(`${this.root}/Ext/${k}`, { permanent: true, format: 'chr' });
  }
}

function checkConfig(cfg: DevInfoConfig): void {
  for (const [, k] of LEAVES) {
    if (typeof cfg[k] !== 'string') throw new TypeError(`DevInfoConfig.${k}: must be a string`);
  }
  if (cfg.devId === '') throw new TypeError('DevInfoConfig.devId: must not be empty');
  for (const [k, v] of Object.entries(cfg.ext ?? {})) {
    if (!/^[A-Za-z0-9._-]+$/.test(k) || typeof v !== 'string') throw new TypeError(`DevInfoConfig.ext: bad entry "${k}"`);
  }
}
