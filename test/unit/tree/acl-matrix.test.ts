// Layer: unit (portable). ACL enforcement matrix for two servers over explicit and inherited ACLs,
// plus the special rules of facts §7.3 (ACL changes, new interior nodes, scrubbing, root).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { valueIn } from '../../../src/csp/Csp';
import { storedHandlers } from '../../../src/csp/stored';
import type { AclCommand } from '../../../src/tree/acl';
import { newTree, text } from './helpers';

const A = 'srvA';
const B = 'srvB';

/**
 * ./M (ACL: Get=*&Add=srvA&Replace=srvA&Delete=srvA&Exec=srvA)
 *   own       leaf, ACL Get=srvB&Replace=srvB&Delete=srvB&Exec=srvB   (explicit, B only)
 *   both      leaf, ACL Get=srvA+srvB&Replace=srvA+srvB               (explicit, both; no Delete/Exec)
 *   inh       interior, no ACL                                         (inherits ./M)
 *     leaf    leaf, no ACL                                             (inherits ./M two levels up)
 *   star      interior, ACL Get=*&Add=*&Replace=*&Delete=*&Exec=*
 *     leaf    leaf, no ACL
 * ./R (no ACL: inherits the root Add=*&Get=*)
 *   leaf
 */
function build() {
  const { tree } = newTree();
  const execs: string[] = [];
  for (const root of ['./M', './R']) tree.addCsp({ ...storedHandlers, root, exec: (c) => { execs.push(c.path); return 200; } });
  const st = tree.store;
  st.setAcl('./M', 'Get=*&Add=srvA&Replace=srvA&Delete=srvA&Exec=srvA');
  st.ensure('./M/own', { value: 'o', acl: 'Get=srvB&Replace=srvB&Delete=srvB&Exec=srvB' });
  st.ensure('./M/both', { value: 'b', acl: 'Get=srvA+srvB&Replace=srvA+srvB' });
  st.ensure('./M/inh/leaf', { value: 'i' });
  st.ensure('./M/star', { interior: true, acl: 'Get=*&Add=*&Replace=*&Delete=*&Exec=*' });
  st.ensure('./M/star/leaf', { value: 's' });
  st.ensure('./R/leaf', { value: 'r' });
  return { tree, execs };
}

/** Expected grant for [node, command] → servers allowed. */
const MATRIX: [string, AclCommand, string[]][] = [
  ['./M/own', 'Get', [B]], ['./M/own', 'Replace', [B]], ['./M/own', 'Delete', [B]], ['./M/own', 'Exec', [B]],
  ['./M/both', 'Get', [A, B]], ['./M/both', 'Replace', [A, B]], ['./M/both', 'Delete', []], ['./M/both', 'Exec', []],
  ['./M/inh/leaf', 'Get', [A, B]], ['./M/inh/leaf', 'Replace', [A]], ['./M/inh/leaf', 'Delete', [A]], ['./M/inh/leaf', 'Exec', [A]],
  ['./M/star/leaf', 'Get', [A, B]], ['./M/star/leaf', 'Replace', [A, B]], ['./M/star/leaf', 'Delete', [A, B]], ['./M/star/leaf', 'Exec', [A, B]],
  ['./R/leaf', 'Get', [A, B]], ['./R/leaf', 'Replace', []], ['./R/leaf', 'Delete', []], ['./R/leaf', 'Exec', []],
  // Add is checked on the parent of the new node:
  ['./M/inh', 'Add', [A]], ['./M/star', 'Add', [A, B]], ['./R', 'Add', [A, B]],
];

function run(tree: ReturnType<typeof build>['tree'], node: string, cmd: AclCommand, srv: string): number {
  switch (cmd) {
    case 'Get': return tree.get(srv, node).status;
    case 'Replace': return tree.replace(srv, node, valueIn('new')).status;
    case 'Delete': return tree.delete(srv, node).status;
    case 'Exec': return tree.exec(srv, node, null, null).status;
    case 'Add': return tree.add(srv, `${node}/new`, valueIn('n')).status;
  }
}

describe('ACL matrix: two servers × explicit/inherited ACLs × commands', () => {
  for (const [node, cmd, allowed] of MATRIX) {
    for (const srv of [A, B]) {
      const want = allowed.includes(srv) ? 200 : 425;
      test(`${cmd} ${node} by ${srv} → ${want}`, () => {
        const { tree } = build();
        assert.equal(run(tree, node, cmd, srv), want);
      });
    }
  }
  test('a denied command changes nothing', () => {
    const { tree, execs } = build();
    assert.equal(tree.replace(A, './M/own', valueIn('x')).status, 425);
    assert.equal(tree.store.readText('./M/own'), 'o');
    assert.equal(tree.exec(A, './M/own', null, null).status, 425);
    assert.deepEqual(execs, []);
  });
  test('Copy needs Get on the source and Add/Replace on the target', () => {
    const { tree } = build();
    assert.equal(tree.copy(A, './M/inh/copy', './M/own').status, 425, 'no Get on source');
    assert.equal(tree.copy(B, './M/inh/copy', './M/both').status, 425, 'no Add on target parent');
    assert.equal(tree.copy(A, './M/inh/copy', './M/both').status, 200);
    assert.equal(tree.copy(B, './M/both', './M/star/leaf').status, 200, 'Replace on both');
    assert.equal(tree.copy(B, './M/inh/leaf', './M/star/leaf').status, 425, 'no Replace on target');
  });
});

