/**
 * Record-store commit (src/store/RecordStore.ts): header + CRC-32 over the payload, write to the
 * older slot, sync. `storage: 'mem'` is the in-memory Storage of the tests (CPU cost only, stable
 * instruction counts); `storage: 'file'` is the product's durable file storage (Node: fs +
 * fdatasync; QuickJS: dm_native pwrite + fdatasync), whose time is mostly the disk's.
 *
 * Every operation commits a different payload (a counter in its first bytes). Checks: the sequence
 * number advances by one per commit; at teardown both slots are reloaded and the newest payload
 * must be the last one committed, byte for byte.
 */
import type { Storage } from '../../src/platform';
import { RecordStore } from '../../src/store/RecordStore';
import { MemStorage } from '../../test/helpers/fake-platform';
import type { BenchHost, CaseInstance, CaseParams } from '../lib/types';
import { check } from '../lib/types';

export function commitCase(host: BenchHost, p: CaseParams): CaseInstance {
  const size = Number(p['size']);
  const kind = String(p['storage']);
  let storage: Storage | null;
  if (kind === 'mem') storage = new MemStorage();
  else if (kind === 'file') storage = host.fileStorage(host.scratchDir + '/store');
  else throw new TypeError(`params.storage: 'mem' or 'file', got ${kind}`);
  if (!storage) throw new Error(`no file storage on ${host.runtime}`);
  const payload = new Uint8Array(size);
  for (let i = 0; i < size; i++) payload[i] = (i * 131 + 7) & 0xff;
  const rs = new RecordStore(storage, 'bench', { maxPayload: size });
  rs.commit(payload);
  let n = 0;
  return {
    bytes: size, elements: 1, elementName: 'commit',
    fn() {
      n++;
      payload[0] = n & 0xff; payload[1] = (n >>> 8) & 0xff; payload[2] = (n >>> 16) & 0xff;
      const seq = rs.seq;
      rs.commit(payload);
      check(rs.seq === ((seq + 1) >>> 0), `sequence number ${rs.seq} after ${seq}`);
    },
    teardown() {
      const again = new RecordStore(storage, 'bench', { maxPayload: size }).load();
      check(again !== null && again.length === size && again.every((b, i) => b === payload[i]), 'reloaded record differs from the last commit');
    },
  };
}
