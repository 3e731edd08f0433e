// Security (node-only): notifications (package #0 over WAP push) through the device agent. Forged
// digests (wrong secret, tampered trigger, unknown server) are rejected and start nothing; a replay
// inside the duplicate window is rejected; a notification signed with a nonce that a later session
// rotated is rejected when replayed; floods of forgeries neither lock out the real server nor grow
// memory; the rate limit holds. A notification authenticated with the reset nonce (0x00000000)
// verifies forever: a captured one replayed after the window must neither start a session nor reset
// the stored server nonce again (finding F7, fixed in 1f7dee6 by a persistent guard in the agent);
// the replay is reported to `onPush` as rejected ('duplicate') — finding F11, fixed.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../../target/node/server';
import type { RunningServer } from '../../target/node/server';
import { parseScript } from '../../src/server/script';
import { buildPkg0, PKG0_RESET_NONCE } from '../../src/push/pkg0';
import type { PushDecision } from '../../src/push/PushRouter';
import { encodeGsmWapPush } from '../../src/push/gsm';
import { makeDevice } from '../helpers/device';
import type { TestDevice } from '../helpers/device';

const SID = 'com.mgmtsrv.manage';
const SECRET = 'srvSecret';
const N = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
const WINDOW_MS = 300;

const servers: RunningServer[] = [];
after(async () => { for (const s of servers) await s.close(); });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function wsp(pkg: Uint8Array): Uint8Array {
  return Uint8Array.from([1, 6, 3, 0xc4, 0xaf, 0x87, ...pkg]);
}
function notification(o: { session: number; secret?: string; nonce?: Uint8Array; serverId?: string; vendor?: Uint8Array }): Uint8Array {
  return wsp(buildPkg0({ sessionId: o.session, serverId: o.serverId ?? SID, secret: o.secret ?? SECRET, nonce: o.nonce ?? N, ...(o.vendor ? { vendor: o.vendor } : {}) }));
}

async function device(opts: { auto?: boolean; md5Server?: boolean } = {}): Promise<{ dev: TestDevice; decisions: PushDecision[]; srv: RunningServer }> {
  const srv = await startServer({
    script: parseScript({
      serverId: SID,
      ...(opts.md5Server ? { auth: { server: { type: 'md5', username: SID, password: SECRET, nonce: Buffer.from(N).toString('base64') } } } : {}),
      packages: [{ commands: [{ cmd: 'Get', target: './DevInfo/Lang' }] }],
    }),
    port: 0,
  });
  servers.push(srv);
  const decisions: PushDecision[] = [];
  const dev = makeDevice({
    url: srv.url,
    account: { connRetryFreq: 0, server: { type: 'DIGEST', name: SID, secret: SECRET, nonce: N } },
    agent: { autoSession: opts.auto ?? false, onPush: (d) => decisions.push(d), push: { duplicateWindowMs: WINDOW_MS, rateWindowMs: WINDOW_MS, rateLimitCount: 3, maxTracked: 8 } },
  });
  return { dev, decisions, srv };
}

const reasons = (ds: PushDecision[]): string[] => ds.map((d) => (d.outcome === 'accepted' ? `accepted${d.nonceReset ? '-reset' : ''}` : d.reason));

