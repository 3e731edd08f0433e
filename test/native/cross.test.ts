/**
 * Node-only: the native core on ARM under QEMU user mode.
 *  - the static C unit tests built by `make native-cross` (build/native/<arch>/test_*), run with
 *    qemu-aarch64 / qemu-arm: same checks as on the host, on 64- and 32-bit ARM (off_t, time_t,
 *    struct layouts, ioctl numbers, ptys through qemu's syscall layer);
 *  - the cross-compiled N-API addon loaded by Debian's node 18 for that arch (sysroot from
 *    target/quickjs/quickjs.mk: build/sysroot/<arch>/.stamp-node), exercising flash and file calls.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, BUILD } from '../helpers/paths';

const ARCHS: { arch: string; qemu: string }[] = [
  { arch: 'aarch64', qemu: 'qemu-aarch64' },
  { arch: 'armhf', qemu: 'qemu-arm' },
];
const names = readdirSync(join(ROOT, 'test', 'native')).filter((f) => /^test_.*\.c$/.test(f)).map((f) => f.slice(0, -2));
const haveQemu = (q: string): boolean => spawnSync(q, ['--version'], { encoding: 'utf8' }).status === 0;

/** A script for node 18 under qemu: opens a simulated flash through the cross addon and checks it. */
const NODE_SCRIPT = `
const b = require(process.argv[1]); // node -e: argv = [node, ...args]
const dir = process.argv[2];
const c = b.constants;
const h = b.flashOpen(dir + '/x.img', c.FLASH_SIM, 1024, 128, 4096);
if (h <= 0) throw new Error('open ' + h);
const page = new Uint8Array(128).fill(0x0f);
if (b.flashWrite(h, 128, page, 0, 128) !== 128) throw new Error('write');
page.fill(0xff);
if (b.flashWrite(h, 128, page, 0, 128) !== -b.errno.EIO) throw new Error('NOR rule');
const back = new Uint8Array(256);
if (b.flashRead(h, 0, back, 0, 256) !== 256 || back[0] !== 0xff || back[128] !== 0x0f) throw new Error('read');
const f = b.fileOpen(dir + '/f', c.FILE_WRITE | c.FILE_CREATE);
if (b.filePwrite(f, 5, page, 0, 3) !== 3 || b.fileSize(f) !== 8 || b.fileSync(f) !== 0) throw new Error('file');
if (b.fileRename(dir + '/f', dir + '/g') !== 0) throw new Error('rename');
let threw = false; try { b.flashRead(h, 0, back, 200, 100); } catch (e) { threw = e instanceof RangeError; }
if (!threw) throw new Error('bounds');
b.close(h); b.close(f);
// uv_poll through watch(): a UDP datagram to a WDP socket wakes the callback
const w = b.wdpOpen(0, c.WDP_LOOPBACK);
const port = b.wdpPort(w);
const got = new Uint8Array(64);
if (b.watch(w, () => {
  const n = b.wdpRecv(w, got, 0, 64);
  if (n !== 3 || got[2] !== 7) throw new Error('recv ' + n);
  b.close(w); // stops the watch too: the process can exit
  console.log('ok', process.arch, c.ABI, b.clockMonotonicMs() > 0);
}) !== 0) throw new Error('watch');
const s = require('dgram').createSocket('udp4');
s.send(Uint8Array.of(5, 6, 7), port, '127.0.0.1', () => s.close());
`;

for (const { arch, qemu } of ARCHS) {
  const q = haveQemu(qemu);
  describe(`native core on ${arch} (QEMU)`, () => {
    for (const name of names) {
      const bin = join(BUILD, 'native', arch, name);
      const skip = !q ? `${qemu} not installed` : !existsSync(bin) ? `${bin} not built (make native-cross)` : false;
      test(name, { skip }, () => {
        const r = spawnSync(qemu, [bin], { encoding: 'utf8', timeout: 180_000 });
        const out = `${r.stdout}\n${r.stderr}`;
        assert.equal(r.status, 0, `${name} under ${qemu}: exit ${r.status} (signal ${r.signal}):\n${out}`);
        assert.match(r.stdout, / 0 failed$/m, out);
      });
    }
    const addon = join(BUILD, 'native', arch, 'dm_native.node');
    const sysroot = join(BUILD, 'sysroot', arch);
    const node = join(sysroot, 'usr', 'bin', 'node');
    const skip = !q ? `${qemu} not installed`
      : !existsSync(addon) ? `${addon} not built (make native-cross)`
      : !existsSync(join(sysroot, '.stamp-node')) || !existsSync(node) ? `no node sysroot (make sysroot ARCH=${arch})` : false;
    test('N-API addon in node 18', { skip }, () => {
      const dir = mkdtempSync(join(tmpdir(), `dm-cross-${arch}-`));
      try {
        const r = spawnSync(qemu, ['-L', sysroot, node, '-e', NODE_SCRIPT, addon, dir], { encoding: 'utf8', timeout: 180_000 });
        assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
        assert.match(r.stdout, new RegExp(`^ok ${arch === 'armhf' ? 'arm' : 'arm64'} 1 true$`, 'm'));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
