/**
 * `make image ARCH=…`: the install tree and tarball an OEM drops into its rootfs. The tarball is
 * reproducible, holds the documented layout, its default configuration is a valid device
 * configuration (src/agent/config.ts), and the binary from it runs its selftest under QEMU.
 * Layer: node-only (make, tar, QEMU).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDeviceConfig } from '../../src/agent/config';
import { ROOT, BUILD } from '../helpers/paths';

const LAYOUT = [
  './usr/bin/omadm', './etc/omadm/omadm.json', './etc/init.d/S50omadm', './usr/lib/systemd/system/omadm.service',
  './var/lib/omadm/', './usr/share/doc/omadm/README', './usr/share/doc/omadm/LICENSE.quickjs', './usr/share/doc/omadm/MANIFEST',
];

function sha(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

describe('make image', () => {
  for (const [arch, qemu] of [['aarch64', 'qemu-aarch64'], ['armhf', 'qemu-arm']] as const) {
    test(`${arch}: reproducible tarball with the documented layout that runs under ${qemu}`, () => {
      const mk = (): void => {
        const r = spawnSync('make', ['-s', '--no-print-directory', 'image', `ARCH=${arch}`], { cwd: ROOT, encoding: 'utf8' });
        assert.equal(r.status, 0, r.stdout + r.stderr);
      };
      const tarball = join(BUILD, 'image', `omadm-${arch}.tar.gz`);
      mk();
      const first = sha(tarball);
      mk();
      assert.equal(sha(tarball), first, 'same inputs, same tarball');
      const list = spawnSync('tar', ['-tzvf', tarball], { encoding: 'utf8' }).stdout;
      for (const p of LAYOUT) assert.match(list, new RegExp(` ${p.replace(/\./g, '\\.')}$`, 'm'), `${p} in the tarball`);
      assert.match(list, /^-rwxr-xr-x 0\/0 .* \.\/usr\/bin\/omadm$/m, 'root-owned (numeric), executable');
      assert.match(list, /^drwx------ 0\/0 .* \.\/var\/lib\/omadm\/$/m, 'state dir 0700');
      assert.doesNotMatch(list, /ca\.pem/, 'the CA bundle is the OEM\'s: not shipped');
      const dir = mkdtempSync(join(tmpdir(), 'omadm-image-'));
      try {
        assert.equal(spawnSync('tar', ['-xzf', tarball, '-C', dir]).status, 0);
        const cfg = JSON.parse(readFileSync(join(dir, 'etc', 'omadm', 'omadm.json'), 'utf8')) as { memoryLimit?: unknown };
        const parsed = parseDeviceConfig(cfg);
        assert.equal(parsed.storage, '/var/lib/omadm');
        assert.equal(parsed.tls.ca, '/etc/omadm/ca.pem');
        assert.ok(typeof cfg.memoryLimit === 'number' && cfg.memoryLimit > 0);
        const manifest = readFileSync(join(dir, 'usr', 'share', 'doc', 'omadm', 'MANIFEST'), 'utf8');
        assert.match(manifest, new RegExp(`^${sha(join(dir, 'usr', 'bin', 'omadm'))}  \\./usr/bin/omadm$`, 'm'));
        const r = spawnSync('timeout', ['120', qemu, join(dir, 'usr', 'bin', 'omadm'), '--memory-limit', String(cfg.memoryLimit),
          'selftest', '--storage', join(dir, 'st')], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /^selftest: \d+ passed, 0 failed/m);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