describe('security: notification authentication and replay', () => {
  test('forged digests are rejected and start no session: wrong secret, tampered trigger fields, unknown server, wrong nonce', async () => {
    const { dev, decisions, srv } = await device({ auto: true, md5Server: true });
    const good = notification({ session: 0x10 });
    const forged: Uint8Array[] = [
      notification({ session: 0x11, secret: 'guess' }),
      notification({ session: 0x12, nonce: new Uint8Array([9, 9]) }),
      notification({ session: 0x13, serverId: 'com.unknown' }),
    ];
    // each trigger field changed after signing: version/ui-mode/initiator byte, session id, id length, id, vendor data
    for (const at of [6 + 16, 6 + 17, 6 + 21, 6 + 22, 6 + 24, good.length - 1]) {
      const t = good.slice();
      t[at] = t[at]! ^ 0x01;
      forged.push(t);
    }
    for (const f of forged) dev.agent.handleSms({ kind: 'wdp', bytes: f });
    // wrong secret / wrong nonce fail the digest; an unknown or altered server id finds no account;
    // an altered version may also be refused as malformed; altered session ids fail the digest
    assert.deepEqual(reasons(decisions).slice(0, 3), ['bad-digest', 'bad-digest', 'unknown-server']);
    assert.deepEqual(reasons(decisions).slice(5, 7), ['bad-digest', 'bad-digest']);
    for (const r of reasons(decisions)) assert.ok(['bad-digest', 'unknown-server', 'malformed'].includes(r), r);
    assert.ok(decisions.every((d) => d.outcome === 'rejected'));
    assert.equal(dev.agent.pushSessions.length, 0);
    assert.equal(srv.sessions().length, 0);
    // the genuine one still works after the forgeries
    dev.agent.handleSms({ kind: 'wdp', bytes: good });
    assert.equal(decisions.at(-1)?.outcome, 'accepted');
    const results = await Promise.all(dev.agent.pushSessions);
    assert.deepEqual(results.map((r) => r.outcome), ['completed']);
    assert.equal(srv.sessions().length, 1);
  });

  test('a replay inside the duplicate window is rejected and starts no second session; a new session id is accepted', async () => {
    const { dev, decisions, srv } = await device({ auto: true, md5Server: true });
    const n = notification({ session: 0x20 });
    dev.agent.handleSms({ kind: 'wdp', bytes: n });
    dev.agent.handleSms({ kind: 'wdp', bytes: n });
    // the same push as a GSM SMS (another bearer) is the same notification
    dev.agent.handleSms({ kind: 'gsm', bytes: encodeGsmWapPush(n, { originator: '+447700900123' })[0]! });
    assert.deepEqual(reasons(decisions), ['accepted', 'duplicate', 'duplicate']);
    assert.deepEqual((await Promise.all(dev.agent.pushSessions)).map((r) => r.outcome), ['completed']);
    assert.equal(srv.sessions().length, 1);
  });

  test('after a session rotated the server nonce, a replay of an older notification fails the digest', async () => {
    const { dev, decisions } = await device({ md5Server: true });
    const old = notification({ session: 0x30 });
    dev.agent.handleSms({ kind: 'wdp', bytes: old });
    assert.deepEqual(reasons(decisions), ['accepted']);
    const r = await dev.agent.runSession({ initiator: 'server', sessionId: '30' });
    assert.equal(r.outcome, 'completed', JSON.stringify(r));
    assert.notDeepEqual([...dev.agent.account()!.server.nonce], [...N], 'the session rotated the nonce');
    await sleep(WINDOW_MS + 50);
    dev.agent.handleSms({ kind: 'wdp', bytes: old });
    assert.deepEqual(reasons(decisions), ['accepted', 'bad-digest']);
  });

  test('rate limit: more than 3 genuine notifications inside the window are refused; the window then reopens', async () => {
    const { dev, decisions } = await device();
    for (let s = 0x40; s < 0x45; s++) dev.agent.handleSms({ kind: 'wdp', bytes: notification({ session: s }) });
    assert.deepEqual(reasons(decisions), ['accepted', 'accepted', 'accepted', 'rate-limited', 'rate-limited']);
    await sleep(WINDOW_MS + 50);
    dev.agent.handleSms({ kind: 'wdp', bytes: notification({ session: 0x46 }) });
    assert.equal(reasons(decisions).at(-1), 'accepted');
  });

  test('a flood of 2000 forgeries and garbage locks nothing out and keeps the router inside its bounds', async () => {
    const { dev, decisions } = await device();
    for (let i = 0; i < 2000; i++) {
      const bytes = i % 3 === 0 ? notification({ session: i & 0xffff, secret: `guess${i}` })
        : i % 3 === 1 ? encodeGsmWapPush(notification({ session: i, vendor: new Uint8Array(200) }), { originator: `+${i}`, ref: i & 0xff })[0]!
          : Uint8Array.from({ length: i % 150 }, (_, k) => (k * i) & 0xff);
      dev.agent.handleSms({ kind: i % 3 === 1 ? 'gsm' : 'wdp', bytes });
    }
    assert.ok(!decisions.some((d) => d.outcome === 'accepted'), 'no forgery accepted');
    const u = dev.agent.router.usage();
    assert.ok(u.reassembly.highPending <= dev.agent.router.limits.maxPending && u.tracked <= 8, JSON.stringify(u));
    dev.agent.handleSms({ kind: 'wdp', bytes: notification({ session: 0x50 }) });
    assert.equal(decisions.at(-1)?.outcome, 'accepted', 'the genuine server still gets through');
  });

  /** A resync notification accepted once, a session that rotates the nonce, then the captured notification replayed. */
  async function resyncReplay(): Promise<{ dev: TestDevice; decisions: PushDecision[]; fresh: number[]; sessionsBefore: number; srv: RunningServer }> {
    const { dev, decisions, srv } = await device({ md5Server: true });
    const resync = notification({ session: 0x60, nonce: PKG0_RESET_NONCE });
    dev.agent.handleSms({ kind: 'wdp', bytes: resync });
    assert.deepEqual(reasons(decisions), ['accepted-reset']);
    assert.deepEqual([...dev.agent.account()!.server.nonce], [0, 0, 0, 0]);
    // the resynchronised session hands the server a fresh nonce
    const r = await dev.agent.runSession({ initiator: 'server', sessionId: '60' });
    assert.equal(r.outcome, 'completed', JSON.stringify(r));
    const fresh = [...dev.agent.account()!.server.nonce];
    assert.notDeepEqual(fresh, [0, 0, 0, 0]);
    const sessionsBefore = srv.sessions().length;
    // an attacker replays the captured resync notification later, also after a restart of the device
    await sleep(WINDOW_MS + 50);
    const again = makeDevice({ url: srv.url, dir: dev.dir, agent: { autoSession: true, onPush: (d) => decisions.push(d), push: { duplicateWindowMs: WINDOW_MS } } });
    again.agent.handleSms({ kind: 'wdp', bytes: resync });
    await Promise.all(again.agent.pushSessions);
    return { dev: again, decisions, fresh, sessionsBefore, srv };
  }

  test('a replayed reset-nonce notification neither starts a session nor resets the server nonce again (finding F7)', async () => {
    const x = await resyncReplay();
    assert.deepEqual([...x.dev.agent.account()!.server.nonce], x.fresh, 'the replay reset the stored server nonce');
    assert.equal(x.dev.agent.pushSessions.length, 0, 'the replay started a session');
    assert.equal(x.srv.sessions().length, x.sessionsBefore);
  });

  test('a replayed reset-nonce notification is reported as rejected to onPush (finding F11, fixed)', async () => {
    const x = await resyncReplay();
    assert.notEqual(x.decisions.at(-1)?.outcome, 'accepted', 'the replay was reported as accepted');
  });
});
