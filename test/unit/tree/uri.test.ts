// Layer: unit (portable). URI normalisation and limits (facts §7.1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUri, joinPath, checkSegment } from '../../../src/tree/uri';

const L = { maxUriDepth: 4, maxUriLength: 30, maxSegmentLength: 8 };

test('normal forms', () => {
  const cases: [string, string, string[]][] = [
    ['.', '.', []], ['./', '.', []], ['./A', './A', ['A']], ['A', './A', ['A']], ['A/B/', './A/B', ['A', 'B']],
    ['  ./A/B \n', './A/B', ['A', 'B']], ['./A.b/c-d', './A.b/c-d', ['A.b', 'c-d']], ['./%41', './%41', ['%41']],
  ];
  for (const [u, path, segs] of cases) {
    const p = parseUri(u, L);
    assert.ok(typeof p !== 'number', u);
    assert.equal(p.path, path, u);
    assert.deepEqual(p.segs, segs, u);
  }
});

test('queries', () => {
  const p = parseUri('./A?prop=ACL', L);
  assert.ok(typeof p !== 'number');
  assert.equal(p.prop, 'ACL');
  const q = parseUri('./A?list=StructData', L);
  assert.ok(typeof q !== 'number');
  assert.equal(q.list, 'StructData');
  assert.equal(parseUri('./A?x=1', L), 406);
  assert.equal(parseUri('./A?prop=', L), 400);
  assert.equal(parseUri('./A?prop=ACL&list=Struct', L), 400);
});

test('malformed → 400, limits → 414', () => {
  for (const u of ['', '/A', '//', './A//B', './A/../B', './A/./B', '..', 'A/\u0001', './A\u007f']) assert.equal(parseUri(u, L), 400, JSON.stringify(u));
  assert.equal(parseUri('./A/B/C/D', L) !== 414, true);
  assert.equal(parseUri('./A/B/C/D/E', L), 414);
  assert.equal(parseUri('./ABCDEFGHI', L), 414);
  assert.equal(parseUri('./ABCDEFGH/ABCDEFGH/ABCDEFGH/AB', L), 414, '31 characters');
  assert.notEqual(parseUri('./ABCDEFGH/ABCDEFGH/ABCDEFGH/A', L), 414, '30 characters');
});

test('joinPath and checkSegment', () => {
  assert.equal(joinPath([]), '.');
  assert.equal(joinPath(['a', 'b']), './a/b');
  assert.equal(checkSegment('ok', L), 0);
  assert.equal(checkSegment('a/b', L), 400);
  assert.equal(checkSegment('a?b', L), 400);
  assert.equal(checkSegment('.', L), 400);
  assert.equal(checkSegment('123456789', L), 414);
});
