/**
 * DevDetail CSP (urn:oma:mo:oma-dm-devdetail:1.0, facts §7.7): device details, read-only.
 * Values come from a host config; the URI limits are the tree's own (`store.limits`), so what is
 * published is what is enforced; LrgObj is `true` (the DPU streams large objects).
 *
 * ./DevDetail           interior, Type urn:oma:mo:oma-dm-devdetail:1.0
 *   DevTyp OEM FwV SwV HwV   chr
 *   LrgObj                   bool
 *   URI/MaxDepth URI/MaxTotLen URI/MaxSegLen   chr decimal (spec: "numerical string"; ⚠ AOSP's DDF says int)
 *   Ext                      interior, one chr leaf per `ext` entry
 */
import { Status } from '../status';
import type { Csp, CspCall, Format, NodeStore, ValueSink } from './Csp';

/** MO identifier of DevDetail. */
export const DEVDETAIL_MO = 'urn:oma:mo:oma-dm-devdetail:1.0';

export interface DevDetailConfig {
  /** Device type (phone, router, meter…). */
  devTyp: string;
  /** Original equipment manufacturer. */
  oem: string;
  /** Firmware, software and hardware versions. */
  fwV: string;
  swV: string;
  hwV: string;
  /** Large-object support advertised in LrgObj. Default true. */
  lrgObj?: boolean;
  /** Vendor extensions under ./DevDetail/Ext. */
  ext?: Record<string, string>;
}

const LEAVES = [['DevTyp', 'devTyp'], ['OEM', 'oem'], ['FwV', 'fwV'], ['SwV', 'swV'], ['HwV', 'hwV']] as const;

export class DevDetailCsp implements Csp {
  readonly root = './DevDetail';
  #cfg: DevDetailConfig;
  #store: NodeStore | null = null;

  constructor(cfg: DevDetailConfig) {
    for (const [, k] of LEAVES) if (typeof cfg[k] !== 'string') throw new TypeError(`DevDetailConfig.${k}: must be a string`);
    this.#cfg = { ...cfg, ext: { ...(cfg.ext ?? {}) } };
  }

  /** Changes values at run time (e.g. FwV after a firmware update). */
  update(cfg: Partial<DevDetailConfig>): void {
    this.#cfg = { ...this.#cfg, ...cfg, ext: { ...(this.#cfg.ext ?? {}), ...(cfg.ext ?? {}) } };
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
    const r = call.rel;
    const lim = call.store.limits;
    if (r.length === 1) {
      const hit = LEAVES.find(([n]) => n === r[0]);
      if (hit) { out.value(this.#cfg[hit[1]], 'chr'); return Status.Ok; }
      if (r[0] === 'LrgObj') { out.value(this.#cfg.lrgObj === false ? 'false' : 'true', 'bool'); return Status.Ok; }
    } else if (r.length === 2 && r[0] === 'URI') {
      const v = r[1] === 'MaxDepth' ? lim.maxUriDepth : r[1] === 'MaxTotLen' ? lim.maxUriLength : r[1] === 'MaxSegLen' ? lim.maxSegmentLength : null;
      if (v !== null) { out.value(String(v), 'chr'); return Status.Ok; }
    } else if (r.length === 2 && r[0] === 'Ext') {
      const v = this.#cfg.ext?.[r[1]!];
      if (v !== undefined) { out.value(v, 'chr'); return Status.Ok; }
    }
    return Status.NotFound;
  }

  #skeleton(store: NodeStore): void {
    const leaf = (p: string, format: Format = 'chr'): void => { store.ensure(`${this.root}/${p}`, { permanent: true, format }); };
    store.ensure(this.root, { interior: true, permanent: true, type: DEVDETAIL_MO });
    for (const [n] of LEAVES) leaf(n);
    leaf('LrgObj', 'bool');
    store.ensure(`${this.root}/URI`, { interior: true, permanent: true });
    for (const n of ['MaxDepth', 'MaxTotLen', 'MaxSegLen']) leaf(`URI/${n}`);
    store.ensure(`${this.root}/Ext`, { interior: true, permanent: true });
    for (const k of Object.keys(this.#cfg.ext ?? {})) leaf(`Ext/${k}`);
  }
}
