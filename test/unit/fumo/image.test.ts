// Layer: unit (portable). The image header format and the streaming image check; the slot writer
// on the fake NOR flash (erase-block steps, durable offsets, padding, overflow).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { encodeImage, parseImageHeader, omadmImageCheck, IMAGE_HEADER_SIZE } from '../../../src/fumo/image';
import { SlotWriter, checkSlots, readSlot } from '../../../src/fumo/slot';
import { Sha256 } from '../../../src/crypto/sha256';
import { crc32 } from '../../../src/crypto/crc32';
import { NativeFlash } from '../../../src/native/Flash';
import { FakeFlashBinding, FakeFlashMedia } from '../../../src/native/fake';
import { toHex } from '../../../src/util/bytes';
import { payload } from './helpers';

describe('image header', () => {
  test('layout: magic, versions, length, version text, payload SHA-256, header CRC', () => {
    const p = payload(1000, 3);
    const img = encodeImage('2.1.0-rc1', p);
    assert.equal(img.length, IMAGE_HEADER_SIZE + 1000);
    const dv = new DataView(img.buffer);
    assert.equal(String.fromCharCode(...img.subarray(0, 4)), 'OMFW');
    assert.equal(dv.getUint16(4), 1);
    assert.equal(dv.getUint16(6), 96);
    assert.equal(dv.getUint32(8), 1000);
    assert.equal(String.fromCharCode(...img.subarray(16, 25)), '2.1.0-rc1');
    assert.ok(img.subarray(25, 48).every((b) => b === 0));
    assert.equal(toHex(img.subarray(48, 80)), toHex(new Sha256().update(p).digest()));
    assert.equal(dv.getUint32(80), crc32(img.subarray(0, 80)));
    assert.deepEqual(parseImageHeader(img), { version: '2.1.0-rc1', payloadLength: 1000, flags: 0, payloadSha256: img.slice(48, 80) });
  });

  test('any flipped header byte or a wrong field is refused', () => {
    const img = encodeImage('1.0', payload(10, 1));
    for (let i = 0; i < 84; i++) {
      const b = img.slice();
      b[i] = b[i]! ^ 0x01;
      assert.equal(parseImageHeader(b), null, `byte ${i}`);
    }
    assert.equal(parseImageHeader(img.subarray(0, 95)), null);
    assert.throws(() => encodeImage('', new Uint8Array(0)), RangeError);
    assert.throws(() => encodeImage('x'.repeat(33), new Uint8Array(0)), RangeError);
  });

  test('streaming check: same verdict for any chunking; torn, truncated or tampered images fail 404', () => {
    const img = encodeImage('3.0', payload(5000, 9));
    const run = (b: Uint8Array, len: number, step: number, accept?: (h: { version: string }) => number) => {
      const c = omadmImageCheck(len, accept ? { accept } : {});
      for (let o = 0; o < b.length; o += step) c.update(b.subarray(o, o + step));
      return { r: c.finish(), h: c.header };
    };
    for (const step of [1, 7, 96, 97, 4096, 100000]) {
      const { r, h } = run(img, img.length, step);
      assert.equal(r, 200, `step ${step}`);
      assert.equal(h?.version, '3.0');
    }
    assert.equal(run(img.subarray(0, img.length - 1), img.length, 100).r, 404, 'truncated');
    assert.equal(run(img, img.length + 1, 100).r, 404, 'length field disagrees with the package');
    const torn = img.slice(); torn.fill(0xff, 3000);
    assert.equal(run(torn, img.length, 100).r, 404, 'torn (erased tail)');
    const flip = img.slice(); flip[200] = flip[200]! ^ 0x80;
    assert.equal(run(flip, img.length, 100).r, 404, 'payload bit flip');
    assert.equal(run(new Uint8Array(200).fill(0xff), 200, 50).r, 404, 'erased flash');
    assert.equal(run(img, img.length, 512, (h) => (h.version === '3.0' ? 403 : 200)).r, 403, 'accept hook verdict');
  });
});

