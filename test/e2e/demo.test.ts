// End-to-end (node-only): `omadm demo` runs the seed scenario and ends with DEMO OK (needs make build + native).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD } from '../helpers/paths';

const CLI = join(BUILD, 'dist', 'omadm.mjs');
const modem = existsSync(join(BUILD, 'native', 'host', 'modem-sim')) && existsSync(join(BUILD, 'native', 'host', 'dm_native.node'));

test('omadm demo: SMS push on the simulated modem → authenticated session → settings configured', { skip: existsSync(CLI) ? false : 'not built' }, () => {
  const r = spawnSync(process.execPath, [CLI, 'demo'], { encoding: 'utf8', timeout: 120000 });
  assert.equal(r.status, 0, r.stdout.slice(-3000) + r.stderr.slice(-2000));
  assert.match(r.stdout, /DEMO OK/);
  if (modem) assert.match(r.stdout, /modem → \+CMT/, 'the notification went through the modem on a pty');
  assert.match(r.stdout, /<Alert>\s*<CmdID>1<\/CmdID>\s*<Data>1200<\/Data>/, 'server-initiated package 1');
  assert.doesNotMatch(r.stdout, /s3cret|dev-secret-7f3a|srv-secret-91c2/, 'secrets never appear in the transcript');
});
