// End-to-end (node-only): `omadm demo` runs the whole seed scenario (needs make build + make native):
// SMS push on the simulated modem → authenticated session → sync settings → FUMO → reboot → 1226.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD } from '../helpers/paths';

const CLI = join(BUILD, 'dist', 'omadm.mjs');
const ready = existsSync(CLI) && existsSync(join(BUILD, 'native', 'host', 'modem-sim')) && existsSync(join(BUILD, 'native', 'host', 'dm_native.node'));

describe('omadm demo', { skip: ready ? false : 'not built (make build native)' }, () => {
  test('the seed scenario, with the full transcript', () => {
    const r = spawnSync(process.execPath, [CLI, 'demo'], { encoding: 'utf8', timeout: 120000 });
    assert.equal(r.status, 0, r.stdout.slice(-3000) + r.stderr.slice(-2000));
    assert.match(r.stdout, /DEMO OK/);
    assert.match(r.stdout, /push router: accepted: server com\.mgmtsrv\.manage, session id 1A2B/);
    assert.match(r.stdout, /<Alert>\s*<CmdID>1<\/CmdID>\s*<Data>1200<\/Data>/, 'server-initiated package 1');
    assert.match(r.stdout, /<Data>1226<\/Data>/, 'the Generic Alert went out');
    assert.match(r.stdout, /power-ons: reboot → idle; firmware now 2\.0 on slot B/);
    assert.doesNotMatch(r.stdout, /s3cret|dev-secret-7f3a|srv-secret-91c2/, 'secrets never appear in the transcript');
  });

  test('--power-cut: the download resumes with HTTP Range after the power comes back', () => {
    const r = spawnSync(process.execPath, [CLI, 'demo', '--quiet', '--power-cut'], { encoding: 'utf8', timeout: 120000 });
    assert.equal(r.status, 0, r.stdout.slice(-3000) + r.stderr.slice(-2000));
    assert.match(r.stdout, /power-ons: power-cut → reboot → idle/);
    assert.match(r.stdout, /firmware requests: 200, 206 bytes=\d+-/);
  });
});
