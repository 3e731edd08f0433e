// Layer: unit (portable). Sequence rules and UI alerts 1100–1104: parameters, answers, defaults,
// timeouts, "No" (304) at top level / in Sequence / in Atomic, cancel (214 + 215 for the rest),
// no UI on the platform (406), malformed alerts.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Dpu } from '../../../src/dpu/Dpu';
import type { Platform, UserInterface } from '../../../src/platform';
import type { OutStatus } from '../../../src/codec/model';
import { storedCsp } from '../../../src/csp/stored';
import { parseUiParams, formDecode } from '../../../src/dpu/ui';
import { newTree } from '../tree/helpers';
import { cmd, item, run, alert, container } from './msg';

const FULL = 'Add=*&Get=*&Replace=*&Delete=*&Exec=*';

function setup(withUi = true) {
  const t = newTree({ rootAcl: FULL });
  t.tree.addCsp(storedCsp('./T'));
  // FakePlatform has no `ui`; the DPU only checks that one exists (it yields requests, the
  // session calls ui.ask), so a platform view with a throwing ui is enough.
  const ui: UserInterface = { ask: () => { throw new Error('the DPU yields; it never calls ui.ask itself'); } };
  const platform: Platform = withUi ? Object.assign(Object.create(t.platform) as Platform, { ui }) : t.platform;
  return { ...t, dpu: new Dpu(t.tree, { platform }) };
}
const codes = (recs: unknown[]) => recs.map((r) => (r as OutStatus).code);

describe('UI alerts', () => {
  test('1100 display: request fields from the parameters; 200 (also on timeout)', () => {
    const { dpu } = setup();
    const r = run(dpu, [alert(1100, ['MINDT=2&MAXDT=30&DR=1&FOO=bar', 'Update installed'])], {}, [{ outcome: 'ok' }]);
    assert.deepEqual(r.requests, [{ kind: 'display', text: 'Update installed', minDisplay: 2, maxDisplay: 30 }]);
    assert.deepEqual(codes(r.recs), [200]);
    assert.deepEqual(codes(run(dpu, [alert(1100, ['', 'x'])], {}, [{ outcome: 'timeout' }]).recs), [200]);
  });
  test('1101 confirm: yes 200, no 304, timeout 408; DR passed as the default', () => {
    const { dpu } = setup();
    const r = run(dpu, [alert(1101, ['MAXDT=15&DR=1', 'Install now?']), alert(1101, ['', 'Sure?']), alert(1101, ['MAXDT=5', 'Hello?'])], {}, [{ outcome: 'ok' }, { outcome: 'no' }, { outcome: 'timeout' }]);
    assert.deepEqual(r.requests[0], { kind: 'confirm', text: 'Install now?', maxDisplay: 15, defaultResponse: '1' });
    assert.deepEqual(codes(r.recs), [200, 304, 408]);
  });
  test('1102 text input: the answer in the Status Item; DR (URL-decoded) when none; MAXLEN, IT, ET', () => {
    const { dpu } = setup();
    const r = run(dpu, [alert(1102, ['DR=John+Doe%21&MAXLEN=6&IT=A&ET=P', 'Name?'], { cmdId: '3' }), alert(1102, ['IT=N', 'PIN?'])], {}, [{ outcome: 'ok' }, { outcome: 'ok', text: '1234' }]);
    assert.deepEqual(r.requests[0], { kind: 'input', text: 'Name?', defaultResponse: 'John Doe!', maxLen: 6, inputType: 'A', echo: 'P' });
    assert.deepEqual(r.recs[0], { kind: 'Status', msgRef: '7', cmdRef: '3', cmd: 'Alert', code: 200, items: [{ data: 'John D' }] });
    assert.deepEqual((r.recs[1] as OutStatus).items, [{ data: '1234' }]);
  });
  test('1103 single choice: the chosen number; DR default; out-of-range dropped', () => {
    const { dpu } = setup();
    const r = run(dpu, [alert(1103, ['DR=2', 'Pick', 'Red', 'Green', 'Blue']), alert(1103, ['', 'Pick', 'A', 'B'])], {}, [{ outcome: 'ok' }, { outcome: 'ok', choices: [9] }]);
    assert.deepEqual(r.requests[0]!.choices, ['Red', 'Green', 'Blue']);
    assert.deepEqual((r.recs[0] as OutStatus).items, [{ data: '2' }]);
    assert.equal((r.recs[1] as OutStatus).items, undefined);
  });
  test('1104 multiple choice: one Status Item per selected number; DR "1-3"', () => {
    const { dpu } = setup();
    const r = run(dpu, [alert(1104, ['DR=1-3', 'Sync', 'Mail', 'Contacts', 'Calendar']), alert(1104, ['', 'Sync', 'Mail', 'Contacts'])], {}, [{ outcome: 'ok' }, { outcome: 'ok', choices: [2, 1, 2] }]);
    assert.deepEqual((r.recs[0] as OutStatus).items, [{ data: '1' }, { data: '3' }]);
    assert.deepEqual((r.recs[1] as OutStatus).items, [{ data: '2' }, { data: '1' }]);
  });
  test('no UI on the platform → 406; too few items → 412; other alert codes 405/406', () => {
    const noUi = setup(false).dpu;
    assert.deepEqual(codes(run(noUi, [alert(1101, ['', 'x'])]).recs), [406]);
    const { dpu } = setup();
    assert.deepEqual(codes(run(dpu, [alert(1101, ['x']), alert(1103, ['', 'only text']), alert(1226, []), alert(1201, []), alert(1199, []), alert(1105, [])]).recs), [412, 412, 405, 405, 406, 406]);
  });
  test('parameter parsing', () => {
    assert.deepEqual(parseUiParams('MINDT=1&maxdt=2&DR=a%20b&MAXLEN=x&IT=Q&ET=T&&=3&junk'), { minDisplay: 1, maxDisplay: 2, defaultResponse: 'a b', echo: 'T' });
    assert.equal(formDecode('100%+sure%zz'), '100% sure%zz');
  });
});

