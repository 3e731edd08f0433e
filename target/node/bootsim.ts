/**
 * The simulated bootloader of the Node device (run at every power-on, before the client starts):
 * reads `boot.rec`, picks the slot (a pending slot on trial uses one attempt; an exhausted or invalid
 * pending slot is rolled back; an invalid committed slot falls back to the other one), validates
 * the image it is about to start (omadm image header + payload SHA-256, read from the file-backed
 * flash), and can be told to "fail" boots of given versions (the kernel of that firmware never
 * reaches user space) for the rollback/410 tests.
 *
 *   const r = bootSim({ storage, flash, slots, failVersions: ['6.6.6'] });
 *   if (!r.decision) → bricked (never happens: the tests assert it)
 *   if (r.failed)    → this boot attempt dies; power-cycle and run bootSim again
 */
import type { Storage } from '../../src/platform';
import { BootControl } from '../../src/fumo/BootControl';
import type { BootDecision } from '../../src/fumo/BootControl';
import { IMAGE_HEADER_SIZE, encodeImage, omadmImageCheck, parseImageHeader } from '../../src/fumo/image';
import type { FlashDevice, SlotLayout } from '../../src/fumo/slot';
import { readSlot } from '../../src/fumo/slot';

/** Options of one bootloader run. */
export interface BootSimOptions {
  /** Where boot.rec lives (the device's storage). */
  storage: Storage;
  flash: FlashDevice;
  slots: readonly [SlotLayout, SlotLayout];
  /** Versions whose boot fails (simulated kernel panic before the OS confirms). */
  failVersions?: readonly string[];
  /** Boot attempts of a pending slot (BootControl maxTries). Default 3. */
  maxTries?: number;
}

/** What the bootloader did. */
export interface BootSimResult {
  /** Null when neither slot holds a valid image (bricked). */
  decision: BootDecision | null;
  /** Version of the image started. */
  version: string | null;
  /** The started firmware is one of `failVersions`: this boot attempt never reaches the OS. */
  failed: boolean;
  /** Version per slot as validated (null = invalid), for logs and tests. */
  slotVersions: [string | null, string | null];
}

/** Validates the image in a slot (header, length, payload hash) by reading it back; its version or null. */
export function slotImageVersion(flash: FlashDevice, slot: SlotLayout): string | null {
  const head = new Uint8Array(IMAGE_HEADER_SIZE);
  readSlot(flash, slot, 0, head);
  const h = parseImageHeader(head);
  if (!h || IMAGE_HEADER_SIZE + h.payloadLength > slot.size) return null;
  const len = IMAGE_HEADER_SIZE + h.payloadLength;
  const check = omadmImageCheck(len);
  const buf = new Uint8Array(flash.eraseSize);
  for (let at = 0; at < len; at += buf.length) {
    const b = buf.subarray(0, Math.min(buf.length, len - at));
    readSlot(flash, slot, at, b);
    check.update(b);
  }
  return check.finish() === 200 ? check.header!.version : null;
}

/** One power-on of the bootloader. */
export function bootSim(o: BootSimOptions): BootSimResult {
  const versions: [string | null, string | null] = [slotImageVersion(o.flash, o.slots[0]), slotImageVersion(o.flash, o.slots[1])];
  const bc = new BootControl(o.storage, o.maxTries !== undefined ? { maxTries: o.maxTries } : {});
  const decision = bc.decideBoot((s) => versions[s] !== null);
  const version = decision ? versions[decision.slot]! : null;
  return { decision, version, failed: version !== null && (o.failVersions ?? []).includes(version), slotVersions: versions };
}

/** Writes a factory image (version `version`, `payloadBytes` of deterministic payload) into `slot`. */
export function writeFactoryImage(flash: FlashDevice, slot: SlotLayout, version: string, payloadBytes: number): void {
  const p = new Uint8Array(payloadBytes);
  for (let i = 0; i < p.length; i++) p[i] = (i * 131 + 17) & 0xff;
  const img = encodeImage(version, p);
  if (img.length > slot.size) throw new RangeError(`factory image of ${img.length} bytes does not fit the slot (${slot.size})`);
  const e = flash.eraseSize;
  const blk = new Uint8Array(e);
  for (let at = 0; at < img.length; at += e) {
    blk.fill(0xff);
    blk.set(img.subarray(at, at + e));
    flash.erase((slot.offset + at) / e);
    const n = Math.ceil(Math.min(e, img.length - at) / flash.pageSize) * flash.pageSize;
    flash.write(slot.offset + at, blk.subarray(0, n));
  }
  flash.sync();
}
