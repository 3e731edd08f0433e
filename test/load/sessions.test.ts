// Load (node-only): many sessions of the device agent against the loopback DM server, which runs in
// a child process so the heap measured here is the device's alone. Sessions are real: HTTPS with a
// test CA, md5 credentials both ways (nonces rotated and persisted with fdatasync every session), a
// Get, a Replace and a tree listing, DevInfo in package 1.
//
//   sequential  one device, LOAD_SESSIONS sessions (default 500; `make load`: 10 000). The heap after
//               a forced GC is sampled every 100 sessions; growth from session 100 to the last must
//               stay under GROWTH_MARGIN (1.5 MiB) whatever the count. High-water marks are reported.
//   concurrent  LOAD_DEVICES devices (default 20; `make load`: 50), each with its own storage and
//               agent, run ROUNDS sessions at the same time; all complete, the server records no
//               failure, and the heap per device is reported and bounded.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { makePki } from '../helpers/pki';
import { makeDevice } from '../helpers/device';
import type { TestDevice } from '../helpers/device';

const SID = 'com.mgmtsrv.manage';
const SESSIONS = Number(process.env['LOAD_SESSIONS'] ?? '500');
const DEVICES = Number(process.env['LOAD_DEVICES'] ?? '20');
const ROUNDS = 3;
/** Allowed heap growth (after GC) between session 100 and the last one, bytes. */
const GROWTH_MARGIN = 1.5 * 1024 * 1024;
const CHECKPOINT = 100;

const SCRIPT = {
  serverId: SID,
  auth: {
    client: { type: 'md5', username: 'dev1', password: 'devpw', nonce: 'AAECAwQFBgcICQoLDA0ODw==' },
    server: { type: 'md5', username: SID, password: 'srvpw', nonce: 'EBESExQVFhcYGRobHB0eHw==' },
  },
  packages: [{ commands: [
    { cmd: 'Get', target: './DevInfo/Mod', expect: 200, expectValue: 'Widget 3000' },
    { cmd: 'Add', target: './Vendor/omadm/Sync/load', format: 'node', expect: [200, 418] },
    { cmd: 'Add', target: './Vendor/omadm/Sync/load/Addr', data: 'https://sync.example.com/ds', format: 'chr', expect: [200, 418] },
    { cmd: 'Replace', target: './Vendor/omadm/Sync/load/Addr', data: 'https://sync2.example.com/ds', format: 'chr', expect: 200 },
    { cmd: 'Get', target: './DevInfo?list=Struct', expect: 200 },
  ] }],
};

