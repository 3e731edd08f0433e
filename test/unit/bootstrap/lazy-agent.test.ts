// Layer: unit (portable). AgentCore with the bootstrapper loaded on demand (PushParts.loadBootstrapper,
// as the QuickJS host's `listen` does): nothing is loaded until the first bootstrap push; pushes that
// arrive while it loads are handed over in arrival order, from copies (the receive buffer is reused);
// a failed load rejects the waiting pushes and the next push loads again; notifications never load it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentCore } from '../../../src/agent/AgentCore';
import type { AgentConfig } from '../../../src/agent/AgentCore';
import { Bootstrapper } from '../../../src/bootstrap/Bootstrapper';
import type { BootstrapDecision } from '../../../src/bootstrap/Bootstrapper';
import { bootstrapKey, bootstrapMac, imsiKey } from '../../../src/bootstrap/sec';
import { buildPkg0 } from '../../../src/push/pkg0';
import type { PushDecision } from '../../../src/push/PushRouter';
import { PushRouter } from '../../../src/push/PushRouter';
import { encodeWspPush } from '../../../src/push/wsp';
import { utf8Decode } from '../../../src/util/utf8';
import { FakePlatform } from '../../helpers/fake-platform';
import { account12, dmMessage, IMSI } from './helpers';

const DEV_INFO = { devId: 'IMEI:1', man: 'omadm', mod: 'test', dmV: '1.0', lang: 'en' };
const DEV_DETAIL = { devTyp: 'router', oem: 'omadm', fwV: '1', swV: '1', hwV: '1' };
const DOC_A = dmMessage(account12('a', 'com.srv.a', 'https://a.example.com/dm', { serverPw: 'secret-a' }));
const DOC_B = dmMessage(account12('b', 'com.srv.b', 'https://b.example.com/dm', { serverPw: 'secret-b' }));

/** A DM bootstrap as a WAP push datagram (WSP 0x42, SEC=NETWORKID, MAC over the document). */
function bootstrapDatagram(doc: Uint8Array): Uint8Array {
  const mac = bootstrapMac(bootstrapKey('NETWORKID', imsiKey(IMSI), null), doc);
  return encodeWspPush({ contentType: 0x42, contentTypeParams: [{ code: 0x11, value: 0 }, { code: 0x12, value: mac }], appId: null, body: doc });
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

/** An agent whose bootstrapper comes from `loads` (one deferred per load attempt). */
function rig(): { agent: AgentCore; loads: Deferred<typeof Bootstrapper>[]; decisions: BootstrapDecision[]; pushes: PushDecision[] } {
  const loads: Deferred<typeof Bootstrapper>[] = [];
  const decisions: BootstrapDecision[] = [];
  const pushes: PushDecision[] = [];
  const cfg: AgentConfig = {
    devInfo: DEV_INFO,
    devDetail: DEV_DETAIL,
    bootstrap: { accounts: [], ota: { startSession: false } },
    networkSecret: () => imsiKey(IMSI),
    onBootstrap: (d) => decisions.push(d),
    onPush: (d) => pushes.push(d),
  };
  const agent = new AgentCore(new FakePlatform(3), cfg);
  agent.enablePush({
    PushRouter,
    loadBootstrapper: () => {
      const d = deferred<typeof Bootstrapper>();
      loads.push(d);
      return d.promise;
    },
  });
  return { agent, loads, decisions, pushes };
}

/** Lets queued microtasks run (portable: no timers). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

describe('AgentCore: the bootstrapper loaded on the first bootstrap push', () => {
  test('nothing is loaded until a bootstrap push; pushes during the load are applied in arrival order from copies', async () => {
    const { agent, loads, decisions } = rig();
    assert.equal(loads.length, 0, 'enablePush loads nothing');
    assert.throws(() => agent.bootstrapper, /not loaded yet/);
    const buf = bootstrapDatagram(DOC_A);
    agent.handleSms({ kind: 'wdp', bytes: buf });
    buf.fill(0); // the receive buffer is reused for the next datagram
    agent.handleSms({ kind: 'wdp', bytes: bootstrapDatagram(DOC_B) });
    assert.equal(loads.length, 1, 'one load for both pushes');
    assert.equal(agent.bootstraps.length, 2);
    await settle();
    assert.equal(decisions.length, 0, 'no decision before the class arrives');
    loads[0]!.resolve(Bootstrapper);
    const ds = await Promise.all(agent.bootstraps);
    assert.deepEqual(ds.map((d) => d.outcome === 'applied' ? d.serverIds : d), [['com.srv.a'], ['com.srv.b']]);
    assert.deepEqual(decisions, ds, 'onBootstrap saw them in arrival order');
    assert.equal(utf8Decode(agent.dmacc.findByServerId('com.srv.a')!.server.secret), 'secret-a', 'the first document was applied intact');
    assert.ok(agent.bootstrapper instanceof Bootstrapper);
    // loaded: the next push goes straight to it (and its replay table refuses a repeat)
    agent.handleSms({ kind: 'wdp', bytes: bootstrapDatagram(DOC_B) });
    assert.equal(loads.length, 1, 'loaded once');
    const d3 = await agent.bootstraps[2]!;
    assert.equal(d3.outcome === 'rejected' && d3.reason, 'replay');
  });

  test('a failed load rejects the waiting pushes; the next bootstrap push loads again', async () => {
    const { agent, loads, decisions } = rig();
    agent.handleSms({ kind: 'wdp', bytes: bootstrapDatagram(DOC_A) });
    loads[0]!.reject(new Error('no such module'));
    const d1 = await agent.bootstraps[0]!;
    assert.equal(d1.outcome, 'rejected');
    assert.match(d1.outcome === 'rejected' ? `${d1.reason}: ${d1.detail}` : '', /^malformed: internal error: the bootstrapper could not be loaded: no such module$/);
    assert.equal(agent.dmacc.findByServerId('com.srv.a'), null, 'nothing applied');
    agent.handleSms({ kind: 'wdp', bytes: bootstrapDatagram(DOC_A) });
    assert.equal(loads.length, 2, 'loaded again');
    loads[1]!.resolve(Bootstrapper);
    const d2 = await agent.bootstraps[1]!;
    assert.equal(d2.outcome, 'applied', JSON.stringify(d2));
    assert.deepEqual(decisions.map((d) => d.outcome), ['rejected', 'applied']);
  });

  test('a DM notification (package #0) never loads the bootstrapper', () => {
    const { agent, loads, pushes } = rig();
    const pkg0 = buildPkg0({ sessionId: 0x12, serverId: 'com.srv.a', secret: 'secret-a', nonce: new Uint8Array(16) });
    agent.handleSms({ kind: 'wdp', bytes: encodeWspPush({ contentType: 0x44, appId: 7, body: pkg0 }) });
    assert.deepEqual(pushes.map((d) => d.outcome === 'rejected' ? d.reason : d.outcome), ['unknown-server'], 'routed as a notification');
    assert.equal(loads.length, 0, 'a notification is not a bootstrap');
    assert.equal(agent.bootstraps.length, 0);
  });

  test('enablePush without a bootstrapper class or loader is a TypeError', () => {
    const agent = new AgentCore(new FakePlatform(4), { devInfo: DEV_INFO, devDetail: DEV_DETAIL });
    assert.throws(() => agent.enablePush({ PushRouter }), TypeError);
    assert.equal(agent.pushEnabled, false);
  });
});
