// Layer: unit (portable). The two-slot record store: normal operation, corruption, limits, and the
// exhaustive in-process crash sweep (every write, every byte of every torn write, every sync, with
// and without unsynced data reaching the medium).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { RecordStore, RECORD_HEADER_SIZE, RECORD_MAGIC } from '../../../src/store/RecordStore';
import { crc32 } from '../../../src/crypto/crc32';
import { LimitError } from '../../../src/errors';
import { PlatformError } from '../../../src/platform';
import type { Storage } from '../../../src/platform';
import { MemStorage } from '../../helpers/fake-platform';
import { bytesEqual, toHex } from '../../../src/util/bytes';
import { CrashStorage, PowerCut } from './crash-storage';

function payload(n: number, tag: number): Uint8Array {
  const p = new Uint8Array(n);
  for (let i = 0; i < n; i++) p[i] = (tag * 31 + i * 7) & 0xff;
  return p;
}

/** Raw durable bytes of a blob in a MemStorage. */
function durable(mem: MemStorage, name: string): Uint8Array {
  return mem.files.get(name)!.durable.slice(0, mem.files.get(name)!.durableSize);
}

/** Writes a hand-made slot image (independent of RecordStore.commit) and syncs it. */
function writeSlot(st: Storage, name: string, seq: number, p: Uint8Array): void {
  const hdr = new Uint8Array(RECORD_HEADER_SIZE);
  const dv = new DataView(hdr.buffer);
  dv.setUint32(0, RECORD_MAGIC); dv.setUint16(4, 1); dv.setUint32(8, seq); dv.setUint32(12, p.length);
  dv.setUint32(16, crc32(p, crc32(hdr.subarray(0, 16))));
  const b = st.open(name, true);
  b.write(0, hdr); b.write(RECORD_HEADER_SIZE, p); b.sync(); b.close();
}

describe('RecordStore: normal operation', () => {
  test('fresh storage loads null; commits alternate slots and the newest wins after restart', () => {
    const mem = new MemStorage();
    const rs = new RecordStore(mem, 'tree.rec');
    assert.equal(rs.load(), null);
    assert.equal(rs.seq, 0);
    for (let i = 1; i <= 5; i++) {
      rs.commit(payload(10 * i, i));
      assert.equal(rs.seq, i);
      const again = new RecordStore(mem, 'tree.rec');
      assert.ok(bytesEqual(again.load()!, payload(10 * i, i)), `after commit ${i}`);
      assert.equal(again.info.loaded, (i - 1) % 2);
      assert.equal(again.seq, i);
    }
    assert.deepEqual([...mem.files.keys()].sort(), ['tree.rec.a', 'tree.rec.b']);
  });

  test('slot bytes follow the documented layout', () => {
    const mem = new MemStorage();
    const rs = new RecordStore(mem, 'x');
    rs.commit(new Uint8Array([0xde, 0xad]));
    const img = durable(mem, 'x.a');
    assert.equal(toHex(img.subarray(0, 16)), '444d525300010000' + '00000001' + '00000002');
    const crc = crc32(img.subarray(20, 22), crc32(img.subarray(0, 16)));
    assert.equal(new DataView(img.buffer, img.byteOffset).getUint32(16), crc);
    assert.equal(toHex(img.subarray(20)), 'dead');
  });

  test('a corrupted newest slot falls back to the previous record; both corrupted → null', () => {
    const mem = new MemStorage();
    const rs = new RecordStore(mem, 'r');
    rs.commit(payload(100, 1));
    rs.commit(payload(120, 2)); // in r.b
    const f = mem.files.get('r.b')!;
    f.durable[RECORD_HEADER_SIZE + 50]! ^= 0x01;
    mem.powerCut();
    const again = new RecordStore(mem, 'r');
    assert.ok(bytesEqual(again.load()!, payload(100, 1)));
    assert.equal(again.info.loaded, 0);
    // The next commit overwrites the corrupted slot, not the good one.
    again.commit(payload(7, 3));
    const third = new RecordStore(mem, 'r');
    assert.ok(bytesEqual(third.load()!, payload(7, 3)));
    assert.equal(third.info.loaded, 1);
    mem.files.get('r.a')!.durable[3] = 0; // magic
    mem.files.get('r.b')!.durable[17]! ^= 0xff; // crc
    mem.powerCut();
    assert.equal(new RecordStore(mem, 'r').load(), null);
  });

  test('sequence numbers compare modulo 2^32', () => {
    const mem = new MemStorage();
    writeSlot(mem, 'w.a', 0xffffffff, payload(5, 1));
    writeSlot(mem, 'w.b', 0, payload(6, 2));
    const rs = new RecordStore(mem, 'w');
    assert.ok(bytesEqual(rs.load()!, payload(6, 2)));
    rs.commit(payload(3, 3)); // seq 1 into .a
    assert.equal(rs.seq, 1);
    assert.ok(bytesEqual(new RecordStore(mem, 'w').load()!, payload(3, 3)));
  });

  test('payload bound: commit refuses before writing; a garbage length is never allocated', () => {
    const mem = new MemStorage();
    const rs = new RecordStore(mem, 'b', { maxPayload: 64 });
    rs.commit(payload(64, 1));
    assert.throws(() => rs.commit(payload(65, 2)), LimitError);
    assert.equal(mem.writes, 2);
    // Header claiming 2^31 bytes in a blob of 30: invalid, no attempt to read it.
    writeSlot(mem, 'b.b', 9, payload(10, 1));
    const f = mem.files.get('b.b')!;
    new DataView(f.durable.buffer).setUint32(12, 0x7fffffff);
    mem.powerCut();
    const again = new RecordStore(mem, 'b', { maxPayload: 64 });
    assert.ok(bytesEqual(again.load()!, payload(64, 1)));
    assert.equal(again.info.slots[1].valid, false);
  });

  test('an I/O error during commit keeps the previous record and retries the same slot', () => {
    const mem = new MemStorage();
    const rs = new RecordStore(mem, 'e');
    rs.commit(payload(30, 1));
    rs.commit(payload(30, 2)); // .b
    mem.failAtWrite = mem.writes + 2; // header write of the next commit
    mem.tornBytes = 5;
    assert.throws(() => rs.commit(payload(40, 3)), (e: unknown) => e instanceof PlatformError && e.code === 'EIO');
    assert.equal(rs.seq, 2);
    mem.failAtWrite = 0;
    assert.ok(bytesEqual(new RecordStore(mem, 'e').load()!, payload(30, 2)));
    rs.commit(payload(41, 4));
    assert.equal(rs.seq, 3);
    const again = new RecordStore(mem, 'e');
    assert.ok(bytesEqual(again.load()!, payload(41, 4)));
    assert.equal(again.info.loaded, 0);
  });

  test('argument checks', () => {
    const mem = new MemStorage();
    assert.throws(() => new RecordStore(mem, 'a/b'), TypeError);
    assert.throws(() => new RecordStore(mem, 'a', { maxPayload: 0 }), RangeError);
  });

  test('erase removes both slots', () => {
    const mem = new MemStorage();
    const rs = new RecordStore(mem, 'z');
    rs.commit(payload(3, 1)); rs.commit(payload(3, 2));
    rs.erase();
    assert.equal(mem.files.size, 0);
    assert.equal(new RecordStore(mem, 'z').load(), null);
  });
});