describe('ACL property rules', () => {
  test('Get ?prop=ACL returns the own value, empty when inherited', () => {
    const { tree } = build();
    assert.equal(text(tree.get(A, './M/inh/leaf?prop=ACL')), '');
    assert.equal(text(tree.get(A, './M/both?prop=ACL')), 'Get=srvA+srvB&Replace=srvA+srvB');
  });
  test('leaf ACL change needs Replace on the parent (not on the leaf)', () => {
    const { tree } = build();
    assert.equal(tree.replace(B, './M/own?prop=ACL', valueIn('Get=*')).status, 425, 'B has Replace on the leaf only');
    assert.equal(tree.replace(A, './M/own?prop=ACL', valueIn('Get=*')).status, 200, 'A has Replace on ./M');
    assert.equal(text(tree.get(B, './M/own?prop=ACL')), 'Get=*');
  });
  test('interior ACL change needs Replace on the node or its parent', () => {
    const { tree } = build();
    assert.equal(tree.replace(B, './M/star?prop=ACL', valueIn('Get=*&Replace=srvB')).status, 200, 'Replace on the node itself');
    assert.equal(tree.replace(A, './M/star?prop=ACL', valueIn('Get=*')).status, 200, 'Replace on the parent');
    assert.equal(tree.replace(B, './M/star?prop=ACL', valueIn('Get=*')).status, 425, 'neither any more');
    assert.equal(tree.replace(B, './M/inh?prop=ACL', valueIn('Get=*')).status, 425);
  });
  test('bad ACL → 400, too long → 413; root must keep Add=* (405)', () => {
    const { tree } = newTree({ rootAcl: 'Add=*&Get=*&Replace=*' });
    tree.addCsp({ ...storedHandlers, root: './M' });
    assert.equal(tree.replace(A, './M?prop=ACL', valueIn('Get=a b')).status, 400);
    assert.equal(tree.replace(A, './M?prop=ACL', valueIn('Get=' + 'x'.repeat(2000))).status, 413);
    assert.equal(tree.replace(A, '.?prop=ACL', valueIn('Add=srvA&Get=*&Replace=*')).status, 405);
    assert.equal(tree.replace(A, '.?prop=ACL', valueIn('')).status, 405);
    assert.equal(tree.replace(A, '.?prop=ACL', valueIn('Add=*&Get=*&Replace=srvA')).status, 200);
    assert.equal(tree.replace(B, '.?prop=ACL', valueIn('Add=*&Get=*')).status, 425);
  });
  test('a new interior node from a server without Replace on the parent gets Add/Delete/Replace for it', () => {
    const { tree } = build();
    // srvB may Add under ./M/star (Add=*), and has Replace there: the node inherits.
    assert.equal(tree.add(B, './M/star/sub', valueIn('', 'node')).status, 200);
    assert.equal(tree.store.info('./M/star/sub')!.acl, '');
    // Under ./R the root grants Add but not Replace: special ACL, also on implicit ancestors.
    assert.equal(tree.add(B, './R/x/y', valueIn('v')).status, 200);
    assert.equal(tree.store.info('./R/x')!.acl, 'Add=srvB&Delete=srvB&Replace=srvB');
    assert.equal(tree.store.info('./R/x/y')!.acl, '', 'a leaf inherits');
    assert.equal(tree.replace(B, './R/x/y', valueIn('w')).status, 200, 'so the server can manage what it created');
    assert.equal(tree.get(B, './R/x/y').status, 425, 'but not read it unless it grants itself Get (as the spec recommends)');
    assert.equal(tree.replace(B, './R/x?prop=ACL', valueIn('Get=srvB&Replace=srvB&Delete=srvB&Add=srvB')).status, 200);
    assert.equal(tree.get(B, './R/x/y').status, 200);
  });
  test('scrubbing a deleted server id from every ACL', () => {
    const { tree } = build();
    tree.store.setAcl('.', 'Add=srvB&Get=srvB&Replace=srvB');
    tree.store.scrubServerId(B);
    assert.equal(tree.store.info('./M/own')!.acl, '');
    assert.equal(tree.store.info('./M/both')!.acl, 'Get=srvA&Replace=srvA');
    assert.equal(tree.store.info('.')!.acl, 'Add=*&Get=*');
  });
});
