// Unit (portable): the persistent alert queue — durability, acknowledgement, bounds, power cuts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AlertQueue } from '../../../src/agent/AlertQueue';
import { MemStorage } from '../../helpers/fake-platform';

/** JSON with sorted keys (the reloaded objects come back in CBOR key order). */
const canon = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as object).sort(([a], [b]) => (a < b ? -1 : 1))) : x));
const alert = (id: string, data = '200') => ({ id, code: 1226, correlator: `c-${id}`, items: [{ source: './FUMO/x', meta: { type: 'org.openmobilealliance.dm.firmwareupdate.update', format: 'int', mark: 'critical' }, data }] });

describe('AlertQueue', () => {
  test('alerts survive a restart exactly, are removed by a 2xx status only', () => {
    const st = new MemStorage();
    const q = new AlertQueue(st);
    assert.ok(q.add(alert('a')));
    assert.ok(q.add(alert('b', '410')));
    st.powerCut();
    const q2 = new AlertQueue(st);
    assert.deepEqual(q2.pending(), [alert('a'), alert('b', '410')]);
    q2.status('a', 500);
    assert.equal(q2.size, 2, 'a refusal keeps the alert');
    q2.status('a', 202);
    st.powerCut();
    assert.deepEqual(new AlertQueue(st).pending(), [alert('b', '410')]);
  });

  test('bounded: a full queue refuses; an alert refused too often is dropped', () => {
    const q = new AlertQueue(new MemStorage(), { maxAlerts: 2, maxAttempts: 3 });
    assert.ok(q.add(alert('1')));
    assert.ok(q.add(alert('2')));
    assert.equal(q.add(alert('3')), false);
    assert.ok(q.add(alert('2', '201')), 'same id replaces');
    for (let i = 0; i < 3; i++) q.status('1', 415);
    assert.deepEqual(q.pending().map((a) => a.id), ['2']);
  });

  test('a power cut during any write leaves the queue before or after that change', () => {
    for (let cut = 1; cut <= 12; cut++) {
      for (const torn of [0, 5, 25]) {
        const st = new MemStorage();
        const q = new AlertQueue(st);
        q.add(alert('x'));
        const before = canon(new AlertQueue(st).pending());
        st.writes = 0;
        st.failAtWrite = cut;
        st.tornBytes = torn;
        let after = before;
        try {
          q.add(alert('y'));
          after = canon(q.pending());
          q.status('x', 200);
        } catch {
          // power lost here
        }
        st.failAtWrite = 0;
        st.powerCut();
        const got = canon(new AlertQueue(st).pending());
        const final = canon([alert('y')]);
        assert.ok([before, after, final].includes(got), `cut ${cut}/${torn}: ${got}`);
      }
    }
  });
});
