/**
 * FUMO streaming write throughput: a firmware image streamed into an A/B slot by the FUMO slot
 * writer (src/fumo/slot.ts `SlotWriter`: one erase-block buffer; per block erase, program, sync)
 * through src/native/Flash.ts on the native file-backed NOR simulator (`kind: 'sim'`: erased
 * bytes read 0xFF, programming only clears bits, so a missed erase corrupts the image), fed in
 * 4 KiB pieces as a download delivers them, then read back block by block and compared (32-bit
 * words, so the check costs a quarter of a byte loop).
 *
 * Check: every byte read back equals the image (a failed erase, a short write or a wrong offset
 * fails the run). Operation = one whole image written and verified; MB/s is of the image.
 */
import { NativeFlash } from '../../src/native/Flash';
import { SlotWriter, readSlot } from '../../src/fumo/slot';
import type { BenchHost, CaseInstance, CaseParams } from '../lib/types';
import { check } from '../lib/types';

export function slotWriteCase(host: BenchHost, p: CaseParams): CaseInstance {
  const size = Number(p['size']);
  const eraseSize = Number(p['eraseSize'] ?? 65536);
  const chunk = Number(p['chunk'] ?? 4096);
  const binding = host.native();
  if (!binding) throw new Error(`no native flash binding on ${host.runtime}`);
  const flash = NativeFlash.open(binding, host.scratchDir + '/slot.img', { kind: 'sim', size, eraseSize, pageSize: 256 });
  const image = new Uint8Array(size);
  let x = 0x12345678;
  for (let i = 0; i < size; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    image[i] = x & 0xff;
  }
  const slot = { offset: 0, size };
  const writer = new SlotWriter(flash, slot);
  const back = new Uint8Array(eraseSize);
  // verify word by word (4 bytes per step: QuickJS has no memcmp; the views are made once)
  if (eraseSize % 4 !== 0) throw new RangeError('params.eraseSize: a multiple of 4');
  const back32 = new Uint32Array(back.buffer, 0, eraseSize / 4);
  const image32: Uint32Array[] = [];
  for (let o = 0; o < size; o += eraseSize) image32.push(new Uint32Array(image.buffer, o, eraseSize / 4));
  let gen = 0;
  return {
    bytes: size, elements: size / eraseSize, elementName: 'erase block',
    fn() {
      // a different image every time (first byte of each block), so stale flash content is caught
      gen = (gen + 1) & 0xff;
      for (let b = 0; b < size; b += eraseSize) image[b] = gen;
      writer.begin(0);
      for (let o = 0; o < size; o += chunk) {
        if (!writer.write(image.subarray(o, Math.min(size, o + chunk)))) throw new Error('slot overflow');
      }
      writer.finish();
      check(writer.durable === size, `durable ${writer.durable} of ${size}`);
      for (let b = 0, o = 0; o < size; b++, o += eraseSize) {
        readSlot(flash, slot, o, back);
        const want = image32[b]!;
        for (let i = 0; i < want.length; i++) if (back32[i] !== want[i]) check(false, `flash differs in word ${i} of block ${b}`);
      }
    },
    teardown() {
      flash.close();
    },
  };
}