// ------------------------------------------------------------------ child process: the server
if (process.env['OMADM_LOAD_ROLE'] === 'server') {
  const { startServer } = await import('../../target/node/server');
  const { parseScript } = await import('../../src/server/script');
  const tls = JSON.parse(process.env['OMADM_LOAD_TLS']!) as { key: string; cert: string };
  const srv = await startServer({ script: parseScript(SCRIPT), port: 0, tls, limits: { maxSessions: 64 } });
  let failures = 0;
  let completed = 0;
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'stats') process.send!({ completed, failures, rss: process.memoryUsage().rss });
    if (m.cmd === 'stop') void srv.close().then(() => process.exit(0));
  });
  // count outcomes as sessions end (the server keeps only the last 64 records)
  const seen = new Set<number>();
  setInterval(() => {
    for (const r of srv.sessions()) {
      if (r.outcome === 'active' || seen.has(r.index)) continue;
      seen.add(r.index);
      if (r.outcome === 'completed' && r.failures.length === 0) completed++;
      else failures++;
    }
    if (seen.size > 10000) seen.clear();
  }, 20).unref();
  process.send!({ url: srv.url });
} else {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const settledHeap = (): number => { gc(); gc(); return process.memoryUsage().heapUsed; };
  const mib = (n: number): string => (n / 1048576).toFixed(2);

  let server: ChildProcess;
  let url = '';
  const pki = makePki();

  before(async () => {
    server = fork(fileURLToPath(import.meta.url), [], { env: { ...process.env, OMADM_LOAD_ROLE: 'server', OMADM_LOAD_TLS: JSON.stringify({ key: pki.key, cert: pki.cert }) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    url = await new Promise<string>((ok, fail) => {
      server.once('message', (m: { url: string }) => ok(m.url));
      server.once('exit', (c) => fail(new Error(`server exited with ${c}`)));
    });
  });
  after(() => {
    server.send({ cmd: 'stop' });
  });

  const serverStats = (): Promise<{ completed: number; failures: number; rss: number }> =>
    new Promise((ok) => {
      server.once('message', ok);
      server.send({ cmd: 'stats' });
    });

  const account = {
    authPref: 'DIGEST',
    client: { type: 'DIGEST', name: 'dev1', secret: 'devpw', nonce: new Uint8Array(Buffer.from('AAECAwQFBgcICQoLDA0ODw==', 'base64')) },
    server: { type: 'DIGEST', name: SID, secret: 'srvpw', nonce: new Uint8Array(Buffer.from('EBESExQVFhcYGRobHB0eHw==', 'base64')) },
  };

  /** Keeps device logs bounded in a long run (the helper records every line). */
  function trimLogs(dev: TestDevice): void {
    if (dev.logs.length > 1000) dev.logs.splice(0, dev.logs.length);
    dev.traces.length = 0;
  }

  describe('load: sessions against the loopback server (server in a child process)', () => {
    test(`${SESSIONS} sequential sessions of one device: heap flat after session ${CHECKPOINT} (margin ${mib(GROWTH_MARGIN)} MiB)`, async (t) => {
      const dev = makeDevice({ url, ca: pki.ca, account });
      const samples: { n: number; heap: number }[] = [];
      let highWater = 0;
      let outcomes = 0;
      const t0 = performance.now();
      for (let i = 1; i <= SESSIONS; i++) {
        const r = await dev.agent.runSession();
        if (r.outcome !== 'completed') assert.fail(`session ${i}: ${JSON.stringify(r)}; ${JSON.stringify(dev.logs.slice(-5))}`);
        outcomes++;
        trimLogs(dev);
        const h = process.memoryUsage().heapUsed;
        if (h > highWater) highWater = h;
        if (i % CHECKPOINT === 0 || i === SESSIONS) samples.push({ n: i, heap: settledHeap() });
      }
      const ms = performance.now() - t0;
      const base = samples.find((s) => s.n === CHECKPOINT) ?? samples[0]!;
      const last = samples.at(-1)!;
      const peakSettled = Math.max(...samples.map((s) => s.heap));
      t.diagnostic(`${SESSIONS} sessions in ${(ms / 1000).toFixed(1)} s (${(ms / SESSIONS).toFixed(1)} ms/session); heap after GC: session ${base.n} ${mib(base.heap)} MiB, session ${last.n} ${mib(last.heap)} MiB (${last.heap - base.heap >= 0 ? '+' : ''}${((last.heap - base.heap) / 1024).toFixed(0)} KiB), peak after GC ${mib(peakSettled)} MiB; high-water without GC ${mib(highWater)} MiB; rss ${mib(process.memoryUsage().rss)} MiB`);
      t.diagnostic(`heap samples (MiB): ${samples.map((s) => `${s.n}:${mib(s.heap)}`).join(' ')}`);
      assert.equal(outcomes, SESSIONS);
      assert.ok(last.heap - base.heap < GROWTH_MARGIN, `heap grew by ${last.heap - base.heap} bytes from session ${base.n} to ${last.n}`);
      // the tree and the stores stay the same size: the same nodes, nonces rotated in place
      assert.equal(dev.agent.tree.store.readText('./Vendor/omadm/Sync/load/Addr'), 'https://sync2.example.com/ds');
      const st = await serverStats();
      assert.equal(st.failures, 0);
    });

    test(`${DEVICES} devices × ${ROUNDS} concurrent sessions: all complete, heap per device bounded`, async (t) => {
      const h0 = settledHeap();
      const devs = Array.from({ length: DEVICES }, (_, i) => makeDevice({
        url, ca: pki.ca, account,
        agent: { devInfo: { devId: `IMEI:4930051005${String(90000 + i).padStart(5, '0')}`, man: 'Acme Devices', mod: 'Widget 3000', dmV: 'omadm 0.1', lang: 'en-US' } },
      }));
      const before = await serverStats();
      const t0 = performance.now();
      let peak = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const rs = await Promise.all(devs.map((d) => d.agent.runSession()));
        const bad = rs.filter((r) => r.outcome !== 'completed');
        assert.deepEqual(bad, [], `round ${round}`);
        peak = Math.max(peak, process.memoryUsage().heapUsed);
        for (const d of devs) trimLogs(d);
      }
      const ms = performance.now() - t0;
      const h1 = settledHeap();
      await new Promise((r) => setTimeout(r, 100));
      const after = await serverStats();
      const perDevice = (h1 - h0) / DEVICES;
      t.diagnostic(`${DEVICES * ROUNDS} sessions in ${(ms / 1000).toFixed(1)} s; heap with ${DEVICES} live agents: +${mib(h1 - h0)} MiB (${(perDevice / 1024).toFixed(0)} KiB per device), high-water ${mib(peak)} MiB; server rss ${mib(after.rss)} MiB`);
      assert.equal(after.completed - before.completed, DEVICES * ROUNDS, 'every session completed on the server without failures');
      assert.equal(after.failures, before.failures);
      assert.ok(perDevice < 1024 * 1024, `${perDevice} bytes per live device`);
    });
  });
}