describe('RecordStore: crash-point sweep', () => {
  // Payload sizes chosen to grow, shrink, hit empty and reuse slots of different lengths.
  const SIZES = [40, 300, 0, 120, 7, 260];
  const payloads = SIZES.map((n, i) => payload(n, i + 1));

  /** Runs the commit sequence on `st` until it completes or the power fails; returns commits done. */
  function run(st: Storage): number {
    const rs = new RecordStore(st, 'tree.rec');
    rs.load();
    let done = 0;
    try {
      for (const p of payloads) { rs.commit(p); done++; }
    } catch (e) {
      if (!(e instanceof PowerCut)) throw e;
    }
    return done;
  }

  // Dry run to learn the operation sequence.
  const dry = new CrashStorage(new MemStorage());
  assert.equal(run(dry), payloads.length);
  const trace = dry.trace.slice();

  test('the sequence has a write of payload, a write of header and a sync per commit', () => {
    assert.equal(trace.length, payloads.length * 3);
    assert.deepEqual(trace.slice(0, 3).map((t) => t.kind), ['write', 'write', 'sync']);
  });

  for (const persistUnsynced of [false, true]) {
    test(`every op and every torn byte (unsynced data ${persistUnsynced ? 'reaches' : 'lost from'} the medium)`, () => {
      let cases = 0;
      for (let op = 1; op <= trace.length; op++) {
        const t = trace[op - 1]!;
        const tornMax = t.kind === 'write' ? t.length : 0;
        for (let torn = 0; torn <= tornMax; torn++) {
          cases++;
          const mem = new MemStorage();
          const st = new CrashStorage(mem, { atOp: op, tornBytes: torn, persistUnsynced });
          const done = run(st);
          assert.ok(st.dead, `op ${op} should have crashed`);
          // Restart: exactly the last committed record, or the one in flight (when its bytes all
          // reached the medium before the cut), never anything else, never nothing after a commit.
          const rs = new RecordStore(mem, 'tree.rec');
          const got = rs.load();
          const ok = [done > 0 ? payloads[done - 1]! : null, payloads[done]!];
          const match = ok.findIndex((p) => (p === null ? got === null : got !== null && bytesEqual(got, p)));
          assert.ok(match >= 0, `op ${op} (${t.kind}) torn ${torn}: loaded ${got ? got.length + ' bytes' : 'null'} after ${done} commits`);
          if (match === 1) assert.ok(persistUnsynced, 'a record can only be ahead when unsynced bytes persisted');
          // And the store keeps working after the restart.
          const next = payload(33, 99);
          rs.commit(next);
          assert.ok(bytesEqual(new RecordStore(mem, 'tree.rec').load()!, next));
        }
      }
      // Σ(payload bytes + 1) + Σ(header bytes + 1) + one per sync.
      const expected = SIZES.reduce((a, n) => a + n + 1, 0) + SIZES.length * (RECORD_HEADER_SIZE + 1) + SIZES.length;
      assert.equal(cases, expected);
    });
  }

  test('writes that error out (EIO) without a power cut never corrupt the store either', () => {
    for (let k = 1; k <= payloads.length * 2; k++) {
      const mem = new MemStorage();
      const rs = new RecordStore(mem, 'tree.rec');
      mem.failAtWrite = k; mem.tornBytes = 3;
      let done = 0;
      for (const p of payloads) {
        try { rs.commit(p); done = payloads.indexOf(p) + 1; } catch (e) { assert.ok(e instanceof PlatformError); }
      }
      const got = new RecordStore(mem, 'tree.rec').load()!;
      assert.ok(bytesEqual(got, payloads[done - 1]!), `failAtWrite ${k}`);
    }
  });
});
