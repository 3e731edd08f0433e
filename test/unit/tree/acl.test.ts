// Layer: unit (portable). ACL grammar, grants and server-id scrubbing (facts §7.3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAcl, formatAcl, aclGrants, scrubAcl, isAclId } from '../../../src/tree/acl';

test('grammar', () => {
  assert.deepEqual([...parseAcl('Add=srvA&Delete=srvA&Replace=srvA+srvB&Get=*')!], [['Add', ['srvA']], ['Delete', ['srvA']], ['Replace', ['srvA', 'srvB']], ['Get', ['*']]]);
  assert.deepEqual([...parseAcl('')!], []);
  assert.deepEqual([...parseAcl('Get=a&Get=b+a')!], [['Get', ['a', 'b']]], 'repeated commands merge');
  for (const bad of ['Get', 'Get=', 'Copy=*', 'Get=a b', 'Get=a&', '&Get=a', 'Get=a+', 'Get=a=b', 'get=*', 'Get=**']) assert.equal(parseAcl(bad), null, bad);
});

test('formatAcl uses canonical order', () => {
  assert.equal(formatAcl(parseAcl('Replace=b&Get=*&Add=a')!), 'Add=a&Get=*&Replace=b');
});

test('grants: explicit ids and *', () => {
  assert.ok(aclGrants('Get=a+b', 'Get', 'b'));
  assert.ok(!aclGrants('Get=a+b', 'Get', 'c'));
  assert.ok(aclGrants('Get=*', 'Get', 'anyone'));
  assert.ok(aclGrants('Get=a+*', 'Get', 'c'), '* overrides');
  assert.ok(!aclGrants('Get=*', 'Replace', 'a'));
  assert.ok(!aclGrants('garbage', 'Get', 'a'), 'invalid text grants nothing');
});

test('scrub: ids removed, empty commands dropped, root commands back to factory', () => {
  assert.equal(scrubAcl('Get=a+b&Replace=a', 'a', false), 'Get=b');
  assert.equal(scrubAcl('Get=a&Replace=a', 'a', false), '');
  assert.equal(scrubAcl('Get=b', 'a', false), 'Get=b');
  assert.equal(scrubAcl('Add=a&Get=a&Replace=a&Exec=a', 'a', true), 'Add=*&Get=*');
  assert.equal(scrubAcl('Get=*', 'a', true), 'Get=*');
});

test('server ids usable in ACLs', () => {
  assert.ok(isAclId('com.mgmtsrv.manage'));
  for (const bad of ['*', 'a b', 'a+b', 'a=b', 'a&b', '']) assert.ok(!isAclId(bad), bad);
});
