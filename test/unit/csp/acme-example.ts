// The complete example CSP of src/csp/README.md (kept identical; tested by plugin.test.ts).
import type { Csp, CspCall, NodeStore, ValueIn, ValueSink } from '../../../src/csp/Csp';
import { Status } from '../../../src/status';

/** What the OEM firmware offers (stand-ins for real drivers). */
export interface AcmeHardware {
  batteryPercent(): number;
  applyWifi(ssid: string, passphrase: string): boolean;
  scheduleReboot(): void;
}

/**
 * ./Vendor/acme                 interior, Type com.acme/1.0/Device
 *   Battery                     int, Get only, read from the hardware on every Get
 *   Reboot                      Exec only: reboots after the session (202)
 *   Wifi/SSID                   chr, 1..32 characters
 *   Wifi/Passphrase             chr, 8..63 characters, write-only
 */
export function acmeCsp(hw: AcmeHardware): Csp {
  // Wi-Fi changes made inside an Atomic wait here until it commits.
  let staged: { ssid: string; pass: string } | null = null;
  const apply = (ssid: string, pass: string): number => (hw.applyWifi(ssid, pass) ? Status.Ok : Status.CommandFailed);
  const current = (store: NodeStore) => ({
    ssid: store.readText('./Vendor/acme/Wifi/SSID') ?? '',
    pass: store.readText('./Vendor/acme/Wifi/Passphrase') ?? '',
  });
  return {
    root: './Vendor/acme',

    init(st: NodeStore): void {
      st.ensure('./Vendor/acme', { interior: true, permanent: true, type: 'com.acme/1.0/Device' });
      st.ensure('./Vendor/acme/Battery', { permanent: true, format: 'int' });
      st.ensure('./Vendor/acme/Reboot', { permanent: true, format: 'null' });
      st.ensure('./Vendor/acme/Wifi/SSID', { permanent: true, value: 'acme-setup' });
      st.ensure('./Vendor/acme/Wifi/Passphrase', { permanent: true, secret: true, value: 'changeme' });
    },

    get(call: CspCall, out: ValueSink): number {
      const name = call.rel.join('/');
      if (name === 'Battery') { out.value(String(hw.batteryPercent()), 'int'); return Status.Ok; }
      if (name === 'Wifi/SSID') return Status.Ok; // the stored value
      return Status.CommandNotAllowed; // Reboot has no value (Passphrase never reaches us: secret)
    },

    replace(call: CspCall, v: ValueIn): number {
      const name = call.rel.join('/');
      const text = v.text();
      const next = current(call.store);
      if (name === 'Wifi/SSID') {
        if (text.length < 1 || text.length > 32) return Status.BadRequest;
        next.ssid = text;
      } else if (name === 'Wifi/Passphrase') {
        if (text.length < 8 || text.length > 63) return Status.BadRequest;
        next.pass = text;
      } else return Status.CommandNotAllowed;
      if (call.inAtomic) { staged = next; return Status.Ok; } // applied by commit()
      return apply(next.ssid, next.pass); // 200 → the tree stores the value
    },

    exec(call: CspCall): number {
      if (call.rel.join('/') !== 'Reboot') return Status.CommandNotAllowed;
      hw.scheduleReboot();
      return Status.Accepted; // 202: done later (after the session)
    },

    // No add/delete/copy/rename handlers: the engine answers those with 405.

    begin(): void { staged = null; },
    commit(): void {
      if (staged) apply(staged.ssid, staged.pass);
      staged = null;
    },
    rollback(): number { staged = null; return Status.Ok; },
  };
}
