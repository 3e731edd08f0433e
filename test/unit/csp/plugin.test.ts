// Layer: unit (portable). The OEM plug-in API through the README example: dynamic values,
// validation, write-only nodes, Exec 202, engine 405 for missing handlers, Atomic hooks with a
// hardware side effect, run-time add/remove.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { valueIn } from '../../../src/csp/Csp';
import { Dpu } from '../../../src/dpu/Dpu';
import type { OutStatus } from '../../../src/codec/model';
import { newTree, text } from '../tree/helpers';
import { acmeCsp } from './acme-example';
import type { AcmeHardware } from './acme-example';
import { cmd, item, run, container } from '../dpu/msg';

const S = 'srv1';

function setup() {
  const hw = { battery: 87, applied: [] as string[], reboots: 0, ok: true };
  const hardware: AcmeHardware = {
    batteryPercent: () => hw.battery,
    applyWifi: (ssid, pass) => { hw.applied.push(`${ssid}/${pass}`); return hw.ok; },
    scheduleReboot: () => { hw.reboots++; },
  };
  const t = newTree({ rootAcl: 'Add=*&Get=*&Replace=*&Delete=*&Exec=*' });
  t.tree.addCsp(acmeCsp(hardware));
  return { ...t, hw, dpu: new Dpu(t.tree, { platform: t.platform }) };
}

test('dynamic Get from the hardware, with the CSP-given Format', () => {
  const { tree, hw } = setup();
  const r = tree.get(S, './Vendor/acme/Battery');
  assert.equal(text(r), '87');
  assert.equal(r.items[0]!.format, 'int');
  hw.battery = 12;
  assert.equal(text(tree.get(S, './Vendor/acme/Battery')), '12');
  assert.equal(tree.get(S, './Vendor/acme').items[0]!.type, 'com.acme/1.0/Device');
});

test('validated Replace applies to the hardware and is stored; bad values 400; secret 405', () => {
  const { tree, hw } = setup();
  assert.equal(tree.replace(S, './Vendor/acme/Wifi/SSID', valueIn('office')).status, 200);
  assert.deepEqual(hw.applied, ['office/changeme']);
  assert.equal(text(tree.get(S, './Vendor/acme/Wifi/SSID')), 'office');
  assert.equal(tree.replace(S, './Vendor/acme/Wifi/Passphrase', valueIn('short')).status, 400);
  assert.equal(tree.get(S, './Vendor/acme/Wifi/Passphrase').status, 405);
  hw.ok = false;
  assert.equal(tree.replace(S, './Vendor/acme/Wifi/SSID', valueIn('other')).status, 500);
  assert.equal(text(tree.get(S, './Vendor/acme/Wifi/SSID')), 'office', 'a refused change is not stored');
});

test('Exec → 202; the engine answers 405 for handlers the CSP lacks', () => {
  const { tree, hw } = setup();
  assert.equal(tree.exec(S, './Vendor/acme/Reboot', null, null).status, 202);
  assert.equal(hw.reboots, 1);
  assert.equal(tree.get(S, './Vendor/acme/Reboot').status, 405);
  assert.equal(tree.add(S, './Vendor/acme/New', valueIn('x')).status, 405);
  assert.equal(tree.delete(S, './Vendor/acme/Wifi/SSID').status, 405);
  assert.equal(tree.replace(S, './Vendor/acme/Wifi/SSID?prop=Name', valueIn('Name')).status, 405);
  assert.equal(tree.exec(S, './Vendor/acme/Battery', null, null).status, 405);
});

test('inside an Atomic the hardware change waits for the commit, and never happens on rollback', () => {
  const { dpu, hw, tree } = setup();
  const ok = run(dpu, [container('Atomic', [cmd('Replace', [item('./Vendor/acme/Wifi/SSID', 'lab')]), cmd('Replace', [item('./Vendor/acme/Wifi/Passphrase', 'longenough')])])]);
  assert.deepEqual(ok.recs.map((r) => (r as OutStatus).code), [200, 200, 200]);
  assert.deepEqual(hw.applied, ['lab/longenough'], 'applied once, at commit, with both values');
  const bad = run(dpu, [container('Atomic', [cmd('Replace', [item('./Vendor/acme/Wifi/SSID', 'x')]), cmd('Replace', [item('./Vendor/acme/Wifi/Passphrase', 'short')])])]);
  assert.deepEqual(bad.recs.map((r) => (r as OutStatus).code), [507, 216, 400]);
  assert.deepEqual(hw.applied, ['lab/longenough']);
  assert.equal(text(tree.get(S, './Vendor/acme/Wifi/SSID')), 'lab');
});

test('removed at run time: read-only without purge, gone with purge; re-added keeps stored values', () => {
  const { tree } = setup();
  tree.replace(S, './Vendor/acme/Wifi/SSID', valueIn('kept'));
  assert.equal(tree.removeCsp('./Vendor/acme'), true);
  assert.equal(tree.replace(S, './Vendor/acme/Wifi/SSID', valueIn('x')).status, 405);
  assert.equal(text(tree.get(S, './Vendor/acme/Wifi/SSID')), 'kept');
  tree.addCsp(acmeCsp({ batteryPercent: () => 50, applyWifi: () => true, scheduleReboot: () => {} }));
  assert.equal(text(tree.get(S, './Vendor/acme/Wifi/SSID')), 'kept');
  assert.equal(text(tree.get(S, './Vendor/acme/Battery')), '50');
  tree.removeCsp('./Vendor/acme', { purge: true });
  assert.equal(tree.get(S, './Vendor/acme').status, 404);
});