describe('slot writer', () => {
  const ERASE = 4096;
  function dev(kind: 'sim' | 'sim-nand' = 'sim') {
    const media = new FakeFlashMedia();
    const flash = NativeFlash.open(new FakeFlashBinding(media), 'f', { kind, eraseSize: ERASE, pageSize: 256, size: 8 * ERASE });
    return { media, flash };
  }

  test('layout checks', () => {
    const { flash } = dev();
    checkSlots(flash, [{ offset: 0, size: 4 * ERASE }, { offset: 4 * ERASE, size: 4 * ERASE }]);
    assert.throws(() => checkSlots(flash, [{ offset: 0, size: 4 * ERASE }]), /exactly two/);
    assert.throws(() => checkSlots(flash, [{ offset: 100, size: 4 * ERASE }, { offset: 4 * ERASE, size: 4 * ERASE }]), /slots\[0\]\.offset/);
    assert.throws(() => checkSlots(flash, [{ offset: 0, size: 5 * ERASE }, { offset: 4 * ERASE, size: 4 * ERASE }]), /overlap/);
    assert.throws(() => checkSlots(flash, [{ offset: 0, size: 4 * ERASE }, { offset: 4 * ERASE, size: 5 * ERASE }]), /beyond/);
  });

  for (const kind of ['sim', 'sim-nand'] as const) {
    test(`${kind}: streams in erase-block steps, reports durable offsets, pads the tail with 0xFF`, () => {
      const { media, flash } = dev(kind);
      const slot = { offset: 4 * ERASE, size: 4 * ERASE };
      // the slot holds old data (not erased): the writer must erase before programming
      const junk = new Uint8Array(ERASE).fill(0x00);
      for (let b = 4; b < 8; b++) { flash.erase(b); flash.write(b * ERASE, junk); }
      const w = new SlotWriter(flash, slot);
      const durable: number[] = [];
      w.onDurable = (d) => durable.push(d);
      w.begin(0);
      const data = payload(3 * ERASE + 1000, 5);
      for (let o = 0; o < data.length; o += 777) assert.ok(w.write(data.subarray(o, o + 777)));
      assert.deepEqual(durable, [ERASE, 2 * ERASE, 3 * ERASE], 'one durable point per full block');
      assert.equal(w.position, data.length);
      w.finish();
      assert.deepEqual(durable, [ERASE, 2 * ERASE, 3 * ERASE, data.length]);
      const img = media.image('f')!;
      assert.equal(toHex(img.subarray(slot.offset, slot.offset + data.length)), toHex(data));
      assert.ok(img.subarray(slot.offset + data.length, slot.offset + 4 * ERASE).every((b) => b === 0xff), 'tail block padded/erased');
      assert.ok(img.subarray(0, 4 * ERASE).every((b) => b === 0xff), 'the other slot untouched');
      const back = new Uint8Array(data.length);
      readSlot(flash, slot, 0, back);
      assert.equal(toHex(back), toHex(data));
    });
  }

  test('resume at a block boundary rewrites from there; overflow is refused before writing', () => {
    const { media, flash } = dev();
    const slot = { offset: 0, size: 2 * ERASE };
    const w = new SlotWriter(flash, slot);
    const a = payload(2 * ERASE, 1);
    w.begin(0);
    w.write(a.subarray(0, ERASE + 10));
    const w2 = new SlotWriter(flash, slot);
    w2.begin(ERASE);
    assert.throws(() => w2.begin(10), RangeError);
    w2.begin(ERASE);
    assert.equal(w2.write(a.subarray(ERASE)), true);
    assert.equal(w2.write(new Uint8Array(1)), false, 'beyond the slot');
    w2.finish();
    assert.equal(toHex(media.image('f')!.subarray(0, 2 * ERASE)), toHex(a));
  });
});
