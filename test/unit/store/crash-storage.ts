/**
 * Test helper (portable): wraps a MemStorage (test/helpers/fake-platform.ts) to cut the power at a
 * chosen storage operation. Operations are counted across every blob: each `write` and each
 * `sync` is one operation. At the crash operation:
 * - a write stores only its first `tornBytes` bytes;
 * - then, with `persistUnsynced`, everything written so far (including the torn piece) reaches the
 *   medium (worst case of a disk cache that did write back), otherwise only what was synced survives;
 * - the MemStorage reverts to its durable content and `PowerCut` is thrown. Every later call
 *   throws too (the device is dead) until the test builds a new store on the same MemStorage.
 */
import type { Blob, Storage } from '../../../src/platform';
import type { MemStorage } from '../../helpers/fake-platform';

export class PowerCut extends Error {
  override readonly name = 'PowerCut';
}

export interface CrashPlan {
  /** 1-based index of the operation (write or sync) at which the power fails; 0 = never. */
  atOp: number;
  /** Bytes of the crashing write that reach the blob (ignored when the crash is at a sync). */
  tornBytes: number;
  /** Whether unsynced writes (incl. the torn one) become durable at the cut. */
  persistUnsynced: boolean;
}

/** One storage operation as seen by the wrapper (for planning sweeps). */
export interface OpTrace {
  kind: 'write' | 'sync';
  blob: string;
  length: number;
}

export class CrashStorage implements Storage {
  ops = 0;
  dead = false;
  readonly trace: OpTrace[] = [];
  constructor(readonly mem: MemStorage, readonly plan: CrashPlan = { atOp: 0, tornBytes: 0, persistUnsynced: false }) {}

  #alive(): void {
    if (this.dead) throw new PowerCut('device is off');
  }
  /** Called by blobs before an operation; returns true when this one is the crash point. */
  step(kind: 'write' | 'sync', blob: string, length: number): boolean {
    this.#alive();
    this.ops++;
    this.trace.push({ kind, blob, length });
    return this.plan.atOp === this.ops;
  }
  cut(): never {
    if (this.plan.persistUnsynced) {
      for (const name of this.mem.files.keys()) {
        const b = this.mem.open(name, false);
        b.sync();
        b.close();
      }
    }
    this.mem.powerCut();
    this.dead = true;
    throw new PowerCut(`power cut at operation ${this.ops}`);
  }
  open(name: string, create: boolean): Blob {
    this.#alive();
    return new CrashBlob(this, name, this.mem.open(name, create));
  }
  exists(name: string): boolean {
    this.#alive();
    return this.mem.exists(name);
  }
  remove(name: string): void {
    this.#alive();
    this.mem.remove(name);
  }
  rename(from: string, to: string): void {
    this.#alive();
    this.mem.rename(from, to);
  }
}

class CrashBlob implements Blob {
  constructor(private readonly st: CrashStorage, private readonly name: string, private readonly inner: Blob) {}
  size(): number { return this.inner.size(); }
  read(offset: number, dst: Uint8Array): number { return this.inner.read(offset, dst); }
  truncate(length: number): void { this.inner.truncate(length); }
  close(): void { this.inner.close(); }
  write(offset: number, src: Uint8Array): void {
    if (this.st.step('write', this.name, src.length)) {
      this.inner.write(offset, src.subarray(0, Math.min(src.length, this.st.plan.tornBytes)));
      this.st.cut();
    }
    this.inner.write(offset, src);
  }
  sync(): void {
    if (this.st.step('sync', this.name, 0)) this.st.cut();
    this.inner.sync();
  }
}
