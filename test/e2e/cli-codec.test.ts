// End-to-end (node-only): the built CLI's decode/encode commands (needs `make build`).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILD, ROOT } from '../helpers/paths';

const CLI = join(BUILD, 'dist', 'omadm.mjs');
const skip = existsSync(CLI) ? false : 'CLI not built (make build)';
const run = (...args: string[]): { code: number; out: string; err: string; raw: Buffer } => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'buffer' });
  return { code: r.status ?? -1, out: r.stdout.toString('utf8'), err: r.stderr.toString('utf8'), raw: r.stdout };
};

describe('omadm decode / encode', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'omadm-cli-'));
  const xml = join(ROOT, 'test', 'fixtures', 'codec', 'pkg2-mgmt.xml');

  test('encode XML → WBXML, decode back to the same document', () => {
    const wb = join(dir, 'm.wbxml');
    const e = run('encode', '--wbxml', xml, '-o', wb);
    assert.equal(e.code, 0, e.err);
    const bytes = readFileSync(wb);
    assert.deepEqual([...bytes.subarray(0, 4)], [0x02, 0xa4, 0x01, 0x6a]);
    const d = run('decode', wb);
    assert.equal(d.code, 0, d.err);
    assert.match(d.out, /<SyncML xmlns="SYNCML:SYNCML1.2">/);
    assert.match(d.out, /<LocURI>\.\/DevDetail\/FwV<\/LocURI>/);
    assert.match(d.out, /<NextNonce xmlns="syncml:metinf">LG3iZQhhdmKNHg==<\/NextNonce>/);
  });

  test('encode to stdout picks the other encoding by default', () => {
    const r = run('encode', xml);
    assert.equal(r.code, 0);
    assert.equal(r.raw[0], 0x02);
  });

  test('bad input and usage errors: stderr and a non-zero exit code', () => {
    const junk = join(dir, 'junk.bin');
    writeFileSync(junk, Buffer.from([0x99, 1, 2]));
    const a = run('decode', junk);
    assert.equal(a.code, 1);
    assert.match(a.err, /neither WBXML nor XML/);
    const trunc = join(dir, 'trunc.wbxml');
    writeFileSync(trunc, Buffer.from([3, 0xa4, 1, 0x6a, 0, 0x6d, 0x6c]));
    const b = run('decode', trunc);
    assert.equal(b.code, 1);
    assert.match(b.err, /malformed input/);
    assert.equal(run('decode').code, 2);
    assert.equal(run('nope').code, 2);
    assert.equal(run('decode', join(dir, 'missing.xml')).code, 1);
  });
});
