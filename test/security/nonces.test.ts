// Security (node-only): nonce agreement between the device and the loopback server across
// sessions. After a completed session the SRVCRED nonce the device stored (the one it expects the
// server's next md5 Cred / HMAC / package #0 digest to use) must be the nonce the server last
// received in a Chal, or the next session's server authentication and every notification fail
// (the latter fall back to the reset nonce at best). The server's view is read from its state file.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../target/node/server';
import type { RunningServer } from '../../target/node/server';
import { parseScript } from '../../src/server/script';
import { buildPkg0 } from '../../src/push/pkg0';
import type { PushDecision } from '../../src/push/PushRouter';
import { makeDevice, DEV_ID } from '../helpers/device';

const SID = 'com.mgmtsrv.manage';
const N0 = 'EBESExQVFhcYGRobHB0eHw==';
const servers: RunningServer[] = [];
after(async () => { for (const s of servers) await s.close(); });

async function run(type: 'md5' | 'hmac', commands: boolean): Promise<{ first: string; second: string; stored: string; server: string; push: PushDecision | null; secondDetail: string }> {
  const stateFile = join(mkdtempSync(join(tmpdir(), 'omadm-nonce-')), 'state.json');
  const srv = await startServer({
    script: parseScript({ serverId: SID, auth: { server: { type, username: SID, password: 'srvpw', nonce: N0 } }, packages: commands ? [{ commands: [{ cmd: 'Get', target: './DevInfo/Lang' }] }] : [] }),
    port: 0, stateFile,
  });
  servers.push(srv);
  const decisions: PushDecision[] = [];
  const dev = makeDevice({
    url: srv.url, account: { connRetryFreq: 0, server: { type: type === 'md5' ? 'DIGEST' : 'HMAC', name: SID, secret: 'srvpw', nonce: new Uint8Array(Buffer.from(N0, 'base64')) } },
    agent: { autoSession: false, onPush: (d) => decisions.push(d) },
  });
  const r1 = await dev.agent.runSession();
  await new Promise((res) => setTimeout(res, 50)); // the server saves its state on setImmediate
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { devices: Record<string, { serverNonce?: string }> };
  // no entry: the server never received a Chal from this device and still uses its configured nonce
  const server = state.devices[DEV_ID]?.serverNonce ?? N0;
  const stored = Buffer.from(dev.agent.account()!.server.nonce).toString('base64');
  // a notification signed the way the server would sign it now
  const pkg = buildPkg0({ sessionId: 0x77, serverId: SID, secret: 'srvpw', nonce: new Uint8Array(Buffer.from(server, 'base64')) });
  dev.agent.handleSms({ kind: 'wdp', bytes: Uint8Array.from([1, 6, 3, 0xc4, 0xaf, 0x87, ...pkg]) });
  const r2 = await dev.agent.runSession();
  return { first: r1.outcome, second: r2.outcome, stored, server, push: decisions[0] ?? null, secondDetail: JSON.stringify(r2) };
}

describe('security: the device and the server agree on the server nonce after a session', () => {
  test('md5 server auth, a session with commands: stored nonce = the server\'s, the next session and a notification authenticate', async () => {
    const x = await run('md5', true);
    assert.equal(x.first, 'completed');
    assert.equal(x.stored, x.server);
    assert.notEqual(x.stored, N0, 'rotated');
    assert.equal(x.push?.outcome, 'accepted');
    assert.equal(x.push?.outcome === 'accepted' && x.push.nonceReset, false);
    assert.equal(x.second, 'completed', x.secondDetail);
  });

  test('md5 server auth, a session without commands (the Chal of the last reply is never sent; finding F10)', async () => {
    const x = await run('md5', false);
    assert.equal(x.first, 'completed');
    assert.equal(x.stored, x.server, 'the device stored a nonce the server never received');
    assert.equal(x.push?.outcome === 'accepted' && !x.push.nonceReset, true, `notification: ${JSON.stringify(x.push)}`);
  });

  test('HMAC server auth: a second session verifies the server (the stored nonce is the last one sent; finding F10)', async () => {
    const x = await run('hmac', true);
    assert.equal(x.first, 'completed');
    assert.equal(x.stored, x.server, 'the device stored a nonce the server never received');
    assert.equal(x.second, 'completed', x.secondDetail);
    assert.equal(x.push?.outcome === 'accepted' && !x.push.nonceReset, true, `notification: ${JSON.stringify(x.push)}`);
  });
});
