// Layer: unit (portable). DM bootstrap planning (commands → operations, accounts, Inbox placement and
// reference rewriting, refusals) and the all-or-nothing applier (kinds, policies, joining an outer
// Atomic, deferred ACLs, persistence failure).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageDecoder } from '../../../src/codec/decode';
import { planDmBootstrap } from '../../../src/bootstrap/dm';
import type { DmBootstrapPlan, PlanError } from '../../../src/bootstrap/dm';
import { applyOps, ownedByCsp } from '../../../src/bootstrap/apply';
import { DEFAULT_BOOTSTRAP_LIMITS } from '../../../src/bootstrap/limits';
import { valueIn } from '../../../src/csp/Csp';
import { utf8Decode } from '../../../src/util/utf8';
import { add, addNode, device, dmMessage, dump, u8 } from './helpers';

const plan = (cmds: Parameters<typeof dmMessage>[0]): DmBootstrapPlan | PlanError => planDmBootstrap(new MessageDecoder().decode(dmMessage(cmds)), DEFAULT_BOOTSTRAP_LIMITS);
const ok = (p: DmBootstrapPlan | PlanError): DmBootstrapPlan => {
  assert.ok(!('reason' in p), JSON.stringify(p));
  return p as DmBootstrapPlan;
};

describe('planning a DM bootstrap', () => {
  test('Add/Replace become set, Delete a lenient delete, containers are flattened, accounts found', () => {
    const p = ok(plan([
      addNode('./DMAcc/a'), add('./DMAcc/a/ServerID', 'srvA'),
      { kind: 'Sequence', children: [{ kind: 'Replace', items: [{ target: './SyncML/DMAcc/b/ServerId', data: 'srvB' }] }, { kind: 'Delete', items: [{ target: './x' }] }] },
    ]));
    assert.deepEqual(p.ops.map((o) => `${o.kind} ${o.path}${o.interior ? ' I' : ''}${o.lenient ? ' lenient' : ''}`), [
      'set ./DMAcc/a I', 'set ./DMAcc/a/ServerID', 'set ./SyncML/DMAcc/b/ServerId', 'delete ./x lenient']);
    assert.deepEqual(p.accounts, [{ path: './DMAcc/a', serverId: 'srvA', form: '1.2' }, { path: './SyncML/DMAcc/b', serverId: 'srvB', form: '1.1.2' }]);
  });
  test('Inbox objects move to their MO root; references to them inside values move along', () => {
    const p = ok(plan([
      addNode('./Inbox/acc', 'urn:oma:mo:oma-dm-dmacc:1.0'), add('./Inbox/acc/ServerID', 's'), add('./Inbox/acc/PrefConRef', './Inbox/acc/Ext'),
      addNode('./Inbox/old', 'org.openmobilealliance/1.0/w7'), add('./Inbox/old/ServerId', 't'),
    ]));
    assert.deepEqual(p.ops.map((o) => o.path), ['./DMAcc/acc', './DMAcc/acc/ServerID', './DMAcc/acc/PrefConRef', './SyncML/DMAcc/old', './SyncML/DMAcc/old/ServerId']);
    assert.equal(utf8Decode(p.ops[2]!.value!), './DMAcc/acc/Ext');
    assert.deepEqual(p.accounts.map((a) => a.serverId), ['s', 't']);
  });
  const refused = (cmds: Parameters<typeof dmMessage>[0], reason: string): void => {
    const p = plan(cmds);
    assert.equal('reason' in p && p.reason, reason, JSON.stringify(p));
  };
  test('refusals', () => {
    refused([{ kind: 'Exec', items: [{ target: './x' }] }], 'unsupported-command');
    refused([{ kind: 'Alert', code: 1100, items: [{ data: 'x' }, { data: 'y' }] }], 'unsupported-command');
    refused([add('./Inbox/x/a', '1')], 'unsupported-mo');
    refused([add('./Inbox/x', '1')], 'unsupported-mo');
    refused([add('./a', 'x', { format: 'weird' })], 'malformed');
    refused([add('./a', 'x!', { format: 'b64' })], 'malformed');
    refused([{ kind: 'Add', items: [{ target: './a', data: 'x', moreData: true }] }], 'malformed');
    refused([{ kind: 'Add', items: [{ data: 'x' }] }], 'malformed');
    refused([add('./a', 'x', { type: 'application/vnd.syncml.dmtnds+xml' })], 'malformed');
    const lim = { ...DEFAULT_BOOTSTRAP_LIMITS, maxOps: 2 };
    const p = planDmBootstrap(new MessageDecoder().decode(dmMessage([add('./a', '1'), add('./b', '2'), add('./c', '3')])), lim);
    assert.equal('reason' in p && p.reason, 'too-large');
  });
});