describe('cancel, No and Sequence', () => {
  test('cancel → 214 for the alert, 215 for every command left (nested too), summary.cancelled', () => {
    const { dpu, tree } = setup();
    const r = run(dpu, [
      cmd('Add', [item('./T/before', '1')]),
      alert(1101, ['', 'Go?']),
      cmd('Add', [item('./T/after', '1')]),
      container('Sequence', [cmd('Add', [item('./T/inner', '1')])]),
    ], {}, [{ outcome: 'cancel' }]);
    assert.deepEqual(codes(r.recs), [200, 214, 215, 215, 215]);
    assert.equal(r.summary.cancelled, true);
    assert.equal(tree.store.exists('./T/after'), false);
  });
  test('"No" at top level has no effect on the rest', () => {
    const { dpu, tree } = setup();
    const r = run(dpu, [alert(1101, ['', 'Go?']), cmd('Add', [item('./T/after', '1')])], {}, [{ outcome: 'no' }]);
    assert.deepEqual(codes(r.recs), [304, 200]);
    assert.equal(tree.store.exists('./T/after'), true);
  });
  test('"No" inside a Sequence skips the rest of the Sequence only', () => {
    const { dpu, tree } = setup();
    const r = run(dpu, [container('Sequence', [cmd('Add', [item('./T/a', '1')]), alert(1101, ['', 'Go?']), cmd('Add', [item('./T/b', '1')])]), cmd('Add', [item('./T/c', '1')])], {}, [{ outcome: 'no' }]);
    assert.deepEqual(codes(r.recs), [200, 200, 304, 215, 200]);
    assert.deepEqual([tree.store.exists('./T/a'), tree.store.exists('./T/b'), tree.store.exists('./T/c')], [true, false, true]);
  });
  test('a failing command does not stop a Sequence', () => {
    const { dpu } = setup();
    const r = run(dpu, [container('Sequence', [cmd('Replace', [item('./T/none', '1')]), cmd('Add', [item('./T/x', '1')])])]);
    assert.deepEqual(codes(r.recs), [200, 404, 200]);
  });
  test('"No" inside an Atomic rolls it back', () => {
    const { dpu, tree } = setup();
    const r = run(dpu, [container('Atomic', [cmd('Add', [item('./T/a', '1')]), alert(1101, ['', 'Go?']), cmd('Add', [item('./T/b', '1')])])], {}, [{ outcome: 'no' }]);
    assert.deepEqual(codes(r.recs), [507, 216, 304, 215]);
    assert.equal(tree.store.exists('./T/a'), false);
  });
  test('cancel inside an Atomic rolls it back and stops the message', () => {
    const { dpu, tree } = setup();
    const r = run(dpu, [container('Atomic', [cmd('Add', [item('./T/a', '1')]), alert(1100, ['', 'Hi'])]), cmd('Add', [item('./T/z', '1')])], {}, [{ outcome: 'cancel' }]);
    assert.deepEqual(codes(r.recs), [507, 216, 214, 215]);
    assert.equal(tree.store.exists('./T/a'), false);
    assert.equal(r.summary.cancelled, true);
  });
  test('nested Sequence → 500 with its children 215', () => {
    const { dpu } = setup();
    const r = run(dpu, [container('Sequence', [container('Sequence', [cmd('Add', [item('./T/a', '1')])])])]);
    assert.deepEqual(codes(r.recs), [200, 500, 215]);
  });
});
