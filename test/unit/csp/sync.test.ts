// Layer: unit (portable). The scenario's sync-settings CSP: the MO, validation, secret password,
// persistence and the typed view.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { valueIn } from '../../../src/csp/Csp';
import { SyncSettings, SYNC_MO } from '../../../src/csp/sync';
import { Tree } from '../../../src/tree/Tree';
import { FakePlatform, MemStorage } from '../../helpers/fake-platform';

const S = 'srv1';

function setup(storage = new MemStorage(), onChange?: (id: string) => void) {
  const tree = new Tree(new FakePlatform(1, storage), { rootAcl: 'Add=*&Get=*&Replace=*&Delete=*' });
  const sync = SyncSettings.attach(tree, onChange ? { onChange } : {});
  return { tree, sync };
}

const P = './Vendor/omadm/Sync/work';

function configure(tree: Tree): void {
  const set: [string, string, string?][] = [
    ['Name', 'Work'], ['Addr', 'https://sync.example.com/sync'], ['AccountName', 'alice'], ['Password', 's3cret'],
    ['Content/Email/Enabled', 'true'], ['Content/Email/RemoteName', 'INBOX'], ['Content/Contacts/Enabled', 'true', 'bool'],
    ['Content/Contacts/RemoteName', 'card'], ['Content/Calendar/Enabled', 'false'],
    ['Schedule/IntervalMin', '30'], ['Schedule/PeakStart', '08:00'], ['Schedule/PeakEnd', '18:30'], ['Schedule/PeakIntervalMin', '15', 'int'], ['Schedule/Roaming', 'false'],
  ];
  assert.equal(tree.add(S, P, valueIn('', 'node')).status, 200);
  for (const [n, v, f] of set) assert.equal(tree.add(S, `${P}/${n}`, valueIn(v, f as 'bool' | 'int' | undefined)).status, 200, n);
}

test('a pushed profile reads back through the typed view, persisted across restarts', () => {
  const storage = new MemStorage();
  const changes: string[] = [];
  const { tree } = setup(storage, (id) => changes.push(id));
  configure(tree);
  assert.ok(changes.length > 0 && changes.every((c) => c === 'work'));
  tree.commit();
  const { sync } = setup(storage);
  assert.deepEqual(sync.profiles(), [{
    id: 'work', name: 'Work', addr: 'https://sync.example.com/sync', accountName: 'alice', password: 's3cret',
    content: { Email: { enabled: true, remoteName: 'INBOX' }, Contacts: { enabled: true, remoteName: 'card' }, Calendar: { enabled: false, remoteName: '' } },
    schedule: { intervalMin: 30, peakStart: '08:00', peakEnd: '18:30', peakIntervalMin: 15, roaming: false },
    complete: true,
  }]);
});

test('MO type, formats normalised, password write-only', () => {
  const { tree } = setup();
  configure(tree);
  assert.equal(tree.get(S, P).items[0]!.type, SYNC_MO);
  assert.equal(tree.get(S, `${P}/Schedule/IntervalMin`).items[0]!.format, 'int');
  assert.equal(tree.get(S, `${P}/Content/Email/Enabled`).items[0]!.format, 'bool');
  assert.equal(tree.get(S, `${P}/Password`).status, 405);
});

test('bad values → 400, outside the MO → 405, wrong kind → 415; Ext is free', () => {
  const { tree, sync } = setup();
  configure(tree);
  const bad: [string, string][] = [
    ['Addr', 'ftp://x'], ['Addr', 'not a url'], ['Schedule/IntervalMin', '-1'], ['Schedule/IntervalMin', '10081'],
    ['Schedule/PeakStart', '25:00'], ['Schedule/Roaming', 'yes'], ['Content/Email/Enabled', '1'],
  ];
  for (const [n, v] of bad) assert.equal(tree.replace(S, `${P}/${n}`, valueIn(v)).status, 400, `${n}=${v}`);
  assert.equal(tree.add(S, `${P}/Content/Notes/Enabled`, valueIn('true')).status, 405);
  assert.equal(tree.add(S, `${P}/Colour`, valueIn('red')).status, 405);
  assert.equal(tree.add(S, `${P}/Schedule/Extra`, valueIn('', 'node')).status, 405);
  assert.equal(tree.add(S, `${P}/Name/x`, valueIn('1')).status, 405);
  assert.equal(tree.add(S, './Vendor/omadm/Sync/p2', valueIn('leaf')).status, 415);
  assert.equal(tree.add(S, `${P}/Ext/acme/Flag`, valueIn('1')).status, 200);
  assert.equal(sync.profile('work')!.addr, 'https://sync.example.com/sync', 'unchanged by the refused commands');
});

test('an incomplete profile and deletion', () => {
  const { tree, sync } = setup();
  assert.equal(tree.add(S, './Vendor/omadm/Sync/p/Content/Calendar/Enabled', valueIn('true')).status, 200, 'implicit ancestors validated as MO nodes');
  const p = sync.profile('p')!;
  assert.equal(p.complete, false);
  assert.equal(p.content.Calendar.enabled, true);
  assert.equal(tree.delete(S, './Vendor/omadm/Sync/p').status, 200);
  assert.deepEqual(sync.profiles(), []);
  assert.equal(sync.profile('nope'), null);
});