describe('applyOps', () => {
  const S = 'srv';
  test('kinds: add keeps existing interiors and refuses existing leaves; set overwrites; delete/remove', () => {
    const d = device();
    const pol = { principal: () => S, unowned: 'refuse' as const };
    assert.equal(applyOps(d.tree, [{ kind: 'add', path: './DMAcc/a', interior: true }, { kind: 'add', path: './DMAcc/a/Name', value: u8('n') }], pol).status, 200);
    assert.equal(applyOps(d.tree, [{ kind: 'add', path: './DMAcc/a', interior: true }], pol).status, 200);
    assert.equal(applyOps(d.tree, [{ kind: 'add', path: './DMAcc/a/Name', value: u8('m') }], pol).status, 418);
    assert.equal(applyOps(d.tree, [{ kind: 'set', path: './DMAcc/a/Name', value: u8('m') }], pol).status, 200);
    assert.equal(d.tree.store.readText('./DMAcc/a/Name'), 'm');
    assert.equal(applyOps(d.tree, [{ kind: 'delete', path: './DMAcc/zz' }], pol).status, 404);
    assert.equal(applyOps(d.tree, [{ kind: 'delete', path: './DMAcc/zz', lenient: true }], pol).status, 200);
    assert.equal(applyOps(d.tree, [{ kind: 'remove', path: './DMAcc/a' }], { principal: () => 'nobody', unowned: 'refuse' }).status, 200, 'device authority');
    assert.equal(d.tree.store.exists('./DMAcc/a'), false);
    assert.equal(applyOps(d.tree, [{ kind: 'remove', path: './DMAcc' }], pol).status, 405, 'permanent');
  });
  test('the created list names every node made, implicit ancestors included', () => {
    const d = device();
    const r = applyOps(d.tree, [{ kind: 'set', path: './DMAcc/a/AppAddr/1/Addr', value: u8('x') }], { principal: () => S, unowned: 'refuse' });
    assert.deepEqual(r, { status: 200, created: ['./DMAcc/a', './DMAcc/a/AppAddr', './DMAcc/a/AppAddr/1', './DMAcc/a/AppAddr/1/Addr'] });
  });
  test('unowned nodes: refused (405) or stored with the grant on the topmost created node', () => {
    const d = device();
    assert.equal(ownedByCsp(d.tree, './Con/x'), false);
    assert.equal(ownedByCsp(d.tree, './DMAcc/x/y'), true);
    assert.equal(applyOps(d.tree, [{ kind: 'set', path: './Con/x/Addr', value: u8('1') }], { principal: () => S, unowned: 'refuse' }).status, 405);
    const r = applyOps(d.tree, [{ kind: 'set', path: './Con/x/Addr', value: u8('1'), acl: 'Get=*' }], { principal: () => S, unowned: 'store', unownedAcl: (p) => `Get=${p}` });
    assert.equal(r.status, 200);
    assert.equal(d.tree.store.info('./Con')!.acl, `Get=${S}`);
    assert.equal(d.tree.store.info('./Con/x/Addr')!.acl, 'Get=*');
  });
  test('an ACL without Add for its creator is applied after the children exist', () => {
    const d = device();
    const r = applyOps(d.tree, [{ kind: 'set', path: './DMAcc/a', interior: true, acl: `Get=${S}` }, { kind: 'set', path: './DMAcc/a/Name', value: u8('n') }], { principal: () => S, unowned: 'refuse' });
    assert.equal(r.status, 200);
    assert.equal(d.tree.store.info('./DMAcc/a')!.acl, `Get=${S}`);
  });
  test('failure rolls back; inside an outer Atomic the caller decides', () => {
    const d = device();
    const before = dump(d.tree);
    const r = applyOps(d.tree, [{ kind: 'set', path: './DMAcc/a/Name', value: u8('n') }, { kind: 'set', path: './DMAcc/a/AddrType', value: u8('x') }], { principal: () => S, unowned: 'refuse' });
    assert.deepEqual(r, { status: 405, failedIndex: 1, failedUri: './DMAcc/a/AddrType', created: [] });
    assert.equal(dump(d.tree), before);
    d.tree.beginAtomic();
    assert.equal(d.tree.add(S, './Vendor/omadm/Sync/p', valueIn('', 'node')).status, 200);
    assert.equal(applyOps(d.tree, [{ kind: 'set', path: './DMAcc/b/Name', value: u8('n') }], { principal: () => S, unowned: 'refuse' }).status, 200);
    assert.equal(d.tree.inAtomic, true, 'the outer Atomic is still open');
    d.tree.rollbackAtomic();
    assert.equal(dump(d.tree), before);
  });
  test('a storage failure while persisting is 510 and nothing stays', () => {
    const d = device();
    const before = dump(d.tree);
    d.storage.failAtWrite = d.storage.writes + 1;
    const r = applyOps(d.tree, [{ kind: 'set', path: './DMAcc/a/Name', value: u8('n') }], { principal: () => S, unowned: 'refuse' });
    assert.equal(r.status, 510);
    assert.equal(dump(d.tree), before);
  });
});
