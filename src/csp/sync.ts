/**
 * Sync settings CSP — the seed scenario: a DM server pushes the settings the device needs to
 * synchronise email, contacts and calendar with a sync server. Persisted in the tree record,
 * validated by schema, read by the host through `SyncSettings.profiles()`.
 *
 * Management object (Type of `<X>`: `com.omadm/1.0/SyncSettings`), root `./Vendor/omadm/Sync`:
 *
 * | node | format | values |
 * |---|---|---|
 * | `<X>` | node | one sync profile (account) |
 * | `<X>/Name` | chr | display name |
 * | `<X>/Addr` | chr | sync server URL, `http://` or `https://` (required for a complete profile) |
 * | `<X>/AccountName` | chr | user name on the sync server |
 * | `<X>/Password` | chr | secret: write-only (Get → 405) |
 * | `<X>/Content/{Email,Contacts,Calendar}` | node | one per content type |
 * | `<X>/Content/<T>/Enabled` | bool | `true`/`false` (default false) |
 * | `<X>/Content/<T>/RemoteName` | chr | server-side database/folder name |
 * | `<X>/Schedule/IntervalMin` | int | 0 (manual) … 10080 (one week) minutes |
 * | `<X>/Schedule/PeakStart`, `PeakEnd` | chr | `hh:mm` (24 h), peak window |
 * | `<X>/Schedule/PeakIntervalMin` | int | 0 … 10080, interval inside the peak window |
 * | `<X>/Schedule/Roaming` | bool | sync while roaming (default false) |
 * | `<X>/Ext/…` | any | vendor extensions, not validated |
 *
 * Statuses: node outside the MO 405, wrong kind/format 415, bad value 400 (src/csp/schema.ts).
 */
import type { Tree } from '../tree/Tree';
import type { Csp } from './Csp';
import type { MoNode } from './schema';
import { schemaCsp } from './schema';

export const SYNC_ROOT = './Vendor/omadm/Sync';
export const SYNC_MO = 'com.omadm/1.0/SyncSettings';
export const SYNC_CONTENT_TYPES = ['Email', 'Contacts', 'Calendar'] as const;
export type SyncContentType = (typeof SYNC_CONTENT_TYPES)[number];
/** Longest schedule interval, minutes (one week). */
export const MAX_SYNC_INTERVAL_MIN = 10080;
/** Default ACL of the Sync root. */
export const SYNC_ROOT_ACL = 'Add=*&Delete=*&Get=*&Replace=*';

const minutes = (t: string): boolean => Number(t) >= 0 && Number(t) <= MAX_SYNC_INTERVAL_MIN;
const hhmm = (t: string): boolean => /^([01][0-9]|2[0-3]):[0-5][0-9]$/.test(t);
const url = (t: string): boolean => /^https?:\/\/[^\s/?#]+([/?#]\S*)?$/i.test(t);

/** The MO as schema patterns (relative to the root). */
export const SYNC_NODES: readonly MoNode[] = [
  { path: '*', interior: true },
  { path: '*/Name' },
  { path: '*/Addr', check: url },
  { path: '*/AccountName' },
  { path: '*/Password', secret: true },
  { path: '*/Content', interior: true },
  ...SYNC_CONTENT_TYPES.flatMap((c): MoNode[] => [
    { path: `*/Content/${c}`, interior: true },
    { path: `*/Content/${c}/Enabled`, format: 'bool' },
    { path: `*/Content/${c}/RemoteName` },
  ]),
  { path: '*/Schedule', interior: true },
  { path: '*/Schedule/IntervalMin', format: 'int', check: minutes },
  { path: '*/Schedule/PeakStart', check: hhmm },
  { path: '*/Schedule/PeakEnd', check: hhmm },
  { path: '*/Schedule/PeakIntervalMin', format: 'int', check: minutes },
  { path: '*/Schedule/Roaming', format: 'bool' },
  { path: '*/Ext', interior: true, open: true },
];

/** One content type's settings. */
export interface SyncContent {
  enabled: boolean;
  remoteName: string;
}

/** A sync profile as the host's sync engine needs it. */
export interface SyncProfile {
  /** Profile node name `<X>`. */
  id: string;
  name: string;
  addr: string;
  accountName: string;
  /** The password text (write-only in the tree; readable here for the host). */
  password: string;
  content: Record<SyncContentType, SyncContent>;
  schedule: {
    /** Minutes between syncs, 0 = manual. */
    intervalMin: number;
    /** `hh:mm` or '' when no peak window. */
    peakStart: string;
    peakEnd: string;
    peakIntervalMin: number;
    roaming: boolean;
  };
  /** True when Addr is set (the minimum to synchronise). */
  complete: boolean;
}

/** The sync-settings CSP and its typed view. */
export class SyncSettings {
  readonly csp: Csp;
  readonly #tree: Tree;
  #onChange: ((profileId: string) => void) | undefined;

  /**
   * `onChange` is called when a server command changes a profile (before the engine applies it,
   * so it may also fire for a change that is later rolled back: read `profiles()` when the
   * session ends).
   */
  constructor(tree: Tree, opts: { onChange?: (profileId: string) => void } = {}) {
    this.#tree = tree;
    this.#onChange = opts.onChange;
    const changed = (id: string | undefined): number => { if (id !== undefined) this.#onChange?.(id); return 200; };
    this.csp = schemaCsp(SYNC_ROOT, SYNC_NODES, {
      add: (call, v) => { if (call.rel.length === 1 && v.type === '') v.type = SYNC_MO; return changed(call.rel[0]); },
      replace: (call) => changed(call.rel[0]),
      delete: (call) => changed(call.rel[0]),
    });
    // Any configured DM server may manage sync profiles; the profiles it creates inherit this ACL,
    // so it can read them back. A device that wants less sets another ACL on the root.
    this.csp = { ...this.csp, rootAcl: SYNC_ROOT_ACL };
  }

  /** Creates the view and registers the CSP with the tree. */
  static attach(tree: Tree, opts: { onChange?: (profileId: string) => void } = {}): SyncSettings {
    const s = new SyncSettings(tree, opts);
    tree.addCsp(s.csp);
    return s;
  }

  /** All profiles, read from the tree now. */
  profiles(): SyncProfile[] {
    return (this.#tree.store.children(SYNC_ROOT) ?? []).map((id) => this.profile(id)!).filter((p) => p !== null);
  }

  /** One profile by node name, or null. */
  profile(id: string): SyncProfile | null {
    const st = this.#tree.store;
    const base = `${SYNC_ROOT}/${id}`;
    if (!st.info(base)?.interior) return null;
    const t = (rel: string): string => st.readText(`${base}/${rel}`) ?? '';
    const n = (rel: string): number => { const v = t(rel); return /^[0-9]+$/.test(v) ? Number(v) : 0; };
    const content = {} as Record<SyncContentType, SyncContent>;
    for (const c of SYNC_CONTENT_TYPES) content[c] = { enabled: t(`Content/${c}/Enabled`) === 'true', remoteName: t(`Content/${c}/RemoteName`) };
    const addr = t('Addr');
    return {
      id, name: t('Name'), addr, accountName: t('AccountName'), password: t('Password'), content,
      schedule: { intervalMin: n('Schedule/IntervalMin'), peakStart: t('Schedule/PeakStart'), peakEnd: t('Schedule/PeakEnd'), peakIntervalMin: n('Schedule/PeakIntervalMin'), roaming: t('Schedule/Roaming') === 'true' },
      complete: addr !== '',
    };
  }
}
